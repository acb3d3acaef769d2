# Production values for variables.nomad.hcl. A variables file holds only
# `name = value` lines for variables the jobspec declares; drover does not read
# it as a job (files named *.vars.hcl are skipped when you pass a directory).
#
#   drover plan -var-file examples/variables/prod.vars.hcl examples/variables/variables.nomad.hcl

environment = "production"
datacenters = ["dc1", "dc2"]
replicas    = 3
image_tag   = "v2"
debug       = false

resources = {
  cpu    = 200
  memory = 128
}

extra_env = {
  CACHE_TTL = "300"
}

# drover.hcl: where drover keeps its state and which hosts it may use.
# drover reads ./drover.hcl by default (or the file given with -config).
# This repository describes a small fleet: two web hosts and one batch host,
# all reached over SSH. drover installs nothing on them; it needs sshd, sh and,
# for Docker tasks, a Docker engine the SSH user may use.

state {
  # PostgreSQL, so that every CI run (plan, approve, apply) and every laptop
  # sees one state, guarded by one lock. Where it is comes from the PG*
  # variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), set from CI
  # secrets; drover creates its tables (schema "drover") on first use.
  backend = "postgres"
}

# A plan is applied only from a planfile that two people other than its
# author approved (drover approve FILE; the workflows in .github/ and
# .gitlab-ci.yml run it when someone approves the pull or merge request).
approvals {
  required   = 2
  allow_self = false
}

node "web-1" {
  transport  = "ssh"
  address    = "10.0.0.11"
  port       = 22
  user       = "deploy"
  identity   = "~/.ssh/drover_deploy"
  datacenter = "dc1"
  class      = "web" # jobs select hosts with ${node.class}

  # Free-form facts about the host; jobs can use them as ${meta.<key>}.
  meta {
    rack = "r1"
  }
}

node "web-2" {
  transport  = "ssh"
  address    = "10.0.0.12"
  port       = 22
  user       = "deploy"
  identity   = "~/.ssh/drover_deploy"
  datacenter = "dc1"
  class      = "web"

  meta {
    rack = "r2"
  }
}

node "batch-1" {
  transport  = "ssh"
  address    = "10.0.0.21"
  port       = 22
  user       = "deploy"
  identity   = "~/.ssh/drover_deploy"
  datacenter = "dc1"
  class      = "batch"

  meta {
    rack = "r1"
  }
}

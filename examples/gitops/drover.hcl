# drover.hcl: where drover keeps its state and which hosts it may use.
# drover reads ./drover.hcl by default (or the file given with -config).
# This repository describes a small fleet: two web hosts and one batch host,
# all reached over SSH. drover installs nothing on them; it needs sshd, sh and,
# for Docker tasks, a Docker engine the SSH user may use.

state {
  # The local backend keeps one JSON file, written atomically and guarded by a
  # lock. Keep it on the machine that runs `drover apply` (see README.md), not
  # in git.
  backend = "local"
  path    = ".drover/state.json"
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

# A new system job runs once on every node that can run it; n2 is not Linux, so it is skipped
# (not a placement failure, as in Nomad) and the plan says why.
job "agent" {
  datacenters = ["dc1"]
  type        = "system"

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "agent" {
    task "agent" {
      driver = "mock"

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

# cleanup: a nightly batch job on the batch host that prunes old files under
# the deploy user's scratch directory.

job "cleanup" {
  type        = "batch"
  datacenters = ["dc1"]

  constraint {
    attribute = "${node.class}"
    value     = "batch"
  }

  periodic {
    crons            = ["30 2 * * *"]
    time_zone        = "UTC"
    prohibit_overlap = true
  }

  group "cleanup" {
    task "prune" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args = [
          "-c",
          "mkdir -p \"$HOME/scratch\" && find \"$HOME/scratch\" -type f -mtime +7 -print -delete",
        ]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

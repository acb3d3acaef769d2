# report: a batch job. It runs to completion once and is done; drover does not
# restart a task that exits 0.
#
#   drover apply examples/batch/report.nomad.hcl
#   drover logs report            # the report each copy printed
#
# Shows: type "batch", several copies of a finite task, what happens on failure
# (restart, then reschedule), meta, and values filled in when the task starts.
# A scheduled variant of the same idea is nightly.nomad.hcl next to this file.

job "report" {
  type        = "batch"
  datacenters = ["*"]

  # Free-form key/value pairs. Tasks see them as NOMAD_META_<key>.
  meta {
    owner  = "data-team"
    window = "24h"
  }

  group "summarize" {
    # Four independent copies; each one works on its own shard.
    count = 4

    # When the task fails, retry it on the same host: at most 2 times in
    # 10 minutes, 15 seconds apart, then give up on this host ("fail").
    restart {
      attempts = 2
      interval = "10m"
      delay    = "15s"
      mode     = "fail"
    }

    # After that, try once more on another host, then report the failure.
    reschedule {
      attempts  = 1
      interval  = "1h"
      delay     = "30s"
      unlimited = false
    }

    task "summarize" {
      driver = "raw_exec"

      # ${NOMAD_...} references are kept as written when drover reads the job
      # and filled in on the host when the task starts. The shell's own
      # variables are written "$${...}": in HCL "$${" is a literal "${", so HCL
      # leaves them alone and the shell sees ${shard}.
      config {
        command = "/bin/sh"
        args = [
          "-c",
          <<-EOT
          set -eu
          shard=${NOMAD_ALLOC_INDEX}
          echo "report for shard $${shard} of ${NOMAD_GROUP_NAME}, window ${NOMAD_META_window}"
          echo "owner: ${NOMAD_META_owner}"
          # A real job would read its input here and write the result somewhere lasting.
          sleep 2
          echo "shard $${shard} done"
          EOT
        ]
      }

      resources {
        cpu    = 100 # MHz
        memory = 32  # MB
      }
    }
  }
}

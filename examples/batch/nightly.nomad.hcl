# nightly: the periodic variant of a batch job. Each launch is a child job
# "nightly/periodic-<unix time>" that runs to completion like any batch job
# (see report.nomad.hcl).
#
#   drover apply examples/batch/nightly.nomad.hcl   # records the schedule, starts nothing
#   drover status nightly                           # the next launch time and the children
#   drover job periodic force nightly               # launches a child now
#
# Launching on the schedule is the job of the long-running `drover server`
# (not built yet); until then force a launch (from cron, for example).
#
# Shows: periodic (cron, time zone, no overlapping runs), a Docker batch task,
# an ephemeral disk for the run, and how long a task gets to stop.

job "nightly" {
  type        = "batch"
  datacenters = ["*"]

  # Every day at 03:15 Berlin time (cron fields: minute hour day month weekday).
  # prohibit_overlap skips a launch while the previous run is still going.
  periodic {
    crons            = ["15 3 * * *"]
    time_zone        = "Europe/Berlin"
    prohibit_overlap = true
  }

  group "snapshot" {
    # Scratch space for the run, in MB. It goes away with the run.
    ephemeral_disk {
      size = 200
    }

    # Batch jobs get no health checks; a failed run is simply reported.
    restart {
      attempts = 1
      delay    = "30s"
      mode     = "fail"
    }

    task "summary" {
      driver = "docker"

      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args = [
          "-c",
          "echo \"nightly run of ${NOMAD_JOB_NAME}\"; ls -l /alloc; echo \"keeping $${KEEP_DAYS} days of summaries\"",
        ]
      }

      env {
        KEEP_DAYS = "14"
      }

      # Give the task up to 30 seconds to stop after SIGTERM.
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}

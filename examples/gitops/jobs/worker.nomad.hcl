# worker: a long-running background process on the batch host. It has no port,
# so it is healthy when it keeps running (health_check = "task_states").

job "worker" {
  type        = "service"
  datacenters = ["dc1"]

  constraint {
    attribute = "${node.class}"
    value     = "batch"
  }

  group "worker" {
    count = 1

    update {
      max_parallel     = 1
      health_check     = "task_states"
      min_healthy_time = "15s"
    }

    # Restart a crashed worker in place a few times before giving up on the host.
    restart {
      attempts = 3
      interval = "10m"
      delay    = "20s"
      mode     = "delay"
    }

    task "worker" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args = [
          "-c",
          "while true; do echo \"worker ${NOMAD_ALLOC_INDEX} polling queue $${QUEUE}\"; sleep 30; done",
        ]
      }

      env {
        QUEUE = "jobs"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}

# A system job runs its group once on each of the three nodes; a destructive change replaces
# them max_parallel (1) at a time, with a stagger between batches.
job "agent" {
  datacenters = ["dc1"]
  type        = "system"

  group "agent" {
    update {
      max_parallel     = 1
      min_healthy_time = "5s"
      stagger          = "30s"
    }

    task "agent" {
      driver = "mock"

      env {
        RELEASE = "v1"
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

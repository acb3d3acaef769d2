# drover places a system job's group once (not yet once per node, see the scheduler's
# reconcile), so its rollout is one batch; a stagger comes between batches.
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

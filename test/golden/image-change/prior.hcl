# The mock driver has no image: a change of its config (healthy_after) forces a
# replacement just as a new image does.
job "web" {
  datacenters = ["dc1"]

  update {
    max_parallel     = 2
    min_healthy_time = "15s"
  }

  group "web" {
    count = 3

    network {
      port "http" {
        to = 8080
      }
    }

    task "server" {
      driver = "mock"

      config {
        healthy_after = "2s"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}

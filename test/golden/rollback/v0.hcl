job "web" {
  datacenters = ["dc1"]

  update {
    max_parallel     = 2
    min_healthy_time = "10s"
  }

  group "web" {
    count = 5

    task "server" {
      driver = "mock"

      config {
        healthy_after = "2s"
      }

      env {
        RELEASE = "v1"
      }
    }
  }
}

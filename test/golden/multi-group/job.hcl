job "shop" {
  datacenters = ["dc1"]

  update {
    max_parallel     = 1
    min_healthy_time = "5s"
  }

  group "api" {
    count = 2

    task "api" {
      driver = "mock"

      env {
        RELEASE = "v2"
      }
    }
  }

  group "worker" {
    count = 2

    task "worker" {
      driver = "mock"
    }
  }
}

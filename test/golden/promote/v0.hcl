job "web" {
  update {
    canary           = 1
    max_parallel     = 1
    min_healthy_time = "10s"
    auto_revert      = true
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
    }
  }
}

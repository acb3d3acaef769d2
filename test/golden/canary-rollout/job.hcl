job "web" {
  update {
    canary           = 1
    max_parallel     = 1
    min_healthy_time = "10s"
    stagger          = "20s"
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
      driver = "docker"

      config {
        image = "drover-test/busybox:v2"
      }
    }
  }
}

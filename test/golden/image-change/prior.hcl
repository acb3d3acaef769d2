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
      driver = "docker"

      config {
        image = "drover-test/busybox:v1"
        args  = ["httpd", "-f", "-p", "8080"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}

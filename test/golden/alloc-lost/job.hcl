job "web" {
  datacenters = ["dc1"]

  group "web" {
    count = 2

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

job "web" {
  group "web" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
      tags     = ["v1", "blue"]

      check {
        type     = "http"
        path     = "/health"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "mock"
    }
  }
}

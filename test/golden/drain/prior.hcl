job "web" {
  datacenters = ["dc1"]

  group "web" {
    count = 2

    task "server" {
      driver = "mock"

      config {
        healthy_after = "1s"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}

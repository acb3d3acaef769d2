# Reformatted and commented, but the same job as prior.hcl.
job "web" {
  datacenters = [ "dc1" ] # where it runs

  group "web" {
    count = 2

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

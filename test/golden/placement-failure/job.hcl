job "big" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "db" {
    count = 2

    task "postgres" {
      driver = "mock"

      resources {
        cpu    = 2000
        memory = 8192
      }
    }
  }
}

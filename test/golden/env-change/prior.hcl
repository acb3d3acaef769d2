job "api" {
  group "api" {
    task "api" {
      driver = "mock"

      config {
        healthy_after = "1s"
      }

      env {
        LOG_LEVEL = "info"
        REGION    = "eu"
      }
    }
  }
}

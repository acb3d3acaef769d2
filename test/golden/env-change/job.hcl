job "api" {
  group "api" {
    task "api" {
      driver = "mock"

      config {
        healthy_after = "1s"
      }

      env {
        LOG_LEVEL  = "debug"
        REGION     = "eu"
        TRACE_HTTP = "1"
      }
    }
  }
}

job "api" {
  group "api" {
    task "api" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/node"
        args    = ["server.js"]
      }

      env {
        LOG_LEVEL  = "debug"
        REGION     = "eu"
        TRACE_HTTP = "1"
      }
    }
  }
}

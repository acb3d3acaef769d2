# lifecycle: tasks that run around the main task, as Nomad's `lifecycle` block
# orders them within one allocation.
#
#   drover apply examples/lifecycle/app.nomad.hcl
#   drover logs  app                  # the main task's output
#   drover logs  app --task migrate   # the prestart task's output
#   drover stop  app                  # runs the poststop task, and waits for it
#
# Order: "migrate" (prestart) runs to completion and must exit 0 before "server"
# starts; "heartbeat" (a prestart sidecar) starts with it and keeps running
# beside the server; "goodbye" (poststop) runs once the server has stopped. A
# failing "migrate" fails the allocation and the server never starts. Its exit
# 0 is success: it never makes the allocation unhealthy.
#
# Every task of an allocation shares its alloc directory ($NOMAD_ALLOC_DIR):
# here the migration leaves the schema version there for the server to read.

job "app" {
  type        = "service"
  datacenters = ["*"]

  update {
    max_parallel     = 1
    min_healthy_time = "2s"
  }

  group "app" {
    network {
      port "http" {}
    }

    service {
      name     = "app"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "migrate" {
      lifecycle {
        hook = "prestart" # runs first, to completion
      }

      driver = "raw_exec"
      config {
        command = "sh"
        args    = ["-c", "sleep 1; echo v2 > \"$NOMAD_ALLOC_DIR/schema\"; echo migrated to v2"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "heartbeat" {
      lifecycle {
        hook    = "prestart"
        sidecar = true # started first, kept running beside the main task
      }

      driver = "raw_exec"
      config {
        command = "sh"
        args    = ["-c", "while :; do date >> \"$NOMAD_ALLOC_DIR/heartbeat\"; sleep 5; done"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }

    # The main task (no lifecycle block). It refuses to start without the
    # schema file, which only the finished migration leaves.
    task "server" {
      driver = "raw_exec"
      config {
        command = "node"
        args = [
          "-e",
          "const schema = require('fs').readFileSync(process.env.NOMAD_ALLOC_DIR + '/schema', 'utf8').trim(); require('http').createServer((req, res) => res.end('schema ' + schema + '\\n')).listen(process.env.NOMAD_PORT_http, () => console.log('serving schema ' + schema))",
        ]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "goodbye" {
      lifecycle {
        hook = "poststop" # runs after the main task stopped
      }

      driver = "raw_exec"
      config {
        command = "sh"
        args    = ["-c", "echo stopped > \"$NOMAD_ALLOC_DIR/goodbye\""]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}

# hello: drover's quick-start job.
#
# A tiny web server written inline in Node.js and run as a plain process on the
# host (the raw_exec driver: no container, no isolation). drover gives each copy
# a free port, checks it over HTTP, and replaces copies one at a time when you
# change the job.
#
#   drover validate examples/hello/hello.nomad.hcl
#   drover plan     examples/hello/hello.nomad.hcl
#   drover apply    examples/hello/hello.nomad.hcl
#   drover status   hello                  # shows the port each copy got
#   curl http://127.0.0.1:<port>/          # Hello from drover (alloc 0)
#
# Change the greeting without editing this file, and see what the plan does:
#
#   drover plan -var 'greeting=Hi there' examples/hello/hello.nomad.hcl

# An input variable. Its default is used unless you pass -var, -var-file or set
# NOMAD_VAR_greeting in the environment.
variable "greeting" {
  description = "The first words of the page every copy serves."
  type        = string
  default     = "Hello from drover"
}

job "hello" {
  # A service runs until you stop it; drover restarts it when it exits.
  type        = "service"
  datacenters = ["*"] # any datacenter

  # How changes roll out: one copy at a time, and a new copy must stay healthy
  # for 2 seconds before the next old one is replaced.
  update {
    max_parallel     = 1
    min_healthy_time = "2s"
  }

  # A group is the unit that gets placed on a host; count is how many copies.
  group "web" {
    count = 2

    network {
      # A dynamic port: drover picks a free port on the host and hands it to
      # the task as the environment variable NOMAD_PORT_http.
      port "http" {}
    }

    # Registers the copies under the name "hello" in drover's own catalog
    # (provider "nomad": no Consul needed). A copy counts as healthy while its
    # check passes, and the update block above waits for that.
    service {
      name     = "hello"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "node"
        # The whole server in one line. It reads the greeting and the port from
        # the environment; NOMAD_ALLOC_INDEX is this copy's number (0, 1, ...).
        args = [
          "-e",
          "require('http').createServer((req, res) => res.end(process.env.GREETING + ' (alloc ' + process.env.NOMAD_ALLOC_INDEX + ')\\n')).listen(process.env.NOMAD_PORT_http)",
        ]
      }

      # Extra environment for the task; var.greeting is filled in when drover
      # reads the file, so a new greeting is a change that the plan shows.
      env {
        GREETING = var.greeting
      }

      # What the task may use. drover places copies only on hosts with room.
      resources {
        cpu    = 100 # MHz
        memory = 64  # MB
      }
    }
  }
}

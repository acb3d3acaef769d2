# api: the public HTTP service, two copies on the web hosts, one per rack.
# Changes go out as a canary first; the CI apply stops there (exit code 5) until
# someone runs `drover promote api` or merges a follow-up with auto_promote.

variable "image_tag" {
  description = "Image tag to deploy; CI may pass it with -var or NOMAD_VAR_image_tag."
  type        = string
  default     = "v1"
}

job "api" {
  type        = "service"
  datacenters = ["dc1"]

  # Only the hosts drover.hcl lists with class = "web".
  constraint {
    attribute = "${node.class}"
    value     = "web"
  }

  update {
    max_parallel     = 1
    canary           = 1
    auto_revert      = true
    min_healthy_time = "10s"
    healthy_deadline = "2m"
  }

  group "api" {
    count = 2

    # Prefer to put the copies in different racks (a preference, not a rule).
    spread {
      attribute = "${meta.rack}"
      weight    = 100
    }

    network {
      port "http" {}
    }

    service {
      name     = "api"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "api" {
      driver = "docker"

      config {
        image   = "drover-test/busybox:${var.image_tag}"
        command = "httpd"
        args    = ["-f", "-p", "${NOMAD_PORT_http}", "-h", "/www"]
        ports   = ["http"]
      }

      resources {
        cpu    = 200 # MHz
        memory = 128 # MB
      }
    }
  }
}

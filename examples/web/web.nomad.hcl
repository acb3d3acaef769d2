# web: a static site served by BusyBox httpd in Docker.
#
# Three copies of the site on dynamic ports, plus one status page on a fixed
# port. Shows the docker driver, static and dynamic ports, constraints, an HTTP
# health check, and a canary deployment that reverts itself when it fails.
#
# The image is drover's test image: BusyBox with /www/index.html (the test suite
# builds it with `docker import`; any image that has httpd and /www works).
#
#   drover plan  examples/web/web.nomad.hcl
#   drover apply examples/web/web.nomad.hcl   # first version: all 3 copies start
#
# Change the image to drover-test/busybox:v2 and apply again: drover starts one
# canary beside the old copies and exits with code 5 once it is healthy. Look
# at it, then `drover promote web` replaces the rest one by one. A canary that
# never becomes healthy fails the deployment and drover reverts to v1.

job "web" {
  type        = "service"
  datacenters = ["*"]

  # Job-level constraints apply to every group: only Linux hosts run Docker
  # containers for this job. ${attr.kernel.name} is read from each host.
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  # The rollout strategy for every group (a group may override it).
  update {
    max_parallel      = 1        # replace one copy at a time after promotion
    canary            = 1        # first start one new copy beside the old ones
    auto_promote      = false    # wait for `drover promote`
    auto_revert       = true     # a failed deployment goes back to the last good version
    health_check      = "checks" # healthy = running and its service checks pass
    min_healthy_time  = "5s"     # ...for at least 5 seconds
    healthy_deadline  = "1m"     # a copy not healthy within 1 minute has failed
    progress_deadline = "5m"     # the deployment must make progress every 5 minutes
  }

  group "frontend" {
    count = 3

    # Group-level constraint: the image is built for these CPU architectures.
    constraint {
      attribute = "${attr.cpu.arch}"
      operator  = "regexp"
      value     = "^(amd64|arm64)$"
    }

    network {
      # Dynamic: each copy gets its own free host port, so three copies can
      # share one host. Without `to`, the container listens on that same port.
      port "http" {}
    }

    service {
      name        = "web"
      port        = "http"
      provider    = "nomad"
      tags        = ["frontend"]
      canary_tags = ["frontend", "canary"] # tags while a copy is an unpromoted canary

      check {
        name     = "index"
        type     = "http"
        path     = "/"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "httpd" {
      driver = "docker"

      # ${NOMAD_PORT_http} is not known when drover reads the job: it is kept as
      # written and filled in on the host when the container starts.
      config {
        image   = "drover-test/busybox:v1"
        command = "httpd"
        args    = ["-f", "-p", "${NOMAD_PORT_http}", "-h", "/www"]
        ports   = ["http"]
      }

      resources {
        cpu    = 50 # MHz
        memory = 32 # MB
      }
    }
  }

  group "status" {
    count = 1

    network {
      # Static: always host port 8080, mapped to port 80 inside the container.
      # Only one copy of this group can run per host.
      port "http" {
        static = 8080
        to     = 80
      }
    }

    service {
      name     = "web-status"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "httpd" {
      driver = "docker"

      config {
        image   = "drover-test/busybox:v1"
        command = "httpd"
        args    = ["-f", "-p", "80", "-h", "/www"]
        ports   = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

# resize: a parameterized batch job. Applying it records it and starts nothing;
# each dispatch launches a child job "resize/dispatch-<unix time>-<8 hex>" with
# its own meta and payload, which runs to completion like any batch job.
#
#   drover apply examples/batch/dispatch.nomad.hcl
#   echo '{"width": 640}' > request.json
#   drover job dispatch -meta image=cat.png -meta quality=80 resize request.json
#   drover status resize                   # the parameterized job and its children
#   drover logs resize/dispatch-…          # what the child printed
#
# Shows: parameterized (required and optional meta, a required payload),
# dispatch_payload (the payload as a file in the task's local/ directory) and
# NOMAD_META_* in the task's environment.

job "resize" {
  type        = "batch"
  datacenters = ["*"]

  parameterized {
    payload       = "required"
    meta_required = ["image"]
    meta_optional = ["quality"]
  }

  # Defaults for optional meta; a dispatch's -meta values override them.
  meta {
    quality = "90"
  }

  group "work" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "resize" {
      driver = "docker"

      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args = [
          "-c",
          "echo \"resizing $${NOMAD_META_image} at quality $${NOMAD_META_quality}\"; cat /local/request.json",
        ]
      }

      # The dispatch payload is written here (in the task's local/ directory, /local in
      # the container) before the task starts.
      dispatch_payload {
        file = "request.json"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}

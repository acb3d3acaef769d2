# template: files and environment variables rendered for a task.
#
# A "backend" group registers a service in drover's own catalog; the "app"
# task gets a config file rendered from its environment, a Variable and that
# service's address, and environment variables from a second template. When a
# Variable changes or the service moves, the next plan shows which templates
# change (never their content) and apply signals or restarts the task.
#
#   drover var put nomad/jobs/template-demo greeting=hello
#   drover apply examples/template/template.nomad.hcl
#   drover status template-demo          # then: drover logs ALLOC-ID
#
# Both groups start in the same apply, so the app's first render may not list
# the database yet: the next plan shows that file as changed, as consul-template
# would re-render it once the service appears, and apply signals the app.
#
#   drover var put -force nomad/jobs/template-demo greeting=bonjour
#   drover plan examples/template/template.nomad.hcl
#     ~ template "local/app.conf" (changes: signal SIGHUP to task "app") ...
#   drover apply examples/template/template.nomad.hcl   # the app prints "reloaded"

job "template-demo" {
  type = "service"

  update {
    min_healthy_time = "1s"
  }

  group "backend" {
    network {
      port "db" {}
    }

    # provider "nomad": recorded by drover, read by templates with nomadService.
    service {
      name     = "demo-db"
      port     = "db"
      provider = "nomad"
    }

    task "db" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while :; do sleep 3600; done"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }

  group "web" {
    task "app" {
      driver = "raw_exec"

      # Prints its rendered file and environment, and the file again on SIGHUP.
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo reloaded; cat $NOMAD_TASK_DIR/app.conf' HUP; cat $NOMAD_TASK_DIR/app.conf; echo \"LOG_LEVEL=$LOG_LEVEL ALLOC=$APP_ALLOC\"; while :; do sleep 1; done"]
      }

      # A file in the task's local/ directory (NOMAD_TASK_DIR). `env` reads the
      # task's environment; nomadVarExists/nomadVar read a Variable (drover var
      # put); nomadService lists the registered instances of a service.
      template {
        destination   = "local/app.conf"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        data          = <<EOF
task     = {{ env "NOMAD_TASK_NAME" }} (alloc {{ env "NOMAD_ALLOC_INDEX" }})
{{- if nomadVarExists "nomad/jobs/template-demo" }}
{{- with nomadVar "nomad/jobs/template-demo" }}
greeting = {{ .greeting }}
{{- end }}
{{- else }}
greeting = (none yet: drover var put nomad/jobs/template-demo greeting=hello)
{{- end }}
{{- range nomadService "demo-db" }}
database = {{ .Address }}:{{ .Port }}
{{- end }}
EOF
      }

      # env = true: the rendered KEY=value lines join the task's environment
      # (over its env block). change_mode defaults to "restart".
      template {
        destination = "secrets/app.env"
        env         = true
        data        = <<EOF
LOG_LEVEL=info
APP_ALLOC="{{ env "NOMAD_SHORT_ALLOC_ID" }}"
EOF
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}

# catalog: one jobspec, several environments. Everything that differs between
# staging and production is an input variable; values derived from them are
# locals. The defaults below are staging; prod.vars.hcl next to this file holds
# the production values.
#
#   drover plan examples/variables/variables.nomad.hcl                              # staging
#   drover plan -var-file examples/variables/prod.vars.hcl examples/variables/variables.nomad.hcl
#   drover plan -var 'replicas=5' examples/variables/variables.nomad.hcl            # one value
#   NOMAD_VAR_image_tag=v2 drover plan examples/variables/variables.nomad.hcl       # from the environment
#
# When one variable is given several ways, the later source wins: the default,
# then NOMAD_VAR_* environment variables, then -var-file files, then -var flags.

variable "environment" {
  description = "Where this copy of the service runs."
  type        = string
  default     = "staging"

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "The environment must be \"staging\" or \"production\"."
  }
}

variable "datacenters" {
  description = "Datacenters the job may be placed in."
  type        = list(string)
  default     = ["dc1"]
}

variable "replicas" {
  description = "How many copies of the web group to run."
  type        = number
  default     = 2

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 10
    error_message = "Run between 1 and 10 replicas."
  }
}

variable "image_tag" {
  description = "Tag of the drover-test/busybox image to deploy."
  type        = string
  default     = "v1"
}

variable "resources" {
  description = "CPU (MHz) and memory (MB) for each copy."
  type = object({
    cpu    = number
    memory = number
  })
  default = {
    cpu    = 50
    memory = 32
  }
}

variable "extra_env" {
  description = "Extra environment variables for the task."
  type        = map(string)
  default     = {}
}

variable "debug" {
  description = "Turns on verbose logging."
  type        = bool
  default     = true
}

# Locals are computed once from the variables and reused below. They cannot be
# set from outside; that is the difference from variables.
locals {
  service_name = "catalog-${var.environment}"
  image        = "drover-test/busybox:${var.image_tag}"
  is_prod      = var.environment == "production"

  # Canaries only where more than one copy runs.
  canaries = var.replicas > 1 ? 1 : 0

  # merge(): later maps win, so extra_env can override the defaults.
  env = merge(
    {
      APP_ENV   = var.environment
      LOG_LEVEL = var.debug ? "debug" : "info"
    },
    var.extra_env,
  )

  tags = concat(["catalog", var.environment], local.is_prod ? ["public"] : [])
}

job "catalog" {
  type        = "service"
  datacenters = var.datacenters

  # Recorded with every version of the job: handy to see what was deployed.
  meta {
    environment = var.environment
    image       = local.image
  }

  update {
    max_parallel     = 1
    canary           = local.canaries
    auto_promote     = local.canaries > 0 && !local.is_prod # people promote production
    auto_revert      = true
    min_healthy_time = "5s"
  }

  group "web" {
    count = var.replicas

    network {
      port "http" {}
    }

    service {
      name     = local.service_name
      port     = "http"
      provider = "nomad"
      tags     = local.tags

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
        image   = local.image
        command = "httpd"
        args    = ["-f", "-p", "${NOMAD_PORT_http}", "-h", "/www"]
        ports   = ["http"]
      }

      # env takes a map expression as well as a block.
      env = local.env

      resources {
        cpu    = var.resources.cpu
        memory = var.resources.memory
      }
    }
  }
}

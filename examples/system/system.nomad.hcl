# node-report: a system job. drover runs exactly one copy on every eligible host
# (there is no count), and adds a copy when a new host joins the inventory.
# Typical uses: log shippers, monitoring agents, node cleanup.
#
#   drover plan  examples/system/system.nomad.hcl   # one placement per node
#   drover apply examples/system/system.nomad.hcl
#   drover logs  node-report                        # a line per host per minute
#
# Shows: type "system", host selection with constraints, node attributes filled
# in on the host, an update that moves through the hosts one at a time, log
# rotation, and a graceful stop.

job "node-report" {
  type        = "system"
  datacenters = ["*"]

  # Only Linux hosts ...
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  # ... and not the hosts whose inventory marks them for maintenance
  # (a `meta { maintenance = "true" }` block on a node in drover.hcl).
  constraint {
    attribute = "${meta.maintenance}"
    operator  = "!="
    value     = "true"
  }

  # System jobs update host by host. This task has no port to check, so a copy
  # is healthy once it has been running for 10 seconds.
  update {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "10s"
    healthy_deadline = "2m"
  }

  group "report" {
    task "reporter" {
      driver = "raw_exec"

      # ${node.unique.name} and ${node.datacenter} are filled in on each host
      # when the task starts; $(...) is the shell's own substitution.
      config {
        command = "/bin/sh"
        args = [
          "-c",
          "while true; do echo \"node=${node.unique.name} dc=${node.datacenter} load=$(cut -d' ' -f1 /proc/loadavg)\"; sleep 60; done",
        ]
      }

      # Keep at most 3 log files of 5 MB each per stream.
      logs {
        max_files     = 3
        max_file_size = 5
      }

      # On stop: SIGINT first, then up to 10 seconds before it is killed.
      kill_signal  = "SIGINT"
      kill_timeout = "10s"

      resources {
        cpu    = 20 # MHz
        memory = 16 # MB
      }
    }
  }
}

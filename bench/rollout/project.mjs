// The rollout benchmark's workload, written once for both tools so they do the same work: `count`
// copies of BusyBox httpd from drover's test image, run under Docker's init so a stop takes as
// long as the process needs to exit rather than the kill timeout (httpd as PID 1 ignores
// SIGTERM), with a 16 MB memory limit and a 1 s stop timeout. The image tag is the one thing
// that changes between versions.
//
//   <dir>/drover.hcl                 state in <dir>/state, one local node, alloc_root in <dir>
//   <dir>/jobs/rollout.nomad.hcl     one service job, `-var tag=v1|v2` picks the image
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGE = 'drover-test/busybox';
export const TAGS = ['v1', 'v2'];
/** The container's command, the same for drover's task and Swarm's service. */
export const COMMAND = ['httpd', '-f', '-p', '8080', '-h', '/www'];
export const MEMORY_MB = 16;
export const STOP_TIMEOUT = '1s';

/** The jobspec: one group of `count` docker tasks, replaced `maxParallel` at a time. */
export function rolloutJob({ jobId, count, maxParallel }) {
  return [
    'variable "tag" {',
    '  type    = string',
    `  default = "${TAGS[0]}"`,
    '}',
    '',
    `job "${jobId}" {`,
    '  type        = "service"',
    '  datacenters = ["*"]',
    '',
    // Each batch waits only until its new containers run: no health time, no checks.
    '  update {',
    `    max_parallel      = ${maxParallel}`,
    '    health_check      = "task_states"',
    '    min_healthy_time  = "0s"',
    '    healthy_deadline  = "2m"',
    '    progress_deadline = "10m"',
    '    auto_revert       = false',
    '  }',
    '',
    '  group "web" {',
    `    count = ${count}`,
    '',
    ...httpdTask('${var.tag}'),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** drover.hcl: the state and the allocation directories stay inside the project. */
export function rolloutConfig(dir) {
  return [
    'state {',
    '  backend = "local"',
    '  path    = "state/state.json"',
    '}',
    '',
    'node "local" {',
    '  transport  = "local"',
    '  datacenter = "dc1"',
    `  alloc_root = ${JSON.stringify(join(dir, 'alloc'))}`,
    '}',
    '',
  ].join('\n');
}

/** Writes the project into `dir`; returns the paths drover's commands take. */
export function writeRolloutProject(dir, { jobId, count, maxParallel }) {
  const jobs = join(dir, 'jobs');
  mkdirSync(jobs, { recursive: true });
  mkdirSync(join(dir, 'alloc'), { recursive: true });
  writeFileSync(join(jobs, 'rollout.nomad.hcl'), rolloutJob({ jobId, count, maxParallel }));
  const config = join(dir, 'drover.hcl');
  writeFileSync(config, rolloutConfig(dir));
  return { jobs, config, state: join(dir, 'state', 'state.json') };
}

/**
 * `docker service create` for the same workload, blocking like the update below: the update settings match drover's update
 * stanza (`parallelism` = max_parallel, no delay, no monitoring after each batch, the old
 * container stopped before its replacement starts, as drover does).
 */
export function swarmCreateArgs({ service, count, maxParallel, tag = TAGS[0] }) {
  return [
    'service',
    'create',
    '--detach=false',
    '--quiet',
    '--name',
    service,
    '--label',
    'drover.bench=rollout',
    '--replicas',
    String(count),
    '--no-resolve-image',
    '--init',
    '--limit-memory',
    `${MEMORY_MB}M`,
    '--stop-grace-period',
    STOP_TIMEOUT,
    ...updateFlags(maxParallel),
    `${IMAGE}:${tag}`,
    ...COMMAND,
  ];
}

/**
 * `docker service update` to another tag. It blocks until the service has converged
 * (`--detach=false`), then, as the CLI always does, watches it for 5 more seconds.
 */
export function swarmUpdateArgs({ service, maxParallel, tag }) {
  return [
    'service',
    'update',
    '--detach=false',
    '--quiet',
    '--no-resolve-image',
    '--image',
    `${IMAGE}:${tag}`,
    ...updateFlags(maxParallel),
    service,
  ];
}

function updateFlags(maxParallel) {
  return [
    '--update-parallelism',
    String(maxParallel),
    '--update-delay',
    '0s',
    '--update-monitor',
    '0s',
    '--update-order',
    'stop-first',
    '--update-failure-action',
    'pause',
  ];
}

/** The tag a rollout from `tag` goes to. */
export const otherTag = (tag) => (tag === TAGS[0] ? TAGS[1] : TAGS[0]);

/** The benchmarks' task: BusyBox httpd under Docker's init, 16 MB, 1 s stop; `tag` as HCL text. */
export function httpdTask(tag) {
  const [command, ...args] = COMMAND;
  return [
    '    task "httpd" {',
    '      driver       = "docker"',
    `      kill_timeout = "${STOP_TIMEOUT}"`,
    '',
    '      config {',
    `        image   = "${IMAGE}:${tag}"`,
    `        command = "${command}"`,
    `        args    = [${args.map((a) => JSON.stringify(a)).join(', ')}]`,
    '        init    = true',
    '      }',
    '',
    '      resources {',
    '        cpu    = 10',
    `        memory = ${MEMORY_MB}`,
    '      }',
    '    }',
  ];
}

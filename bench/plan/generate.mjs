// Generates the project the plan benchmark works on: `count` realistic service jobs that use the
// `mock` driver (so applying them starts no process) and a drover.hcl with one local node and its
// state file, all under one directory. Deterministic for a given seed.
//
//   <dir>/drover.hcl
//   <dir>/jobs/<name>.nomad.hcl        one job per file
//   <dir>/state/state.json             written by the first apply
//   <dir>/alloc/                       the node's alloc_root (mock tasks leave it empty)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../parse/generate.mjs';

const TEAMS = ['payments', 'search', 'identity', 'growth', 'platform', 'media', 'data', 'edge'];
const WORDS = ['api', 'web', 'cache', 'worker', 'auth', 'billing', 'cart', 'queue', 'mailer'];
const PORTS = ['http', 'metrics', 'admin'];

/**
 * One job's source. A service job with one group of one task (so one job is one allocation, like
 * one compose service is one container), with the stanzas a real service carries: meta, a
 * constraint, update, restart, a network with dynamic ports, a service, env, resources and logs.
 * Health is the tasks' state (a mock task listens on nothing, so a service check could never
 * pass) and min_healthy_time is 0 s, so the one-time apply does not wait.
 */
export function generatePlanJob(index, rand) {
  const r = rand;
  const name = `${r.pick(WORDS)}-${r.pick(WORDS)}-${String(index).padStart(4, '0')}`;
  const ports = PORTS.slice(0, r.int(1, PORTS.length));
  const lines = [
    `job "${name}" {`,
    `  datacenters = ["dc1"]`,
    `  type        = "service"`,
    `  priority    = ${r.int(30, 80)}`,
    ``,
    `  meta {`,
    `    team    = "${r.pick(TEAMS)}"`,
    `    release = "${r.int(1, 9)}.${r.int(0, 30)}.${r.int(0, 9)}"`,
    `  }`,
    ``,
    `  constraint {`,
    `    attribute = "\${attr.kernel.name}"`,
    `    value     = "linux"`,
    `  }`,
    ``,
    `  update {`,
    `    max_parallel     = 1`,
    `    health_check     = "task_states"`,
    `    min_healthy_time = "0s"`,
    `    healthy_deadline = "1m"`,
    `  }`,
    ``,
    `  group "${r.pick(WORDS)}" {`,
    `    count = 1`,
    ``,
    `    network {`,
    ...ports.map((p) => `      port "${p}" {}`),
    `    }`,
    ``,
    `    restart {`,
    `      attempts = ${r.int(1, 5)}`,
    `      interval = "${r.int(5, 30)}m"`,
    `      delay    = "${r.int(5, 25)}s"`,
    `      mode     = "${r.pick(['fail', 'delay'])}"`,
    `    }`,
    ``,
    `    service {`,
    `      name = "${name}"`,
    `      port = "${ports[0]}"`,
    `      tags = ["${r.pick(TEAMS)}", "urlprefix-/${name}"]`,
    `    }`,
    ``,
    `    task "${r.pick(WORDS)}" {`,
    `      driver = "mock"`,
    ``,
    `      config {`,
    `        run_for = "1h"`,
    `      }`,
    ``,
    `      env {`,
    `        APP_ENV   = "prod"`,
    `        LOG_LEVEL = "${r.pick(['info', 'warn', 'debug'])}"`,
    `        WORKERS   = "${r.int(1, 16)}"`,
    `      }`,
    ``,
    // Small enough that 1,000 of them fit on one modest machine.
    `      resources {`,
    `        cpu    = ${r.int(1, 3)}`,
    `        memory = ${r.int(1, 3) * 10}`,
    `      }`,
    ``,
    `      logs {`,
    `        max_files     = ${r.int(2, 10)}`,
    `        max_file_size = ${r.int(5, 25)}`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
  ];
  return lines.join('\n') + '\n';
}

/** The drover.hcl of the project: state in <dir>/state, one local node with its own alloc_root. */
export function planConfig(dir) {
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

/** Writes the whole project into `dir` (which exists); returns the jobs directory and its size. */
export function writePlanProject(dir, count, seed = 1) {
  const r = prng(seed);
  const jobs = join(dir, 'jobs');
  mkdirSync(jobs, { recursive: true });
  mkdirSync(join(dir, 'alloc'), { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const source = generatePlanJob(i, r);
    bytes += Buffer.byteLength(source);
    writeFileSync(join(jobs, `job-${String(i).padStart(4, '0')}.nomad.hcl`), source);
  }
  writeFileSync(join(dir, 'drover.hcl'), planConfig(dir));
  return { jobs, config: join(dir, 'drover.hcl'), bytes };
}

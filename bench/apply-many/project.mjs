// Generates the apply-many benchmark's project: `count` small service jobs of one group of one
// task each, on the `mock` driver (nothing runs) or `raw_exec` (a supervised `sleep` on the local
// node), and a drover.hcl with one local node, its own alloc_root and a state file inside:
//
//   <dir>/drover.hcl
//   <dir>/jobs/job-NNNN.nomad.hcl     one job per file
//   <dir>/state/state.json            written by the apply
//   <dir>/alloc/                      the node's alloc_root (raw_exec tasks live here)
//
// Nothing to wait for: health is the tasks' state and min_healthy_time is 0 s, so the benchmark
// measures drover's own cost per job, not a deployment's waiting.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The task drivers the benchmark knows, and each one's task config. */
export const DRIVER_CONFIG = {
  mock: ['run_for = "1h"'],
  raw_exec: ['command = "sleep"', 'args    = ["3600"]'],
};

/** The source of job number `index` on `driver`. */
export function applyManyJob(index, driver) {
  const config = DRIVER_CONFIG[driver];
  if (!config) throw new Error(`unknown driver ${driver} (known: ${Object.keys(DRIVER_CONFIG)})`);
  const name = `small-${String(index).padStart(4, '0')}`;
  // Resources small enough that 1,000 jobs fit on one modest machine (disk included).
  return [
    `job "${name}" {`,
    `  datacenters = ["dc1"]`,
    `  type        = "service"`,
    ``,
    `  update {`,
    `    health_check     = "task_states"`,
    `    min_healthy_time = "0s"`,
    `  }`,
    ``,
    `  group "app" {`,
    `    count = 1`,
    ``,
    `    ephemeral_disk {`,
    `      size = 10`,
    `    }`,
    ``,
    `    task "main" {`,
    `      driver = "${driver}"`,
    ``,
    `      config {`,
    ...config.map((line) => `        ${line}`),
    `      }`,
    ``,
    `      resources {`,
    `        cpu    = 1`,
    `        memory = 10`,
    `      }`,
    ``,
    `      logs {`,
    `        max_files     = 2`,
    `        max_file_size = 1`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
    ``,
  ].join('\n');
}

/** The project's drover.hcl: state inside it, one local node with its own alloc_root. */
export function applyManyConfig(dir) {
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

/** Writes the project into `dir` (made if missing); returns its paths. */
export function writeApplyManyProject(dir, count, driver) {
  const jobs = join(dir, 'jobs');
  const alloc = join(dir, 'alloc');
  mkdirSync(jobs, { recursive: true });
  mkdirSync(alloc, { recursive: true });
  for (let i = 0; i < count; i++)
    writeFileSync(
      join(jobs, `job-${String(i).padStart(4, '0')}.nomad.hcl`),
      applyManyJob(i, driver),
    );
  const config = join(dir, 'drover.hcl');
  writeFileSync(config, applyManyConfig(dir));
  return { jobs, alloc, config, state: join(dir, 'state', 'state.json') };
}

/**
 * Stacks and prune through the real CLI, as a user with a directory of jobspecs meets them
 * (raw_exec processes on the local node, local state): a file removed from the directory makes
 * its job show as removed in the plan, and apply stops only it, last; `-prune=false` and
 * `stack { prune = false }` leave it; a job applied from a single file elsewhere and a job with
 * `meta { "drover.prune" = "false" }` are never stopped.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/generated/plan.js';
import { processesWithEnv } from '../providers/process-harness.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-prune-'));
const alloc = join(dir, 'alloc');
const JOBS = ['db', 'api', 'web', 'solo'];

function writeConfig(extra = ''): void {
  writeFileSync(
    join(dir, 'drover.hcl'),
    `${extra}node "local" {\n  transport  = "local"\n  alloc_root = "${alloc}"\n}\n`,
  );
}

/** A raw_exec job of one long-running process. */
function job(id: string, meta = ''): string {
  return `job "${id}" {
${meta ? `  meta = {\n    ${meta}\n  }\n` : ''}  group "app" {
    update {
      health_check     = "task_states"
      min_healthy_time = "0s"
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
    }
  }
}
`;
}

/** The live processes of a job's allocations (found by their environment, not by drover). */
function processesOf(id: string): number[] {
  return processesWithEnv(
    (env) =>
      env.includes(`NOMAD_JOB_NAME=${id}`) &&
      env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${alloc}/`)),
  );
}

async function statuses(): Promise<Record<string, string>> {
  const r = await drover(dir, ['status', '-json']);
  expect(r.code, r.stderr).toBe(0);
  const { jobs } = JSON.parse(r.stdout) as { jobs: Array<{ id: string; status: string }> };
  return Object.fromEntries(jobs.map((j) => [j.id, j.status]));
}

beforeAll(async () => {
  writeConfig();
  mkdirSync(join(dir, 'jobs'));
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'jobs', 'db.nomad.hcl'), job('db'));
  writeFileSync(join(dir, 'jobs', 'api.nomad.hcl'), job('api'));
  writeFileSync(join(dir, 'jobs', 'web.nomad.hcl'), job('web', '"drover.prune" = "false"'));
  writeFileSync(join(dir, 'other', 'solo.nomad.hcl'), job('solo'));
  for (const args of [['jobs'], ['other/solo.nomad.hcl']]) {
    const r = await drover(dir, ['apply', '-auto-approve', ...args]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  for (const id of JOBS) expect(processesOf(id), id).toHaveLength(1);
});

afterAll(async () => {
  const stops = [];
  for (const id of JOBS) stops.push(await drover(dir, ['stop', '-auto-approve', '-purge', id]));
  const leaked = JOBS.flatMap(processesOf);
  rmSync(dir, { recursive: true, force: true });
  for (const r of stops) expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(leaked).toEqual([]);
});

describe('a directory of jobspecs as a stack', () => {
  it('plans nothing to prune while every file is there', async () => {
    const r = await drover(dir, ['plan', '-detailed-exitcode', 'jobs']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('prune');
  });

  it('shows the job of a removed file as removed, with its file, and counts it', async () => {
    rmSync(join(dir, 'jobs', 'api.nomad.hcl'));
    rmSync(join(dir, 'jobs', 'web.nomad.hcl'));
    const r = await drover(dir, ['plan', '-detailed-exitcode', 'jobs']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain(
      '- job "api" (jobs/api.nomad.hcl was removed): stop 1 allocation on local\n',
    );
    expect(r.stdout).toContain('1 to destroy, 1 job to prune.');
    // The opted-out job is left running, and the plan says so and why.
    expect(r.stdout).toContain('- job "web" is left running: jobs/web.nomad.hcl was removed');
    expect(r.stdout).toContain('its meta "drover.prune" = "false"');
    expect(r.stdout).not.toContain('solo');

    const json = await drover(dir, ['plan', '-json', 'jobs']);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.jobs.map((j) => [j.id, j.type, j.purge, j.prune ?? null])).toEqual([
      ['db', 'none', false, null],
      ['api', 'destroy', false, { file: 'jobs/api.nomad.hcl', reason: 'file-removed' }],
    ]);
  });

  it('prunes nothing with -prune=false, with stack { prune = false }, or for a single file', async () => {
    for (const args of [['-prune=false', 'jobs'], ['jobs/db.nomad.hcl']]) {
      const r = await drover(dir, ['plan', '-detailed-exitcode', ...args]);
      expect(r.code, args.join(' ') + r.stdout + r.stderr).toBe(0);
      expect(r.stdout).not.toContain('api');
    }
    writeConfig('stack {\n  prune = false\n}\n');
    try {
      const r = await drover(dir, ['plan', '-detailed-exitcode', 'jobs']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The flag wins over the file.
      const on = await drover(dir, ['plan', '-detailed-exitcode', '-prune=true', 'jobs']);
      expect(on.code, on.stdout + on.stderr).toBe(2);
      expect(on.stdout).toContain('- job "api" (jobs/api.nomad.hcl was removed)');
    } finally {
      writeConfig();
    }
    const applied = await drover(dir, ['apply', '-auto-approve', '-prune=false', 'jobs']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(processesOf('api')).toHaveLength(1);
  });

  it('apply stops only the pruned job, last, and leaves the rest running', async () => {
    // A change to db in the same apply: it rolls out before api is stopped.
    writeFileSync(join(dir, 'jobs', 'db.nomad.hcl'), job('db').replace('3600', '3601'));
    // Saved and applied as a planfile: the prune is in the plan reviewed, and apply runs it.
    const saved = await drover(dir, ['plan', '-out', 'stack.plan', 'jobs']);
    expect(saved.code, saved.stdout + saved.stderr).toBe(0);
    const flagged = await drover(dir, ['apply', '-prune=false', 'stack.plan']);
    expect(flagged.code).toBe(1);
    expect(flagged.stderr).toContain('-prune applies when planning');
    const r = await drover(dir, ['apply', 'stack.plan']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [rolled, stopped] = [
      r.stdout.indexOf('db: successful'),
      r.stdout.indexOf('api: stopped'),
    ];
    expect(rolled, r.stdout).toBeGreaterThan(-1);
    expect(stopped, r.stdout).toBeGreaterThan(rolled);
    await expect(statuses()).resolves.toEqual({
      db: 'running',
      api: 'dead (stopped)',
      web: 'running',
      solo: 'running',
    });
    expect(processesOf('api')).toEqual([]);
    for (const id of ['db', 'web', 'solo']) expect(processesOf(id), id).toHaveLength(1);

    const again = await drover(dir, ['plan', '-detailed-exitcode', 'jobs']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toContain('"api"');
  });
});

/**
 * Allocation directory GC through the built CLI on the local node (issue 12, item 6): after
 * several re-deploys only the newest three stopped allocations keep their directories, the plan
 * says which it removes ("remove directories of N old allocations on node local"), a running
 * allocation keeps its directory, the logs of the most recent failed one still work, and purge
 * removes every directory of the job.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';
import { processesWithEnv } from '../providers/process-harness.js';
import { drover, type CliResult } from './cli.js';

const output = (r: CliResult): string => r.stdout + r.stderr;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-gc-'));
const allocRoot = join(dir, 'alloc');
const file = join(dir, 'gc.nomad.hcl');
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
);

/** Version `v` prints its number; `fail` makes it exit 1 for good after printing it. */
function writeJob(v: number, fail = false): void {
  const script = fail ? `echo v${v}; exit 1` : `echo v${v}; sleep 600`;
  writeFileSync(
    file,
    `job "gc" {
  datacenters = ["*"]
  update {
    min_healthy_time  = "1s"
    healthy_deadline  = "20s"
    progress_deadline = "30s"
  }
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "${script}"]
      }
    }
  }
}
`,
  );
}

async function allocs(): Promise<Allocation[]> {
  const r = await drover(dir, ['state', 'show', '-json']);
  expect(r.code, output(r)).toBe(0);
  return Object.values((JSON.parse(r.stdout) as StateSnapshot).allocations).sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0,
  );
}

const dirs = (): string[] => (existsSync(allocRoot) ? readdirSync(allocRoot).sort() : []);

afterAll(async () => {
  await drover(dir, ['stop', '-auto-approve', '-purge', 'gc']);
  const leaked = processesWithEnv((env) =>
    env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${allocRoot}/`)),
  );
  rmSync(dir, { recursive: true, force: true });
  expect(leaked).toEqual([]);
});

describe('allocation directory GC', () => {
  it('keeps the directories of the newest three stopped allocations, and says what it removes', async () => {
    for (let v = 1; v <= 4; v++) {
      writeJob(v);
      const plan = await drover(dir, ['plan', file]);
      expect(plan.stdout).not.toContain('remove directories');
      const apply = await drover(dir, ['apply', '-auto-approve', file]);
      expect(apply.code, output(apply)).toBe(0);
    }
    const [v1, v2, v3, v4] = await allocs();
    expect(dirs()).toEqual([v1!.id, v2!.id, v3!.id, v4!.id].sort());

    // The fifth version stops v4: four stopped, so the oldest goes.
    writeJob(5);
    const plan = await drover(dir, ['plan', file]);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).toContain(
      `  remove directories of 1 old allocation on node local (${v1!.id.slice(0, 8)})\n`,
    );
    const apply = await drover(dir, ['apply', '-auto-approve', file]);
    expect(apply.code, output(apply)).toBe(0);
    const after = await allocs();
    const v5 = after[4]!;
    expect(v5.desired_status).toBe('run');
    expect(dirs()).toEqual([v2!.id, v3!.id, v4!.id, v5.id].sort());
    // The record stays, marked collected; the re-plan is empty.
    expect(after[0]).toMatchObject({ id: v1!.id, collected: true });
    const again = await drover(dir, ['plan', '-detailed-exitcode', file]);
    expect(again.code, output(again)).toBe(0);
  }, 240_000);

  it('a failed deployment: the failed allocation keeps its directory and logs; purge removes all', async () => {
    writeJob(6, true);
    const apply = await drover(dir, ['apply', '-auto-approve', file]);
    expect(apply.code, output(apply)).toBe(4);
    const all = await allocs();
    const failed = all[all.length - 1]!;
    expect(failed.client_status).toBe('failed');
    const [, v2, v3, v4, v5] = all;
    // v5 was stopped for v6: v2 goes, v3, v4 and v5 stay beside the failed one.
    expect(dirs()).toEqual([v3!.id, v4!.id, v5!.id, failed.id].sort());
    expect(v2!.collected).toBe(true);
    const logs = await drover(dir, ['logs', failed.id]);
    expect(logs.code, output(logs)).toBe(0);
    expect(logs.stdout).toBe('v6\n');

    const purge = await drover(dir, ['stop', '-auto-approve', '-purge', 'gc']);
    expect(purge.code, output(purge)).toBe(0);
    expect(dirs()).toEqual([]);
  }, 120_000);
});

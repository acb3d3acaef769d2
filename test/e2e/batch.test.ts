/**
 * A batch job on the local node (examples/batch/report.nomad.hcl, raw_exec): apply waits for
 * every copy to finish and exits 0, status says complete, the next plan is empty, and the logs of
 * a completed allocation are there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-batch-'));
const report = fileURLToPath(new URL('../../examples/batch/report.nomad.hcl', import.meta.url));
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

afterAll(async () => {
  await drover(dir, ['stop', '-auto-approve', '-purge', 'report']);
  rmSync(dir, { recursive: true, force: true });
});

describe('a batch job on the local node', () => {
  it('apply waits for every copy to complete and exits 0', async () => {
    const r = await drover(dir, ['apply', '-auto-approve', report]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('wait for completion (every task exits 0)');
    expect(r.stdout.match(/: complete$/gm)).toHaveLength(4);
  });

  it('status says complete, and the next plan changes nothing', async () => {
    const status = await drover(dir, ['status', 'report', '-json']);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      status: string;
      complete: number;
      allocations: { client_status: string }[];
    };
    expect(s.status).toBe('complete');
    expect(s.complete).toBe(4);
    expect(s.allocations.map((a) => a.client_status)).toEqual(Array(4).fill('complete'));
    const plan = await drover(dir, ['plan', '-detailed-exitcode', report]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');
  });
});

/**
 * One reconcile pass at a given time, on a real state store and engine (the mock driver on the
 * local node): the plan it runs for a failed allocation whose reschedule delay has not passed
 * (none, and when to come back), then once it has (the replacement), and the garbage collection
 * of what is old enough.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHealth } from '../../../src/server/controller/node-health.js';
import { runPass, type ControllerMemory } from '../../../src/server/controller/pass.js';
import { failedAt } from '../../../src/scheduler/reschedule.js';
import { drover } from '../../e2e/cli.js';
import { eventually, serverHarness, type Harness } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-controller-pass-'));
const id = `ctl-pass-${process.pid}`;
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);
writeFileSync(
  join(dir, 'job.nomad.hcl'),
  `job "${id}" {
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts       = 2
      interval       = "1h"
      delay          = "10s"
      delay_function = "constant"
      unlimited      = false
    }
    update {
      min_healthy_time = "0s"
    }
    task "t" {
      driver = "mock"
      config {
        run_for   = "1s"
        exit_code = 1
      }
    }
  }
}
`,
);

let h: Harness;
let shift = 0;
const memory = (): ControllerMemory => ({
  health: new NodeHealth(3_000, Date.now()),
  considered: new Map(),
  said: new Set(),
});

beforeAll(async () => {
  const r = await drover(dir, ['apply', '-auto-approve', 'job.nomad.hcl']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  h = await serverHarness(dir, { gcThresholdMs: 60_000 });
  h.session.clock = {
    now: () => Date.now() + shift,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
});

afterAll(async () => {
  await h?.close();
  await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a reconcile pass', { timeout: 60_000 }, () => {
  it('waits for a reschedule delay, then replaces the failed allocation, then collects it', async () => {
    const m = memory();
    const [first] = Object.values((await h.state()).allocations);
    // The mock task exits 1 a second after it started.
    await new Promise((r) => setTimeout(r, 1_500));

    const waiting = await runPass(h.ctx, m, { checkDrift: true });
    expect(waiting.executed).toBe(0);
    let s = await h.state();
    const failed = s.allocations[first!.id]!;
    expect(failed).toMatchObject({ desired_status: 'run', client_status: 'failed' });
    // The wake time is the failure plus the delay.
    expect(waiting.nextAt).toBe(failedAt(failed) + 10_000);
    expect(h.lines.map((l) => l.message)).toContain(
      `job ${id}: ${first!.name} is rescheduled at ${new Date(waiting.nextAt!).toISOString()} (reschedule delay)`,
    );

    shift = waiting.nextAt! - Date.now();
    const due = await runPass(h.ctx, m, { checkDrift: false });
    expect(due.executed).toBe(1);
    s = await h.state();
    expect(s.allocations[first!.id]).toMatchObject({
      desired_status: 'stop',
      client_status: 'failed',
    });
    const replacement = Object.values(s.allocations).find((a) => a.id !== first!.id)!;
    expect(replacement.previous_allocation).toBe(first!.id);
    expect(replacement.reschedule_tracker?.events).toEqual([
      expect.objectContaining({ prev_alloc: first!.id, delay_ms: 10_000 }),
    ]);
    const said = h.lines
      .map((l) => l.message)
      .find((l) => l.startsWith(`job ${id}: `) && l.includes(' rescheduled on '));
    expect(said).toContain(`${first!.name} rescheduled on local (attempt 1 of 2, delay 10000 ms)`);

    // A minute past the threshold, the stopped allocation leaves state.
    shift += 2 * 60_000;
    await runPass(h.ctx, m, { checkDrift: false });
    s = await eventually(
      'the collection',
      async () => {
        const now = await h.state();
        return now.allocations[first!.id] ? undefined : now;
      },
      5_000,
    );
    expect(s.allocations[replacement.id]).toBeDefined();
    expect(s.events.find((e) => e.what === 'server.gc')).toMatchObject({
      who: 'server:test',
      detail: 'removed 1 stopped allocation, 1 ended deployment (older than 1 min)',
    });
  });
});

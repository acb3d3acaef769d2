/**
 * Batch jobs through the operations layer (mock driver, virtual clock): allocations run to
 * completion, there is no deployment, and a completed job plans nothing more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allocsOf, desiredJob, World } from './deployment-support.js';

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
});

async function world(): Promise<World> {
  const w = await World.create();
  worlds.push(w);
  return w;
}

/** A batch job of `count` mock tasks that run for 5 s and exit with `exitCode`. */
function batchJob(count: number, exitCode: number) {
  const source = `job "report" {
  type        = "batch"
  datacenters = ["dc1"]
  group "app" {
    count = ${count}
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "srv" {
      driver = "mock"
      config {
        run_for   = "5s"
        exit_code = ${exitCode}
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;
  return desiredJob(source, 'report');
}

describe('a batch job', () => {
  it('runs every allocation to completion, with no deployment, and the next plan is empty', async () => {
    const w = await world();
    const run = await w.apply([batchJob(3, 0)]);
    expect(run.plan!.jobs[0]!.deployment).toBeNull();
    expect(run.plan!.jobs[0]!.rollout!.groups[0]!.steps.map((s) => [s.kind, s.gate])).toEqual([
      ['start', undefined],
      ['gate', 'completion (every task exits 0)'],
    ]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'none']]);
    // The apply waited for the tasks to end (5 s of virtual time).
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(5_000);
    const s = await w.read();
    expect(allocsOf(s, 'report').map((a) => a.client_status)).toEqual([
      'complete',
      'complete',
      'complete',
    ]);
    expect(Object.values(s.deployments)).toEqual([]);

    const again = await w.apply([batchJob(3, 0)]);
    expect(again.plan!.jobs[0]!.type).toBe('none');
    expect(allocsOf(await w.read(), 'report')).toHaveLength(3);
  });

  it('fails when a task exits non-zero, saying which and with what code', async () => {
    const w = await world();
    const run = await w.apply([batchJob(1, 3)]);
    const [outcome] = run.outcomes;
    expect(outcome!.result).toBe('failed');
    expect(outcome!.failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/task "srv" exited with code 3/),
    ]);
    expect(allocsOf(await w.read(), 'report').map((a) => a.client_status)).toEqual(['failed']);
  });
});

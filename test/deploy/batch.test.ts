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

async function world(nodes?: string[]): Promise<World> {
  const w = await World.create(nodes ? { nodes: nodes.map((name) => ({ name })) } : {});
  worlds.push(w);
  return w;
}

/**
 * A batch job of `count` mock tasks that run for 5 s and exit with `exitCode`; `reschedule` is
 * the group's block body (default: none, so never rescheduled).
 */
function batchJob(
  count: number,
  exitCode: number,
  reschedule = 'attempts = 0\n unlimited = false',
) {
  const source = `job "report" {
  type        = "batch"
  datacenters = ["dc1"]
  group "app" {
    count = ${count}
    reschedule {
      ${reschedule}
    }
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

describe('a batch job with a reschedule policy', () => {
  const policy =
    'attempts = 2\n interval = "1h"\n delay = "10s"\n delay_function = "constant"\n unlimited = false';

  it('replaces a failed allocation within the apply, after the delay, on another node, and exits 0', async () => {
    const w = await world(['n1', 'n2']);
    let starts = 0;
    const run = await w.apply([batchJob(1, 0, policy)], {
      failStart: () => (starts++ === 0 ? 'image pull failed' : undefined),
    });
    const plan = run.plan!.jobs[0]!;
    const g = plan.groups[0]!;
    // The plan lists both reschedules it may use, and the step that uses them.
    expect(g.reschedules!.map((p) => [p.replaces, p.reschedule])).toEqual([
      [g.placements[0]!.alloc_id, { attempt: 1, attempts: 2, delay_ms: 10_000 }],
      [g.reschedules![0]!.alloc_id, { attempt: 2, attempts: 2, delay_ms: 10_000 }],
    ]);
    expect(g.reschedules![0]!.node).not.toBe(g.placements[0]!.node);
    const steps = plan.rollout!.groups[0]!.steps;
    expect(steps.map((s) => s.kind)).toEqual(['start', 'gate', 'reschedule']);
    expect(steps[2]!.delays_ms).toEqual([10_000, 10_000]);

    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'none']]);
    const s = await w.read();
    const allocs = allocsOf(s, 'report');
    expect(allocs.map((a) => [a.client_status, a.desired_status])).toEqual([
      ['failed', 'stop'],
      ['complete', 'run'],
    ]);
    const [failed, done] = allocs;
    expect(done!.id).toBe(g.reschedules![0]!.alloc_id);
    expect(done!.previous_allocation).toBe(failed!.id);
    expect(failed!.next_allocation).toBe(done!.id);
    expect(done!.reschedule_tracker!.events).toEqual([
      {
        time: expect.any(String),
        prev_alloc: failed!.id,
        prev_node: failed!.node,
        delay_ms: 10_000,
      },
    ]);
    // The replacement started the delay after the failure, which progress announced.
    const announce = w.events.find((e) => e.ev.kind === 'alloc' && e.ev.status === 'rescheduling');
    expect(announce!.ev).toMatchObject({
      alloc: failed!.id,
      detail: expect.stringMatching(/in 10s \(reschedule delay 10s, attempt 1 of 2\)/),
    });
    expect(Date.parse(done!.created_at) - announce!.at).toBeGreaterThanOrEqual(10_000);
    // Done: the next plan changes nothing.
    expect((await w.apply([batchJob(1, 0, policy)])).plan!.jobs[0]!.type).toBe('none');
  });

  it('fails (exit 4) once the attempts are used up, and the next plan says so', async () => {
    const w = await world(['n1', 'n2']);
    const run = await w.apply([batchJob(1, 3, policy)]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[false, 'failed']]);
    const allocs = allocsOf(await w.read(), 'report');
    expect(allocs.map((a) => a.client_status)).toEqual(['failed', 'failed', 'failed']);
    expect(allocs[2]!.reschedule_tracker!.events.map((e) => e.prev_alloc)).toEqual([
      allocs[0]!.id,
      allocs[1]!.id,
    ]);
    // 3 runs of 5 s and 2 delays of 10 s.
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(35_000);
    const next = await w.apply([batchJob(1, 3, policy)]);
    const g = next.plan!.jobs[0]!.groups[0]!;
    expect(g.placements).toEqual([]);
    expect(g.reschedule_waits).toEqual([
      expect.objectContaining({
        alloc_id: allocs[2]!.id,
        status: 'exhausted',
        attempt: 2,
        attempts: 2,
      }),
    ]);
  });

  it('a plan before the delay has passed places nothing and says when the replacement is due', async () => {
    const w = await world();
    const slow =
      'attempts = 3\n interval = "1h"\n delay = "30s"\n delay_function = "constant"\n unlimited = false';
    // Detached: the apply returns once started, so the failure is found by the next plan.
    const first = await w.apply([batchJob(1, 3, slow)], { detach: true });
    expect(first.outcomes[0]!.ok).toBe(true);
    await w.clock.sleep(10_000);
    const early = await w.apply([batchJob(1, 3, slow)], { skipEmpty: true });
    expect(early.executed).toBe(false);
    const g = early.plan!.jobs[0]!.groups[0]!;
    expect(g.placements).toEqual([]);
    const failedAt = Date.parse(allocsOf(await w.read(), 'report')[0]!.created_at) + 5_000;
    expect(g.reschedule_waits).toEqual([
      expect.objectContaining({
        status: 'due',
        due_at: new Date(failedAt + 30_000).toISOString(),
        delay_ms: 30_000,
        attempt: 1,
        attempts: 3,
      }),
    ]);
    await w.clock.sleep(30_000);
    const late = await w.apply([batchJob(1, 3, slow)], { skipEmpty: true });
    expect(late.plan!.jobs[0]!.groups[0]!.placements).toEqual([
      expect.objectContaining({ reschedule: { attempt: 1, attempts: 3, delay_ms: 30_000 } }),
    ]);
  });
});

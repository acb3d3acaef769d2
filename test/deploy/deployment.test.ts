/**
 * Deployment logic, fast and exact: jobs of `mock` tasks on one node, a virtual clock shared by
 * the executor and the driver, a real state file. Each scenario plans and applies as
 * `drover apply` does and checks what the state recorded, what the host runs and the progress
 * the user saw.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  executePlan,
  makePlan,
  observe,
  planPromote,
  type EngineContext,
} from '../../src/ops/index.js';
import { systemClock } from '../../src/deploy/apply.js';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import type { DesiredJob } from '../../src/plan/compute.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';
import { MockDriver } from '../../providers/drivers/mock.js';
import { createDriverRegistry } from '../../providers/registry.js';
import {
  allocsOf,
  deploymentsOf,
  noIoTransport,
  nodeSpec,
  running,
  webJob,
  World,
  type ApplyRun,
  type GroupOptions,
  type TimedEvent,
} from './deployment-support.js';

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
});

async function world(): Promise<World> {
  const w = await World.create();
  worlds.push(w);
  return w;
}

const ROLLING = {
  max_parallel: 2,
  min_healthy_time: '10s',
  healthy_deadline: '1m',
  progress_deadline: '5m',
};

/** A world where version 0 of `web` runs, deployed and stable. */
async function deployed(g: GroupOptions): Promise<{ w: World; old: Allocation[] }> {
  const w = await world();
  const first = await w.apply([webJob(g)]);
  expect(first.outcomes.map((o) => o.result)).toEqual(['successful']);
  const old = running(await w.read(), 'web');
  expect(old).toHaveLength(g.count ?? 1);
  return { w, old };
}

/** The alloc progress events from `from` on. */
function allocEvents(events: TimedEvent[], from: number) {
  return events.slice(from).flatMap(({ at, ev }) => (ev.kind === 'alloc' ? [{ at, ...ev }] : []));
}

const jobStatuses = (events: TimedEvent[], from: number): string[] =>
  events.slice(from).flatMap(({ ev }) => (ev.kind === 'job' ? [ev.status] : []));

const whats = (s: StateSnapshot, afterSeq: number): string[] =>
  s.events.filter((e) => e.seq > afterSeq).map((e) => e.what);

const lastSeq = async (w: World): Promise<number> => (await w.read()).events.at(-1)?.seq ?? 0;

/** Whether the host runs the task the allocation's handle names. */
async function hostRuns(w: World, a: Allocation): Promise<boolean> {
  const onHost = await w.runningOnHost();
  const handle = a.driver_handles.srv as { id?: string } | undefined;
  return onHost.some((t) => t.id === handle?.id && t.alloc === a.id);
}

// ---------------------------------------------------------------------------------------------

describe('a rolling update (count 6, max_parallel 2)', () => {
  it('replaces two at a time, each batch gated on min_healthy_time, and marks the version stable', async () => {
    const { w, old } = await deployed({ count: 6, update: ROLLING });
    const oldIds = new Set(old.map((a) => a.id));
    const from = w.events.length;
    const seq = await lastSeq(w);

    const run = await w.apply([webJob({ count: 6, update: ROLLING, release: 'v2' })]);

    expect(run.outcomes.map((o) => o.result)).toEqual(['successful']);
    // Track, event by event, new allocations not yet healthy and old ones down without a
    // healthy replacement.
    const pending = new Set<string>();
    const stopped = new Set<string>();
    let maxPending = 0;
    let down = 0;
    let healthyNew = 0;
    let maxDeficit = 0;
    for (const ev of allocEvents(w.events, from)) {
      if (oldIds.has(ev.alloc)) {
        if (ev.status === 'stopping') down++;
        if (ev.status === 'stopped') stopped.add(ev.name);
      } else if (ev.status === 'starting') {
        // The old allocation of the same name stopped before its replacement started.
        expect(stopped.has(ev.name), `${ev.name} started before its old one stopped`).toBe(true);
        pending.add(ev.alloc);
      } else if (ev.status === 'healthy') {
        pending.delete(ev.alloc);
        healthyNew++;
      } else if (ev.status === 'unhealthy' || ev.status === 'failed') pending.delete(ev.alloc);
      maxPending = Math.max(maxPending, pending.size);
      maxDeficit = Math.max(maxDeficit, down - healthyNew);
    }
    expect(maxPending).toBe(2);
    expect(maxDeficit).toBe(2);
    expect(healthyNew).toBe(6);

    // Three batches, each held for min_healthy_time: what the plan said the rollout takes.
    const elapsed = run.endedAt - run.startedAt;
    expect(run.plan?.jobs[0]?.rollout?.min_duration_ms).toBe(30_000);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 10_000);
    expect(elapsed).toBeLessThan(3 * 10_000 + 3 * 250);

    const s = await w.read();
    const now = running(s, 'web');
    expect(now.map((a) => [a.name, a.version])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [`web.app[${i}]`, 1]),
    );
    expect(now.every((a) => a.health?.healthy === true)).toBe(true);
    for (const a of old)
      expect(s.allocations[a.id]).toMatchObject({
        desired_status: 'stop',
        client_status: 'complete',
      });
    const onHost = await w.runningOnHost();
    expect(onHost.map((t) => t.alloc).sort()).toEqual(now.map((a) => a.id).sort());

    const d = deploymentsOf(s, 'web').at(-1)!;
    expect(d).toMatchObject({
      id: run.outcomes[0]!.deploymentId,
      version: 1,
      status: 'successful',
      status_description: 'Deployment completed successfully',
    });
    expect(d.groups.app).toMatchObject({ desired_total: 6, placed: 6, healthy: 6, unhealthy: 0 });
    expect(s.jobs.web!.versions.map((v) => [v.version, v.stable, v.status])).toEqual([
      [0, true, 'running'],
      [1, true, 'running'],
    ]);
    // The state's history: submit, start, then stop-stop-place-place per batch, then success.
    const history = whats(s, seq);
    expect(history.slice(0, 2)).toEqual(['job.submit', 'deployment.start']);
    expect(history.slice(2, -1).join(' ')).toBe(
      Array(3).fill('alloc.stop alloc.stop alloc.place alloc.place').join(' '),
    );
    // The version becomes stable in the same write that marks the deployment successful.
    expect(history.slice(-1)).toEqual(['deployment.successful']);
  });
});

describe('an allocation that does not become healthy fails the deployment at its batch', () => {
  const update = ROLLING;
  const cases: {
    name: string;
    config: GroupOptions['config'];
    /** Why each allocation of the first batch failed, as the outcome says. */
    reason: RegExp;
    /** What the state's events say of each (the host's own words). */
    event: RegExp;
    /** Virtual ms from the start of the apply to the failure. */
    at: [number, number];
  }[] = [
    {
      name: 'a task that exits with code 1',
      config: { run_for: '2s', exit_code: 1 },
      reason: /^task "srv" exited with code 1/,
      event: /^task "srv" exited with code 1/,
      at: [2_000, 2_250],
    },
    {
      name: 'a task that exits with code 0 (a service must keep running)',
      config: { run_for: '2s', exit_code: 0 },
      reason: /^task "srv" exited with code 0/,
      event: /^task "srv" exited with code 0/,
      at: [2_000, 2_250],
    },
    {
      name: 'a task that does not start',
      config: { start_error: 'image web:v2 not found' },
      reason: /not found/,
      event: /^task "srv": mock: image web:v2 not found$/,
      at: [0, 0],
    },
  ];
  it.each(cases)('$name', async ({ config, reason, event, at }) => {
    const { w, old } = await deployed({ count: 4, update });
    const seq = await lastSeq(w);

    const run = await w.apply([webJob({ count: 4, update, release: 'v2', config })]);

    const [outcome] = run.outcomes;
    expect(outcome).toMatchObject({ ok: false, result: 'failed' });
    expect(outcome!.failures.map((f) => f.name)).toEqual(['web.app[0]', 'web.app[1]']);
    for (const f of outcome!.failures) expect(f.reason).toMatch(reason);
    expect(outcome!.description).toBe(
      `Failed: ${outcome!.failures[0]!.name}: ${outcome!.failures[0]!.reason}`,
    );
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(at[0]);
    expect(run.endedAt - run.startedAt).toBeLessThanOrEqual(at[1]);

    const s = await w.read();
    // Only the first batch was placed; its two allocations are marked failed.
    const fresh = allocsOf(s, 'web').filter((a) => a.version === 1);
    expect(fresh.map((a) => [a.name, a.client_status])).toEqual([
      ['web.app[0]', 'failed'],
      ['web.app[1]', 'failed'],
    ]);
    const told = s.events.filter(
      (e) => e.seq > seq && e.alloc && fresh.some((a) => a.id === e.alloc),
    );
    for (const a of fresh)
      expect(
        told.filter((e) => e.alloc === a.id && e.what !== 'alloc.place').map((e) => e.detail),
      ).toEqual([expect.stringMatching(event)]);
    expect(whats(s, seq).filter((x) => x === 'alloc.place')).toHaveLength(2);
    // The old allocations of the batch that never came still run, in state and on the host.
    const stillOld = old.filter((a) => a.index >= 2);
    for (const a of stillOld) {
      expect(s.allocations[a.id]).toMatchObject({
        desired_status: 'run',
        client_status: 'running',
      });
      expect(await hostRuns(w, s.allocations[a.id]!)).toBe(true);
    }
    expect(running(s, 'web').map((a) => a.id)).toEqual(stillOld.map((a) => a.id));

    const d = deploymentsOf(s, 'web').at(-1)!;
    expect(d).toMatchObject({
      version: 1,
      status: 'failed',
      status_description: outcome!.description,
    });
    expect(d.groups.app).toMatchObject({ placed: 2, healthy: 0, unhealthy: 2 });
    expect(s.jobs.web!.versions.map((v) => v.stable)).toEqual([true, false]);
  });
});

describe('deadlines', () => {
  const update = { ...ROLLING, max_parallel: 1 };
  const cases: {
    name: string;
    update: GroupOptions['update'];
    config: GroupOptions['config'];
    startDelayMs?: number;
    result: 'successful' | 'failed';
    reason?: string;
    at: [number, number];
  }[] = [
    {
      name: 'healthy_after within healthy_deadline: each batch healthy after healthy_after + min_healthy_time',
      update,
      config: { healthy_after: '30s' },
      result: 'successful',
      at: [2 * 40_000, 2 * 40_250],
    },
    {
      name: 'healthy_after longer than healthy_deadline: unhealthy at the deadline',
      update,
      config: { healthy_after: '2m' },
      result: 'failed',
      reason: 'not healthy by healthy_deadline (1m): mock check is not passing',
      at: [60_000, 60_000],
    },
    {
      name: 'a check that never passes: unhealthy at the deadline',
      update,
      config: { fail_health: true },
      result: 'failed',
      reason: 'not healthy by healthy_deadline (1m): mock check is not passing',
      at: [60_000, 60_000],
    },
    {
      name: 'a start slower than progress_deadline: no progress',
      update: { min_healthy_time: '5s', healthy_deadline: '20s', progress_deadline: '30s' },
      config: {},
      startDelayMs: 40_000,
      result: 'failed',
      reason: 'no progress by progress_deadline (30s)',
      at: [40_000, 40_000],
    },
  ];
  it.each(cases)('$name', async ({ update: u, config, startDelayMs, result, reason, at }) => {
    const { w, old } = await deployed({ count: 2, update: u });
    const run = await w.apply([webJob({ count: 2, update: u, config, release: 'v2' })], {
      mockChecks: true,
      ...(startDelayMs ? { startDelayMs } : {}),
    });
    const [outcome] = run.outcomes;
    expect(outcome!.result).toBe(result);
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(at[0]);
    expect(run.endedAt - run.startedAt).toBeLessThanOrEqual(at[1]);
    const s = await w.read();
    if (result === 'failed') {
      expect(outcome!.failures).toEqual([
        { allocId: expect.any(String) as string, name: 'web.app[0]', reason },
      ]);
      const failed = s.allocations[outcome!.failures[0]!.allocId]!;
      // Not healthy in time, though its task still runs: unhealthy, not failed.
      expect(failed).toMatchObject({ client_status: 'running', health: { healthy: false } });
      expect(deploymentsOf(s, 'web').at(-1)).toMatchObject({
        status: 'failed',
        status_description: `Failed: web.app[0]: ${reason}`,
      });
      // The second old allocation was never touched.
      expect(s.allocations[old[1]!.id]).toMatchObject({ client_status: 'running', version: 0 });
    } else {
      expect(running(s, 'web').map((a) => a.version)).toEqual([1, 1]);
    }
  });

  // Nomad: "If the progress_deadline is set to 0, the first allocation to be marked as
  // unhealthy causes the deployment to fail" (no deadline). Here 0 fails at once.
  it('progress_deadline = 0 sets no deadline', async () => {
    const w = await world();
    const update = { min_healthy_time: '10s', healthy_deadline: '1m', progress_deadline: '0s' };
    const run = await w.apply([webJob({ count: 1, update })]);
    expect(verdict(run)).toEqual({ result: 'successful', reasons: [] });
  });

  // Nomad keeps a progress deadline per group (and ignores groups that are done); here one
  // deadline is shared, so the fast group's 3s deadline fails the slow group at 4s, with a
  // message naming the slow group's own 2m deadline, which had not passed.
  it('each group is held to its own progress_deadline', async () => {
    const fast = {
      name: 'fast',
      count: 1,
      update: { min_healthy_time: '1s', healthy_deadline: '2s', progress_deadline: '3s' },
    };
    const slow = {
      name: 'slow',
      count: 1,
      update: { min_healthy_time: '10s', healthy_deadline: '1m', progress_deadline: '2m' },
    };
    const w = await world();
    const run = await w.apply([webJob([fast, { ...slow, config: { healthy_after: '20s' } }])], {
      mockChecks: true,
    });
    // slow is healthy after 20s + 10s, within its own deadlines.
    expect(verdict(run)).toEqual({ result: 'successful', reasons: [] });
  });
});

describe('canaries (count 3, canary 1)', () => {
  const canary = { ...ROLLING, max_parallel: 1, canary: 1 };

  it('places only the canary and waits for promotion; promote finishes the rollout', async () => {
    const { w, old } = await deployed({ count: 3, update: canary });
    const from = w.events.length;

    const first = await w.apply([webJob({ count: 3, update: canary, release: 'v2' })]);

    expect(first.outcomes[0]).toMatchObject({
      ok: true,
      result: 'awaiting-promotion',
      description: 'Deployment is running but requires manual promotion (group "app")',
    });
    let s = await w.read();
    const canaries = allocsOf(s, 'web').filter((a) => a.version === 1);
    expect(canaries.map((a) => [a.name, a.canary, a.client_status, a.health?.healthy])).toEqual([
      ['web.app[0]', true, 'running', true],
    ]);
    // The three old allocations keep serving beside it.
    for (const a of old) expect(s.allocations[a.id]).toMatchObject({ desired_status: 'run' });
    expect(running(s, 'web')).toHaveLength(4);
    expect(await w.runningOnHost()).toHaveLength(4);
    const d = deploymentsOf(s, 'web').at(-1)!;
    expect(d).toMatchObject({
      id: first.outcomes[0]!.deploymentId,
      version: 1,
      status: 'running',
      status_description: first.outcomes[0]!.description,
    });
    expect(d.groups.app).toMatchObject({
      desired_canaries: 1,
      placed_canaries: [canaries[0]!.id],
      promoted: false,
      placed: 1,
      healthy: 1,
    });
    expect(s.jobs.web!.versions.map((v) => v.stable)).toEqual([true, false]);
    expect(allocEvents(w.events, from).filter((e) => e.status === 'stopping')).toEqual([]);

    // `drover promote web`, through the operations layer: the promotion is part of its plan.
    const second = await w.operate((ctx, observed) => planPromote(ctx, observed, 'web'));

    expect(second.outcomes[0]).toMatchObject({
      result: 'successful',
      deploymentId: first.outcomes[0]!.deploymentId,
    });
    s = await w.read();
    const now = running(s, 'web');
    expect(now.map((a) => [a.name, a.version])).toEqual([
      ['web.app[0]', 1],
      ['web.app[1]', 1],
      ['web.app[2]', 1],
    ]);
    expect(now[0]!.id).toBe(canaries[0]!.id);
    expect((await w.runningOnHost()).map((t) => t.alloc).sort()).toEqual(
      now.map((a) => a.id).sort(),
    );
    for (const a of old) expect(s.allocations[a.id]!.desired_status).toBe('stop');
    expect(deploymentsOf(s, 'web')).toHaveLength(2);
    expect(deploymentsOf(s, 'web').at(-1)).toMatchObject({ status: 'successful' });
    expect(deploymentsOf(s, 'web').at(-1)!.groups.app).toMatchObject({
      promoted: true,
      placed: 3,
      healthy: 3,
    });
    expect(s.jobs.web!.versions.map((v) => [v.version, v.stable])).toEqual([
      [0, true],
      [1, true],
    ]);
  });

  it('with auto_promote, goes on through the rollout without stopping', async () => {
    const auto = { ...canary, auto_promote: true };
    const { w } = await deployed({ count: 3, update: auto });
    const from = w.events.length;

    const run = await w.apply([webJob({ count: 3, update: auto, release: 'v2' })]);

    expect(run.outcomes[0]).toMatchObject({ result: 'successful' });
    expect(jobStatuses(w.events, from)).toEqual(['promoted', 'successful']);
    // The canary's gate, then one gate per remaining batch of one.
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(3 * 10_000);
    const s = await w.read();
    expect(running(s, 'web').map((a) => a.version)).toEqual([1, 1, 1]);
    expect(await w.runningOnHost()).toHaveLength(3);
    expect(deploymentsOf(s, 'web').at(-1)!.groups.app).toMatchObject({
      promoted: true,
      desired_canaries: 1,
      healthy: 3,
    });
  });

  it('a canary that dies is stopped; the old allocations are untouched', async () => {
    const { w, old } = await deployed({ count: 3, update: canary });
    const from = w.events.length;

    const run = await w.apply([
      webJob({ count: 3, update: canary, release: 'v2', config: { run_for: '2s', exit_code: 1 } }),
    ]);

    expect(run.outcomes[0]).toMatchObject({ result: 'failed' });
    const s = await w.read();
    const [c] = allocsOf(s, 'web').filter((a) => a.version === 1);
    expect(c).toMatchObject({
      canary: true,
      desired_status: 'stop',
      client_status: 'failed',
      health: { healthy: false },
    });
    expect(running(s, 'web').map((a) => a.id)).toEqual(old.map((a) => a.id));
    for (const a of old) expect(await hostRuns(w, s.allocations[a.id]!)).toBe(true);
    const stopped = allocEvents(w.events, from).filter((e) => e.status === 'stopping');
    expect(stopped.map((e) => [e.alloc, e.detail])).toEqual([
      [c!.id, 'canary of a failed deployment'],
    ]);
    expect(deploymentsOf(s, 'web').at(-1)).toMatchObject({ status: 'failed' });
  });

  // Nomad stops only the unpromoted canaries of a failed deployment (cancelUnneededCanaries);
  // a promoted canary serves like any allocation. Here every canary goes.
  it('a promoted canary keeps running when a later batch fails', async () => {
    const auto = { ...canary, auto_promote: true };
    const { w } = await deployed({ count: 3, update: auto });

    const run = await w.apply([webJob({ count: 3, update: auto, release: 'v2' })], {
      failStart: (ctx) => (ctx.allocIndex === 2 ? 'image web:v2 not found' : undefined),
    });

    expect(run.outcomes[0]).toMatchObject({ result: 'failed' });
    const s = await w.read();
    const [c] = allocsOf(s, 'web').filter((a) => a.canary);
    expect(c).toMatchObject({ desired_status: 'run', client_status: 'running' });
  });
});

describe('auto-revert', () => {
  const update = { ...ROLLING, max_parallel: 1, canary: 1, auto_revert: true };

  it('rolls the last stable version out again as a new version, without a canary phase', async () => {
    const { w } = await deployed({ count: 3, update });
    const from = w.events.length;

    // Version 1's canary is healthy and promoted, index 1 is replaced, then the host cannot
    // start index 2: the deployment fails with two allocations already on version 1.
    const run = await w.apply(
      [webJob({ count: 3, update: { ...update, auto_promote: true }, release: 'v2' })],
      {
        autoRevert: true,
        failStart: (ctx) =>
          ctx.jobVersion === 1 && ctx.allocIndex === 2 ? 'image web:v2 not found' : undefined,
      },
    );

    expect(run.outcomes[0]).toMatchObject({ result: 'failed' });
    expect(run.revert).toMatchObject({ toVersion: 0, outcome: { result: 'successful' } });
    const s = await w.read();
    const versions = s.jobs.web!.versions;
    expect(versions.map((v) => [v.version, v.stable])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(versions[2]!.job).toEqual(versions[0]!.job);
    expect(versions[2]!.source).toBe(versions[0]!.source);
    // The stable content runs: every allocation on version 2, none a canary.
    const now = running(s, 'web');
    expect(now.map((a) => [a.name, a.version, a.canary ?? false])).toEqual([
      ['web.app[0]', 2, false],
      ['web.app[1]', 2, false],
      ['web.app[2]', 2, false],
    ]);
    expect((await w.runningOnHost()).map((t) => t.alloc).sort()).toEqual(
      now.map((a) => a.id).sort(),
    );
    // No canary phase: the revert replaced version 1's allocations without waiting.
    const revert = deploymentsOf(s, 'web').at(-1)!;
    expect(revert).toMatchObject({ version: 2, status: 'successful' });
    expect(revert.groups.app).toMatchObject({ desired_canaries: 0, placed_canaries: [] });
    expect(jobStatuses(w.events, from)).toEqual(['promoted', 'failed', 'reverting', 'successful']);
  });

  it("executePlan reverts a canary whose task dies (the CLI's own code, a real clock)", async () => {
    // Millisecond durations on the real clock: the canary dies at 20ms, long before its
    // min_healthy_time, whatever the machine's speed.
    const fast = {
      max_parallel: 1,
      canary: 1,
      auto_revert: true,
      min_healthy_time: '100ms',
      healthy_deadline: '10s',
      progress_deadline: '20s',
    };
    const w = await world();
    const session: EngineContext = {
      pins: new Map(),
      newPins: new Map(),
      config: {
        state: { backend: 'local', path: w.store.path },
        scheduler: 'binpack',
        nodes: [{ ...nodeSpec, reserved: { cpu: 0, memory: 0, disk: 0, ports: [] } }],
      },
      nodes: new Map([
        [nodeSpec.name, { ...nodeSpec, reserved: { cpu: 0, memory: 0, disk: 0, ports: [] } }],
      ]),
      store: w.store,
      drivers: createDriverRegistry([new MockDriver()]),
      transport: noIoTransport,
      clock: systemClock,
      droverVersion: 'test',
    };
    const events: ProgressEvent[] = [];
    const apply = async (job: DesiredJob) => {
      const observed = await observe(session, false);
      return executePlan(session, makePlan(session, observed, [job]), observed, (e) =>
        events.push(e),
      );
    };

    const v0 = await apply(webJob({ count: 2, update: fast }));
    expect(v0.outcomes[0]!.outcome.result).toBe('successful');
    const v1 = await apply(
      webJob({ count: 2, update: fast, release: 'v2', config: { run_for: '20ms', exit_code: 1 } }),
    );

    const [r] = v1.outcomes;
    expect(r!.outcome.result).toBe('failed');
    expect(r!.revert).toMatchObject({ toVersion: 0 });
    const s = await w.read();
    expect(s.jobs.web!.versions.map((v) => [v.version, v.stable])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    // The old allocations kept serving, now as version 2 (the same content, in place).
    expect(running(s, 'web').map((a) => [a.id, a.version])).toEqual(
      running(v0.state, 'web').map((a) => [a.id, 2]),
    );
    // The revert is a deployment too, though it only updates in place (Nomad does the same).
    expect(events.filter((e) => e.kind === 'job').map((e) => e.status)).toEqual([
      'successful',
      'failed',
      'reverting',
      'successful',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Interruption: drover killed at each state write of a rolling update, then applied again.

interface KillPoint {
  n: number;
  /** Tasks running on the host right after the kill, with what state knows of them. */
  afterKill: { alloc: string; recorded: boolean }[];
  recovery: ApplyRun;
  state: StateSnapshot;
  /** Tasks running on the host after the next apply. */
  onHost: { id: string; alloc: string }[];
}

describe('a drover killed at any state write of a rolling update (count 3, max_parallel 2)', () => {
  const update = { ...ROLLING, max_parallel: 2 };
  const v2 = () => webJob({ count: 3, update, release: 'v2' });
  const points: KillPoint[] = [];
  let base: World;
  let uninterrupted: ApplyRun;

  beforeAll(async () => {
    base = await World.create();
    await base.apply([webJob({ count: 3, update })]);
    const reference = base.fork();
    uninterrupted = await reference.apply([v2()]);
    reference.dispose();
    // Kill at write 1, 2, … until a run makes it to the end.
    for (let n = 1; n <= uninterrupted.writes + 1; n++) {
      const w = base.fork();
      try {
        const killed = await w.apply([v2()], { killAtWrite: n });
        if (!killed.killed) break;
        const s = await w.read();
        const afterKill = (await w.runningOnHost()).map((t) => ({
          alloc: t.alloc,
          recorded: s.allocations[t.alloc] !== undefined,
        }));
        const recovery = await w.apply([v2()]);
        points.push({
          n,
          afterKill,
          recovery,
          state: await w.read(),
          onHost: await w.runningOnHost(),
        });
      } finally {
        w.dispose();
      }
    }
  });
  afterAll(() => base.dispose());

  it('is killed at every write of the rollout', () => {
    expect(uninterrupted.outcomes[0]!.result).toBe('successful');
    expect(points.map((p) => p.n)).toEqual(
      Array.from({ length: uninterrupted.writes }, (_, i) => i + 1),
    );
  });

  it('leaves no task on the host whose allocation is not in state', () => {
    const orphans = points.flatMap((p) =>
      p.afterKill.filter((t) => !t.recorded).map((t) => `write ${p.n}: ${t.alloc}`),
    );
    expect(orphans).toEqual([]);
  });

  it('the next apply succeeds and leaves count allocations meant to run, all at the new version', () => {
    const wrong = points.flatMap((p) => {
      const live = allocsOf(p.state, 'web').filter((a) => a.desired_status === 'run');
      const results = p.recovery.outcomes.map((o) => o.result);
      return live.length === 3 &&
        live.every((a) => a.version === 1) &&
        results.every((r) => r === 'successful')
        ? []
        : [`write ${p.n}: ${results.join(',')} ${live.map(describeAlloc).join(' ')}`];
    });
    expect(wrong).toEqual([]);
  });

  // A task started just before the write that records its handle is found again by its driver
  // (`recover`): the next refresh records the handle instead of calling the allocation lost.
  it('the next apply leaves only the tasks of its allocations running on the host', () => {
    const leaks = points.flatMap((p) => {
      const live = allocsOf(p.state, 'web').filter((a) => a.desired_status === 'run');
      const extra = p.onHost.filter((t) => !live.some((a) => hostHandle(a) === t.id));
      return extra.length || p.onHost.length !== 3
        ? [`write ${p.n}: ${extra.map((t) => `${t.alloc} runs unrecorded`).join(', ')}`]
        : [];
    });
    expect(leaks).toEqual([]);
  });

  // An allocation recorded `pending` whose task runs stays `pending`: refresh leaves it, and
  // the next apply neither gates it nor marks it running.
  it('the next apply ends with exactly count running allocations at the new version', () => {
    const wrong = points.flatMap((p) => {
      const live = running(p.state, 'web');
      return live.length === 3 && live.every((a) => a.version === 1)
        ? []
        : [`write ${p.n}: ${allocsOf(p.state, 'web').map(describeAlloc).join(' ')}`];
    });
    expect(wrong).toEqual([]);
  });

  // Killed after its last placement, a deployment stays `running` for good: the next plan
  // has nothing to place, so no apply finishes it and its version never becomes stable.
  it('the next apply finishes the deployment and marks the version stable', () => {
    const wrong = points.flatMap((p) => {
      const d = deploymentsOf(p.state, 'web').at(-1);
      const stable = p.state.jobs.web?.versions.find((v) => v.version === 1)?.stable;
      return d?.version === 1 && d.status === 'successful' && stable
        ? []
        : [`write ${p.n}: deployment ${d?.status ?? 'none'}, stable ${String(stable)}`];
    });
    expect(wrong).toEqual([]);
  });
});

/** The first job's result and why its allocations failed, for diffs that say what happened. */
function verdict(run: ApplyRun): { result: string | undefined; reasons: string[] } {
  const o = run.outcomes[0];
  return { result: o?.result, reasons: o?.failures.map((f) => `${f.name}: ${f.reason}`) ?? [] };
}

function hostHandle(a: Allocation): string | undefined {
  return (a.driver_handles.srv as { id?: string } | undefined)?.id;
}

function describeAlloc(a: Allocation): string {
  return `${a.name}@${a.version}:${a.desired_status}/${a.client_status}`;
}

// ---------------------------------------------------------------------------------------------
// A stop that does not reach its host

describe('a stop whose host does not answer', () => {
  /** The mock host, reached through a transport whose stops fail while `host.down` is set. */
  async function flakyHost() {
    const w = await world();
    const mock = new MockDriver();
    const host = { down: false };
    const flaky = Object.create(mock) as MockDriver;
    flaky.stop = (h, t, o) =>
      host.down ? Promise.reject(new Error('connect ETIMEDOUT 10.0.0.9:22')) : mock.stop(h, t, o);
    const node = { ...nodeSpec, reserved: { cpu: 0, memory: 0, disk: 0, ports: [] } };
    const session: EngineContext = {
      pins: new Map(),
      newPins: new Map(),
      config: {
        state: { backend: 'local', path: w.store.path },
        scheduler: 'binpack',
        nodes: [node],
      },
      nodes: new Map([[node.name, node]]),
      store: w.store,
      drivers: createDriverRegistry([flaky]),
      transport: noIoTransport,
      clock: systemClock,
      droverVersion: 'test',
    };
    const events: ProgressEvent[] = [];
    const apply = async (job: DesiredJob) => {
      const observed = await observe(session, false);
      const plan = makePlan(session, observed, [job]);
      return { plan, result: await executePlan(session, plan, observed, (e) => events.push(e)) };
    };
    return { w, mock, host, events, apply };
  }

  it('stays recorded as meant to stop, is a plan warning, and the next apply stops it', async () => {
    const { w, mock, host, events, apply } = await flakyHost();
    const update = { max_parallel: 1, min_healthy_time: '0s', healthy_deadline: '10s' };

    await apply(webJob({ count: 2, update }));
    expect(mock.runningCount()).toBe(2);
    host.down = true;
    await apply(webJob({ count: 1, update }));
    const s1 = await w.read();
    const unstopped = allocsOf(s1, 'web').filter((a) => a.desired_status === 'stop');
    expect(unstopped.map((a) => a.client_status)).toEqual(['running']);
    expect(mock.runningCount()).toBe(2);
    expect(events.filter((e) => e.kind === 'alloc' && e.status === 'stop-failed')).toHaveLength(1);
    expect(s1.events.some((e) => e.what === 'alloc.stop-failed')).toBe(true);

    // The next plan says so, even with no change to the job; the apply stops it.
    host.down = false;
    const { plan, result } = await apply(webJob({ count: 1, update }));
    expect(plan.warnings?.map((x) => x.summary)).toEqual([
      `1 allocation on node "${nodeSpec.name}" did not stop`,
    ]);
    expect(mock.runningCount()).toBe(1);
    expect(result.state.allocations[unstopped[0]!.id]?.client_status).toBe('complete');
  });

  it('a purge forgets the job but keeps the allocations its host did not confirm stopped', async () => {
    const { w, mock, host, apply } = await flakyHost();
    const update = { max_parallel: 1, min_healthy_time: '0s', healthy_deadline: '10s' };
    await apply(webJob({ count: 2, update }));
    host.down = true;
    await apply({ kind: 'stop', id: 'web', purge: true });
    const s1 = await w.read();
    expect(s1.jobs.web).toBeUndefined();
    const kept = allocsOf(s1, 'web');
    expect(kept.map((a) => [a.desired_status, a.client_status, a.stop_pending])).toEqual([
      ['stop', 'running', true],
      ['stop', 'running', true],
    ]);
    expect(mock.runningCount()).toBe(2);

    // Once the host answers, the retried stops reach it, and only then are they forgotten.
    host.down = false;
    const { plan, result } = await apply({ kind: 'stop', id: 'web', purge: true });
    expect(plan.retry_stops.map((x) => x.alloc_id).sort()).toEqual(kept.map((a) => a.id).sort());
    expect(mock.runningCount()).toBe(0);
    expect(allocsOf(result.state, 'web')).toEqual([]);
  });
});

/**
 * Task lifecycle hooks through the operations layer (mock driver, virtual clock): the order the
 * mock host saw tasks start and stop in, the allocation's status, and what the progress said.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planStop } from '../../src/ops/index.js';
import { allocsOf, desiredJob, World, type TimedEvent } from './deployment-support.js';

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
});

async function world(): Promise<World> {
  const w = await World.create();
  worlds.push(w);
  return w;
}

interface TaskOpts {
  hook?: 'prestart' | 'poststart' | 'poststop';
  sidecar?: boolean;
  /** The mock's run_for ("" : runs until stopped) and exit code. */
  runFor?: string;
  exitCode?: number;
}

function task(name: string, o: TaskOpts = {}): string {
  const lifecycle = o.hook
    ? `      lifecycle {\n        hook    = "${o.hook}"\n        sidecar = ${o.sidecar ?? false}\n      }\n`
    : '';
  const config = [
    o.runFor ? `        run_for   = "${o.runFor}"\n` : '',
    o.exitCode !== undefined ? `        exit_code = ${o.exitCode}\n` : '',
  ].join('');
  return `    task "${name}" {\n${lifecycle}      driver = "mock"\n      config {\n${config}      }\n      resources {\n        cpu    = 100\n        memory = 64\n      }\n    }\n`;
}

/** A job of one group with the given tasks; restarts off, so a failure is final at once. */
function lifecycleJob(
  type: 'service' | 'batch',
  tasks: string[],
  opts: { healthyDeadline?: string } = {},
) {
  const deadline = opts.healthyDeadline
    ? `      healthy_deadline = "${opts.healthyDeadline}"\n`
    : '';
  const update =
    type === 'service'
      ? `    update {\n      health_check     = "task_states"\n      min_healthy_time = "1s"\n${deadline}    }\n`
      : '';
  const source = `job "app" {
  type        = "${type}"
  datacenters = ["dc1"]
  group "app" {
    restart {
      attempts = 0
      mode     = "fail"
    }
${update}${tasks.join('')}  }
}
`;
  return desiredJob(source, 'app');
}

/** The host's starts and stops, as `kind task @ms-since-start`. */
function hostLog(w: World, since: number): string[] {
  return w.host.events().map((e) => `${e.kind} ${e.task} @${e.at - since}`);
}

function details(events: TimedEvent[]): string[] {
  return events.flatMap(({ ev }) =>
    ev.kind === 'alloc' ? [`${ev.status}${ev.detail ? `: ${ev.detail}` : ''}`] : [],
  );
}

describe('prestart tasks', () => {
  it('run to completion before the main tasks start; a sidecar starts with them and keeps running', async () => {
    const w = await world();
    const job = lifecycleJob('service', [
      task('migrate', { hook: 'prestart', runFor: '3s' }),
      task('logs', { hook: 'prestart', sidecar: true }),
      task('web'),
    ]);
    const run = await w.apply([job]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'successful']]);
    const start = run.startedAt;
    expect(hostLog(w, start)).toEqual(['start migrate @0', 'start logs @0', 'start web @3000']);
    expect(details(w.events)).toEqual([
      'starting',
      'starting: prestart task "migrate" completed',
      'starting: starting main tasks',
      'running',
      'healthy',
    ]);

    const [alloc] = allocsOf(await w.read(), 'app');
    expect(alloc!.client_status).toBe('running');
    // The prestart task's end is recorded, before the main task's start.
    const { migrate, web } = alloc!.task_states;
    expect(migrate).toMatchObject({ state: 'dead', failed: false, exit_code: 0 });
    expect(Date.parse(migrate!.finished_at!)).toBeLessThanOrEqual(Date.parse(web!.started_at!));
    expect((await w.runningOnHost()).map((t) => t.task).sort()).toEqual(['logs', 'web']);

    // The completed hook neither fails the allocation nor makes the next plan replace it.
    const again = await w.apply([job], { skipEmpty: true });
    expect(again.executed).toBe(false);
    expect(allocsOf(await w.read(), 'app').map((a) => a.client_status)).toEqual(['running']);
  });

  it('a failing prestart task fails the allocation; the main task never starts, the sidecar is stopped', async () => {
    const w = await world();
    const run = await w.apply([
      lifecycleJob('service', [
        task('migrate', { hook: 'prestart', runFor: '2s', exitCode: 3 }),
        task('logs', { hook: 'prestart', sidecar: true }),
        task('web'),
      ]),
    ]);
    const [outcome] = run.outcomes;
    expect(outcome!.result).toBe('failed');
    expect(outcome!.failures.map((f) => f.reason)).toEqual([
      'prestart task "migrate" exited with code 3',
    ]);
    expect(hostLog(w, run.startedAt)).toEqual([
      'start migrate @0',
      'start logs @0',
      'stop logs @2000',
    ]);
    const [alloc] = allocsOf(await w.read(), 'app');
    expect(alloc!.client_status).toBe('failed');
    expect(alloc!.task_states.migrate).toMatchObject({ state: 'dead', failed: true, exit_code: 3 });
    expect(alloc!.driver_handles.web).toBeUndefined();
    expect(await w.runningOnHost()).toEqual([]);
  });
});

describe('a prestart task that never ends', () => {
  it('fails a service allocation at healthy_deadline; the main task never starts', async () => {
    const w = await world();
    const job = lifecycleJob('service', [task('migrate', { hook: 'prestart' }), task('web')], {
      healthyDeadline: '30s',
    });
    const run = await w.apply([job]);
    expect(run.outcomes[0]!.failures.map((f) => f.reason)).toEqual([
      'prestart task "migrate" was still running at healthy_deadline (30s)',
    ]);
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(30_000);
    expect(hostLog(w, run.startedAt)).toEqual(['start migrate @0', 'stop migrate @30000']);
  });
});

describe('poststart and poststop tasks', () => {
  it('poststart starts once the main task runs; poststop runs after the main tasks stopped, and the stop waits for it', async () => {
    const w = await world();
    const job = lifecycleJob('service', [
      task('announce', { hook: 'poststart', runFor: '1s' }),
      task('cleanup', { hook: 'poststop', runFor: '4s' }),
      task('web'),
      task('proxy', { hook: 'poststart', sidecar: true }),
    ]);
    const run = await w.apply([job]);
    expect(run.outcomes.map((o) => o.result)).toEqual(['successful']);
    expect(hostLog(w, run.startedAt)).toEqual([
      'start web @0',
      'start announce @0',
      'start proxy @0',
    ]);
    expect(details(w.events)).toContain('starting: starting poststart tasks');
    // The ephemeral poststart task ended with 0 during the health gate: the allocation is healthy.
    const [alloc] = allocsOf(await w.read(), 'app');
    expect(alloc!.health?.healthy).toBe(true);
    expect(alloc!.driver_handles.cleanup).toBeUndefined();
    // A poststop task not started while the allocation runs is not a task that never started.
    expect((await w.apply([job], { skipEmpty: true })).executed).toBe(false);

    const before = w.host.events().length;
    const stopped = await w.operate((ctx, observed) => planStop(ctx, observed, 'app', false));
    const stopAt = stopped.startedAt;
    // The main task first, then the sidecar; then the poststop task, waited for until it ended.
    expect(hostLog(w, stopAt).slice(before)).toEqual([
      'stop web @0',
      'stop proxy @0',
      'start cleanup @0',
    ]);
    expect(stopped.endedAt - stopAt).toBeGreaterThanOrEqual(4_000);
    const [after] = allocsOf(await w.read(), 'app');
    expect(after!.client_status).toBe('complete');
    expect(after!.task_states.cleanup).toMatchObject({ state: 'dead', exit_code: 0 });
    expect(await w.runningOnHost()).toEqual([]);
  });

  it('a poststop task that does not end is stopped after the limit, and the stop says so', async () => {
    const w = await world();
    await w.apply([lifecycleJob('service', [task('web'), task('cleanup', { hook: 'poststop' })])]);
    const stopped = await w.operate((ctx, observed) => planStop(ctx, observed, 'app', false));
    expect(stopped.endedAt - stopped.startedAt).toBeGreaterThanOrEqual(5 * 60_000);
    const s = await w.read();
    const event = s.events.findLast((e) => e.what === 'alloc.stop');
    expect(event?.detail).toMatch(/poststop task "cleanup" did not end within 5m/);
    expect(await w.runningOnHost()).toEqual([]);
  });
});

describe('a batch job with hooks', () => {
  it('completes when its main task exited 0: the sidecar is stopped, then the poststop task runs; the re-plan is empty', async () => {
    const w = await world();
    const job = lifecycleJob('batch', [
      task('fetch', { hook: 'prestart', runFor: '1s' }),
      task('logs', { hook: 'prestart', sidecar: true }),
      task('report', { runFor: '5s' }),
      task('upload', { hook: 'poststop', runFor: '2s' }),
    ]);
    const run = await w.apply([job]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'none']]);
    const log = hostLog(w, run.startedAt);
    expect(log.slice(0, 3)).toEqual(['start fetch @0', 'start logs @0', 'start report @1000']);
    // The main task ended at 6 s; the apply saw it at its next poll.
    expect(log.slice(3).map((l) => l.replace(/@\d+/, ''))).toEqual(['stop logs ', 'start upload ']);
    const stopLogs = w.host.events().find((e) => e.kind === 'stop')!.at - run.startedAt;
    expect(stopLogs).toBeGreaterThanOrEqual(6_000);
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(stopLogs + 2_000);

    const [alloc] = allocsOf(await w.read(), 'app');
    expect(alloc!.client_status).toBe('complete');
    expect(alloc!.task_states.upload).toMatchObject({ state: 'dead', exit_code: 0 });
    expect(await w.runningOnHost()).toEqual([]);
    const again = await w.apply([job], { skipEmpty: true });
    expect(again.executed).toBe(false);
  });

  it('fails when its poststop task fails', async () => {
    const w = await world();
    const run = await w.apply([
      lifecycleJob('batch', [
        task('report', { runFor: '1s' }),
        task('upload', { hook: 'poststop', runFor: '1s', exitCode: 2 }),
      ]),
    ]);
    expect(run.outcomes[0]!.failures.map((f) => f.reason)).toEqual([
      'poststop task "upload" exited with code 2',
    ]);
    // Batch's default reschedule policy (1 attempt) replaced it once within the apply.
    expect(allocsOf(await w.read(), 'app').map((a) => a.client_status)).toEqual([
      'failed',
      'failed',
    ]);
  });
});

describe('a detached apply of a batch job with a sidecar or a poststop task', () => {
  it('is refused before anything starts: nothing would stop the sidecar or run the poststop task after it', async () => {
    const w = await world();
    const job = lifecycleJob('batch', [
      task('logs', { hook: 'prestart', sidecar: true }),
      task('report', { runFor: '1s' }),
    ]);
    await expect(w.apply([job], { detach: true })).rejects.toThrow(
      /-detach cannot be used for batch job "app": group "app" has prestart sidecar task "logs"/,
    );
    expect(w.host.events()).toEqual([]);
    expect(allocsOf(await w.read(), 'app')).toEqual([]);
  });
});

describe('an apply killed between the prestart and the main tasks', () => {
  it('leaves an allocation the next apply replaces, running its prestart task again before the main task', async () => {
    const w = await world();
    const job = lifecycleJob('service', [
      task('migrate', { hook: 'prestart', runFor: '2s' }),
      task('web'),
    ]);
    const killed = await w.apply([job], { killAtStart: (ctx) => ctx.task.name === 'web' });
    expect(killed.killed).toBeDefined();
    expect(w.host.events().filter((e) => e.task === 'web')).toEqual([]);

    const next = await w.apply([job]);
    expect(next.outcomes.map((o) => o.result)).toEqual(['successful']);
    const allocs = allocsOf(await w.read(), 'app');
    expect(allocs.map((a) => [a.client_status, a.desired_status])).toEqual([
      ['lost', 'stop'],
      ['running', 'run'],
    ]);
    const starts = w.host
      .events()
      .filter((e) => e.kind === 'start')
      .map((e) => `${e.task} ${e.alloc_id === allocs[1]!.id ? 'new' : 'old'}`);
    expect(starts).toEqual(['migrate old', 'migrate new', 'web new']);
  });
});

/**
 * The executor: carries out a job's steps on its hosts and records each one in state as it
 * happens. Stops first (freeing ports and resources), then in-place updates, then new
 * allocations all at once, then replacements `max_parallel` at a time, each batch gated on its
 * allocations staying healthy for `min_healthy_time`. An allocation is recorded (pending, with
 * its deterministic name) before anything starts on a host, so nothing runs unrecorded.
 */
import type { Group, Job, Task } from '../generated/jobspec.js';
import { durationNanos } from '../jobspec/duration.js';
import type {
  Driver,
  NodeSpec,
  TaskContext,
  TaskStatus,
  Transport,
} from '../../providers/types.js';
import type { Allocation, DriverHandle, StateSnapshot, TaskState } from '../state/types.js';
import type { StateRecorder } from './recorder.js';
import type { GroupSteps, JobSteps, PlacementStep } from './steps.js';
import { interpolateDeep, taskEnv, type NodeFacts, type TaskDirs } from './taskenv.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export type ProgressEvent =
  | { kind: 'alloc'; alloc: string; name: string; node: string; status: string; detail?: string }
  | { kind: 'job'; job: string; status: string; detail?: string };

export interface ApplyContext {
  recorder: StateRecorder;
  driver(name: string): Driver | undefined;
  transport(node: NodeSpec): Transport;
  nodes: ReadonlyMap<string, NodeSpec>;
  facts(node: NodeSpec): NodeFacts;
  clock: Clock;
  progress(ev: ProgressEvent): void;
  /** How often health is polled while waiting on a gate. */
  pollMs?: number;
}

export interface JobOutcome {
  ok: boolean;
  failures: { allocId: string; name: string; reason: string }[];
}

/** Applies one job's steps; resolves with what failed (nothing thrown for host failures). */
export async function applyJob(steps: JobSteps, ctx: ApplyContext): Promise<JobOutcome> {
  const failures: JobOutcome['failures'] = [];
  const when = () => new Date(ctx.clock.now()).toISOString();
  if (steps.newVersion) {
    const nv = steps.newVersion;
    await ctx.recorder.record((s) => recordVersion(s, steps.jobId, steps.version, nv, when()), {
      what: 'job.submit',
      job: steps.jobId,
      detail: `version ${steps.version} submitted from ${nv.filename}`,
    });
  }
  for (const g of steps.groups)
    for (const stop of g.stops) await stopAlloc(stop.allocId, stop.reason, ctx);
  for (const g of steps.groups)
    for (const id of g.inplace)
      await ctx.recorder.record(
        (s) => updateAlloc(s, id, { version: steps.version, modified_at: when() }),
        {
          what: 'alloc.update',
          job: steps.jobId,
          alloc: id,
          detail: `updated in place to version ${steps.version}`,
        },
      );

  for (const g of steps.groups) {
    const fresh = g.placements.filter((p) => !p.replaces);
    const replacing = g.placements.filter((p) => p.replaces);
    // New allocations start together; like Nomad, max_parallel limits only replacements.
    failures.push(...(await runBatch(fresh, g, steps, ctx)));
    const width = Math.max(1, g.group.update?.max_parallel ?? 1);
    for (let i = 0; i < replacing.length && failures.length === 0; i += width) {
      const batch = replacing.slice(i, i + width);
      for (const p of batch)
        await stopAlloc(p.replaces!, `replaced by ${p.allocId.slice(0, 8)}`, ctx);
      failures.push(...(await runBatch(batch, g, steps, ctx)));
      // Nomad waits `stagger` between batches only for system jobs; service jobs are gated on health.
      const stagger = steps.job.type === 'system' ? nanosToMs(g.group.update?.stagger) : 0;
      if (failures.length === 0 && i + width < replacing.length && stagger > 0)
        await ctx.clock.sleep(stagger);
    }
  }
  if (steps.stop) {
    const purge = steps.stop.purge;
    await ctx.recorder.record((s) => markStopped(s, steps.jobId, purge), {
      what: purge ? 'job.purge' : 'job.stop',
      job: steps.jobId,
      detail: purge ? 'stopped and purged' : 'stopped',
    });
  } else if (failures.length === 0) {
    await ctx.recorder.record((s) => markStable(s, steps.jobId, steps.version), {
      what: 'job.stable',
      job: steps.jobId,
      detail: `version ${steps.version} is running and healthy`,
    });
  }
  ctx.progress({ kind: 'job', job: steps.jobId, status: failures.length ? 'failed' : 'done' });
  return { ok: failures.length === 0, failures };
}

/** Starts a batch of allocations in parallel, then waits until each is healthy or has failed. */
async function runBatch(
  batch: readonly PlacementStep[],
  g: GroupSteps,
  steps: JobSteps,
  ctx: ApplyContext,
): Promise<JobOutcome['failures']> {
  const started = await Promise.all(batch.map((p) => startAlloc(p, g, steps, ctx)));
  const results = await Promise.all(
    batch.map((p, i) =>
      started[i]
        ? waitHealthy(p, g.group, ctx)
        : Promise.resolve(started[i] === false ? 'did not start' : undefined),
    ),
  );
  const failed: JobOutcome['failures'] = [];
  batch.forEach((p, i) => {
    const reason = started[i] === true ? results[i] : (results[i] ?? 'did not start');
    if (reason) failed.push({ allocId: p.allocId, name: p.name, reason });
  });
  return failed;
}

/** Records the allocation, then starts its tasks. Returns false when a task could not start. */
async function startAlloc(
  p: PlacementStep,
  g: GroupSteps,
  steps: JobSteps,
  ctx: ApplyContext,
): Promise<boolean> {
  const node = ctx.nodes.get(p.node);
  const now = new Date(ctx.clock.now()).toISOString();
  const alloc: Allocation = {
    id: p.allocId,
    job: steps.jobId,
    version: steps.version,
    group: g.name,
    index: p.index,
    node: p.node,
    name: p.name,
    desired_status: 'run',
    client_status: 'pending',
    ...(p.canary ? { canary: true } : {}),
    task_states: {},
    driver_handles: {},
    ports: p.ports,
    created_at: now,
    modified_at: now,
  };
  await ctx.recorder.record(
    (s) => ({ ...s, allocations: { ...s.allocations, [alloc.id]: alloc } }),
    {
      what: 'alloc.place',
      job: steps.jobId,
      alloc: alloc.id,
      detail: `${p.name} placed on ${p.node}${p.replaces ? `, replacing ${p.replaces.slice(0, 8)}` : ''}`,
    },
  );
  const say = (status: string, detail?: string) =>
    ctx.progress({
      kind: 'alloc',
      alloc: p.allocId,
      name: p.name,
      node: p.node,
      status,
      ...(detail ? { detail } : {}),
    });
  if (!node) return fail(`node "${p.node}" is not in the inventory`);
  const transport = ctx.transport(node);
  say('starting');
  for (const task of g.group.task ?? []) {
    const driver = task.driver ? ctx.driver(task.driver) : undefined;
    if (!driver) return fail(`task "${task.name}": driver "${task.driver ?? ''}" is not available`);
    let handle: DriverHandle;
    try {
      handle = await driver.start(
        taskContext(p, g.group, task, steps, node, transport, driver, ctx),
      );
    } catch (err) {
      return fail(`task "${task.name}": ${(err as Error).message}`);
    }
    const started: TaskState = {
      state: 'running',
      failed: false,
      restarts: 0,
      started_at: new Date(ctx.clock.now()).toISOString(),
    };
    await ctx.recorder.record((s) =>
      updateAlloc(s, p.allocId, (a) => ({
        driver_handles: { ...a.driver_handles, [task.name]: handle },
        task_states: { ...a.task_states, [task.name]: started },
      })),
    );
  }
  await ctx.recorder.record((s) => updateAlloc(s, p.allocId, { client_status: 'running' }));
  say('running');
  return true;

  async function fail(message: string): Promise<false> {
    await ctx.recorder.record((s) => updateAlloc(s, p.allocId, { client_status: 'failed' }), {
      what: 'alloc.failed',
      job: steps.jobId,
      alloc: p.allocId,
      detail: message,
    });
    say('failed', message);
    return false;
  }
}

function taskContext(
  p: PlacementStep,
  group: Group,
  task: Task,
  steps: JobSteps,
  node: NodeSpec,
  transport: Transport,
  driver: Driver,
  ctx: ApplyContext,
): TaskContext {
  const allocDir = `${node.alloc_root}/${p.allocId}`;
  const inContainer = driver.capabilities().needsDocker;
  const dirs: TaskDirs = inContainer
    ? { allocDir: '/alloc', taskDir: '/local', secretsDir: '/secrets' }
    : {
        allocDir: `${allocDir}/alloc`,
        taskDir: `${allocDir}/${task.name}/local`,
        secretsDir: `${allocDir}/${task.name}/secrets`,
      };
  const facts = ctx.facts(node);
  const env = taskEnv({
    job: steps.job,
    group,
    task,
    allocId: p.allocId,
    allocIndex: p.index,
    nodeName: node.name,
    datacenter: node.datacenter,
    hostAddress: transport.hostAddress(),
    ports: p.ports,
    dirs,
    mapsPorts: inContainer,
    node: facts,
  });
  const restart = group.restart ?? {};
  return {
    allocId: p.allocId,
    name: `${steps.jobId}-${group.name}-${task.name}-${p.allocId.slice(0, 8)}`,
    jobId: steps.jobId,
    jobVersion: steps.version,
    group: group.name,
    task: { ...task, config: interpolateDeep(task.config ?? {}, { env, node: facts }) },
    allocIndex: p.index,
    node,
    transport,
    ports: p.ports,
    env,
    allocDir,
    labels: {
      'drover.job': steps.jobId,
      'drover.group': group.name,
      'drover.task': task.name,
      'drover.alloc': p.allocId,
      'drover.version': String(steps.version),
      'drover.node': node.name,
    },
    restart: {
      attempts: restart.attempts ?? 2,
      interval: String(restart.interval ?? '30m'),
      delay: String(restart.delay ?? '15s'),
      mode: restart.mode === 'delay' ? 'delay' : 'fail',
    },
  };
}

/**
 * Waits until every task of the allocation has run for `min_healthy_time` without dying, or
 * until `healthy_deadline`. Returns undefined when healthy, else the reason it is not.
 */
async function waitHealthy(
  p: PlacementStep,
  group: Group,
  ctx: ApplyContext,
): Promise<string | undefined> {
  const minHealthy = nanosToMs(group.update?.min_healthy_time ?? '10s');
  const deadline =
    ctx.clock.now() + Math.max(nanosToMs(group.update?.healthy_deadline ?? '5m'), minHealthy);
  const poll = ctx.pollMs ?? 250;
  let healthySince: number | undefined;
  for (;;) {
    const status = await allocStatus(p.allocId, ctx);
    const now = ctx.clock.now();
    if (status.dead) {
      const reason = status.message ?? 'a task stopped';
      await ctx.recorder.record(
        (s) =>
          updateAlloc(s, p.allocId, {
            client_status: 'failed',
            health: { healthy: false, timestamp: new Date(now).toISOString() },
          }),
        { what: 'alloc.unhealthy', alloc: p.allocId, detail: reason },
      );
      ctx.progress({
        kind: 'alloc',
        alloc: p.allocId,
        name: p.name,
        node: p.node,
        status: 'unhealthy',
        detail: reason,
      });
      return reason;
    }
    if (status.running) {
      healthySince ??= now;
      if (now - healthySince >= minHealthy) {
        await ctx.recorder.record((s) =>
          updateAlloc(s, p.allocId, {
            health: { healthy: true, timestamp: new Date(now).toISOString() },
          }),
        );
        ctx.progress({
          kind: 'alloc',
          alloc: p.allocId,
          name: p.name,
          node: p.node,
          status: 'healthy',
        });
        return undefined;
      }
    } else healthySince = undefined;
    if (now >= deadline) return `not healthy within healthy_deadline`;
    await ctx.clock.sleep(Math.min(poll, Math.max(1, (healthySince ?? now) + minHealthy - now)));
  }
}

/** Asks each task's driver how the allocation is doing. */
async function allocStatus(
  allocId: string,
  ctx: ApplyContext,
): Promise<{ running: boolean; dead: boolean; message?: string }> {
  const alloc = ctx.recorder.state.allocations[allocId];
  const node = alloc && ctx.nodes.get(alloc.node);
  if (!alloc || !node) return { running: false, dead: true, message: 'allocation is gone' };
  const transport = ctx.transport(node);
  let running = true;
  for (const [task, handle] of Object.entries(alloc.driver_handles)) {
    const driver = ctx.driver(handle.driver);
    let st: TaskStatus;
    try {
      st = driver
        ? await driver.inspect(handle, transport)
        : { state: 'missing', failed: true, restarts: 0 };
    } catch (err) {
      return { running: false, dead: true, message: `task "${task}": ${(err as Error).message}` };
    }
    if (st.state === 'dead' || st.state === 'missing')
      return {
        running: false,
        dead: true,
        message: `task "${task}" ${st.state === 'missing' ? 'is gone' : `exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}`}${st.message ? `: ${st.message}` : ''}`,
      };
    if (st.state !== 'running') running = false;
  }
  return { running, dead: false };
}

/** Stops every task of an allocation and records it stopped. Host errors are recorded, not thrown. */
export async function stopAlloc(allocId: string, reason: string, ctx: ApplyContext): Promise<void> {
  const alloc = ctx.recorder.state.allocations[allocId];
  if (!alloc) return;
  const node = ctx.nodes.get(alloc.node);
  ctx.progress({
    kind: 'alloc',
    alloc: allocId,
    name: alloc.name,
    node: alloc.node,
    status: 'stopping',
    detail: reason,
  });
  const problems: string[] = [];
  if (node) {
    const transport = ctx.transport(node);
    const tasks = recordedTasks(ctx.recorder.state, alloc);
    for (const [task, handle] of Object.entries(alloc.driver_handles)) {
      const spec = tasks.get(task);
      try {
        await ctx.driver(handle.driver)?.stop(handle, transport, {
          killTimeoutMs: nanosToMs(spec?.kill_timeout ?? '5s'),
          ...(spec?.kill_signal ? { signal: spec.kill_signal } : {}),
        });
      } catch (err) {
        problems.push(`task "${task}": ${(err as Error).message}`);
      }
    }
  }
  const terminal =
    alloc.client_status === 'lost' || alloc.client_status === 'failed'
      ? alloc.client_status
      : 'complete';
  await ctx.recorder.record(
    (s) =>
      updateAlloc(s, allocId, {
        desired_status: 'stop',
        client_status: terminal,
        modified_at: new Date(ctx.clock.now()).toISOString(),
      }),
    {
      what: 'alloc.stop',
      alloc: allocId,
      job: alloc.job,
      detail: reason + (problems.length ? ` (${problems.join('; ')})` : ''),
    },
  );
  ctx.progress({
    kind: 'alloc',
    alloc: allocId,
    name: alloc.name,
    node: alloc.node,
    status: 'stopped',
  });
}

/** The tasks of the job version an allocation runs, by name. */
function recordedTasks(s: StateSnapshot, a: Allocation): Map<string, Task> {
  const version = s.jobs[a.job]?.versions.find((v) => v.version === a.version);
  const group = (version?.job as unknown as Job | undefined)?.group?.find(
    (g) => g.name === a.group,
  );
  return new Map((group?.task ?? []).map((t) => [t.name, t]));
}

// ---------------------------------------------------------------------------------------------
// Pure state changes

type AllocPatch = Partial<Allocation> | ((a: Allocation) => Partial<Allocation>);

export function updateAlloc(s: StateSnapshot, id: string, patch: AllocPatch): StateSnapshot {
  const a = s.allocations[id];
  if (!a) return s;
  const p = typeof patch === 'function' ? patch(a) : patch;
  return { ...s, allocations: { ...s.allocations, [id]: { ...a, ...p } } };
}

function recordVersion(
  s: StateSnapshot,
  jobId: string,
  version: number,
  nv: NonNullable<JobSteps['newVersion']>,
  at: string,
): StateSnapshot {
  const prior = s.jobs[jobId];
  const versions = [
    ...(prior?.versions ?? []),
    {
      version,
      submitted_at: at,
      source: nv.source,
      filename: nv.filename,
      submitted: nv.submitted,
      job: nv.job as unknown as Record<string, unknown>,
      stable: false,
      status: 'pending' as const,
    },
  ];
  return { ...s, jobs: { ...s.jobs, [jobId]: { versions, stopped: false } } };
}

function markStable(s: StateSnapshot, jobId: string, version: number): StateSnapshot {
  const j = s.jobs[jobId];
  if (!j) return s;
  const versions = j.versions.map((v) =>
    v.version === version ? { ...v, stable: true, status: 'running' as const } : v,
  );
  return { ...s, jobs: { ...s.jobs, [jobId]: { ...j, versions } } };
}

function markStopped(s: StateSnapshot, jobId: string, purge: boolean): StateSnapshot {
  const j = s.jobs[jobId];
  if (!j) return s;
  if (purge) {
    const jobs = { ...s.jobs };
    delete jobs[jobId];
    const allocations = Object.fromEntries(
      Object.entries(s.allocations).filter(([, a]) => a.job !== jobId),
    );
    return { ...s, jobs, allocations };
  }
  const versions = j.versions.map((v, i) =>
    i === j.versions.length - 1 ? { ...v, status: 'dead' as const } : v,
  );
  return { ...s, jobs: { ...s.jobs, [jobId]: { ...j, versions, stopped: true } } };
}

function nanosToMs(d: string | number | undefined): number {
  return (durationNanos(d) ?? 0) / 1e6;
}

export type { Job };

/**
 * The executor: carries out a job's steps on its hosts and records each one in state as it
 * happens. Stops first (freeing ports and resources), then in-place updates, then new
 * allocations all at once, then replacements `max_parallel` at a time, each batch gated on its
 * allocations staying healthy for `min_healthy_time`. An allocation is recorded (pending, with
 * its deterministic name) before anything starts on a host, so nothing runs unrecorded.
 */
import { DEFAULT_NAMESPACE, hostJobName } from '../state/job-key.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import { formatMs } from '../jobspec/duration.js';
import { defaultTask, defaultUpdateStrategy } from '../jobspec/normalize.js';
import {
  taskInstanceName,
  type Driver,
  type NodeSpec,
  type TaskContext,
  type TaskStatus,
  type Transport,
} from '../../providers/types.js';
import type {
  Allocation,
  ClientStatus,
  Deployment,
  DeploymentGroupState,
  DriverHandle,
  StateSnapshot,
  TaskState,
} from '../state/types.js';
import type { PlannedStop, RolloutStep } from '../generated/plan.js';
import { allocDirOf, allocHandles, recordedGroup, taskStateOf } from './alloc-tasks.js';
import {
  judgeAlloc,
  phasesOf,
  prestartProgress,
  runsToCompletion,
  stopOrder,
  taskLabel,
  type AllocVerdict,
} from './lifecycle.js';
import { removeAllocDirs } from '../../providers/alloc-dirs.js';
import { stopPending } from '../plan/pending-stops.js';
import { isActiveDeployment } from '../plan/deployments.js';
import type { StateRecorder } from './recorder.js';
import { recordPlaced } from './reschedule.js';
import type { GroupSteps, JobSteps, PlacementStep, PlanStepRef } from './steps.js';
import { interpolateDeep, taskEnv, type NodeFacts, type TaskDirs } from './taskenv.js';
import { encodeStoredJob } from '../jobspec/stored.js';
import { writeDispatchPayload } from './dispatch-payload.js';
import { fetchArtifacts } from './artifacts.js';
import { hostVolumeMounts } from './volume-mounts.js';
import {
  renderTaskTemplates,
  templateEnv,
  templateHashes,
  writeTemplates,
  type TemplateReaders,
} from './templates.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export type ProgressEvent = (
  | { kind: 'alloc'; alloc: string; name: string; node: string; status: string; detail?: string }
  | { kind: 'job'; job: string; status: string; detail?: string }
) & {
  /** The part of the plan this event belongs to. */
  step?: PlanStepRef;
};

/** The context with every progress event tagged with the plan step it belongs to. */
export function inStep(ctx: ApplyContext, step: PlanStepRef): ApplyContext {
  return { ...ctx, progress: (ev) => ctx.progress({ ...ev, step }) };
}

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
  /** What templates read besides the task's environment (Variables, services), from the state now. */
  templateReaders?: (state: StateSnapshot) => TemplateReaders;
  /** Health beyond task states (service checks); absent: an allocation is healthy while its tasks run. */
  health?: (allocId: string, group: Group, job: Job) => HealthProbe | undefined;
  newId: () => string;
  /**
   * Return once the first allocations have started, without waiting on their health: the
   * deployment stays running in state and the next apply carries it on.
   */
  detach?: boolean;
  /** What a container task's pull failure adds about where else its image was looked for. */
  imageNote?: (node: string, image: string) => string | undefined;
}

export type DeploymentResult =
  | 'successful'
  | 'failed'
  | 'awaiting-promotion'
  | 'detached'
  | 'none'
  /** An ordered or atomic apply did not start the job (see ops/apply-gate). */
  | 'not-started';

export interface JobOutcome {
  ok: boolean;
  /** What became of the deployment ('none': nothing was placed, so there was none). */
  result: DeploymentResult;
  deploymentId?: string;
  /** Why the deployment failed, or what it waits for. */
  description?: string;
  failures: { allocId: string; name: string; reason: string }[];
}

/** Health of one allocation beyond its task states (service checks), watched while a gate is open. */
export interface HealthProbe {
  /** Not 'healthy' while checks have not all passed; the gate's deadlines decide when that fails. */
  poll(): 'healthy' | 'unhealthy' | 'pending';
  /** Why it is not healthy yet, for the failure message. */
  detail(): string;
  stop(): Promise<void>;
}

/**
 * Applies one job's steps as a deployment (for service jobs that place anything): stops,
 * in-place updates, new allocations, canaries (then promotion, or a wait for it), then
 * replacements `max_parallel` at a time, each gated on health. Host failures are recorded and
 * returned, never thrown.
 */
export async function applyJob(steps: JobSteps, ctx: ApplyContext): Promise<JobOutcome> {
  const when = () => new Date(ctx.clock.now()).toISOString();
  if (steps.newVersion) {
    const nv = steps.newVersion;
    // Written with the allocation placed next (deferred writes keep their order), or at the end.
    const actor = ctx.recorder.who;
    ctx.recorder.defer((s) => recordVersion(s, steps, nv, when(), actor), {
      what: 'job.submit',
      job: steps.jobId,
      detail: `version ${steps.version} submitted from ${nv.filename}`,
    });
  }
  for (const g of steps.groups) {
    const inStops = inStep(ctx, { part: 'stops', job: steps.jobId, group: g.name });
    for (const stop of g.stops)
      await stopAlloc(stop.allocId, stop.reason, inStops, {
        removeDir: steps.stop?.purge === true,
      });
  }
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

  if (steps.stop) {
    const purge = steps.stop.purge;
    await ctx.recorder.record(
      (s) =>
        markStopped(
          cancelDeployments(s, steps.jobId, 'the job was stopped', when()),
          steps.jobId,
          purge,
        ),
      {
        what: purge ? 'job.purge' : 'job.stop',
        job: steps.jobId,
        detail: purge ? 'stopped and purged' : 'stopped',
      },
    );
    ctx.progress({ kind: 'job', job: steps.jobId, status: 'stopped' });
    return { ok: true, result: 'none', failures: [] };
  }

  // The plan says whether the rollout is a deployment, and whether it resumes one.
  const deployment = steps.deployment ? startDeployment(steps, steps.deployment, ctx) : undefined;
  const d = new DeploymentRun(steps, ctx, deployment);
  const outcome = await d.run();
  if (outcome.result === 'none')
    ctx.recorder.defer((s) => markStable(s, steps.jobId, steps.version), {
      what: 'job.stable',
      job: steps.jobId,
      detail: `version ${steps.version} is running and healthy`,
    });
  ctx.progress({
    kind: 'job',
    job: steps.jobId,
    status: outcome.result === 'none' ? 'done' : outcome.result,
    ...(outcome.description ? { detail: outcome.description } : {}),
  });
  return outcome;
}

/**
 * Records the plan's deployment for the job's version (a resumed one keeps its counts); an
 * active one for another version is cancelled.
 */
function startDeployment(
  steps: JobSteps,
  planned: NonNullable<JobSteps['deployment']>,
  ctx: ApplyContext,
): Deployment {
  const now = ctx.clock.now();
  const at = new Date(now).toISOString();
  const existing = planned.resumed ? ctx.recorder.state.deployments[planned.id] : undefined;
  const groups: Deployment['groups'] = {};
  for (const g of steps.groups) {
    const u = g.group?.update ?? defaultUpdateStrategy();
    const canaries = [...g.placements.values()].filter((p) => p.canary).length;
    const prior = existing?.groups[g.name];
    groups[g.name] = {
      desired_total: g.group?.count ?? 0,
      desired_canaries: prior?.desired_canaries ?? (canaries > 0 ? u.canary || canaries : 0),
      placed_canaries: prior?.placed_canaries ?? [],
      placed: prior?.placed ?? 0,
      healthy: prior?.healthy ?? 0,
      unhealthy: prior?.unhealthy ?? 0,
      promoted: prior?.promoted ?? false,
      auto_revert: u.auto_revert,
      progress_deadline: new Date(now + u.progress_deadline).toISOString(),
    };
  }
  const deployment: Deployment = {
    id: planned.id,
    job: steps.jobId,
    version: steps.version,
    status: 'running',
    status_description: existing ? 'Deployment is running (resumed)' : 'Deployment is running',
    groups,
    created_at: existing?.created_at ?? at,
    modified_at: at,
  };
  ctx.recorder.defer(
    (s) => {
      const c = cancelDeployments(
        s,
        steps.jobId,
        `superseded by deployment ${deployment.id.slice(0, 8)}`,
        at,
        deployment.id,
      );
      return { ...c, deployments: { ...c.deployments, [deployment.id]: deployment } };
    },
    {
      what: existing ? 'deployment.resume' : 'deployment.start',
      job: steps.jobId,
      detail: `deployment ${deployment.id.slice(0, 8)} for version ${steps.version}`,
    },
  );
  return deployment;
}

/** Marks the job's active deployments (except `keep`) cancelled. */
function cancelDeployments(
  s: StateSnapshot,
  jobId: string,
  why: string,
  at: string,
  keep?: string,
): StateSnapshot {
  let deployments = s.deployments;
  for (const d of Object.values(s.deployments)) {
    if (d.job !== jobId || d.id === keep || !isActiveDeployment(d)) continue;
    deployments = {
      ...deployments,
      [d.id]: {
        ...d,
        status: 'cancelled',
        status_description: `Cancelled: ${why}`,
        modified_at: at,
      },
    };
  }
  return deployments === s.deployments ? s : { ...s, deployments };
}

/** A batch allocation that failed in this apply, and when. */
interface FailedAlloc {
  allocId: string;
  name: string;
  reason: string;
  at: number;
}

/** One deployment's progress through its groups, gates and deadlines. */
class DeploymentRun {
  private readonly failures: JobOutcome['failures'] = [];
  /** Per group: batch allocations that failed and wait for the group's reschedule step. */
  private readonly toReschedule = new Map<string, FailedAlloc[]>();
  private awaiting: string[] = [];
  /** Per group: when the deployment fails for lack of progress (Nomad's progress_deadline; 0 is none). */
  private readonly progressDeadlines = new Map<string, number>();
  private detached = false;

  constructor(
    private readonly steps: JobSteps,
    private readonly ctx: ApplyContext,
    private readonly deployment: Deployment | undefined,
  ) {}

  async run(): Promise<JobOutcome> {
    // Groups roll out side by side, as in Nomad.
    await Promise.all(this.steps.groups.map((g) => this.group(g)));
    const base = this.deployment ? { deploymentId: this.deployment.id } : {};
    if (this.failures.length) {
      const description = `Failed: ${this.failures[0]!.name}: ${this.failures[0]!.reason}`;
      this.finish('failed', description);
      // A failed deployment's unpromoted canaries go (as in Nomad); the old allocations kept serving.
      const canaries = Object.values(
        this.deployment?.id
          ? (this.ctx.recorder.state.deployments[this.deployment.id]?.groups ?? {})
          : {},
      ).flatMap((g) => (g.promoted ? [] : g.placed_canaries));
      for (const id of canaries)
        if (this.ctx.recorder.state.allocations[id]?.desired_status === 'run')
          await stopAlloc(id, 'canary of a failed deployment', this.ctx);
      return { ok: false, result: 'failed', description, failures: this.failures, ...base };
    }
    if (this.ctx.detach && this.deployment) {
      const description = 'Deployment is running (detached: drover apply carries it on)';
      this.finish('running', description);
      return { ok: true, result: 'detached', description, failures: [], ...base };
    }
    if (this.awaiting.length) {
      const description = `Deployment is running but requires manual promotion (${this.awaiting.map((g) => `group "${g}"`).join(', ')})`;
      this.finish('running', description);
      return { ok: true, result: 'awaiting-promotion', description, failures: [], ...base };
    }
    if (!this.deployment) return { ok: true, result: 'none', failures: [] };
    this.finish('successful', 'Deployment completed successfully');
    return { ok: true, result: 'successful', failures: [], ...base };
  }

  /** Runs the group's rollout steps in the plan's order; returns early when one fails. */
  private async group(g: GroupSteps): Promise<void> {
    const u = g.group?.update ?? defaultUpdateStrategy();
    this.progressDeadlines.set(g.name, this.nextDeadline(u));
    // Allocations updated in place keep running, healthy as they were.
    if (g.inplace.length)
      this.count(g.name, (dg) => ({
        placed: dg.placed + g.inplace.length,
        healthy: dg.healthy + g.inplace.length,
      }));
    // What the last start step started, for the gate after it.
    let started: { batch: PlacementStep[]; ok: boolean[] } = { batch: [], ok: [] };
    for (const [i, step] of g.rollout.entries()) {
      if (this.failures.length || this.detached) return;
      const ctx = inStep(this.ctx, {
        part: 'rollout',
        job: this.steps.jobId,
        group: g.name,
        index: i + 1,
        kind: step.kind,
      });
      switch (step.kind) {
        case 'verify':
          // A resumed deployment first gates what an interrupted drover started but never saw healthy.
          if (!(await this.verdicts(this.recorded(step.allocs), g, undefined, ctx))) return;
          break;
        case 'start':
        case 'canary': {
          const batch = this.placements(g, step.allocs);
          started = { batch, ok: await this.start(batch, g, ctx, step.kind === 'canary') };
          break;
        }
        case 'batch': {
          // System jobs: the batch's old allocations stop together (each waits out its own
          // kill_timeout), then their replacements start.
          await Promise.all(
            step.replaces.map((old, k) =>
              stopAlloc(
                old,
                `replaced by ${step.allocs[k]?.slice(0, 8) ?? 'a new allocation'}`,
                ctx,
              ),
            ),
          );
          const batch = this.placements(g, step.allocs);
          started = { batch, ok: await this.start(batch, g, ctx) };
          break;
        }
        case 'gate':
          if (this.ctx.detach) {
            // Detached: the first allocations are started; their health is the next apply's business.
            this.detached = true;
            return;
          }
          if (!(await this.verdicts(started.batch, g, started.ok, ctx))) return;
          started = { batch: [], ok: [] };
          break;
        case 'promote':
          if (!u.auto_promote) {
            this.awaiting.push(g.name);
            return;
          }
          this.promote(g.name, ctx);
          for (const old of step.replaces)
            await stopAlloc(old, 'replaced by a promoted canary', ctx);
          break;
        case 'window':
          if (!(await this.window(step, g, ctx))) return;
          break;
        case 'stagger':
          await this.ctx.clock.sleep(step.min_duration_ms);
          break;
        case 'reschedule':
          if (!(await this.reschedule(step, g, ctx))) return;
          break;
      }
    }
  }

  /**
   * Batch jobs: each allocation that failed in this apply is replaced by the plan's next
   * reschedule of it, `delay` after its failure, on the node the plan chose (the failed one's
   * node penalised); a replacement that fails too is replaced by the next, while the plan has
   * one. Without one left, the failure stands.
   */
  private async reschedule(step: RolloutStep, g: GroupSteps, ctx: ApplyContext): Promise<boolean> {
    const failed = this.toReschedule.get(g.name) ?? [];
    this.toReschedule.delete(g.name);
    await Promise.all(failed.map((f) => this.rescheduleChain(f, step, g, ctx)));
    return this.failures.length === 0;
  }

  private async rescheduleChain(
    first: FailedAlloc,
    step: RolloutStep,
    g: GroupSteps,
    ctx: ApplyContext,
  ): Promise<void> {
    let f = first;
    for (;;) {
      const i = step.replaces.indexOf(f.allocId);
      const next = i >= 0 ? g.placements.get(step.allocs[i] ?? '') : undefined;
      if (!next) {
        this.failures.push({ allocId: f.allocId, name: f.name, reason: f.reason });
        return;
      }
      const delay = step.delays_ms?.[i] ?? 0;
      const wait = Math.max(0, f.at + delay - ctx.clock.now());
      // Said in whole seconds when there are some (the wait started a moment ago).
      const shown = wait >= 1000 ? Math.round(wait / 1000) * 1000 : wait;
      const r = next.reschedule;
      const attempt = r ? `, attempt ${r.attempt}${r.attempts ? ` of ${r.attempts}` : ''}` : '';
      ctx.progress({
        kind: 'alloc',
        alloc: f.allocId,
        name: f.name,
        node: ctx.recorder.state.allocations[f.allocId]?.node ?? '',
        status: 'rescheduling',
        detail: `replaced by ${next.allocId.slice(0, 8)} on ${next.node} in ${formatMs(shown)} (reschedule delay ${formatMs(delay)}${attempt})`,
      });
      if (wait > 0) await ctx.clock.sleep(wait);
      await stopAlloc(f.allocId, `rescheduled: replaced by ${next.allocId.slice(0, 8)}`, ctx);
      const [started] = await this.start([next], g, ctx);
      const reason = started
        ? await this.waitComplete(next, ctx)
        : startFailure(this.ctx, next.allocId);
      if (!reason) return;
      f = { allocId: next.allocId, name: next.name, reason, at: ctx.clock.now() };
    }
  }

  /**
   * A window of `parallel` replacements in flight: each stops its old allocation, then starts
   * the new one and waits until it is healthy; as soon as one is, the next one starts (Nomad's
   * deployment watcher). A failure stops every worker. Detached, each worker starts one and the
   * apply returns.
   */
  private async window(step: RolloutStep, g: GroupSteps, ctx: ApplyContext): Promise<boolean> {
    const pairs = this.placements(g, step.allocs);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pairs.length && this.failures.length === 0 && !this.detached) {
        const p = pairs[next++]!;
        await stopAlloc(p.replaces!, `replaced by ${p.allocId.slice(0, 8)}`, ctx);
        const ok = await this.start([p], g, ctx);
        if (this.ctx.detach) {
          this.detached = true;
          return;
        }
        if (!(await this.verdicts([p], g, ok, ctx))) return;
      }
    };
    const width = Math.max(1, step.parallel ?? 1);
    await Promise.all(Array.from({ length: Math.min(width, pairs.length) }, worker));
    return this.failures.length === 0;
  }

  private placements(g: GroupSteps, ids: readonly string[]): PlacementStep[] {
    return ids.map((id) => {
      const p = g.placements.get(id);
      if (!p) throw new Error(`plan: rollout step starts ${id}, which the plan does not place`);
      return p;
    });
  }

  /** Recorded allocations as the steps that started them (a resumed deployment's). */
  private recorded(ids: readonly string[]): PlacementStep[] {
    return ids.flatMap((id) => {
      const a = this.ctx.recorder.state.allocations[id];
      return a ? [placementOf(a)] : [];
    });
  }

  /** Starts a batch together and counts it placed; per allocation, whether it started. */
  private async start(
    batch: readonly PlacementStep[],
    g: GroupSteps,
    ctx: ApplyContext,
    canary = false,
  ): Promise<boolean[]> {
    if (batch.length === 0) return [];
    const started = await Promise.all(
      batch.map((p) => startAlloc(p, g, this.steps, ctx, this.deployment?.id, canary)),
    );
    // Canaries are listed in the deployment by the write that records each (startAlloc).
    this.count(g.name, (dg) => ({ placed: dg.placed + batch.length }));
    return started;
  }

  /** Waits on each started allocation's health and counts the verdicts; false when one failed. */
  private async verdicts(
    batch: readonly PlacementStep[],
    g: GroupSteps,
    started: readonly boolean[] | undefined,
    ctx: ApplyContext,
  ): Promise<boolean> {
    const verdicts = await Promise.all(
      batch.map((p, i) =>
        (started?.[i] ?? true)
          ? this.waitHealthy(p, plannedGroup(g), ctx)
          : Promise.resolve(startFailure(this.ctx, p.allocId)),
      ),
    );
    let ok = true;
    let healthy = 0;
    // Failures a later reschedule step may replace wait for it (batch jobs).
    const reschedulable = new Set(
      g.rollout.flatMap((s) => (s.kind === 'reschedule' ? s.replaces : [])),
    );
    for (const [i, reason] of verdicts.entries()) {
      const p = batch[i]!;
      if (!reason) {
        healthy++;
        continue;
      }
      const failed = { allocId: p.allocId, name: p.name, reason };
      if (reschedulable.has(p.allocId)) {
        const list = this.toReschedule.get(g.name) ?? [];
        this.toReschedule.set(g.name, [...list, { ...failed, at: this.ctx.clock.now() }]);
      } else {
        ok = false;
        this.failures.push(failed);
      }
    }
    // One write for the batch's verdicts.
    this.count(g.name, (dg) => ({
      healthy: dg.healthy + healthy,
      unhealthy: dg.unhealthy + batch.length - healthy,
    }));
    return ok;
  }

  /**
   * Waits until the allocation has been healthy for `min_healthy_time`. It is unhealthy when a
   * task dies, when it is not healthy by `healthy_deadline`, or when the deployment makes no
   * progress by `progress_deadline`. Returns undefined when healthy, else why not.
   */
  private async waitHealthy(
    p: PlacementStep,
    group: Group,
    ctx: ApplyContext,
  ): Promise<string | undefined> {
    const type = plannedJob(this.steps).type;
    if (runsToCompletion(type)) return this.waitComplete(p, ctx);
    const u = group.update ?? defaultUpdateStrategy();
    const minHealthy = u.min_healthy_time;
    const allocDeadline = this.ctx.clock.now() + Math.max(u.healthy_deadline, minHealthy);
    const probe = this.ctx.health?.(p.allocId, group, plannedJob(this.steps));
    try {
      return await this.gate(p, group.name, u, minHealthy, allocDeadline, probe, ctx);
    } finally {
      await probe?.stop();
    }
  }

  private async gate(
    p: PlacementStep,
    group: string,
    u: NonNullable<Group['update']>,
    minHealthy: number,
    allocDeadline: number,
    probe: HealthProbe | undefined,
    ctx: ApplyContext,
  ): Promise<string | undefined> {
    const poll = ctx.pollMs ?? 250;
    let healthySince: number | undefined;
    for (;;) {
      const status = await allocStatus(p.allocId, ctx);
      // Checks that are critical now may pass later: only the deadlines make them fail (Nomad).
      const verdict = status.dead
        ? 'dead'
        : !status.running
          ? 'pending'
          : (probe?.poll() ?? 'healthy');
      const why = probe && verdict !== 'healthy' ? `: ${probe.detail()}` : '';
      const now = ctx.clock.now();
      const reason = status.dead
        ? (status.message ?? 'a task stopped')
        : now >= allocDeadline
          ? `not healthy by healthy_deadline (${formatMs(u.healthy_deadline)})${why}`
          : now >= (this.progressDeadlines.get(group) ?? Infinity)
            ? `no progress by progress_deadline (${formatMs(u.progress_deadline)})${why}`
            : undefined;
      if (reason) {
        await ctx.recorder.record(
          (s) =>
            updateAlloc(s, p.allocId, {
              ...(status.dead ? { client_status: 'failed' as const } : {}),
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
      if (verdict === 'healthy') {
        healthySince ??= now;
        if (now - healthySince >= minHealthy) {
          ctx.recorder.defer((s) =>
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
          // Progress: the deadline moves on, as Nomad's deployment watcher does.
          this.progressDeadlines.set(group, this.nextDeadline(u));
          return undefined;
        }
      } else healthySince = undefined;
      const wake = healthySince !== undefined ? healthySince + minHealthy - now : poll;
      await ctx.clock.sleep(Math.max(1, Math.min(poll, wake)));
    }
  }

  /**
   * Batch work: waits until every task of the allocation has ended. All exited 0: the allocation
   * is `complete`. Returns undefined then, else why not (a task failed after its restarts, or
   * is gone).
   */
  private async waitComplete(p: PlacementStep, ctx: ApplyContext): Promise<string | undefined> {
    for (;;) {
      let end = await allocCompletion(p.allocId, ctx);
      if (end === 'running') {
        await ctx.clock.sleep(ctx.pollMs ?? 250);
        continue;
      }
      // The main tasks ended: sidecars are stopped, then poststop tasks run (Nomad).
      const alloc = ctx.recorder.state.allocations[p.allocId];
      const node = ctx.nodes.get(p.node);
      if (alloc && node) {
        const ended = await windDown(alloc, node, ctx.transport(node), ctx, {
          keepEnded: true,
          poststop: true,
        });
        if (end === 'complete' && ended.poststopFailure) end = ended.poststopFailure;
      }
      const at = new Date(ctx.clock.now()).toISOString();
      const complete = end === 'complete';
      // How each task ended (exit code, finish time) for `alloc status` and reschedule delays.
      const endedStates = await endedTaskStates(p.allocId, ctx);
      await ctx.recorder.record(
        (s) =>
          updateAlloc(s, p.allocId, (a) => ({
            client_status: complete ? 'complete' : 'failed',
            modified_at: at,
            task_states: { ...a.task_states, ...endedStates },
          })),
        {
          what: complete ? 'alloc.complete' : 'alloc.failed',
          alloc: p.allocId,
          job: this.steps.jobId,
          detail: complete ? 'every task exited 0' : end,
        },
      );
      ctx.progress({
        kind: 'alloc',
        alloc: p.allocId,
        name: p.name,
        node: p.node,
        status: complete ? 'complete' : 'failed',
        ...(complete ? {} : { detail: end }),
      });
      return complete ? undefined : end;
    }
  }

  /** The progress deadline from now; a progress_deadline of 0 means none, as in Nomad. */
  private nextDeadline(u: NonNullable<Group['update']>): number {
    const d = u.progress_deadline;
    return d > 0 ? this.ctx.clock.now() + d : Infinity;
  }

  private promote(group: string, ctx: ApplyContext): void {
    this.count(group, () => ({ promoted: true }));
    // Tagged with the promote step, like everything else the rollout does.
    ctx.progress({
      kind: 'job',
      job: this.steps.jobId,
      status: 'promoted',
      detail: `group "${group}" (auto_promote)`,
    });
  }

  /** Deployment counts are deferred writes: nothing waits on them, and a resumed deployment recounts. */
  private count(
    group: string,
    patch: (dg: DeploymentGroupState) => Partial<DeploymentGroupState>,
  ): void {
    const id = this.deployment?.id;
    if (!id) return;
    this.ctx.recorder.defer((s) => patchDeploymentGroup(s, id, group, patch));
  }

  /** Deferred too: written with the next job's first placement, or when the apply ends. */
  private finish(status: Deployment['status'], description: string): void {
    const id = this.deployment?.id;
    if (!id) return;
    const at = new Date(this.ctx.clock.now()).toISOString();
    this.ctx.recorder.defer(
      (s) => {
        const d = s.deployments[id];
        if (!d) return s;
        const next = {
          ...s,
          deployments: {
            ...s.deployments,
            [id]: { ...d, status, status_description: description, modified_at: at },
          },
        };
        // One write: a deployment is never successful while its version is not yet stable.
        return status === 'successful'
          ? markStable(next, this.steps.jobId, this.steps.version)
          : next;
      },
      {
        what: `deployment.${status === 'running' ? 'awaiting-promotion' : status}`,
        job: this.steps.jobId,
        detail: `deployment ${id.slice(0, 8)}: ${description}`,
      },
    );
  }
}

export function patchDeploymentGroup(
  s: StateSnapshot,
  id: string,
  group: string,
  patch: (dg: DeploymentGroupState) => Partial<DeploymentGroupState>,
): StateSnapshot {
  const d = s.deployments[id];
  const dg = d?.groups[group];
  if (!d || !dg) return s;
  return {
    ...s,
    deployments: {
      ...s.deployments,
      [id]: { ...d, groups: { ...d.groups, [group]: { ...dg, ...patch(dg) } } },
    },
  };
}

/** Records the allocation, then starts its tasks. Returns false when a task could not start. */
async function startAlloc(
  p: PlacementStep,
  g: GroupSteps,
  steps: JobSteps,
  ctx: ApplyContext,
  deploymentId?: string,
  canary = false,
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
    ...(deploymentId ? { deployment_id: deploymentId } : {}),
    ...(p.canary ? { canary: true } : {}),
    task_states: {},
    driver_handles: {},
    ports: p.ports,
    created_at: now,
    modified_at: now,
  };
  await ctx.recorder.record(
    (s) => {
      const placed = recordPlaced(s, alloc, p, g.group, ctx.clock.now());
      // The deployment lists a canary in the write that records it: a drover killed between two
      // writes would leave a canary its deployment does not know, and the next apply would place
      // a second one.
      return canary && deploymentId
        ? patchDeploymentGroup(placed, deploymentId, g.name, (dg) => ({
            placed_canaries: dg.placed_canaries.includes(alloc.id)
              ? dg.placed_canaries
              : [...dg.placed_canaries, alloc.id],
          }))
        : placed;
    },
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
  const group = plannedGroup(g);
  const phases = phasesOf(group.task);
  const handles = new Map<string, DriverHandle>();
  /** Starts a phase's tasks one by one; why one did not start, if one did not. */
  const startAll = async (tasks: readonly Task[], announce?: string) => {
    if (tasks.length && announce) say('starting', announce);
    for (const task of tasks) {
      const handle = await startTask(p, group, task, steps, node, transport, ctx);
      if (typeof handle === 'string') return handle;
      handles.set(task.name, handle);
    }
    return undefined;
  };
  // Nomad gives hooks no deadline of their own; a deployment's allocation must be healthy by
  // healthy_deadline, which a prestart task that never ends makes it miss.
  const healthyDeadline = (group.update ?? defaultUpdateStrategy()).healthy_deadline;
  const waits: PhaseWaits = {
    allocId: p.allocId,
    handles,
    transport,
    ctx,
    deadline: runsToCompletion(plannedJob(steps).type)
      ? Infinity
      : ctx.clock.now() + healthyDeadline,
    deadlineName: `healthy_deadline (${formatMs(healthyDeadline)})`,
  };
  // Nomad's task lifecycle: prestart (ephemeral tasks exit 0, sidecars run), main, poststart.
  const inOrder = [
    () => startAll(phases.prestart),
    () => awaitPrestart(phases.prestart, waits, say),
    () => startAll(phases.main, phases.prestart.length ? 'starting main tasks' : undefined),
    () => (phases.poststart.length ? awaitMainStarted(phases.main, waits) : undefined),
    () => startAll(phases.poststart, 'starting poststart tasks'),
  ];
  let why: string | undefined;
  for (const phase of inOrder) {
    why = await phase();
    if (why !== undefined) break;
  }
  if (why !== undefined) {
    const failed = await fail(why);
    // Nomad kills what runs when a task fails to start; ended tasks stay, with their logs.
    const alloc = ctx.recorder.state.allocations[p.allocId];
    if (alloc) await windDown(alloc, node, transport, ctx, { keepEnded: true, poststop: false });
    return failed;
  }
  // Deferred like the task handles it follows, unless nothing else is written for it.
  const running = (s: StateSnapshot) => updateAlloc(s, p.allocId, { client_status: 'running' });
  if (group.task.length) ctx.recorder.defer(running);
  else await ctx.recorder.record(running);
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

/** What a task's start needs of the job: its id, version and spec. */
export type JobRef = Pick<JobSteps, 'jobId' | 'version' | 'job' | 'launch'>;

/** Starts one task and records its handle (deferred); the handle, or why it did not start. */
async function startTask(
  p: PlacementStep,
  group: Group,
  task: Task,
  job: JobRef,
  node: NodeSpec,
  transport: Transport,
  ctx: ApplyContext,
): Promise<DriverHandle | string> {
  const driver = ctx.driver(task.driver);
  if (!driver) return `${taskLabel(task)}: driver "${task.driver}" is not available`;
  let handle: DriverHandle;
  let hashes: Record<string, string> = {};
  try {
    const tctx = taskContext(p, group, task, job, node, transport, driver, {
      state: ctx.recorder.state,
      facts: (n) => ctx.facts(n),
      ...(ctx.imageNote ? { imageNote: ctx.imageNote } : {}),
    });
    await writeDispatchPayload(tctx, job.launch);
    await fetchArtifacts(tctx);
    // After the artifacts (a template's source may be one), before the task starts.
    const rendered = await renderTaskTemplates(
      tctx,
      ctx.templateReaders?.(ctx.recorder.state) ?? {},
    );
    await writeTemplates(tctx, rendered);
    hashes = templateHashes(rendered);
    handle = await driver.start({ ...tctx, env: { ...tctx.env, ...templateEnv(rendered) } });
  } catch (err) {
    return `${taskLabel(task)}: ${(err as Error).message}`;
  }
  const started: TaskState = {
    state: 'running',
    failed: false,
    restarts: 0,
    started_at: new Date(ctx.clock.now()).toISOString(),
  };
  // Deferred: should drover stop before it is written, the next plan finds the task by its
  // labels (recovery).
  ctx.recorder.defer((s) =>
    updateAlloc(s, p.allocId, (a) => ({
      driver_handles: { ...a.driver_handles, [task.name]: handle },
      task_states: { ...a.task_states, [task.name]: started },
      ...withTemplateHashes(a, task.name, hashes),
    })),
  );
  return handle;
}

/** The allocation's template hashes with one task's replaced (none kept for a task without templates). */
export function withTemplateHashes(
  a: Allocation,
  task: string,
  hashes: Record<string, string>,
): Pick<Allocation, 'template_hashes'> {
  const rest = Object.fromEntries(
    Object.entries(a.template_hashes ?? {}).filter(([name]) => name !== task),
  );
  const all = Object.keys(hashes).length ? { ...rest, [task]: hashes } : rest;
  return Object.keys(all).length ? { template_hashes: all } : {};
}

/** What the waits between lifecycle phases work with. */
interface PhaseWaits {
  allocId: string;
  handles: ReadonlyMap<string, DriverHandle>;
  transport: Transport;
  ctx: ApplyContext;
  /** When waiting gives up (epoch ms; Infinity: never), and what that moment is called. */
  deadline: number;
  deadlineName: string;
}

/**
 * Waits until every ephemeral prestart task exited 0 (after its restarts) and every prestart
 * sidecar runs; records each completed task's end. Why not, if not.
 */
async function awaitPrestart(
  prestart: readonly Task[],
  w: PhaseWaits,
  say: (status: string, detail: string) => void,
): Promise<string | undefined> {
  if (prestart.length === 0) return undefined;
  const announced = new Set<string>();
  return pollTasks(prestart, w, (statuses) => {
    const progress = prestartProgress(prestart, statuses);
    for (const name of progress.completed) {
      if (announced.has(name)) continue;
      announced.add(name);
      recordTaskEnd(w.allocId, name, statuses.get(name)!, w.ctx);
      say('starting', `prestart task "${name}" completed`);
    }
    if (progress.state === 'failed') {
      recordTaskEnd(w.allocId, progress.task, progress.status, w.ctx);
      const task = prestart.find((t) => t.name === progress.task)!;
      return deathMessage(progress.task, progress.status, taskLabel(task));
    }
    return progress.state === 'done' ? null : undefined;
  });
}

/** Waits until every main task has started (poststart tasks start then); why not, if not. */
async function awaitMainStarted(main: readonly Task[], w: PhaseWaits): Promise<string | undefined> {
  return pollTasks(main, w, (statuses) => {
    for (const t of main) {
      const st = statuses.get(t.name)!;
      if (
        st.state === 'missing' ||
        (st.state === 'dead' && (st.failed || (st.exitCode ?? 0) !== 0))
      )
        return deathMessage(t.name, st);
    }
    return main.every((t) => statuses.get(t.name)!.state !== 'pending') ? null : undefined;
  });
}

/**
 * Polls the tasks' statuses until `decide` returns null (go on) or a reason (stop), or the
 * deadline passes. Resolves with the reason, undefined to go on.
 */
async function pollTasks(
  tasks: readonly Task[],
  w: PhaseWaits,
  decide: (statuses: ReadonlyMap<string, TaskStatus>) => string | null | undefined,
): Promise<string | undefined> {
  for (;;) {
    const statuses = new Map<string, TaskStatus>();
    for (const t of tasks) statuses.set(t.name, await inspectHandle(w.handles.get(t.name), w));
    const verdict = decide(statuses);
    if (verdict !== undefined) return verdict ?? undefined;
    if (w.ctx.clock.now() >= w.deadline) {
      const waiting = tasks.find((t) => statuses.get(t.name)!.state !== 'dead') ?? tasks[0]!;
      return `${taskLabel(waiting)} was still ${statuses.get(waiting.name)!.state} at ${w.deadlineName}`;
    }
    await w.ctx.clock.sleep(w.ctx.pollMs ?? 250);
  }
}

/** A task's status by its handle; a driver that cannot tell reports it gone, saying why. */
async function inspectHandle(
  handle: DriverHandle | undefined,
  w: Pick<PhaseWaits, 'transport' | 'ctx'>,
): Promise<TaskStatus> {
  const driver = handle && w.ctx.driver(handle.driver);
  if (!handle || !driver) return { state: 'missing', failed: true, restarts: 0 };
  try {
    return await driver.inspect(handle, w.transport);
  } catch (err) {
    return { state: 'missing', failed: true, restarts: 0, message: (err as Error).message };
  }
}

/** Records how a task ended (a hook's completion: `status` and `logs` show it). */
function recordTaskEnd(allocId: string, task: string, st: TaskStatus, ctx: ApplyContext): void {
  const ended = taskStateOf(st, 'dead');
  ctx.recorder.defer((s) =>
    updateAlloc(s, allocId, (a) => ({
      task_states: {
        ...a.task_states,
        [task]: { ...ended, started_at: a.task_states[task]?.started_at ?? ended.started_at },
      },
    })),
  );
}

/** How long a stop waits for poststop tasks before it stops them (Nomad itself waits on). */
export const POSTSTOP_LIMIT_MS = 5 * 60_000;

/**
 * Ends an allocation's tasks in Nomad's order (`alloc_runner.go`): the leader, then the other
 * tasks, then the sidecars; then, once, its poststop tasks run (when its main tasks had
 * started) and are waited for, at most POSTSTOP_LIMIT_MS. `keepEnded` leaves tasks that already
 * ended alone, so their logs stay readable (a completed batch allocation). Returns the host
 * errors met, and why a poststop task failed, if one did.
 */
async function windDown(
  alloc: Allocation,
  node: NodeSpec,
  transport: Transport,
  ctx: ApplyContext,
  opts: { keepEnded: boolean; poststop: boolean },
): Promise<{ problems: string[]; poststopFailure?: string }> {
  const problems: string[] = [];
  const spec = recordedGroup(ctx.recorder.state, alloc);
  const tasks = new Map(spec.tasks.map((t) => [t.name, t]));
  let handles = alloc.driver_handles;
  try {
    // A task whose start was never recorded is stopped too.
    handles = (await allocHandles(ctx.recorder.state, alloc, node, transport, (n) => ctx.driver(n)))
      .handles;
  } catch (err) {
    problems.push(`looking for unrecorded tasks: ${(err as Error).message}`);
  }
  const w = { transport, ctx };
  const stopTask = async (name: string): Promise<void> => {
    const handle = handles[name]!;
    const task = tasks.get(name);
    if (opts.keepEnded && (await inspectHandle(handle, w)).state === 'dead') return;
    try {
      await ctx.driver(handle.driver)?.stop(handle, transport, {
        killTimeoutMs: (task ?? defaultTask()).kill_timeout,
        ...(task?.kill_signal ? { signal: task.kill_signal } : {}),
      });
    } catch (err) {
      problems.push(`task "${name}": ${(err as Error).message}`);
    }
  };
  const started = Object.keys(handles).map((name) => tasks.get(name) ?? { name });
  for (const wave of stopOrder(started)) await Promise.all(wave.map((t) => stopTask(t.name)));

  const phases = phasesOf(spec.tasks);
  const due = phases.poststop.filter((t) => !handles[t.name]);
  const mainRan = phases.main.every((t) => handles[t.name]);
  let poststopFailure: string | undefined;
  if (opts.poststop && spec.job && spec.group && due.length && mainRan && problems.length === 0)
    poststopFailure = await runPoststop(alloc, due, spec.job, spec.group, node, transport, ctx);
  // Poststop tasks that ran go last, as everything else did.
  const ran = phases.poststop.filter((t) => handles[t.name] || due.includes(t));
  handles = ctx.recorder.state.allocations[alloc.id]?.driver_handles ?? handles;
  await Promise.all(ran.filter((t) => handles[t.name]).map((t) => stopTask(t.name)));
  return { problems, ...(poststopFailure ? { poststopFailure } : {}) };
}

/** Runs an allocation's poststop tasks and waits for them to end; why one failed, if one did. */
async function runPoststop(
  alloc: Allocation,
  poststop: readonly Task[],
  job: Job,
  group: Group,
  node: NodeSpec,
  transport: Transport,
  ctx: ApplyContext,
): Promise<string | undefined> {
  const say = (detail: string) =>
    ctx.progress({
      kind: 'alloc',
      alloc: alloc.id,
      name: alloc.name,
      node: alloc.node,
      status: 'stopping',
      detail,
    });
  say(`running poststop tasks (${poststop.map((t) => `"${t.name}"`).join(', ')})`);
  const ref: JobRef = { jobId: alloc.job, version: alloc.version, job };
  const handles = new Map<string, DriverHandle>();
  const failures: string[] = [];
  for (const task of poststop) {
    const h = await startTask(placementOf(alloc), group, task, ref, node, transport, ctx);
    if (typeof h === 'string') failures.push(h);
    else handles.set(task.name, h);
  }
  const ran = poststop.filter((t) => handles.has(t.name));
  const w: PhaseWaits = {
    allocId: alloc.id,
    handles,
    transport,
    ctx,
    deadline: ctx.clock.now() + POSTSTOP_LIMIT_MS,
    deadlineName: `drover's poststop limit (${formatMs(POSTSTOP_LIMIT_MS)})`,
  };
  await pollTasks(ran, w, (statuses) =>
    ran.every((t) => ['dead', 'missing'].includes(statuses.get(t.name)!.state)) ? null : undefined,
  );
  for (const t of ran) {
    const st = await inspectHandle(handles.get(t.name), w);
    if (st.state !== 'dead' && st.state !== 'missing') {
      failures.push(`${taskLabel(t)} did not end within ${formatMs(POSTSTOP_LIMIT_MS)}`);
      continue;
    }
    recordTaskEnd(alloc.id, t.name, st, ctx);
    if (st.failed || st.state === 'missing' || (st.exitCode ?? 0) !== 0)
      failures.push(deathMessage(t.name, st, taskLabel(t)));
    else say(`poststop task "${t.name}" completed`);
  }
  return failures.length ? failures.join('; ') : undefined;
}

/** A recorded allocation as the step that started it. */
export function placementOf(a: Allocation): PlacementStep {
  return {
    allocId: a.id,
    name: a.name,
    index: a.index,
    node: a.node,
    ports: a.ports,
    canary: Boolean(a.canary),
  };
}

/** What a task's context is built from besides the task: the state and the node's facts. */
export interface TaskContextSource {
  state: StateSnapshot;
  facts(node: NodeSpec): NodeFacts;
  /** What a pull failure adds about where else the image was looked for (apply only). */
  imageNote?: ApplyContext['imageNote'];
}

/** Everything a driver needs to start one task of one allocation (pure; plan time uses it too). */
export function taskContext(
  p: PlacementStep,
  group: Group,
  task: Task,
  steps: JobRef,
  node: NodeSpec,
  transport: Transport,
  driver: Driver,
  ctx: TaskContextSource,
): TaskContext {
  const allocDir = allocDirOf(ctx.state, node, p.allocId);
  const inContainer = driver.capabilities().needsDocker;
  const dirs: TaskDirs = inContainer
    ? { allocDir: '/alloc', taskDir: '/local', secretsDir: '/secrets' }
    : {
        allocDir: `${allocDir}/alloc`,
        taskDir: `${allocDir}/${task.name}/local`,
        secretsDir: `${allocDir}/${task.name}/secrets`,
      };
  const facts = ctx.facts(node);
  const job = plannedJob(steps);
  const identity = { namespace: job.namespace || DEFAULT_NAMESPACE, id: job.id };
  const env = taskEnv({
    job,
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
  const restart = group.restart;
  const config = interpolateDeep(task.config ?? {}, { env, node: facts });
  const image = driver.taskImage?.(config)?.image;
  const imageNote = image !== undefined ? ctx.imageNote?.(node.name, image) : undefined;
  return {
    allocId: p.allocId,
    name: taskInstanceName(hostJobName(identity), group.name, task.name, p.allocId),
    jobId: identity.id,
    jobVersion: steps.version,
    group: group.name,
    task: {
      ...task,
      config,
      // Nomad's artifact hook interpolates source, destination, options and headers.
      ...(task.artifact ? { artifact: interpolateDeep(task.artifact, { env, node: facts }) } : {}),
    },
    allocIndex: p.index,
    node,
    transport,
    ports: p.ports,
    env,
    allocDir,
    volumeMounts: hostVolumeMounts(group, task, node),
    ...(imageNote ? { imageNote } : {}),
    labels: {
      'drover.job': identity.id,
      'drover.namespace': identity.namespace,
      'drover.group': group.name,
      'drover.task': task.name,
      'drover.alloc': p.allocId,
      'drover.version': String(steps.version),
      'drover.node': node.name,
    },
    restart: {
      attempts: restart.attempts,
      intervalMs: restart.interval,
      delayMs: restart.delay,
      mode: restart.mode === 'delay' ? 'delay' : 'fail',
    },
  };
}

/**
 * The allocation's recorded tasks as their drivers see them now, one at a time (callers stop
 * at the first that decides); undefined when the allocation or its node is gone. A driver that
 * cannot tell throws, naming the task.
 */
function inspectTasks(
  allocId: string,
  ctx: ApplyContext,
): AsyncGenerator<[string, TaskStatus]> | undefined {
  const alloc = ctx.recorder.state.allocations[allocId];
  const node = alloc && ctx.nodes.get(alloc.node);
  if (!alloc || !node) return undefined;
  const transport = ctx.transport(node);
  return (async function* () {
    for (const [task, handle] of Object.entries(alloc.driver_handles)) {
      const driver = ctx.driver(handle.driver);
      try {
        yield [
          task,
          driver
            ? await driver.inspect(handle, transport)
            : { state: 'missing', failed: true, restarts: 0 },
        ];
      } catch (err) {
        throw new Error(`task "${task}": ${(err as Error).message}`, { cause: err });
      }
    }
  })();
}

/** The states of the allocation's tasks that have ended, as their drivers report them. */
async function endedTaskStates(
  allocId: string,
  ctx: ApplyContext,
): Promise<Record<string, TaskState>> {
  const out: Record<string, TaskState> = {};
  const tasks = inspectTasks(allocId, ctx);
  try {
    for await (const [task, st] of tasks ?? [])
      if (st.state === 'dead') out[task] = taskStateOf(st, 'dead');
  } catch {
    // A host that does not answer now leaves the task states as they were.
  }
  return out;
}

/**
 * What the allocation's tasks, as their drivers see them now, say about it (Nomad's rules for
 * hooks: see `judgeAlloc`); a message when its tasks cannot be looked at.
 */
async function allocVerdict(
  allocId: string,
  ctx: ApplyContext,
  batch: boolean,
): Promise<AllocVerdict | { state: 'gone'; message: string }> {
  const tasks = inspectTasks(allocId, ctx);
  const alloc = ctx.recorder.state.allocations[allocId];
  if (!tasks || !alloc) return { state: 'gone', message: 'allocation is gone' };
  const statuses = new Map<string, TaskStatus>();
  try {
    for await (const [task, st] of tasks) statuses.set(task, st);
  } catch (err) {
    return { state: 'gone', message: (err as Error).message };
  }
  return judgeAlloc(recordedGroup(ctx.recorder.state, alloc).tasks, statuses, { batch });
}

/** Whether the allocation runs: every main task and sidecar running, ephemeral hooks done. */
async function allocStatus(
  allocId: string,
  ctx: ApplyContext,
): Promise<{ running: boolean; dead: boolean; message?: string }> {
  const v = await allocVerdict(allocId, ctx, false);
  switch (v.state) {
    case 'gone':
      return { running: false, dead: true, message: v.message };
    case 'failed':
      return { running: false, dead: true, message: deathMessage(v.task, v.status) };
    case 'complete':
      // A task that must keep running ended.
      return {
        running: false,
        dead: true,
        ...(v.task && v.status ? { message: deathMessage(v.task, v.status) } : {}),
      };
    default:
      return { running: v.state === 'running', dead: false };
  }
}

/**
 * Whether a batch allocation has run to its end: `running` while a task that is not a sidecar
 * has not ended, `complete` when they all exited 0, else why it failed.
 */
async function allocCompletion(allocId: string, ctx: ApplyContext): Promise<string> {
  const v = await allocVerdict(allocId, ctx, true);
  switch (v.state) {
    case 'gone':
      return v.message;
    case 'failed':
      return deathMessage(v.task, v.status);
    case 'complete':
      return 'complete';
    default:
      return 'running';
  }
}

/** Why an allocation did not start, as recorded in its last event. */
function startFailure(ctx: ApplyContext, allocId: string): string {
  const events = ctx.recorder.state.events;
  for (let i = events.length - 1; i >= 0; i--)
    if (events[i]!.alloc === allocId && events[i]!.what === 'alloc.failed')
      return events[i]!.detail;
  return 'did not start';
}

function deathMessage(task: string, st: TaskStatus, label = `task "${task}"`): string {
  const what =
    st.state === 'missing'
      ? 'is gone'
      : `exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}`;
  // Drivers often say the same thing; say it once.
  const extra =
    st.message && !st.message.includes(what.replace(/^exited /, '')) ? `: ${st.message}` : '';
  return `${label} ${what}${extra}`;
}

/**
 * Stops every task of an allocation and records it stopped; with `removeDir` (a purge) also
 * removes its directory from the host. Host errors are recorded, not thrown.
 */
export async function stopAlloc(
  allocId: string,
  reason: string,
  ctx: ApplyContext,
  opts: { removeDir?: boolean } = {},
): Promise<void> {
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
  let poststopFailure: string | undefined;
  if (node) {
    const ended = await windDown(alloc, node, ctx.transport(node), ctx, {
      keepEnded: false,
      poststop: alloc.client_status !== 'lost',
    });
    problems.push(...ended.problems);
    poststopFailure = ended.poststopFailure;
    const transport = ctx.transport(node);
    if (opts.removeDir && problems.length === 0) {
      await removeAllocDirs(transport, [allocDirOf(ctx.recorder.state, node, allocId)]).catch(
        (err: Error) => problems.push(err.message),
      );
    }
  }
  // A stop that did not reach its host leaves the allocation meant to stop but still running
  // there (`stopPending`): the next apply retries it, the plan says so meanwhile.
  const unfinished = node !== undefined && problems.length > 0;
  const terminal: ClientStatus = unfinished
    ? alloc.client_status === 'failed'
      ? 'failed'
      : 'running'
    : alloc.client_status === 'lost' || alloc.client_status === 'failed'
      ? alloc.client_status
      : 'complete';
  await ctx.recorder.record(
    (s) =>
      replaceAlloc(s, allocId, ({ stop_pending: _, ...a }) => ({
        ...a,
        desired_status: 'stop',
        client_status: terminal,
        ...(unfinished ? { stop_pending: true } : {}),
        modified_at: new Date(ctx.clock.now()).toISOString(),
      })),
    {
      what: unfinished ? 'alloc.stop-failed' : 'alloc.stop',
      alloc: allocId,
      job: alloc.job,
      detail:
        reason +
        (problems.length ? ` (${problems.join('; ')})` : '') +
        (poststopFailure ? `; ${poststopFailure}` : '') +
        (unfinished ? '; the next apply stops it again' : ''),
    },
  );
  ctx.progress({
    kind: 'alloc',
    alloc: allocId,
    name: alloc.name,
    node: alloc.node,
    status: unfinished ? 'stop-failed' : 'stopped',
    ...(unfinished ? { detail: problems.join('; ') } : {}),
  });
}

/** Stops again the allocations an earlier stop did not reach, as the plan lists them. */
export async function retryStops(ctx: ApplyContext, stops: readonly PlannedStop[]): Promise<void> {
  const tagged = inStep(ctx, { part: 'retry_stops' });
  for (const s of stops) {
    // Left behind by a purge: once its host confirms the stop, it goes the way of its job.
    const job = ctx.recorder.state.allocations[s.alloc_id]?.job;
    const purged = job !== undefined && !(job in ctx.recorder.state.jobs);
    await stopAlloc(s.alloc_id, s.reason, tagged, { removeDir: purged });
    if (purged) await ctx.recorder.record((x) => forgetStopped(x, s.alloc_id));
  }
}

function forgetStopped(s: StateSnapshot, id: string): StateSnapshot {
  const a = s.allocations[id];
  if (!a || stopPending(a)) return s;
  const allocations = { ...s.allocations };
  delete allocations[id];
  return { ...s, allocations };
}

/** The group a plan starts allocations of (a plan starts none of a group its job lacks). */
function plannedGroup(g: GroupSteps): Group {
  if (!g.group)
    throw new Error(`plan: group "${g.name}" starts allocations but the job has no such group`);
  return g.group;
}

/** The job a plan starts allocations of (a stopped job starts none). */
function plannedJob(steps: Pick<JobSteps, 'jobId' | 'job'>): Job {
  if (!steps.job) throw new Error(`plan: job "${steps.jobId}" starts allocations but is stopped`);
  return steps.job;
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

/** Like updateAlloc, but the allocation is rebuilt whole, so a field can also be dropped. */
function replaceAlloc(
  s: StateSnapshot,
  id: string,
  rebuild: (a: Allocation) => Allocation,
): StateSnapshot {
  const a = s.allocations[id];
  return a ? { ...s, allocations: { ...s.allocations, [id]: rebuild(a) } } : s;
}

function recordVersion(
  s: StateSnapshot,
  { jobId, version, launch }: JobSteps,
  nv: NonNullable<JobSteps['newVersion']>,
  at: string,
  actor: string,
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
      ...encodeStoredJob(nv.job),
      ...(nv.sensitive?.length ? { sensitive: nv.sensitive } : {}),
      stable: false,
      status: 'pending' as const,
      ...(launch ? { launch } : {}),
      ...(nv.origin ? { origin: nv.origin } : {}),
      actor,
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
    // An allocation whose host did not confirm its stop stays until a retried stop reaches it.
    const allocations = Object.fromEntries(
      Object.entries(s.allocations).filter(([, a]) => a.job !== jobId || stopPending(a)),
    );
    return { ...s, jobs, allocations };
  }
  const versions = j.versions.map((v, i) =>
    i === j.versions.length - 1 ? { ...v, status: 'dead' as const } : v,
  );
  return { ...s, jobs: { ...s.jobs, [jobId]: { ...j, versions, stopped: true } } };
}

export type { Job };

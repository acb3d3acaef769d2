/**
 * The one executor: runs an approved plan's steps under the lock the caller holds and records
 * each as it happens. It decides nothing the plan does not say: state changes first, then the
 * stops an earlier apply could not finish, then each job's stops, in-place updates and rollout.
 * A failed deployment of a job with `auto_revert` is followed by a revert, itself planned.
 */
import { collectAllocs } from '../deploy/collect.js';
import { randomUUID } from 'node:crypto';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import { defaultUpdateStrategy } from '../jobspec/normalize.js';
import type { Plan } from '../generated/plan.js';
import type { NodeSpec } from '../../providers/types.js';
import {
  applyJob,
  inStep,
  retryStops,
  type ApplyContext,
  type HealthProbe,
  type JobOutcome,
  type ProgressEvent,
} from '../deploy/apply.js';
import { CheckWatcher, checksOf } from '../deploy/checks.js';
import { planToSteps } from '../deploy/from-plan.js';
import { hookOf, isSidecar, runsToCompletion, taskLabel } from '../deploy/lifecycle.js';
import type { JobSteps } from '../deploy/steps.js';
import { StateRecorder } from '../deploy/recorder.js';
import type { StateSnapshot } from '../state/types.js';
import { applyChange } from './builders.js';
import type { EngineContext } from './context.js';
import { applyTemplateChanges } from '../deploy/template-changes.js';
import { nodeFacts, recordObserved, type Observed } from './observe.js';
import { makePlan, recordedDesired } from './plan.js';
import { copyPlannedImages, pullNotes } from './images.js';
import { ApplyGate, notStarted, refuseDetached } from './apply-gate.js';
import { revertApply, type AtomicResult } from './atomic.js';
import { recordedReadiness } from '../plan/order.js';

export interface JobResult {
  job: string;
  outcome: JobOutcome;
  /** When the deployment failed and the job has auto_revert: the rollout back to a stable version. */
  revert?: { toVersion: number; outcome: JobOutcome } | { toVersion: undefined; why: string };
  /** Why the job was not started at all (a pre-job hook failed): it was left as it was. */
  notStarted?: string;
}

/** drover.hcl's per-job hooks (see ops/hooks), around each job's rollout. */
export interface JobHooks {
  /** Before the job changes: why it must not (a pre-job hook failed), or undefined. */
  before(job: string): Promise<string | undefined>;
  /** After its rollout (and revert) ended. */
  after(result: JobResult): Promise<void>;
}

export interface ApplyResult {
  outcomes: JobResult[];
  /** The state after the apply. */
  state: StateSnapshot;
  /** An atomic apply in which a deployment failed: what was put back as it was. */
  atomic?: AtomicResult;
}

export interface ExecuteOptions {
  /** Return once the first allocations of each rollout started. */
  detach?: boolean;
  /** Per-job hooks; a job whose pre-job hook fails counts as failed, as a failed deployment. */
  jobHooks?: JobHooks;
  /** When a deployment fails, start no later job and put back every job the apply changed. */
  atomic?: boolean;
  /** Who acts, as events and job versions record it (default: this process's actor). */
  actor?: string;
}

export async function executePlan(
  ctx: EngineContext,
  plan: Plan,
  observed: Observed,
  progress: (ev: ProgressEvent) => void,
  opts: ExecuteOptions = {},
): Promise<ApplyResult> {
  const steps = planToSteps(plan, ctx.nodes);
  if (opts.detach) {
    refuseUnfinishableDetach(steps);
    refuseDetached(plan, !!opts.atomic);
  }
  const recorder = new StateRecorder(ctx.store, observed.stored, undefined, opts.actor);
  await recordObserved(recorder, observed);
  const apply: ApplyContext = {
    recorder,
    driver: (n: string) => ctx.drivers.get(n),
    transport: (n: NodeSpec) => ctx.transport(n),
    nodes: ctx.nodes,
    facts: (n: NodeSpec) => nodeFacts(recorder.state, ctx.nodes.get(n.name)!),
    clock: ctx.clock,
    progress,
    newId: randomUUID,
    health: (allocId: string, group: Group, job: Job) =>
      ctx.health
        ? ctx.health(allocId, group, job, () => recorder.state)
        : checkProbe(ctx, apply, allocId, group, job),
    ...(ctx.templateReaders ? { templateReaders: ctx.templateReaders } : {}),
    ...(opts.detach ? { detach: true } : {}),
    imageNote: pullNotes(plan),
  };
  const outcomes: JobResult[] = [];
  const copied = new Map<string, Promise<void>>();
  const gate = new ApplyGate(plan.order, !!opts.atomic, (id) =>
    recordedReadiness(recorder.state)(id),
  );
  let atomic: AtomicResult | undefined;
  try {
    await recordChanges(apply, plan);
    await retryStops(apply, plan.retry_stops);
    for (const job of steps) {
      const blocked = gate.blocked(job.jobId);
      if (blocked) {
        progress({
          kind: 'job',
          job: job.jobId,
          status: 'not started',
          detail: blocked,
          step: { part: 'job', job: job.jobId },
        });
        outcomes.push({ job: job.jobId, outcome: notStarted(blocked) });
        continue;
      }
      const refused = await opts.jobHooks?.before(job.jobId);
      if (refused) {
        const result = refusedByHook(job.jobId, refused);
        outcomes.push(result);
        gate.finished(job.jobId, result.outcome);
        continue;
      }
      await copyPlannedImages(ctx, plan, job.jobId, progress, copied);
      const outcome = await applyJob(job, apply);
      await collectAllocs(job, apply);
      const result: JobResult = { job: job.jobId, outcome };
      if (outcome.result === 'failed' && autoReverts(job.job))
        result.revert = await revert(ctx, job.jobId, job.version, apply, outcome.description);
      outcomes.push(result);
      gate.finished(job.jobId, outcome);
      await opts.jobHooks?.after(result);
    }
    if (gate.stoppedBy) {
      // A job its pre-job hook refused changed nothing either.
      const started = outcomes.filter((r) => r.outcome.result !== 'not-started' && !r.notStarted);
      atomic = await revertApply(
        ctx,
        observed.stored,
        started.map((r) => r.job),
        gate.stoppedBy,
        apply,
      );
    }
    // Template changes of kept allocations are changes too: an atomic apply that failed makes none.
    for (const j of gate.stoppedBy ? [] : plan.jobs) {
      if (!j.templates?.length) continue;
      const failures = await applyTemplateChanges(j.id, j.templates, apply);
      // Not a deployment, but a task left failed: apply exits 4, as for a failed deployment.
      if (failures.length)
        outcomes.push({
          job: j.id,
          outcome: {
            ok: false,
            result: 'failed',
            description: `${failures.length} template change${failures.length === 1 ? '' : 's'} failed`,
            failures,
          },
        });
    }
  } catch (err) {
    // What was recorded so far is written while the lock is still held; the error is the news.
    await recorder.flush().catch(() => undefined);
    throw err;
  }
  await recorder.flush();
  return { outcomes, state: recorder.state, ...(atomic ? { atomic } : {}) };
}

/**
 * The exit code of an apply (see DESIGN.md "Exit codes"): 3 when a failed deployment was
 * reverted, 4 when something failed and was not, 5 when canaries wait for promotion.
 */
export function exitCodeOf(result: ApplyResult): number {
  // All or nothing: 3 when everything was put back, 4 when something could not be.
  if (result.atomic) return result.atomic.reverted.every((r) => r.outcome.ok) ? 3 : 4;
  let code = 0;
  for (const r of result.outcomes) {
    if (r.outcome.result === 'failed') {
      const reverted = r.revert && 'outcome' in r.revert && r.revert.outcome.ok;
      code = Math.max(code === 5 ? 0 : code, reverted ? 3 : 4);
    } else if (r.outcome.result === 'not-started') code = Math.max(code === 5 ? 0 : code, 4);
    else if (r.outcome.result === 'awaiting-promotion' && code === 0) code = 5;
  }
  return code;
}

/**
 * A detached apply leaves its batch allocations to run on their own, and nothing after it stops
 * their sidecars or runs their poststop tasks once the main tasks complete (that is the
 * long-running server's work, not built yet): refused before anything is done rather than left
 * half-finished without a word.
 */
function refuseUnfinishableDetach(steps: readonly JobSteps[]): void {
  for (const job of steps) {
    if (!runsToCompletion(job.job?.type)) continue;
    for (const g of job.groups) {
      const hooks = (g.group?.task ?? []).filter((t) => isSidecar(t) || hookOf(t) === 'poststop');
      if (hooks.length === 0) continue;
      throw new Error(
        `-detach cannot be used for ${job.job!.type} job "${job.jobId}": group "${g.name}" has ${hooks.map((t) => taskLabel(t)).join(', ')}, which apply stops or runs once the main tasks complete; after a detached apply nothing would (drover server will; not built yet). Run apply without -detach.`,
      );
    }
  }
}

/** Records the plan's state changes (node drain and eligibility, promotions, failures). */
async function recordChanges(apply: ApplyContext, plan: Plan): Promise<void> {
  const at = new Date(apply.clock.now()).toISOString();
  for (const c of plan.changes) {
    await apply.recorder.record((s) => applyChange(s, c, at), {
      what:
        c.kind === 'node'
          ? 'node.update'
          : c.kind === 'promote'
            ? 'deployment.promote'
            : c.kind === 'gc'
              ? 'server.gc'
              : 'deployment.fail',
      ...(c.job ? { job: c.job } : {}),
      detail:
        c.kind === 'node'
          ? `node ${c.node}: ${[c.eligibility, c.drain === undefined ? '' : c.drain ? 'draining' : 'not draining'].filter(Boolean).join(', ')}`
          : c.kind === 'promote'
            ? `deployment ${c.deployment!.slice(0, 8)}: promoted ${(c.groups ?? []).map((g) => `group "${g}"`).join(', ')}`
            : c.kind === 'gc'
              ? (c.description ?? garbageText(c))
              : `deployment ${c.deployment!.slice(0, 8)}: ${c.description ?? 'failed'}`,
    });
    apply.progress({
      kind: 'job',
      job: c.job ?? c.node ?? '',
      status:
        c.kind === 'node'
          ? 'node updated'
          : c.kind === 'promote'
            ? 'promoted'
            : c.kind === 'gc'
              ? 'garbage collected'
              : 'deployment failed',
      step: { part: 'changes' },
    });
  }
}

/** `removed 3 allocations, 1 deployment, 2 jobs` */
export function garbageText(c: Plan['changes'][number]): string {
  const n = (ids: readonly string[] | undefined, one: string) =>
    ids?.length ? `${ids.length} ${one}${ids.length === 1 ? '' : 's'}` : '';
  const parts = [
    n(c.allocations, 'allocation'),
    n(c.deployments, 'deployment'),
    n(c.jobs, 'job'),
  ].filter(Boolean);
  return `removed ${parts.join(', ') || 'nothing'}`;
}

/**
 * With `health_check = "checks"` (the default) and service checks in the group, an allocation is
 * healthy once every check passes; they run from here, through the node's transport.
 */
function checkProbe(
  ctx: EngineContext,
  apply: ApplyContext,
  allocId: string,
  group: Group,
  job: Job,
): HealthProbe | undefined {
  if ((group.update ?? defaultUpdateStrategy()).health_check !== 'checks') return undefined;
  const alloc = apply.recorder.state.allocations[allocId];
  const node = alloc && ctx.nodes.get(alloc.node);
  if (!alloc || !node) return undefined;
  const specs = checksOf(job, group, alloc);
  if (specs.length === 0) return undefined;
  const watcher = new CheckWatcher(specs, {
    job,
    group,
    alloc,
    transport: ctx.transport(node),
    driver: (n) => ctx.drivers.get(n),
  });
  watcher.start();
  return {
    poll: () => watcher.health().status,
    detail: () => watcher.health().detail,
    stop: () => watcher.stop(),
  };
}

/** A job its pre-job hook refused: nothing of it changed, and it counts as failed. */
function refusedByHook(job: string, why: string): JobResult {
  return {
    job,
    outcome: { ok: false, result: 'failed', description: why, failures: [] },
    notStarted: why,
  };
}

function autoReverts(job: Job | undefined): boolean {
  return (job?.group ?? []).some((g) => g.update?.auto_revert === true);
}

/** Rolls the latest stable version other than `failed` out again, as a new version: planned, then run. */
async function revert(
  ctx: EngineContext,
  jobId: string,
  failed: number,
  apply: ApplyContext,
  reason: string | undefined,
): Promise<JobResult['revert']> {
  const state = apply.recorder.state;
  const stable = [...(state.jobs[jobId]?.versions ?? [])]
    .reverse()
    .find((v) => v.stable && v.version !== failed);
  if (!stable) return { toVersion: undefined, why: 'no earlier version of the job is stable' };
  const tagged = inStep(apply, { part: 'revert', job: jobId });
  tagged.progress({
    kind: 'job',
    job: jobId,
    status: 'reverting',
    detail: `rolling back to job version ${stable.version}`,
  });
  const observed: Observed = { stored: state, state, drift: [], down: [] };
  const plan = makePlan(ctx, observed, [
    {
      ...recordedDesired(state, jobId, stable.version),
      skipCanary: true,
      origin: {
        kind: 'auto-revert',
        source_version: stable.version,
        reverted_from: failed,
        ...(reason ? { reason } : {}),
      },
    },
  ]);
  const [steps] = planToSteps(plan, ctx.nodes);
  if (!steps) return { toVersion: undefined, why: 'nothing to roll back' };
  return { toVersion: stable.version, outcome: await applyJob(steps, tagged) };
}

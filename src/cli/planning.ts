/**
 * The steps shared by plan, apply, stop, scale and rollback: read state, fingerprint nodes,
 * refresh allocations, compute the plan; and the apply that follows.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Plan, PlanWarning } from '../generated/plan.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { retryableStops, stopPending } from '../deploy/alloc-tasks.js';
import {
  applyJob,
  retryPendingStops,
  systemClock,
  type HealthProbe,
  type JobOutcome,
  type ProgressEvent,
} from '../deploy/apply.js';
import { CheckWatcher, checksOf } from '../deploy/checks.js';
import { planToSteps } from '../deploy/from-plan.js';
import { StateRecorder } from '../deploy/recorder.js';
import { refreshState, type Drift } from '../deploy/refresh.js';
import { classifyWith, computePlan, type DesiredJob } from '../plan/compute.js';
import type { StateSnapshot } from '../state/types.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { NodeSpec } from '../../providers/types.js';
import { droverVersion, nodeFacts, pinHostKeys, syncNodes, type Session } from './session.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import { defaultUpdateStrategy } from '../jobspec/normalize.js';

export interface Observed {
  /** The state as stored (its serial is what a plan is checked against). */
  stored: StateSnapshot;
  /** The state with nodes fingerprinted and allocations refreshed, in memory. */
  state: StateSnapshot;
  drift: Drift[];
  down: { node: string; reason: string }[];
}

/**
 * Reads state and looks at the hosts (unless `refresh` is false). Host keys met for the first
 * time are pinned in state right away, before a plan takes the serial it is computed against
 * (`locked`: the caller holds the state lock; else they are pinned only if it is free).
 */
export async function observe(
  session: Session,
  refresh: boolean,
  opts: { locked?: boolean } = {},
): Promise<Observed> {
  let stored = await session.store.read();
  if (!refresh) return { stored, state: stored, drift: [], down: [] };
  const synced = await syncNodes(stored, session);
  const pinned = await pinHostKeys(session, { ...opts, nodes: synced.state.nodes });
  // Only the pins were written on top of what was read: the plan is against the new serial.
  if (pinned && pinned.serial === stored.serial + 1) stored = pinned;
  const refreshed = await refreshState(synced.state, {
    driver: (n) => session.drivers.get(n),
    transport: (n) => session.transport(n),
    nodes: session.nodes,
  });
  return { stored, state: refreshed.state, drift: refreshed.drift, down: synced.down };
}

export function makePlan(
  session: Session,
  observed: Observed,
  desired: readonly DesiredJob[],
  warnings: readonly Diagnostic[] = [],
): Plan {
  return computePlan({
    desired,
    state: { ...observed.state, lineage: observed.stored.lineage, serial: observed.stored.serial },
    down: observed.down.map((d) => d.node),
    classify: classifyWith((name) => session.drivers.get(name)),
    algorithm: session.config.scheduler,
    seed: randomInt(2 ** 31),
    newId: randomUUID,
    now: new Date(),
    droverVersion: droverVersion(),
    warnings: [
      ...observed.down.map((d) => ({
        summary: `node "${d.node}" did not answer`,
        detail: `${d.reason}. Its allocations are treated as lost and replaced where the job allows.`,
      })),
      ...pendingStopWarnings(observed, (node) => session.nodes.has(node)),
      ...warnings.filter((d) => d.severity === 'warning').map(toPlanWarning),
    ],
  });
}

/** One warning per node holding allocations an earlier stop did not reach. */
export function pendingStopWarnings(
  observed: Observed,
  configured: (node: string) => boolean,
): PlanWarning[] {
  const byNode = new Map<string, string[]>();
  for (const a of Object.values(observed.state.allocations)) {
    if (stopPending(a)) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a.name]);
  }
  const down = new Set(observed.down.map((d) => d.node));
  return [...byNode].map(([node, names]) => ({
    summary: `${names.length} allocation${names.length === 1 ? '' : 's'} on node "${node}" did not stop`,
    detail: `The last stop of ${names.join(', ')} did not reach the host. ${
      !configured(node)
        ? 'The node is no longer in drover.hcl, so apply cannot reach it: add it back for apply to stop them, or stop them on the host by hand.'
        : down.has(node)
          ? 'The host does not answer now either; apply stops them once it does.'
          : 'Apply stops them now.'
    }`,
  }));
}

function toPlanWarning(d: Diagnostic): PlanWarning {
  const where = d.range
    ? `${d.range.filename}:${d.range.start.line}:${d.range.start.column}: `
    : '';
  return { summary: d.summary, detail: `${where}${d.detail ?? ''}`.trim() };
}

/** Whether applying the plan does anything: a job changes, or a stop that failed can be retried. */
export function planHasChanges(plan: Plan, observed?: Observed): boolean {
  if (plan.jobs.some((j) => j.type !== 'none')) return true;
  if (!observed) return false;
  const down = new Set(observed.down.map((d) => d.node));
  return (
    retryableStops(
      observed.state.allocations,
      (node) => node in observed.state.nodes && !down.has(node),
    ).length > 0
  );
}

export interface JobResult {
  job: string;
  outcome: JobOutcome;
  /** When the deployment failed and the job has auto_revert: the rollout back to a stable version. */
  revert?: { toVersion: number; outcome: JobOutcome } | { toVersion: undefined; why: string };
}

export interface ApplyResult {
  outcomes: JobResult[];
  /** The state after the apply. */
  state: StateSnapshot;
}

/**
 * Executes a plan under the lock the caller holds: records what refresh saw, then each job's
 * steps. A failed deployment of a job with `auto_revert` rolls the latest stable version out
 * again as a new version, without a canary phase. `purge` forgets stopped jobs.
 */
export async function executePlan(
  session: Session,
  plan: Plan,
  observed: Observed,
  progress: (ev: ProgressEvent) => void,
  opts: { purge?: boolean; detach?: boolean } = {},
): Promise<ApplyResult> {
  const recorder = new StateRecorder(session.store, observed.stored);
  await recordObserved(recorder, observed);
  const ctx = {
    recorder,
    driver: (n: string) => session.drivers.get(n),
    transport: (n: NodeSpec) => session.transport(n),
    nodes: session.nodes,
    facts: (n: NodeSpec) => nodeFacts(recorder.state, session.nodes.get(n.name)!),
    clock: systemClock,
    progress,
    newId: randomUUID,
    health: (allocId: string, group: Group, job: Job) =>
      checkProbe(session, recorder, allocId, group, job),
    ...(opts.detach ? { detach: true } : {}),
  };
  const outcomes: JobResult[] = [];
  try {
    await retryPendingStops(ctx, new Set(observed.down.map((d) => d.node)));
    for (const steps of planToSteps(plan, recorder.state, session.nodes)) {
      if (steps.stop && opts.purge) steps.stop.purge = true;
      const outcome = await applyJob(steps, ctx);
      const result: JobResult = { job: steps.jobId, outcome };
      if (outcome.result === 'failed' && autoReverts(steps.job))
        result.revert = await revert(session, steps.jobId, steps.version, ctx, progress);
      outcomes.push(result);
    }
  } catch (err) {
    // What was recorded so far is written while the lock is still held; the error is the news.
    await recorder.flush().catch(() => undefined);
    throw err;
  }
  await recorder.flush();
  return { outcomes, state: recorder.state };
}

/**
 * With `health_check = "checks"` (the default) and service checks in the group, an allocation is
 * healthy once every check passes; they run from here, through the node's transport.
 */
function checkProbe(
  session: Session,
  recorder: StateRecorder,
  allocId: string,
  group: Group,
  job: Job,
): HealthProbe | undefined {
  if ((group.update ?? defaultUpdateStrategy()).health_check !== 'checks') return undefined;
  const alloc = recorder.state.allocations[allocId];
  const node = alloc && session.nodes.get(alloc.node);
  if (!alloc || !node) return undefined;
  const specs = checksOf(job, group, alloc);
  if (specs.length === 0) return undefined;
  const watcher = new CheckWatcher(specs, {
    job,
    group,
    alloc,
    transport: session.transport(node),
    driver: (n) => session.drivers.get(n),
  });
  watcher.start();
  return {
    poll: () => watcher.health().status,
    detail: () => watcher.health().detail,
    stop: () => watcher.stop(),
  };
}

function autoReverts(job: Job): boolean {
  return job.group.some((g) => g.update?.auto_revert === true);
}

/** Rolls the latest stable version other than `failed` out again, as a new version. */
async function revert(
  session: Session,
  jobId: string,
  failed: number,
  ctx: Parameters<typeof applyJob>[1],
  progress: (ev: ProgressEvent) => void,
): Promise<JobResult['revert']> {
  const state = ctx.recorder.state;
  const stable = [...(state.jobs[jobId]?.versions ?? [])]
    .reverse()
    .find((v) => v.stable && v.version !== failed);
  if (!stable) return { toVersion: undefined, why: 'no earlier version of the job is stable' };
  progress({
    kind: 'job',
    job: jobId,
    status: 'reverting',
    detail: `rolling back to job version ${stable.version}`,
  });
  const observed: Observed = { stored: state, state, drift: [], down: [] };
  const plan = makePlan(session, observed, [
    {
      kind: 'run',
      id: jobId,
      job: decodeStoredJob(stable),
      submitted: stable.submitted,
      source: stable.source,
      filename: stable.filename,
      skipCanary: true,
    },
  ]);
  const [steps] = planToSteps(plan, state, session.nodes);
  if (!steps) return { toVersion: undefined, why: 'nothing to roll back' };
  return { toVersion: stable.version, outcome: await applyJob(steps, ctx) };
}

/**
 * Records what refresh saw when the plan changes nothing but allocations drifted: an allocation
 * an interrupted apply left pending, whose tasks its drivers found running, is recorded running
 * with their handles. Without drift nothing is written (fingerprints alone are no reason).
 */
export async function recordRefresh(session: Session, observed: Observed): Promise<void> {
  if (observed.drift.length === 0) return;
  const recorder = new StateRecorder(session.store, observed.stored);
  await recordObserved(recorder, observed);
  await recorder.flush();
}

/** Records the refreshed nodes and the allocations that drifted, with a `refresh` event. */
async function recordObserved(recorder: StateRecorder, observed: Observed): Promise<void> {
  if (observed.state === observed.stored) return;
  await recorder.record(
    (s) => ({
      ...s,
      nodes: observed.state.nodes,
      allocations: { ...s.allocations, ...driftedAllocs(observed) },
    }),
    observed.drift.length
      ? {
          what: 'refresh',
          detail: observed.drift
            .map((d) => `${d.name}: ${d.from} → ${d.to} (${d.reason})`)
            .join('; '),
        }
      : undefined,
  );
}

function driftedAllocs(o: Observed): StateSnapshot['allocations'] {
  return Object.fromEntries(o.drift.map((d) => [d.allocId, o.state.allocations[d.allocId]!]));
}

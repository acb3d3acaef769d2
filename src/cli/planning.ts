/**
 * The steps shared by plan, apply, stop, scale and rollback: read state, fingerprint nodes,
 * refresh allocations, compute the plan; and the apply that follows.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Plan, PlanWarning } from '../generated/plan.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { applyJob, systemClock, type JobOutcome, type ProgressEvent } from '../deploy/apply.js';
import { planToSteps } from '../deploy/from-plan.js';
import { StateRecorder } from '../deploy/recorder.js';
import { refreshState, type Drift } from '../deploy/refresh.js';
import { classifyWith, computePlan, type DesiredJob } from '../plan/compute.js';
import type { StateSnapshot } from '../state/types.js';
import { droverVersion, nodeFacts, syncNodes, type Session } from './session.js';

export interface Observed {
  /** The state as stored (its serial is what a plan is checked against). */
  stored: StateSnapshot;
  /** The state with nodes fingerprinted and allocations refreshed, in memory. */
  state: StateSnapshot;
  drift: Drift[];
  down: { node: string; reason: string }[];
}

/** Reads state and looks at the hosts (unless `refresh` is false). */
export async function observe(session: Session, refresh: boolean): Promise<Observed> {
  const stored = await session.store.read();
  if (!refresh) return { stored, state: stored, drift: [], down: [] };
  const synced = await syncNodes(stored, session);
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
    warnings: warnings.filter((d) => d.severity === 'warning').map(toPlanWarning),
  });
}

function toPlanWarning(d: Diagnostic): PlanWarning {
  const where = d.range
    ? `${d.range.filename}:${d.range.start.line}:${d.range.start.column}: `
    : '';
  return { summary: d.summary, detail: `${where}${d.detail ?? ''}`.trim() };
}

export function planHasChanges(plan: Plan): boolean {
  return plan.jobs.some((j) => j.type !== 'none');
}

export interface ApplyResult {
  outcomes: { job: string; outcome: JobOutcome }[];
}

/**
 * Executes a plan under the lock the caller holds: records what refresh saw, then each job's
 * steps. `purge` forgets stopped jobs.
 */
export async function executePlan(
  session: Session,
  plan: Plan,
  observed: Observed,
  progress: (ev: ProgressEvent) => void,
  opts: { purge?: boolean } = {},
): Promise<ApplyResult> {
  const recorder = new StateRecorder(session.store, observed.stored);
  if (observed.state !== observed.stored) {
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
  const outcomes: ApplyResult['outcomes'] = [];
  for (const steps of planToSteps(plan, recorder.state, session.nodes)) {
    if (steps.stop && opts.purge) steps.stop.purge = true;
    const outcome = await applyJob(steps, {
      recorder,
      driver: (n) => session.drivers.get(n),
      transport: (n) => session.transport(n),
      nodes: session.nodes,
      facts: (n) => nodeFacts(recorder.state, session.nodes.get(n.name)!),
      clock: systemClock,
      progress,
    });
    outcomes.push({ job: steps.jobId, outcome });
  }
  await recorder.flush();
  return { outcomes };
}

function driftedAllocs(o: Observed): StateSnapshot['allocations'] {
  return Object.fromEntries(o.drift.map((d) => [d.allocId, o.state.allocations[d.allocId]!]));
}

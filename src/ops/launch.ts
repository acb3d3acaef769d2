/**
 * Launching children of periodic and parameterized jobs now: `drover job periodic force` and
 * `drover job dispatch`. Each builds a plan that records a new batch-style job (its parent
 * recorded, as Nomad's ParentID) and runs it like any other; nothing is written until the plan
 * is approved and executed.
 */
import type { JobLaunch, Plan } from '../generated/plan.js';
import { cloneValue } from '../hcl/value.js';
import {
  childJob,
  dispatchChildId,
  dispatchProblem,
  launchKind,
  periodicChildId,
} from '../jobspec/launch.js';
import { jobKey } from '../state/job-key.js';
import type { StateSnapshot } from '../state/types.js';
import { requireJob } from './builders.js';
import { OperationError, type EngineContext } from './context.js';
import type { Observed } from './observe.js';
import { makePlan, recordedDesired } from './plan.js';

/** The recorded launch of a job's latest version, if it was launched from another job. */
export function launchOf(state: StateSnapshot, id: string): JobLaunch | undefined {
  const versions = state.jobs[id]?.versions ?? [];
  return versions[versions.length - 1]?.launch;
}

/** The ids of the jobs launched from `parent`, oldest first (their ids hold the launch time). */
export function childrenOf(state: StateSnapshot, parent: string): string[] {
  return Object.keys(state.jobs)
    .filter((id) => launchOf(state, id)?.parent === parent)
    .sort();
}

/**
 * `drover job periodic force JOB`: a child `<id>/periodic-<unix seconds>` now. Like Nomad's
 * ForceRun it ignores prohibit_overlap (only scheduled launches skip while a child runs), and
 * like it refuses a job its dispatcher does not track: disabled, stopped or parameterized.
 */
export function planPeriodicForce(ctx: EngineContext, observed: Observed, id: string): Plan {
  const parent = parentOf(observed, id);
  const p = parent.job.periodic;
  if (!p) throw new OperationError(`job "${id}" is not periodic: only periodic jobs can be forced`);
  if (parent.job.parameterized)
    throw new OperationError(
      `job "${id}" is parameterized: \`drover job dispatch\` launches it, and each dispatched child follows the schedule`,
    );
  if (p.enabled === false)
    throw new OperationError(
      `job "${id}" is disabled (periodic { enabled = false }): set enabled = true and apply it to force a launch`,
    );
  const childId = periodicChildId(parent.job.id, new Date(ctx.clock.now()));
  requireUnused(observed, parent, childId);
  return launchPlan(ctx, observed, parent, childId, { parent: id, kind: 'periodic' });
}

export interface DispatchOptions {
  meta: Record<string, string>;
  payload: Uint8Array;
  idempotencyToken?: string;
  /** A fresh uuid: its first 8 hex digits end the child's id. */
  uuid: string;
}

/**
 * `drover job dispatch JOB`: a child `<id>/dispatch-<unix seconds>-<8 hex>` with Nomad's checks.
 * With an idempotency token a child launched with the same one that is still in state is the
 * answer (`existing`) and nothing is planned.
 */
export function planDispatch(
  ctx: EngineContext,
  observed: Observed,
  id: string,
  opts: DispatchOptions,
): { plan: Plan; child: string; childId: string } | { existing: string } {
  const parent = parentOf(observed, id);
  if (!parent.job.parameterized)
    throw new OperationError(
      `job "${id}" is not a parameterized job: only jobs with a parameterized block can be dispatched`,
    );
  const problem = dispatchProblem(parent.job, { meta: opts.meta, payload: opts.payload });
  if (problem) throw new OperationError(problem);
  if (opts.idempotencyToken) {
    const existing = childrenOf(observed.stored, id).find(
      (c) => launchOf(observed.stored, c)?.idempotency_token === opts.idempotencyToken,
    );
    if (existing) return { existing };
  }
  const child = dispatchChildId(parent.job.id, new Date(ctx.clock.now()), opts.uuid);
  requireUnused(observed, parent, child);
  const launch: JobLaunch = {
    parent: id,
    kind: 'dispatch',
    ...(opts.payload.length ? { payload: Buffer.from(opts.payload).toString('base64') } : {}),
    ...(opts.idempotencyToken ? { idempotency_token: opts.idempotencyToken } : {}),
  };
  return {
    plan: launchPlan(ctx, observed, parent, child, launch, opts.meta),
    child: jobKey(parent.job.namespace, child),
    childId: child,
  };
}

/** The recorded parent job, which must be a periodic or parameterized one that is not stopped. */
function parentOf(observed: Observed, id: string): ReturnType<typeof recordedDesired> {
  const state = requireJob(observed.stored, id);
  if (state.stopped)
    throw new OperationError(`job "${id}" is stopped: apply it again to launch children of it`);
  return recordedDesired(observed.stored, id);
}

function requireUnused(
  observed: Observed,
  parent: ReturnType<typeof recordedDesired>,
  childId: string,
): void {
  if (observed.stored.jobs[jobKey(parent.job.namespace, childId)])
    throw new OperationError(
      `job "${childId}" already exists (launched less than a second ago): try again`,
    );
}

function launchPlan(
  ctx: EngineContext,
  observed: Observed,
  parent: ReturnType<typeof recordedDesired>,
  childId: string,
  launch: JobLaunch,
  meta: Record<string, string> = {},
): Plan {
  if (!launchKind(parent.job))
    throw new OperationError(`job "${parent.id}" is neither periodic nor parameterized`);
  const submitted = cloneValue(parent.submitted);
  submitted.id = childId;
  return makePlan(ctx, observed, [
    {
      kind: 'run',
      id: jobKey(parent.job.namespace, childId),
      job: childJob(parent.job, childId, launch.kind, meta),
      submitted,
      source: parent.source,
      filename: parent.filename,
      ...(parent.sensitive ? { sensitive: parent.sensitive } : {}),
      launch,
      origin: { kind: launch.kind },
    },
  ]);
}

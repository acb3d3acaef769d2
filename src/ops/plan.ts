/**
 * Plans: the pure computation (`src/plan`) fed with what was observed, and the builders of every
 * operation that changes something. A builder reads the observed state and the user's request
 * and returns a plan; nothing is written until the plan is approved and executed.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import type { Plan, PlanWarning, StateChange } from '../generated/plan.js';
import { classifyWith, computePlan, type DesiredJob } from '../plan/compute.js';
import { stopPending } from '../plan/pending-stops.js';
import type { StateSnapshot } from '../state/types.js';
import type { EngineContext } from './context.js';
import type { Observed } from './observe.js';

export interface PlanOptions {
  /** Validation warnings of the job files, shown with the plan. */
  warnings?: readonly Diagnostic[];
  /** State changes that come with the plan, already in effect in `observed.state`. */
  changes?: StateChange[];
}

/** The plan for `desired` against what was observed. Pure but for the context's clock. */
export function makePlan(
  ctx: EngineContext,
  observed: Observed,
  desired: readonly DesiredJob[],
  opts: PlanOptions = {},
): Plan {
  return computePlan({
    desired,
    state: { ...observed.state, lineage: observed.stored.lineage, serial: observed.stored.serial },
    down: observed.down.map((d) => d.node),
    classify: classifyWith((name) => ctx.drivers.get(name)),
    algorithm: ctx.config.scheduler,
    now: new Date(ctx.clock.now()),
    droverVersion: ctx.droverVersion,
    ...(opts.changes?.length ? { changes: opts.changes } : {}),
    warnings: [
      ...observed.down.map((d) => ({
        summary: `node "${d.node}" did not answer`,
        detail: `${d.reason}. Its allocations are treated as lost and replaced where the job allows.`,
      })),
      ...pendingStopWarnings(observed, (node) => ctx.nodes.has(node)),
      ...(opts.warnings ?? []).filter((d) => d.severity === 'warning').map(toPlanWarning),
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

/** Whether applying the plan does anything at all. */
export function planHasChanges(plan: Plan): boolean {
  return (
    plan.changes.length > 0 ||
    plan.retry_stops.length > 0 ||
    plan.jobs.some((j) => j.type !== 'none')
  );
}

/** The job as the user wants it at one of its recorded versions. */
export function recordedDesired(
  state: StateSnapshot,
  id: string,
  version?: number,
): Extract<DesiredJob, { kind: 'run' }> {
  const versions = state.jobs[id]!.versions;
  const v =
    version === undefined
      ? versions[versions.length - 1]!
      : versions.find((x) => x.version === version)!;
  return {
    kind: 'run',
    id,
    job: decodeStoredJob(v),
    submitted: v.submitted,
    source: v.source,
    filename: v.filename,
  };
}

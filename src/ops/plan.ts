/**
 * Plans: the pure computation (`src/plan`) fed with what was observed, and the builders of every
 * operation that changes something. A builder reads the observed state and the user's request
 * and returns a plan; nothing is written until the plan is approved and executed.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import type { Plan, PlanOrderEntry, PlanWarning, StateChange } from '../generated/plan.js';
import { classifyWith, computePlan, type DesiredJob } from '../plan/compute.js';
import { stopPending } from '../plan/pending-stops.js';
import {
  DEFAULT_NAMESPACE,
  jobIdentity,
  keyCollision,
  type JobIdentity,
} from '../state/job-key.js';
import type { StateSnapshot } from '../state/types.js';
import { OperationError, type EngineContext } from './context.js';
import { planTemplates } from '../deploy/template-plan.js';
import { sealPlan } from '../plan/hash.js';
import { nodeFacts } from './observe.js';
import {
  ALLOC_ROOT_ATTRIBUTE,
  NO_ALLOC_ROOT,
} from '../../providers/transports/node-fingerprint.js';
import type { Observed } from './observe.js';

export interface PlanOptions {
  /** Validation warnings of the job files, shown with the plan. */
  warnings?: readonly Diagnostic[];
  /** State changes that come with the plan, already in effect in `observed.state`. */
  changes?: StateChange[];
  /** Allocations drifted from what was applied, with why: the plan replaces them. */
  drifted?: ReadonlyMap<string, string>;
  /** The order apply starts the jobs in (plan/order); `desired` is given in it. */
  order?: PlanOrderEntry[];
}

/** The plan for `desired` against what was observed. Pure but for the context's clock. */
export function makePlan(
  ctx: EngineContext,
  observed: Observed,
  desired: readonly DesiredJob[],
  opts: PlanOptions = {},
): Plan {
  refuseKeyCollisions(observed.stored, desired);
  return withTemplates(ctx, observed, computeJobs(ctx, observed, desired, opts));
}

/**
 * Two different jobs with one state key (a default-namespace id `prod/web` and job `web` in
 * `prod`): refused, naming both, rather than one silently replacing the other.
 */
function refuseKeyCollisions(state: StateSnapshot, desired: readonly DesiredJob[]): void {
  const taken = new Map<string, JobIdentity>();
  for (const key of Object.keys(state.jobs)) taken.set(key, jobIdentity(state, key));
  for (const d of desired) {
    if (d.kind !== 'run') continue;
    const next = { namespace: d.job.namespace || DEFAULT_NAMESPACE, id: d.job.id };
    const problem = keyCollision(taken.get(d.id), next);
    if (problem) throw new OperationError(problem);
    taken.set(d.id, next);
  }
}

/**
 * Renders the templates of what the plan starts or keeps: a template that cannot render is an
 * error now rather than a failed task at apply; a kept allocation's template whose render
 * changed joins its job's plan (apply rewrites it and acts on its change_mode).
 */
function withTemplates(ctx: EngineContext, observed: Observed, plan: Plan): Plan {
  const state = observed.state;
  const result = planTemplates(plan.jobs, {
    state,
    nodes: ctx.nodes,
    transport: (n) => ctx.transport(n),
    driver: (name) => ctx.drivers.get(name),
    facts: (n) => nodeFacts(state, ctx.nodes.get(n.name)!),
    readers: ctx.templateReaders?.(state) ?? {},
  });
  if (result.errors.length > 0)
    throw new OperationError(
      `templates cannot be rendered:\n${result.errors.map((e) => `  ${e}`).join('\n')}`,
    );
  if (result.changes.size === 0) return plan;
  const { hash: _old, ...rest } = plan;
  return sealPlan({
    ...rest,
    jobs: plan.jobs.map((j) => {
      const templates = result.changes.get(j.id);
      return templates ? { ...j, templates } : j;
    }),
  });
}

function computeJobs(
  ctx: EngineContext,
  observed: Observed,
  desired: readonly DesiredJob[],
  opts: PlanOptions,
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
    ...(opts.drifted?.size ? { drifted: opts.drifted } : {}),
    ...(opts.order?.length ? { order: opts.order } : {}),
    warnings: [
      ...observed.down.map((d) => ({
        summary: `node "${d.node}" did not answer`,
        detail: `${d.reason}. Its allocations are treated as lost and replaced where the job allows.`,
      })),
      ...pendingStopWarnings(observed, (node) => ctx.nodes.has(node)),
      ...allocRootWarnings(observed, ctx.nodes),
      ...unfingerprintedWarnings(observed, ctx.nodes),
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

/**
 * Where process tasks live, per node, when it is not where drover.hcl says: the fallback the
 * fingerprint chose for an SSH user who cannot write the default, or no directory at all (the
 * process drivers are then not used there), with how to fix it.
 */
export function allocRootWarnings(
  observed: Observed,
  nodes: EngineContext['nodes'],
): PlanWarning[] {
  const out: PlanWarning[] = [];
  for (const node of nodes.values()) {
    const fp = observed.state.nodes[node.name]?.fingerprint;
    if (!fp) continue;
    const chosen = fp.attributes[ALLOC_ROOT_ATTRIBUTE];
    if (chosen !== undefined && chosen !== node.alloc_root) {
      out.push({
        summary: `node "${node.name}" keeps allocations in ${chosen}`,
        detail: `${node.alloc_root} is not writable by the SSH user there, so process tasks live under ${chosen}. Set alloc_root in drover.hcl to choose the directory.`,
      });
    }
    const refused = Object.entries(fp.drivers).filter(([, d]) =>
      d.description?.startsWith(NO_ALLOC_ROOT),
    );
    if (refused.length > 0) {
      out.push({
        summary: `node "${node.name}" runs no process tasks (${refused.map(([n]) => n).join(', ')})`,
        detail: `${refused[0]![1].description}.`,
      });
    }
  }
  return out;
}

/**
 * Nodes of drover.hcl that drover has never looked at (a plan with -refresh=false reads only
 * state): nothing can be placed on them, and the plan must say why rather than leave it at
 * "no nodes were eligible".
 */
export function unfingerprintedWarnings(
  observed: Observed,
  nodes: EngineContext['nodes'],
): PlanWarning[] {
  const down = new Set(observed.down.map((d) => d.node));
  return [...nodes.values()]
    .filter((n) => !observed.state.nodes[n.name]?.fingerprint && !down.has(n.name))
    .map((n) => ({
      summary: `node "${n.name}" has not been fingerprinted: nothing is placed on it`,
      detail: `drover has not yet read the host's drivers and resources (a plan with -refresh=false reads only the recorded state). Run plan without -refresh=false to look at the host.`,
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
    plan.jobs.some((j) => j.type !== 'none' || (j.templates?.length ?? 0) > 0)
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
    ...(v.sensitive?.length ? { sensitive: v.sensitive } : {}),
  };
}

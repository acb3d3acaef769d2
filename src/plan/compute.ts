/**
 * Computes a plan: for each job to apply (or stop), reconcile the desired job with its recorded
 * allocations, place what must be placed, diff the job against its recorded version, and lay
 * out the rollout. Pure: state, nodes and drivers' classification come in; a sealed Plan comes
 * out (its hash covers everything else in it).
 */
import type { NormalizedJob as Job, NormalizedTask as Task } from '../generated/normalized-job.js';
import type {
  GroupPlan,
  JobPlan,
  Plan,
  PlanWarning,
  PlannedStop,
  Rollout,
  RolloutGroup,
  RolloutStep,
} from '../generated/plan.js';
import { formatMs } from '../jobspec/duration.js';
import { defaultUpdateStrategy } from '../jobspec/normalize.js';
import {
  applyPlacements,
  clusterFromState,
  freedAllocations,
  nodeSetsFromState,
  prepareCluster,
  recordedJob,
  scheduleJob,
  type ClassifyTask,
  type PlacementFailure,
  type Placement as SchedulerPlacement,
  type SchedulerAlgorithm,
} from '../scheduler/index.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import { diffJobs } from './diff.js';
import { sealPlan } from './hash.js';
import { decodeStoredJob, encodeStoredJob } from '../jobspec/stored.js';

/** A job as the user wants it, or a request to stop one. */
export type DesiredJob =
  | {
      kind: 'run';
      id: string;
      job: Job;
      submitted: Record<string, unknown>;
      source: string;
      filename: string;
      /** Roll out without a canary phase (reverts and rollbacks: nomad#10882). */
      skipCanary?: boolean;
    }
  | { kind: 'stop'; id: string; purge: boolean };

export interface PlanInputs {
  desired: readonly DesiredJob[];
  /** The refreshed state (nodes fingerprinted, allocations observed). */
  state: StateSnapshot;
  /** Nodes that did not answer: their allocations are lost. */
  down?: readonly string[];
  classify: ClassifyTask;
  algorithm?: SchedulerAlgorithm;
  seed: number;
  newId: () => string;
  now: Date;
  droverVersion: string;
  warnings?: PlanWarning[];
}

export function computePlan(inputs: PlanInputs): Plan {
  const { state } = inputs;
  let cluster = prepareCluster(clusterFromState(state, { down: inputs.down ?? [] }));
  const nodes = nodeSetsFromState(state, inputs.down ?? []);
  const byJob = new Map<string, Allocation[]>();
  for (const a of Object.values(state.allocations)) {
    const list = byJob.get(a.job);
    if (list) list.push(a);
    else byJob.set(a.job, [a]);
  }
  // Jobs are placed one after another, each seeing what the ones before it took and freed.
  const jobs = inputs.desired.map((d) => {
    const { plan, placements, freed } = planJob(d, inputs, cluster, nodes, byJob.get(d.id) ?? []);
    if (placements.length || freed.size) cluster = applyPlacements(cluster, placements, freed);
    return plan;
  });
  return sealPlan({
    format_version: 1,
    drover_version: inputs.droverVersion,
    created_at: inputs.now.toISOString(),
    state: { lineage: state.lineage, serial: state.serial },
    jobs,
    warnings: inputs.warnings ?? [],
  });
}

function planJob(
  d: DesiredJob,
  inputs: PlanInputs,
  cluster: ReturnType<typeof prepareCluster>,
  nodes: ReturnType<typeof nodeSetsFromState>,
  allocations: readonly Allocation[],
): { plan: JobPlan; placements: SchedulerPlacement[]; freed: Set<string> } {
  const { state } = inputs;
  const recorded = state.jobs[d.id];
  const latest = recorded?.versions[recorded.versions.length - 1];
  const priorJob = latest && !recorded.stopped ? decodeStoredJob(latest) : undefined;
  const changed =
    d.kind === 'run' && (!latest || recorded.stopped || !sameJob(decodeStoredJob(latest), d.job));
  const version =
    d.kind === 'stop'
      ? (latest?.version ?? 0)
      : changed
        ? latest
          ? latest.version + 1
          : 0
        : latest!.version;
  const desiredJob = d.kind === 'run' ? (d.skipCanary ? withoutCanaries(d.job) : d.job) : 'stopped';
  const deployment = Object.values(state.deployments)
    .filter((x) => x.job === d.id && ACTIVE_DEPLOYMENT.has(x.status))
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  const scheduled = scheduleJob(
    {
      jobId: d.id,
      job: desiredJob,
      version,
      priorJob: (v) => recordedJob(state, d.id, v),
      allocations,
      nodes,
      classify: inputs.classify,
      ...(deployment ? { deployment } : {}),
    },
    cluster,
    { seed: inputs.seed, ...(inputs.algorithm ? { algorithm: inputs.algorithm } : {}) },
  );
  const byGroup = new Map<string, SchedulerPlacement[]>();
  for (const p of scheduled.place.placements)
    byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p]);
  const failures = new Map<string, PlacementFailure>(
    scheduled.place.failures.map((f) => [f.group, f]),
  );
  const ids = new Map<SchedulerPlacement, string>();
  const groups: GroupPlan[] = scheduled.reconcile.groups.map((g) => ({
    name: g.group,
    counts: g.counts,
    placements: (byGroup.get(g.group) ?? []).map((p) => {
      const id = inputs.newId();
      ids.set(p, id);
      return {
        alloc_id: id,
        name: p.name,
        index: p.index,
        node: p.node,
        ports: p.ports.map((port) => ({
          label: port.label,
          value: port.value,
          ...(port.to ? { to: port.to } : {}),
        })),
        ...(p.replaces ? { replaces: p.replaces } : {}),
        canary: p.canary,
      };
    }),
    stops: g.stop.map((s): PlannedStop => ({
      alloc_id: s.alloc.id,
      name: s.alloc.name,
      node: s.alloc.node,
      reason: s.description,
    })),
    inplace: g.inplaceUpdate.map((u) => u.alloc.id),
    failures: failureOf(failures.get(g.group)),
  }));
  const nextJob = d.kind === 'run' ? d.job : undefined;
  // An unchanged job has an empty diff; computing it would cost more than the rest of its plan.
  const diff =
    !changed && d.kind === 'run' && priorJob
      ? unchangedDiff(d.id)
      : diffJobs(priorJob, nextJob, {
          taskClass: (group, task) => {
            const p = priorJob?.group
              .find((x) => x.name === group)
              ?.task.find((t) => t.name === task);
            const n = nextJob?.group
              .find((x) => x.name === group)
              ?.task.find((t) => t.name === task);
            return p && n ? inputs.classify(group, p, n) : undefined;
          },
        });
  // A deployment of this very version still running (its drover was interrupted, or detached)
  // is work to do too: the apply carries it on and finishes it.
  const unfinished = d.kind === 'run' && deployment !== undefined && deployment.version === version;
  const acts =
    unfinished || groups.some((g) => g.placements.length || g.stops.length || g.inplace.length);
  const type: JobPlan['type'] =
    d.kind === 'stop'
      ? latest && !recorded.stopped
        ? 'destroy'
        : 'none'
      : !priorJob
        ? 'create'
        : changed || acts
          ? 'update'
          : 'none';
  const plan: JobPlan = {
    id: d.id,
    type,
    from_version: latest && !recorded.stopped ? latest.version : null,
    to_version: d.kind === 'stop' ? null : version,
    diff,
    groups,
    rollout: desiredJob === 'stopped' ? null : rolloutOf(desiredJob, groups),
    payload:
      d.kind === 'run' && (changed || acts)
        ? {
            filename: d.filename,
            source: d.source,
            submitted: d.submitted,
            ...encodeStoredJob(d.job),
          }
        : null,
  };
  return {
    plan,
    placements: scheduled.place.placements,
    freed: freedAllocations(scheduled.reconcile),
  };
}

const ACTIVE_DEPLOYMENT = new Set(['running', 'paused', 'pending', 'blocked', 'unblocking']);

/** The job as scheduled when a rollout skips its canary phase. */
function withoutCanaries(job: Job): Job {
  return {
    ...job,
    group: job.group.map((g) => (g.update ? { ...g, update: { ...g.update, canary: 0 } } : g)),
  };
}

function unchangedDiff(id: string): JobPlan['diff'] {
  return { type: 'None', id, fields: [], objects: [], groups: [] };
}

/** Deep equality of two defaulted jobs (JSON data; key order does not matter). */
function sameJob(a: Job, b: Job): boolean {
  return deepEqual(a, b);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const ob = b as Record<string, unknown>;
  if (ka.length !== Object.keys(ob).length) return false;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && deepEqual(oa[k], ob[k]));
}

function failureOf(f: PlacementFailure | undefined): GroupPlan['failures'] {
  if (!f) return null;
  const m = f.metrics;
  return {
    count: f.failed,
    reason: f.reason,
    metrics: {
      nodes_evaluated: m.nodesEvaluated,
      nodes_filtered: m.nodesFiltered,
      nodes_exhausted: m.nodesExhausted,
      constraint_filtered: {
        ...m.constraintFiltered,
        ...prefixed('missing driver ', m.driverMissing),
      },
      dimension_exhausted: { ...m.dimensionExhausted },
    },
  };
}

function prefixed(prefix: string, r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [prefix + k, v]));
}

/**
 * The whole rollout, not just its first step: new allocations start together; replacements go
 * `max_parallel` at a time, each batch gated on `min_healthy_time`, with `stagger` between.
 */
export function rolloutOf(job: Job, groups: readonly GroupPlan[]): Rollout | null {
  const out: RolloutGroup[] = [];
  for (const gp of groups) {
    const group = job.group.find((g) => g.name === gp.name);
    if (!group || gp.placements.length === 0) continue;
    const update = group.update ?? defaultUpdateStrategy();
    const minHealthy = update.min_healthy_time;
    // Only system jobs wait `stagger` between batches; service jobs are gated on health (Nomad).
    const stagger = job.type === 'system' ? update.stagger : 0;
    const width = Math.max(1, update.max_parallel);
    const steps: RolloutStep[] = [];
    const gate = (): RolloutStep => ({
      kind: 'gate',
      allocs: [],
      replaces: [],
      gate: `min_healthy_time ${formatMs(minHealthy)}`,
      min_duration_ms: minHealthy,
    });
    const canaries = gp.placements.filter((p) => p.canary);
    const fresh = gp.placements.filter((p) => !p.canary && !p.replaces);
    const replacing = gp.placements.filter((p) => !p.canary && p.replaces);
    if (fresh.length) {
      steps.push(
        { kind: 'batch', allocs: fresh.map((p) => p.alloc_id), replaces: [], min_duration_ms: 0 },
        gate(),
      );
    }
    if (canaries.length) {
      // Canaries run beside the allocations they replace; promotion stops those.
      steps.push(
        {
          kind: 'canary',
          allocs: canaries.map((p) => p.alloc_id),
          replaces: [],
          min_duration_ms: 0,
        },
        gate(),
        {
          kind: 'promote',
          allocs: [],
          replaces: canaries.flatMap((p) => (p.replaces ? [p.replaces] : [])),
          gate: group.update?.auto_promote ? 'auto_promote' : 'drover promote',
          min_duration_ms: 0,
        },
      );
    }
    for (let i = 0; i < replacing.length; i += width) {
      if (i > 0 && stagger > 0)
        steps.push({
          kind: 'stagger',
          allocs: [],
          replaces: [],
          gate: `stagger ${formatMs(stagger)}`,
          min_duration_ms: stagger,
        });
      const batch = replacing.slice(i, i + width);
      steps.push(
        {
          kind: 'batch',
          allocs: batch.map((p) => p.alloc_id),
          replaces: batch.map((p) => p.replaces!),
          min_duration_ms: 0,
        },
        gate(),
      );
    }
    out.push({
      name: gp.name,
      steps,
      min_duration_ms: steps.reduce((t, s) => t + s.min_duration_ms, 0),
    });
  }
  if (out.length === 0) return null;
  // Groups roll out side by side: the rollout takes as long as its longest group.
  return { groups: out, min_duration_ms: Math.max(...out.map((g) => g.min_duration_ms)) };
}

/** A classify callback from a driver lookup: the driver of the next task decides. */
export function classifyWith(
  driverOf: (
    name: string,
  ) => { classifyChange(p: Task, n: Task): 'none' | 'in-place' | 'destructive' } | undefined,
): ClassifyTask {
  return (_group, prior, next) => {
    if (prior.driver !== next.driver) return 'destructive';
    const d = next.driver ? driverOf(next.driver) : undefined;
    return d ? d.classifyChange(prior, next) : deepEqual(prior, next) ? 'none' : 'destructive';
  };
}

/**
 * Computes a plan: for each job to apply (or stop), reconcile the desired job with its recorded
 * allocations, place what must be placed, diff the job against its recorded version, and lay
 * out the rollout. Pure: state, nodes and drivers' classification come in; a sealed Plan comes
 * out (its hash covers everything else in it).
 */
import type { NormalizedJob as Job, NormalizedTask as Task } from '../generated/normalized-job.js';
import type {
  GroupPlan,
  JobLaunch,
  JobPlan,
  JobPrune,
  JobSchedule,
  Plan,
  PlanOrderEntry,
  PlanWarning,
  PlannedStop,
  Rollout,
  RolloutGroup,
  RolloutStep,
  StateChange,
} from '../generated/plan.js';
import { formatMs } from '../jobspec/duration.js';
import { defaultUpdateStrategy } from '../jobspec/normalize.js';
import {
  applyPlacements,
  clusterFromState,
  freedAllocations,
  goneStatus,
  nodeSetsFromState,
  prepareCluster,
  recordedJob,
  scheduleJob,
  type ClassifyTask,
  type FilteredNode,
  type PlacementFailure,
  type Placement as SchedulerPlacement,
  type SchedulerAlgorithm,
} from '../scheduler/index.js';
import type { Allocation, StateSnapshot, VersionOrigin } from '../state/types.js';
import { isActiveDeployment } from './deployments.js';
import { diffJobs, type DiffOptions, type JobDiff } from './diff.js';
import { redactJobDiff, redactorFor } from './redact.js';
import { sealPlan } from './hash.js';
import { planSeed, schedulerSeed, seededIds } from './ids.js';
import { planBasis } from './approvals.js';
import { retryableStops, stopPending } from './pending-stops.js';
import { contingentReschedules, rescheduleWaits } from './reschedules.js';
import { decodeStoredJob, encodeStoredJob } from '../jobspec/stored.js';
import { cronSpecs, formatInZone, nextLaunch } from '../jobspec/cron.js';
import { launchKind } from '../jobspec/launch.js';

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
      /** A child of a periodic or parameterized job: its parent, and a dispatch's payload. */
      launch?: JobLaunch;
      /** JSON pointers into `job` of values derived from sensitive variables. */
      sensitive?: readonly string[];
      /** How the version apply records came to be (a file, a rollback, a scale…). */
      origin?: VersionOrigin;
    }
  | {
      kind: 'stop';
      id: string;
      purge: boolean;
      /** Stopped because its file left a directory the plan reads (see plan/prune). */
      prune?: JobPrune;
    };

export interface PlanInputs {
  desired: readonly DesiredJob[];
  /** The refreshed state (nodes fingerprinted, allocations observed). */
  state: StateSnapshot;
  /** Nodes that did not answer: their allocations are lost. */
  down?: readonly string[];
  classify: ClassifyTask;
  algorithm?: SchedulerAlgorithm;
  /**
   * Where ids and the scheduler's choices come from. By default derived from the state and the
   * desired jobs, so the same inputs against the same state plan the same ids and ports.
   */
  seed?: string;
  now: Date;
  droverVersion: string;
  warnings?: PlanWarning[];
  /**
   * State changes that come with the plan (node drain or eligibility, a promotion, a failed
   * deployment): already in effect in `state`, recorded first when the plan is applied.
   */
  changes?: StateChange[];
  /** Allocations drifted from what was applied, with why: replaced (see `plan/drift.ts`). */
  drifted?: ReadonlyMap<string, string>;
  /** The order apply starts the jobs in (see plan/order), when the jobs declare one. */
  order?: PlanOrderEntry[];
}

/** The seed's view of a desired job: what identifies it, cheaply (its source, not its tree). */
function seedInput(d: DesiredJob): unknown {
  return d.kind === 'run'
    ? [d.id, d.filename, d.source, Boolean(d.skipCanary)]
    : [d.id, 'stop', d.purge];
}

export function computePlan(inputs: PlanInputs): Plan {
  const { state } = inputs;
  // Approving a plan writes the state; the same plan made after that is still the same plan.
  const basis = planBasis(state);
  const seed =
    inputs.seed ??
    planSeed(basis, {
      desired: inputs.desired.map(seedInput),
      changes: inputs.changes ?? [],
      down: inputs.down ?? [],
    });
  const ctx: JobContext = {
    inputs,
    newId: seededIds(seed),
    schedulerSeed: schedulerSeed(seed),
  };
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
    const { plan, placements, freed } = planJob(d, ctx, cluster, nodes, byJob.get(d.id) ?? []);
    if (placements.length || freed.size) cluster = applyPlacements(cluster, placements, freed);
    return plan;
  });
  return sealPlan({
    format_version: 2,
    drover_version: inputs.droverVersion,
    created_at: inputs.now.toISOString(),
    state: basis,
    changes: inputs.changes ?? [],
    retry_stops: retryableStops(
      state.allocations,
      (node) => node in state.nodes && !(inputs.down ?? []).includes(node),
    ).map((a): PlannedStop => ({
      alloc_id: a.id,
      name: a.name,
      node: a.node,
      reason: 'its earlier stop did not reach the host',
    })),
    ...(inputs.order?.length ? { order: inputs.order } : {}),
    jobs,
    warnings: inputs.warnings ?? [],
  });
}

interface JobContext {
  inputs: PlanInputs;
  newId: () => string;
  schedulerSeed: number;
}

function planJob(
  d: DesiredJob,
  { inputs, newId, schedulerSeed }: JobContext,
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
  // A periodic or parameterized job is recorded and runs nothing itself (its children do), so
  // it is scheduled as stopped: anything an earlier, plain version of it ran is stopped.
  const desiredJob =
    d.kind === 'run' && !launchKind(d.job)
      ? d.skipCanary
        ? withoutCanaries(d.job)
        : d.job
      : 'stopped';
  const deployment = Object.values(state.deployments)
    .filter((x) => x.job === d.id && isActiveDeployment(x))
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
      now: inputs.now.getTime(),
      ...(inputs.drifted?.size ? { drifted: inputs.drifted } : {}),
    },
    cluster,
    { seed: schedulerSeed, ...(inputs.algorithm ? { algorithm: inputs.algorithm } : {}) },
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
      const id = newId();
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
        ...(p.reschedule
          ? {
              reschedule: {
                attempt: p.reschedule.attempt,
                delay_ms: p.reschedule.delayMs,
                ...(p.reschedule.attempts !== undefined ? { attempts: p.reschedule.attempts } : {}),
              },
            }
          : {}),
      };
    }),
    stops: g.stop.map((s): PlannedStop => {
      const gone = goneStatus(s);
      return {
        alloc_id: s.alloc.id,
        name: s.alloc.name,
        node: s.alloc.node,
        reason: s.description,
        ...(gone ? { client_status: gone } : {}),
      };
    }),
    inplace: g.inplaceUpdate.map((u) => u.alloc.id),
    failures: failureOf(failures.get(g.group)),
    ...(g.waiting.length ? { reschedule_waits: rescheduleWaits(g) } : {}),
    ...filteredOf(scheduled.place.filtered, g.group),
  }));
  if (d.kind === 'stop' && latest && !recorded.stopped) {
    addLeftoverStops(groups, allocations, d.purge, (node) => reachable(inputs, node));
  }
  if (desiredJob !== 'stopped') {
    const chains = contingentReschedules({
      job: desiredJob,
      groups,
      placements: scheduled.place.placements,
      ids,
      cluster,
      freed: freedAllocations(scheduled.reconcile),
      trackers: new Map(
        allocations.map((a) => [
          a.id,
          { node: a.node, ...(a.reschedule_tracker ? { tracker: a.reschedule_tracker } : {}) },
        ]),
      ),
      now: inputs.now.getTime(),
      seed: schedulerSeed,
      ...(inputs.algorithm ? { algorithm: inputs.algorithm } : {}),
      newId,
    });
    for (const g of groups) {
      const chain = chains.get(g.name);
      if (chain) g.reschedules = chain;
    }
  }
  const nextJob = d.kind === 'run' ? d.job : undefined;
  // An unchanged job has an empty diff; computing it would cost more than the rest of its plan.
  const diff =
    !changed && d.kind === 'run' && priorJob
      ? unchangedDiff(d.id)
      : shownDiff(priorJob, nextJob, latest?.sensitive, d.kind === 'run' ? d.sensitive : [], {
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
  // Allocations of this version an interrupted apply started but never saw healthy: the resumed
  // deployment gates them before anything else.
  const verify = unfinished ? unverifiedAllocs(allocations, version, groups) : new Map();
  // Canaries of the resumed deployment that still await promotion: the rollout waits for it
  // again before it stops what they replace (a re-apply must not finish the rollout).
  const held = new Map<string, string[]>();
  if (unfinished)
    for (const g of scheduled.reconcile.groups) {
      const dg = deployment.groups[g.group];
      const replaced = g.stop.filter((s) => s.reason === 'canary-replaced').map((s) => s.alloc.id);
      if (dg && !dg.promoted && dg.desired_canaries > 0 && replaced.length)
        held.set(g.group, replaced);
    }
  // Like Nomad, a spec change of a service job rolls out as a deployment whether allocations are
  // replaced or updated in place (a revert is often in place: the stable spec's tasks did not
  // change).
  const deploys =
    desiredJob !== 'stopped' &&
    (desiredJob.type ?? 'service') === 'service' &&
    (unfinished ||
      groups.some((g) => g.placements.length > 0 || (g.inplace.length > 0 && changed)));
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
  const collect =
    type === 'none' || (d.kind === 'stop' && d.purge)
      ? []
      : collectable(groups, allocations, (node) => collectsOn(inputs, node));
  const plan: JobPlan = {
    id: d.id,
    type,
    ...(collect.length ? { collect } : {}),
    from_version: latest && !recorded.stopped ? latest.version : null,
    to_version: d.kind === 'stop' ? null : version,
    new_version: changed,
    purge: d.kind === 'stop' && d.purge && type === 'destroy',
    deployment: deploys
      ? unfinished
        ? { id: deployment.id, resumed: true }
        : { id: newId(), resumed: false }
      : null,
    diff,
    groups,
    rollout: desiredJob === 'stopped' ? null : rolloutOf(desiredJob, groups, verify, held),
    payload:
      d.kind === 'run' && (changed || acts)
        ? {
            filename: d.filename,
            source: d.source,
            submitted: d.submitted,
            ...encodeStoredJob(d.job),
            ...(d.sensitive?.length ? { sensitive: [...d.sensitive] } : {}),
            ...(d.launch ? { launch: d.launch } : {}),
            ...(d.origin ? { origin: { ...d.origin } } : {}),
          }
        : null,
  };
  const schedule = d.kind === 'run' ? scheduleOf(d.job, inputs.now) : undefined;
  if (schedule) plan.schedule = schedule;
  if (d.kind === 'stop' && d.prune && type === 'destroy') plan.prune = { ...d.prune };
  return {
    plan,
    placements: scheduled.place.placements,
    freed: freedAllocations(scheduled.reconcile),
  };
}

/** What the plan says of a periodic or parameterized job: it starts nothing; when it launches next. */
function scheduleOf(job: Job, now: Date): JobSchedule | undefined {
  const kind = launchKind(job);
  if (kind === 'parameterized') return { kind, next_launch: null };
  if (kind !== 'periodic') return undefined;
  const p = job.periodic!;
  const tz = p.time_zone ?? 'UTC';
  const next = nextLaunch(p, now);
  return {
    kind,
    next_launch: next ? formatInZone(next, tz) : null,
    time_zone: tz,
    crons: cronSpecs(p),
    prohibit_overlap: p.prohibit_overlap ?? false,
    enabled: p.enabled ?? true,
  };
}

/**
 * How many stopped allocations of a job keep their directories (for `logs`), like Nomad's
 * client GC keeps a bounded number of terminal allocations. Fixed: drover.hcl has no client
 * settings block to hold it.
 */
export const KEPT_STOPPED_ALLOCS = 3;

/** A node where the plan can remove directories: reachable, with a shell (not docker-only). */
function collectsOn(inputs: PlanInputs, node: string): boolean {
  return reachable(inputs, node) && inputs.state.nodes[node]?.inventory.transport !== 'docker';
}

/**
 * The allocations whose directories apply removes: the job's stopped allocations (those this
 * plan stops count as the newest) but the newest KEPT_STOPPED_ALLOCS, never one that runs or
 * may still run something (a stop not confirmed, a failed allocation drover did not stop), per
 * node.
 */
function collectable(
  groups: readonly GroupPlan[],
  allocations: readonly Allocation[],
  canCollect: (node: string) => boolean,
): NonNullable<JobPlan['collect']> {
  const stopping = new Set(groups.flatMap((g) => g.stops.map((s) => s.alloc_id)));
  const stopped = allocations
    .filter((a) => !a.collected)
    .filter((a) => stopping.has(a.id) || (a.desired_status === 'stop' && !stopPending(a)))
    .sort(
      (a, b) =>
        Number(stopping.has(b.id)) - Number(stopping.has(a.id)) ||
        (a.modified_at < b.modified_at ? 1 : a.modified_at > b.modified_at ? -1 : 0) ||
        (a.id < b.id ? -1 : 1),
    );
  const byNode = new Map<string, string[]>();
  for (const a of stopped.slice(KEPT_STOPPED_ALLOCS)) {
    if (canCollect(a.node)) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a.id]);
  }
  return [...byNode.keys()]
    .sort()
    .map((node) => ({ node, alloc_ids: [...byNode.get(node)!].sort() }));
}

/** A node the plan can reach: in the inventory and answering. */
function reachable(inputs: PlanInputs, node: string): boolean {
  return node in inputs.state.nodes && !(inputs.down ?? []).includes(node);
}

/**
 * Stopping a job stops every task drover started for it, not only its live allocations': a
 * failed, complete or lost allocation drover never stopped may still run a task on a reachable
 * host (a failed allocation's other tasks, a task found only by `recover`), and a purge removes
 * every allocation's directory as well. These stops record the status the allocation already
 * has (`client_status`), so they are not counted as destroys. Stops an earlier apply could not
 * finish are the plan's `retry_stops` already.
 */
function addLeftoverStops(
  groups: GroupPlan[],
  allocations: readonly Allocation[],
  purge: boolean,
  isReachable: (node: string) => boolean,
): void {
  const planned = new Set(groups.flatMap((g) => g.stops.map((s) => s.alloc_id)));
  const leftovers = allocations
    .filter((a) => !planned.has(a.id) && !stopPending(a) && isReachable(a.node))
    .filter((a) => purge || a.desired_status === 'run')
    .sort((a, b) => a.index - b.index || (a.id < b.id ? -1 : 1));
  for (const a of leftovers) {
    const g = groups.find((x) => x.name === a.group);
    if (!g || a.client_status === 'running' || a.client_status === 'pending') continue;
    g.stops.push({
      alloc_id: a.id,
      name: a.name,
      node: a.node,
      reason:
        a.desired_status === 'run'
          ? `alloc is ${a.client_status}; stopping whatever of it still runs`
          : 'alloc was stopped; purge removes its directory',
      client_status: a.client_status,
    });
  }
}

/** Per group: running allocations of `version` with no health verdict that the plan does not replace. */
function unverifiedAllocs(
  allocations: readonly Allocation[],
  version: number,
  groups: readonly GroupPlan[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const handled = new Set(
    groups.flatMap((g) => [
      ...g.stops.map((s) => s.alloc_id),
      ...g.placements.map((p) => p.alloc_id),
    ]),
  );
  for (const a of allocations) {
    if (
      a.version !== version ||
      a.desired_status !== 'run' ||
      a.client_status !== 'running' ||
      a.health ||
      handled.has(a.id)
    )
      continue;
    out.set(a.group, [...(out.get(a.group) ?? []), a.id]);
  }
  return out;
}

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

/** System jobs: the nodes a group skips because it cannot run there (absent when none). */
function filteredOf(
  filtered: readonly FilteredNode[] | undefined,
  group: string,
): Pick<GroupPlan, 'filtered_nodes'> {
  const mine = (filtered ?? []).filter((f) => f.group === group);
  return mine.length
    ? { filtered_nodes: mine.map((f) => ({ node: f.node, reason: f.reason })) }
    : {};
}

function prefixed(prefix: string, r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [prefix + k, v]));
}

/**
 * The whole rollout as apply runs it, per group: allocations an interrupted apply left unverified
 * are gated first; new allocations start together and are gated on `min_healthy_time`; canaries
 * start beside the allocations they replace, are gated, then wait for promotion, which stops what
 * they replace; replacements of service jobs go through a window of `max_parallel` in flight
 * (each stops its old allocation, starts the new one and waits until it is healthy; the next one
 * starts as soon as one is healthy, as Nomad's deployment watcher does); system jobs replace in
 * lockstep batches of `max_parallel`, `stagger` apart.
 */
export function rolloutOf(
  job: Job,
  groups: readonly GroupPlan[],
  verify: ReadonlyMap<string, readonly string[]> = new Map(),
  held: ReadonlyMap<string, readonly string[]> = new Map(),
): Rollout | null {
  const out: RolloutGroup[] = [];
  for (const gp of groups) {
    const group = job.group.find((g) => g.name === gp.name);
    const unverified = verify.get(gp.name) ?? [];
    const awaiting = held.get(gp.name) ?? [];
    if (!group || (gp.placements.length === 0 && unverified.length === 0 && awaiting.length === 0))
      continue;
    const update = group.update ?? defaultUpdateStrategy();
    const minHealthy = update.min_healthy_time;
    const healthyGate = `min_healthy_time ${formatMs(minHealthy)}`;
    const system = job.type === 'system';
    // Only system jobs wait `stagger` between batches; service jobs are gated on health (Nomad).
    const stagger = system ? update.stagger : 0;
    // A system job with max_parallel = 0 replaces every node at once (Nomad limits only when > 0).
    const width =
      system && update.max_parallel === 0
        ? Math.max(1, gp.placements.length)
        : Math.max(1, update.max_parallel);
    const steps: RolloutStep[] = [];
    const step = (
      kind: RolloutStep['kind'],
      allocs: string[],
      replaces: string[] = [],
      extra: Partial<RolloutStep> = {},
    ): RolloutStep => ({ kind, allocs, replaces, min_duration_ms: 0, ...extra });
    const gate = (): RolloutStep =>
      step('gate', [], [], { gate: healthyGate, min_duration_ms: minHealthy });
    const canaries = gp.placements.filter((p) => p.canary);
    const fresh = gp.placements.filter((p) => !p.canary && !p.replaces);
    const replacing = gp.placements.filter((p) => !p.canary && p.replaces);
    if (job.type === 'batch' || job.type === 'sysbatch') {
      // Batch work has no deployment (Nomad ignores `update` for it): what is placed starts, and
      // apply waits until every task has run to completion.
      const done = (): RolloutStep =>
        step('gate', [], [], { gate: 'completion (every task exits 0)' });
      const fresh = gp.placements.filter((p) => !p.replaces);
      const again = gp.placements.filter((p) => p.replaces);
      if (fresh.length)
        steps.push(
          step(
            'start',
            fresh.map((p) => p.alloc_id),
          ),
          done(),
        );
      if (again.length)
        steps.push(
          step(
            'batch',
            again.map((p) => p.alloc_id),
            again.map((p) => p.replaces!),
          ),
          done(),
        );
      // A failed allocation is replaced within the apply as the reschedule policy allows.
      const chain = gp.reschedules ?? [];
      if (chain.length)
        steps.push(
          step(
            'reschedule',
            chain.map((p) => p.alloc_id),
            chain.map((p) => p.replaces!),
            {
              gate: 'reschedule policy',
              delays_ms: chain.map((p) => p.reschedule?.delay_ms ?? 0),
            },
          ),
        );
      out.push({ name: gp.name, steps, min_duration_ms: 0 });
      continue;
    }
    if (unverified.length)
      steps.push(
        step('verify', [...unverified], [], { gate: healthyGate, min_duration_ms: minHealthy }),
      );
    if (fresh.length)
      steps.push(
        step(
          'start',
          fresh.map((p) => p.alloc_id),
        ),
        gate(),
      );
    if (!canaries.length && awaiting.length)
      // Canaries placed by an earlier apply still wait for promotion, which stops what they replace.
      steps.push({
        ...step('promote', [], [...awaiting]),
        gate: update.auto_promote ? 'auto_promote' : 'drover promote',
      });
    if (canaries.length) {
      // Canaries run beside the allocations they replace; promotion stops those.
      steps.push(
        step(
          'canary',
          canaries.map((p) => p.alloc_id),
        ),
        gate(),
        {
          ...step(
            'promote',
            [],
            canaries.flatMap((p) => (p.replaces ? [p.replaces] : [])),
          ),
          gate: update.auto_promote ? 'auto_promote' : 'drover promote',
        },
      );
    }
    if (replacing.length && !system) {
      const rounds = Math.ceil(replacing.length / width);
      steps.push(
        step(
          'window',
          replacing.map((p) => p.alloc_id),
          replacing.map((p) => p.replaces!),
          { parallel: width, gate: healthyGate, min_duration_ms: rounds * minHealthy },
        ),
      );
    }
    for (let i = 0; system && i < replacing.length; i += width) {
      if (i > 0 && stagger > 0)
        steps.push(
          step('stagger', [], [], {
            gate: `stagger ${formatMs(stagger)}`,
            min_duration_ms: stagger,
          }),
        );
      const batch = replacing.slice(i, i + width);
      steps.push(
        step(
          'batch',
          batch.map((p) => p.alloc_id),
          batch.map((p) => p.replaces!),
        ),
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

/** The job diff as plans show it: values derived from sensitive variables read `(sensitive)`. */
function shownDiff(
  prior: Job | undefined,
  next: Job | undefined,
  priorSensitive: readonly string[] | undefined,
  nextSensitive: readonly string[] | undefined,
  opts: DiffOptions,
): JobDiff {
  const redactor = redactorFor(
    [
      prior && { job: prior, sensitive: priorSensitive },
      next && { job: next, sensitive: nextSensitive },
    ],
    true,
  );
  return redactJobDiff(diffJobs(prior, next, opts), redactor);
}

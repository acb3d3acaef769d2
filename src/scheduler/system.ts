/**
 * System and sysbatch jobs: one allocation of each group on every node that is ready and
 * feasible, as Nomad's system scheduler does (scheduler/scheduler_system.go and the node
 * reconciler, scheduler/reconcile/reconcile_node.go). `count` is not a total here: a system
 * group has count 1 (the rules refuse more, as Nomad's Job.Validate does) and a sysbatch group
 * runs `count` allocations on every node; a group with count 0 runs nowhere.
 *
 * Per node and group:
 * - a node that takes work and has no allocation gets one (a sysbatch allocation that already
 *   ran there, complete or failed, is not placed again unless the job changed);
 * - a down node's allocation, or one on a node gone from the inventory, is lost: stopped, not
 *   moved elsewhere;
 * - a draining node's allocation stops (system work does not migrate), unless the drain leaves
 *   system jobs alone (`node drain -ignore-system`): then it stays, as on an ineligible node;
 * - an ineligible node keeps what it runs but gets nothing new;
 * - a node no longer in the job's datacenters or node pool has its allocation stopped;
 * - a changed job updates the allocation on its node, in place or by replacing it there.
 * Whether the node can run the job (constraints, drivers, resources) is decided by `place`,
 * which checks exactly the node each request names.
 */
import { keyOfJob } from '../jobspec/job-key.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { Allocation } from '../state/types.js';
import type { PreparedCluster } from './cluster.js';
import { candidatesFor, globMatch } from './cluster.js';
import { recheckInPlace } from './inplace-check.js';
import { mergeMetrics } from './metrics.js';
import { place } from './place.js';
import {
  addCounts,
  emptyCounts,
  emptyGroup,
  freedAllocations,
  groupChange,
  placementRequests,
  STOP_DESCRIPTIONS,
} from './reconcile.js';
import type { GroupChange } from './update-class.js';
import type {
  GroupReconcile,
  PlaceOptions,
  PlaceRequest,
  PlaceResult,
  ReconcileInput,
  ReconcileResult,
  StopRequest,
} from './types.js';

export const isSystemType = (type: string | undefined): boolean =>
  type === 'system' || type === 'sysbatch';

/** The nodes a system job is for: those that take work now, and those merely in its scope. */
export interface SystemScope {
  /** Ready nodes of the job's datacenters and node pool (eligible, not draining, not down). */
  ready: readonly string[];
  /** Whether a node is in the job's datacenters and node pool, whatever its eligibility. */
  inScope: (node: string) => boolean;
}

/** The scope of a job on a prepared cluster. */
export function systemScope(job: Job, pc: PreparedCluster): SystemScope {
  const ready = [...candidatesFor(pc, job.datacenters, job.node_pool).nodes].map(
    (i) => pc.nodes[i]!.name,
  );
  return {
    ready,
    inScope: (node) => {
      const i = pc.indexOf.get(node);
      if (i === undefined) return false;
      const f = pc.facts[i]!;
      return (
        job.datacenters.some((d) => globMatch(d, f.datacenter)) &&
        (job.node_pool === 'all' || f.pool === job.node_pool)
      );
    },
  };
}

const live = (a: Allocation): boolean =>
  a.desired_status === 'run' &&
  a.client_status !== 'complete' &&
  a.client_status !== 'failed' &&
  a.client_status !== 'lost';

/** Newest first: the highest version, then the latest created. */
const newest = (a: Allocation, b: Allocation): number =>
  b.version - a.version || (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0);

const stop = (alloc: Allocation, reason: StopRequest['reason'], description: string) => ({
  alloc,
  reason,
  description,
});

export function reconcileSystem(input: ReconcileInput, scope: SystemScope): ReconcileResult {
  const job = input.job === 'stopped' ? undefined : input.job;
  const sysbatch = job?.type === 'sysbatch';
  const { nodes } = input;
  const groupsByName = new Map<string, Group>((job?.group ?? []).map((g) => [g.name, g]));
  const groupNames = [
    ...(job?.group ?? []).map((g) => g.name),
    ...[...new Set(input.allocations.map((a) => a.group))]
      .filter((n) => !job?.group.some((g) => g.name === n))
      .sort(),
  ];
  const changes = new Map<string, GroupChange>();
  const ready = new Set(scope.ready);

  const groups = groupNames.map((name): GroupReconcile => {
    const tg = groupsByName.get(name);
    const out = emptyGroup(name, 0);
    // One slot per node and index: a system group has count 1 (more is refused by the
    // rules), a sysbatch group runs `count` allocations on every node, as Nomad materializes
    // `<job>.<group>[i]` for each i below count on each node.
    const slots = new Map<string, Allocation[]>();
    const slotKey = (node: string, index: number): string => `${node}\u0000${index}`;
    for (const a of input.allocations)
      if (a.group === name)
        slots.set(slotKey(a.node, a.index), [...(slots.get(slotKey(a.node, a.index)) ?? []), a]);
    for (const node of tg ? scope.ready : [])
      for (let i = 0; i < tg!.count; i++)
        if (!slots.has(slotKey(node, i))) slots.set(slotKey(node, i), []);
    const keys = [...slots.keys()].sort();
    for (const key of keys) {
      const [node, at] = key.split('\u0000') as [string, string];
      const index = Number(at);
      const allocs = slots.get(key)!.sort(newest);
      const running = allocs.filter(live);
      const lostByClient = allocs.filter(
        (a) => a.desired_status === 'run' && a.client_status === 'lost',
      );
      for (const a of lostByClient) {
        const why = a.client_description ?? 'its host did not answer';
        out.stop.push({ ...stop(a, 'lost', `alloc is lost: ${why}`), clientStatus: 'lost' });
        out.lost.push(a);
      }
      const [kept, ...extra] = running;
      for (const a of extra)
        out.stop.push(stop(a, 'count-reduced', 'alloc not needed: one allocation per node'));
      const wanted = tg !== undefined && index < tg.count;
      if (kept) {
        if (tg && !wanted)
          out.stop.push(
            stop(kept, 'count-reduced', `alloc not needed as the group count is ${tg.count}`),
          );
        else keepOrUpdate(kept, node, tg);
        continue;
      }
      if (!wanted || !ready.has(node)) continue;
      const last = allocs.find((a) => !live(a) && a.client_status !== 'lost');
      if (last && sysbatch && last.version === input.version) {
        // Ran to its end on this node (Nomad leaves a finished sysbatch allocation alone).
        out.ignore.push(last);
        continue;
      }
      const gone = last && last.desired_status === 'run' ? last : undefined;
      if (gone) {
        const what = sysbatch
          ? 'runs again on its node for the new job version'
          : `is replaced on its node as it ${gone.client_status === 'complete' ? 'exited' : 'failed'}`;
        const detail = gone.client_description ? `: ${gone.client_description}` : '';
        out.stop.push(stop(gone, 'failed', `alloc ${what}${detail}`));
        out.rescheduled.push({ alloc: gone, name: gone.name });
      }
      out.place.push({
        group: name,
        name: `${job?.id ?? input.jobId}.${name}[${index}]`,
        index,
        reason: gone ? 'failed' : 'new',
        canary: false,
        node,
        ...(gone ? { replaces: gone.id, previousNode: node } : {}),
      });
    }
    // What the group wants in all: its count on every ready node (before feasibility).
    out.count = (tg?.count ?? 0) * ready.size;
    out.counts.create = out.place.filter((p) => p.reason !== 'destructive').length;
    out.counts.create_destroy_update = out.destructiveUpdate.length;
    out.counts.in_place_update = out.inplaceUpdate.length;
    out.counts.ignore = out.ignore.length;
    out.counts.destroy = out.stop.filter(
      (s) => s.reason !== 'lost' && s.reason !== 'failed' && s.reason !== 'destructive-update',
    ).length;
    return out;

    /** An allocation running on `node`: kept, updated, or stopped by what became of its node. */
    function keepOrUpdate(a: Allocation, node: string, group: Group | undefined): void {
      if (!group) {
        const why = job ? 'group-removed' : 'job-stopped';
        out.stop.push(stop(a, why, STOP_DESCRIPTIONS[why]));
      } else if (nodes.down.has(node) || !isKnown(node)) {
        const description = nodes.down.has(node)
          ? STOP_DESCRIPTIONS.lost
          : 'alloc is lost since its node is no longer in the inventory';
        out.stop.push({ ...stop(a, 'lost', description), clientStatus: 'lost' });
        out.lost.push(a);
      } else if (nodes.draining.has(node) && !nodes.drainKeepsSystem?.has(node)) {
        out.stop.push(stop(a, 'migrate', 'alloc not needed as its node is draining'));
      } else if (!scope.inScope(node)) {
        out.stop.push(
          stop(
            a,
            'count-reduced',
            "alloc not needed as its node left the job's datacenters or pool",
          ),
        );
      } else if (!ready.has(node) || a.version === input.version) {
        // An ineligible node keeps what it runs, at the version it runs (Nomad ignores it).
        out.ignore.push(a);
      } else {
        const change = groupChange(input, job!, name, a.version, changes);
        if (change.update !== 'destructive') {
          out.inplaceUpdate.push({ alloc: a, tasks: change.inPlaceTasks });
          return;
        }
        out.destructiveUpdate.push({
          alloc: a,
          name: a.name,
          ...(change.because ? { because: change.because } : {}),
        });
        out.stop.push(stop(a, 'destructive-update', STOP_DESCRIPTIONS['destructive-update']));
        out.place.push({
          group: name,
          name: a.name,
          index: a.index,
          reason: 'destructive',
          canary: false,
          replaces: a.id,
          previousNode: node,
          node,
        });
      }
    }
  });

  function isKnown(node: string): boolean {
    return nodes.up.has(node) || nodes.ineligible.has(node) || nodes.draining.has(node);
  }

  const counts = emptyCounts();
  for (const g of groups) addCounts(counts, g.counts);
  return { jobId: input.jobId, version: input.version, stopped: !job, groups, counts };
}

/**
 * Reconcile and place a system or sysbatch job. Requests stay on their node; a replacement that
 * its node can no longer run leaves only the stop of the allocation it replaced. When no node
 * at all can run a group that has no allocation anywhere, that is a placement failure with the
 * filter metrics (Nomad's failedTGAllocs for system jobs); otherwise filtered nodes are only
 * reported.
 */
export function scheduleSystemJob(
  input: ReconcileInput & { job: Job },
  pc: PreparedCluster,
  options: PlaceOptions,
): { reconcile: ReconcileResult; place: PlaceResult } {
  const job = input.job;
  let result = recheckInPlace(reconcileSystem(input, systemScope(job, pc)), job, pc);
  result = {
    ...result,
    groups: result.groups.map((g) => ({
      ...g,
      place: g.place.map((p): PlaceRequest => ({ ...p, node: p.node ?? p.previousNode! })),
    })),
  };
  const freed = new Set([...(options.freed ?? []), ...freedAllocations(result)]);
  const placed = place(placementRequests(result, job), pc, { ...options, freed });
  const failures = [...placed.failures];
  const filtered = placed.filtered ?? [];
  for (const g of result.groups) {
    const misses = filtered.filter((f) => f.group === g.group);
    if (misses.length === 0) continue;
    // Filtered nodes get nothing (Nomad counts only feasible nodes as placements); a
    // replacement its node no longer runs leaves only the stop of the old allocation.
    for (const p of g.place) {
      if (!misses.some((m) => m.node === p.node)) continue;
      if (p.reason === 'destructive') {
        g.counts.create_destroy_update--;
        g.counts.destroy++;
      } else g.counts.create--;
    }
    const placedHere = placed.placements.some((p) => p.group === g.group);
    const exists = g.ignore.length + g.inplaceUpdate.length > 0;
    if (placedHere || exists || failures.some((f) => f.group === g.group)) continue;
    const metrics = misses.map((m) => m.metrics).reduce(mergeMetrics);
    failures.push({
      job: keyOfJob(job),
      group: g.group,
      failed: 1,
      names: [`${job.id}.${g.group}[0]`],
      metrics,
      reason: `no node can run it: ${misses.map((m) => `${m.node}: ${m.reason}`).join('; ')}`,
    });
  }
  const counts = emptyCounts();
  for (const g of result.groups) addCounts(counts, g.counts);
  return {
    reconcile: { ...result, counts },
    place: { ...placed, failures, ...(filtered.length ? { filtered } : {}) },
  };
}

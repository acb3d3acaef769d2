/**
 * The reconciler: desired job versus recorded allocations → what to create, stop, update in
 * place or replace, group by group. Semantics of Nomad's scheduler/reconcile.go (service and
 * batch jobs), with two deliberate differences for a tool that shows the whole rollout:
 * - every destructive update is listed (Nomad lists only the first `max_parallel`), and with
 *   canaries the replacements held until promotion are listed after the canaries;
 * - service allocations that exited are replaced at once.
 * Failed allocations follow their group's reschedule policy (`reschedule.ts`): replaced once
 * the delay has passed, kept (and counted) while it has not or when no attempts are left.
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { Allocation, Deployment } from '../state/types.js';
import { NameIndex } from './name-index.js';
import { rescheduleDecision } from './reschedule.js';
import { compareGroup, type GroupChange } from './update-class.js';
import type {
  DesiredCounts,
  GroupReconcile,
  InplaceUpdate,
  NodeSets,
  PlacementRequest,
  ReconcileInput,
  RescheduleAttempt,
  RescheduleWaiting,
  ReconcileResult,
  Replacement,
  StopReason,
  StopRequest,
} from './types.js';

export const STOP_DESCRIPTIONS: Record<StopReason, string> = {
  'count-reduced': 'alloc not needed as the group count was reduced',
  'job-stopped': 'alloc not needed as the job is stopped',
  'group-removed': 'alloc not needed as its group was removed from the job',
  lost: 'alloc is lost since its node is down',
  failed: 'alloc was rescheduled because it failed',
  migrate: 'alloc is being migrated',
  'destructive-update': 'alloc is being updated due to job update',
  'canary-replaced': 'alloc is replaced by a canary once the canaries are promoted',
  'canary-cancelled': 'canary of an older or failed deployment is not needed',
};

const ACTIVE_DEPLOYMENT = new Set(['running', 'paused', 'pending', 'blocked', 'unblocking']);

export function emptyCounts(): DesiredCounts {
  return {
    create: 0,
    destroy: 0,
    in_place_update: 0,
    create_destroy_update: 0,
    migrate: 0,
    canary: 0,
    ignore: 0,
  };
}

export function addCounts(into: DesiredCounts, c: DesiredCounts): void {
  for (const k of Object.keys(into) as (keyof DesiredCounts)[]) into[k] += c[k];
}

const desiredTerminal = (a: Allocation): boolean => a.desired_status !== 'run';
const clientTerminal = (a: Allocation): boolean =>
  a.client_status === 'complete' || a.client_status === 'failed' || a.client_status === 'lost';
const terminal = (a: Allocation): boolean => desiredTerminal(a) || clientTerminal(a);

const byIndex = (a: Allocation, b: Allocation): number =>
  a.index - b.index || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

type Taint = 'untainted' | 'migrate' | 'lost';

/** Nomad's FilterByTainted, plus drover's "lost by its client" (a host that did not answer). */
function taintOf(a: Allocation, nodes: NodeSets): Taint {
  if (a.desired_status === 'run' && a.client_status === 'lost') return 'lost';
  if (terminal(a)) return 'untainted';
  if (nodes.down.has(a.node)) return 'lost';
  if (nodes.draining.has(a.node)) return 'migrate';
  if (nodes.up.has(a.node) || nodes.ineligible.has(a.node)) return 'untainted';
  return 'lost';
}

function lostStop(a: Allocation, nodes: NodeSets): StopRequest {
  const description =
    a.client_status === 'lost'
      ? a.client_description
        ? `alloc is lost: ${a.client_description}`
        : 'alloc is lost since its host did not answer'
      : nodes.down.has(a.node)
        ? STOP_DESCRIPTIONS.lost
        : 'alloc is lost since its node is no longer in the inventory';
  return { alloc: a, reason: 'lost', description, clientStatus: 'lost' };
}

const stopOf = (alloc: Allocation, reason: StopReason, description?: string): StopRequest => ({
  alloc,
  reason,
  description: description ?? STOP_DESCRIPTIONS[reason],
});

/**
 * The client status of an allocation its stop finds already gone (lost, failed, or exited), else
 * undefined. Such a stop records what happened and destroys nothing running, so it is not a
 * "destroy" in the counts. (Nomad counts it as a Stop; drover's plan says "1 to create" for a
 * replaced dead allocation, so the summary never claims to destroy what is not running.)
 */
export function goneStatus(s: StopRequest): 'lost' | 'failed' | 'complete' | undefined {
  if (s.reason === 'lost') return 'lost';
  if (s.reason !== 'failed') return undefined;
  return s.alloc.client_status === 'complete' ? 'complete' : 'failed';
}

export function emptyGroup(group: string, count: number): GroupReconcile {
  return {
    group,
    count,
    place: [],
    stop: [],
    inplaceUpdate: [],
    destructiveUpdate: [],
    migrate: [],
    lost: [],
    rescheduled: [],
    waiting: [],
    ignore: [],
    canaries: 0,
    counts: emptyCounts(),
    notes: [],
  };
}

/** Stops every live allocation of a group (job stopped, or group gone from the job). */
function stopAll(
  group: string,
  allocs: readonly Allocation[],
  nodes: NodeSets,
  why: StopReason,
): GroupReconcile {
  const out = emptyGroup(group, 0);
  for (const a of allocs) {
    if (taintOf(a, nodes) === 'lost') {
      out.stop.push(lostStop(a, nodes));
      out.lost.push(a);
    } else if (!terminal(a)) out.stop.push(stopOf(a, why));
  }
  out.counts.destroy = out.stop.filter((s) => !goneStatus(s)).length;
  return out;
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const job = input.job === 'stopped' ? undefined : input.job;
  const byGroup = new Map<string, Allocation[]>();
  for (const a of input.allocations) {
    const list = byGroup.get(a.group);
    if (list) list.push(a);
    else byGroup.set(a.group, [a]);
  }
  for (const list of byGroup.values()) list.sort(byIndex);

  const groups: GroupReconcile[] = [];
  const known = new Set<string>();
  const changes = new Map<string, GroupChange>();
  for (const g of job?.group ?? []) {
    known.add(g.name);
    groups.push(reconcileGroup(input, job!, g, byGroup.get(g.name) ?? [], changes));
  }
  for (const name of [...byGroup.keys()].filter((n) => !known.has(n)).sort()) {
    const allocs = byGroup.get(name)!;
    groups.push(stopAll(name, allocs, input.nodes, job ? 'group-removed' : 'job-stopped'));
  }
  const counts = emptyCounts();
  for (const g of groups) addCounts(counts, g.counts);
  return { jobId: input.jobId, version: input.version, stopped: !job, groups, counts };
}

interface CanaryState {
  /** Canaries of the current deployment still running. */
  canaries: Allocation[];
  promoted: boolean;
  /** Canaries the current deployment wants (0 without one). */
  desired: number;
  cancel: Allocation[];
}

function canaryState(
  d: Deployment | undefined,
  input: ReconcileInput,
  group: string,
  allocs: readonly Allocation[],
): CanaryState {
  const out: CanaryState = { canaries: [], promoted: false, desired: 0, cancel: [] };
  const dg = d?.groups[group];
  if (!d || !dg) return out;
  // An allocation records itself as this deployment's canary before the deployment lists it
  // (two writes): a drover killed between them must still count it, or the next apply places
  // a second canary for the same slot.
  const ids = new Set(dg.placed_canaries);
  const placed = allocs.filter(
    (a) => (ids.has(a.id) || (a.canary === true && a.deployment_id === d.id)) && !terminal(a),
  );
  const current =
    d.job === input.jobId && d.version === input.version && ACTIVE_DEPLOYMENT.has(d.status);
  if (!current) {
    if (!dg.promoted) out.cancel = placed;
    return out;
  }
  out.canaries = placed;
  out.promoted = dg.promoted;
  out.desired = dg.desired_canaries;
  return out;
}

function reconcileGroup(
  input: ReconcileInput,
  job: Job,
  tg: Group,
  allocs: readonly Allocation[],
  changes: Map<string, GroupChange>,
): GroupReconcile {
  const { nodes, version } = input;
  const count = tg.count;
  const batch = job.type === 'batch' || job.type === 'sysbatch';
  const out = emptyGroup(tg.name, count);
  const name = (i: number): string => `${job.id}.${tg.name}[${i}]`;

  let all = [...allocs];
  // Batch: finished allocations of older versions no longer count (filterOldTerminalAllocs).
  if (batch) {
    const old = all.filter((a) => terminal(a) && a.version < version);
    out.ignore.push(...old);
    all = all.filter((a) => !old.includes(a));
  }

  const cs = canaryState(input.deployment, input, tg.name, all);
  for (const a of cs.cancel) out.stop.push(stopOf(a, 'canary-cancelled'));
  all = all.filter((a) => !cs.cancel.includes(a));
  // Canaries on tainted nodes are simply stopped; the canary phase places them again.
  const canaries: Allocation[] = [];
  for (const a of cs.canaries) {
    const t = taintOf(a, nodes);
    if (t === 'untainted') canaries.push(a);
    else {
      out.stop.push(t === 'lost' ? lostStop(a, nodes) : stopOf(a, 'migrate'));
      all = all.filter((x) => x !== a);
    }
  }

  // Sort by node health.
  let untainted: Allocation[] = [];
  let migrate: Allocation[] = [];
  const lost: Allocation[] = [];
  for (const a of all) {
    const t = taintOf(a, nodes);
    if (t === 'lost') lost.push(a);
    else if (t === 'migrate') migrate.push(a);
    else untainted.push(a);
  }

  // Failed allocations are replaced as the reschedule policy says (updateByReschedulable): now,
  // later (kept and counted until then), or never. One of an older version is replaced by the
  // update at once. Exited service allocations are replaced now; stopped ones no longer count.
  let reschedule: Allocation[] = [];
  const attempts = new Map<Allocation, RescheduleAttempt>();
  {
    const keep: Allocation[] = [];
    for (const a of untainted) {
      if (desiredTerminal(a)) {
        // A stopped batch allocation that ran to completion still counts (shouldFilter).
        if (batch && a.desired_status === 'stop' && a.client_status === 'complete') keep.push(a);
      } else if (a.client_status === 'failed') {
        if (a.version !== version) {
          reschedule.push(a);
          continue;
        }
        const d = rescheduleDecision(a, tg.reschedule, input.now ?? Number.POSITIVE_INFINITY);
        if (d.kind === 'now') {
          reschedule.push(a);
          attempts.set(a, {
            attempt: d.attempt,
            delayMs: d.delayMs,
            ...(d.attempts !== undefined ? { attempts: d.attempts } : {}),
          });
        } else {
          keep.push(a);
          out.waiting.push({ alloc: a, decision: d } satisfies RescheduleWaiting);
        }
      } else if (a.client_status === 'complete' && !batch) reschedule.push(a);
      else keep.push(a);
    }
    untainted = keep;
  }

  const names = new NameIndex(
    count,
    [...untainted, ...migrate, ...reschedule, ...lost].map((a) => a.index),
  );

  // computeStop: lost allocations stop; beyond the count, the highest indexes stop.
  for (const a of lost) {
    out.stop.push(lostStop(a, nodes));
    out.lost.push(a);
  }
  const isCanarying = cs.desired > 0 && !cs.promoted;
  const stoppable = isCanarying ? untainted.filter((a) => !canaries.includes(a)) : untainted;
  let remove = stoppable.length + migrate.length - count;
  const stopped = new Set<Allocation>();
  const stopForCount = (a: Allocation): void => {
    stopped.add(a);
    out.stop.push(stopOf(a, 'count-reduced', `alloc not needed as the group count is ${count}`));
    remove--;
  };
  if (remove > 0) {
    const live = stoppable.filter((a) => !terminal(a));
    // Two allocations holding one index: the later one goes first (never a canary).
    const seen = new Set<number>(isCanarying ? [] : canaries.map((c) => c.index));
    for (const a of live) {
      if (remove <= 0) break;
      if (canaries.includes(a)) continue;
      if (seen.has(a.index)) {
        stopForCount(a);
        names.unset(a.index);
      } else seen.add(a.index);
    }
    if (remove > 0 && !isCanarying && canaries.length > 0) {
      const canaryIndexes = new Set(canaries.map((c) => c.index));
      for (const a of live) {
        if (remove <= 0) break;
        if (!stopped.has(a) && !canaries.includes(a) && canaryIndexes.has(a.index)) stopForCount(a);
      }
    }
    if (remove > 0 && migrate.length > 0) {
      const drop = new NameIndex(
        count,
        migrate.map((a) => a.index),
      ).highest(remove);
      for (const a of [...migrate].reverse()) {
        if (remove <= 0) break;
        if (!drop.has(a.index)) continue;
        stopForCount(a);
        migrate = migrate.filter((m) => m !== a);
        names.unset(a.index);
      }
    }
    if (remove > 0) {
      const drop = names.highest(remove);
      for (const a of [...live].reverse()) {
        if (remove <= 0) break;
        if (!stopped.has(a) && drop.has(a.index)) stopForCount(a);
      }
    }
    // Duplicate indexes can leave some over.
    for (const a of [...live].reverse()) {
      if (remove <= 0) break;
      if (!stopped.has(a)) stopForCount(a);
    }
    untainted = untainted.filter((a) => !stopped.has(a));
  }

  // computeUpdates: same version → ignore; otherwise in place or destructive.
  const destructive: { alloc: Allocation; because?: string }[] = [];
  const inplace: InplaceUpdate[] = [];
  for (const a of untainted) {
    if (a.version === version) {
      out.ignore.push(a);
      continue;
    }
    const change = groupChange(input, job, tg.name, a.version, changes);
    if (change.update === 'destructive' && !terminal(a)) {
      destructive.push({ alloc: a, ...(change.because ? { because: change.because } : {}) });
    } else inplace.push({ alloc: a, tasks: terminal(a) ? [] : change.inPlaceTasks });
  }
  out.inplaceUpdate = inplace;

  // Canaries of a destructive update go first.
  const wanted = tg.update?.canary ?? 0;
  const canaryIndex = new Map<number, Allocation>();
  const destructiveByIndex = new Map(destructive.map((d) => [d.alloc.index, d.alloc]));
  if (isCanarying) untainted = untainted.filter((a) => !canaries.includes(a));
  if (wanted > 0 && destructive.length > 0 && canaries.length < wanted && !cs.promoted) {
    const indexes = names.nextCanaries(
      wanted - canaries.length,
      new Set(canaries.map((c) => c.index)),
      destructive.map((d) => d.alloc.index),
    );
    for (const i of indexes) {
      const old = destructiveByIndex.get(i);
      if (old) canaryIndex.set(i, old);
      out.place.push({
        group: tg.name,
        name: name(i),
        index: i,
        reason: 'canary',
        canary: true,
        ...(old ? { replaces: old.id, previousNode: old.node } : {}),
      });
    }
    out.counts.canary = indexes.length;
    out.canaries = wanted;
  } else if (isCanarying) out.canaries = cs.desired;

  // A canary of this deployment already holds the index of an old allocation that failed
  // meanwhile (an apply cut off mid-rollout): that allocation only stops, and the canary takes
  // its place as it would have; nothing else replaces it.
  const heldByCanary = (a: Allocation) =>
    canaries.some((c) => c.index === a.index && c.id !== a.id);
  const replaced = reschedule.filter(heldByCanary);
  for (const a of replaced) out.stop.push(stopOf(a, 'canary-replaced'));
  reschedule = reschedule.filter((a) => !replaced.includes(a));
  // Replacements of failed allocations, then of lost ones up to the count, then new ones.
  for (const a of reschedule) {
    const what =
      a.client_status === 'complete'
        ? 'alloc was rescheduled because it exited'
        : STOP_DESCRIPTIONS.failed;
    const why = a.client_description ? `: ${a.client_description}` : '';
    out.stop.push(stopOf(a, 'failed', what + why));
    out.rescheduled.push({ alloc: a, name: a.name });
    const attempt = attempts.get(a);
    out.place.push({
      group: tg.name,
      name: a.name,
      index: a.index,
      reason: 'failed',
      canary: false,
      replaces: a.id,
      previousNode: a.node,
      ...(attempt ? { reschedule: attempt } : {}),
    });
  }
  // While canarying the canaries are not in `untainted`: the ones taking a failed allocation's
  // place count here.
  let existing =
    untainted.length + migrate.length + reschedule.length + (isCanarying ? replaced.length : 0);
  for (const a of lost) {
    if (existing >= count) break;
    existing++;
    out.place.push({
      group: tg.name,
      name: a.name,
      index: a.index,
      reason: 'lost',
      canary: false,
      replaces: a.id,
      previousNode: a.node,
    });
  }
  if (existing < count) {
    for (const i of names.next(count - existing)) {
      out.place.push({ group: tg.name, name: name(i), index: i, reason: 'new', canary: false });
    }
  }

  // Destructive updates: each old allocation stops and a new one takes its name.
  for (const d of destructive) {
    const a = d.alloc;
    const r: Replacement = { alloc: a, name: a.name, ...(d.because ? { because: d.because } : {}) };
    out.destructiveUpdate.push(r);
    if (canaryIndex.has(a.index) || canaries.some((c) => c.index === a.index)) {
      out.stop.push(stopOf(a, 'canary-replaced'));
      continue;
    }
    out.stop.push(stopOf(a, 'destructive-update'));
    out.place.push({
      group: tg.name,
      name: a.name,
      index: a.index,
      reason: 'destructive',
      canary: false,
      replaces: a.id,
      previousNode: a.node,
    });
    out.counts.create_destroy_update++;
  }

  // Migrations off draining nodes.
  for (const a of migrate) {
    out.stop.push(stopOf(a, 'migrate'));
    out.migrate.push({ alloc: a, name: a.name });
    out.place.push({
      group: tg.name,
      name: a.name,
      index: a.index,
      reason: 'migrate',
      canary: false,
      replaces: a.id,
      previousNode: a.node,
    });
  }

  const created = new Set(['new', 'lost', 'failed']);
  // Lost and failed allocations are gone already: their stops destroy nothing (goneStatus).
  const destroyed = new Set<StopReason>(['count-reduced', 'canary-cancelled']);
  out.counts.create = out.place.filter((p) => created.has(p.reason)).length;
  out.counts.destroy = out.stop.filter((s) => destroyed.has(s.reason)).length;
  out.counts.in_place_update = inplace.length;
  out.counts.migrate = out.migrate.length;
  out.counts.ignore = out.ignore.length;
  return out;
}

export function groupChange(
  input: ReconcileInput,
  job: Job,
  group: string,
  from: number,
  memo: Map<string, GroupChange>,
): GroupChange {
  const key = `${group}\u0000${from}`;
  let change = memo.get(key);
  if (!change) {
    const prior = input.priorJob(from);
    change = prior
      ? compareGroup(prior, job, group, input.classify)
      : { update: 'destructive', because: `job version ${from} is not recorded`, inPlaceTasks: [] };
    memo.set(key, change);
  }
  return change;
}

/** Every placement request of a reconcile result, with its job, for `place`. */
export function placementRequests(result: ReconcileResult, job: Job): PlacementRequest[] {
  return result.groups.flatMap((g) => g.place.map((p) => ({ ...p, job })));
}

/**
 * Allocations whose resources a plan frees for its own placements: every stop but those
 * replaced by canaries, which keep running until the canaries are promoted.
 */
export function freedAllocations(result: ReconcileResult): Set<string> {
  const out = new Set<string>();
  for (const g of result.groups)
    for (const s of g.stop) if (s.reason !== 'canary-replaced') out.add(s.alloc.id);
  return out;
}

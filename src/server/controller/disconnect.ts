/**
 * What the plan sees of nodes that do not answer, per Nomad's disconnect semantics
 * (`scheduler/reconcile.go` and `reconcile_util.go`: filterByTainted, the `unknown` status,
 * reconcileReconnecting). Observe marks every allocation of an unreachable host lost at once;
 * the leader softens that:
 * - a node still within its grace period is not judged: its allocations stay as recorded;
 * - on a node that is down, an allocation whose group has `disconnect { lost_after }` (or the
 *   older `max_client_disconnect`) is `unknown` until lost_after has passed: with
 *   `replace = true` (the default) it is left out of the plan, so a replacement is placed beside
 *   it; with `replace = false` (or the older `prevent_reschedule_on_lost`) it stays as it is and
 *   nothing is placed on its node meanwhile. After lost_after it is lost and replaced;
 * - when a node comes back with an unknown allocation that was replaced, one of the two is
 *   stopped as `disconnect { reconcile }` says: `keep_original`, `longest_running` and
 *   `best_score` (drover has no client scores; the tie rule keeps the original) stop the
 *   replacement, `keep_replacement` the original.
 * Allocations lost for good are stopped as soon as their host answers again: the plan retries
 * every stop that did not reach it. Pure.
 */
import type { NormalizedGroup as Group } from '../../generated/normalized-job.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { Observed } from '../../ops/observe.js';
import type { Allocation, StateSnapshot } from '../../state/types.js';
import type { NodeCondition } from './node-health.js';

export interface DisconnectPolicy {
  lostAfterMs: number;
  replace: boolean;
  reconcile: 'keep_original' | 'keep_replacement' | 'best_score' | 'longest_running';
}

/** The group's disconnect policy, or undefined when its allocations are lost at once. */
export function disconnectPolicy(g: Group | undefined): DisconnectPolicy | undefined {
  if (!g) return undefined;
  const lostAfter = g.disconnect?.lost_after ?? g.max_client_disconnect;
  if (lostAfter === undefined || lostAfter <= 0) return undefined;
  const d = g.disconnect as { replace?: boolean; reconcile?: DisconnectPolicy['reconcile'] };
  return {
    lostAfterMs: lostAfter,
    replace: d?.replace ?? !g.prevent_reschedule_on_lost,
    reconcile: d?.reconcile ?? 'best_score',
  };
}

/** The group an allocation runs, at its recorded job version. */
export function groupOf(state: StateSnapshot, a: Allocation): Group | undefined {
  const v = state.jobs[a.job]?.versions.find((x) => x.version === a.version);
  if (!v) return undefined;
  try {
    return decodeStoredJob(v).group.find((g) => g.name === a.group);
  } catch {
    return undefined;
  }
}

export interface Decision {
  kind: 'held' | 'reconnect';
  alloc: string;
  node: string;
  reason: string;
}

export interface DisconnectView {
  observed: Observed;
  decisions: Decision[];
  /** When the next allocation held as unknown becomes lost. */
  nextAt?: number;
}

const live = (a: Allocation | undefined): a is Allocation =>
  !!a &&
  a.desired_status === 'run' &&
  (a.client_status === 'running' || a.client_status === 'pending');

export function disconnectView(
  observed: Observed,
  condition: (node: string) => NodeCondition,
  now: number,
): DisconnectView {
  const { stored } = observed;
  const allocations = { ...observed.state.allocations };
  const nodes = { ...observed.state.nodes };
  const keepRecorded = new Set<string>();
  const hidden = new Set<string>();
  const unplaceable = new Set<string>();
  const decisions: Decision[] = [];
  let nextAt: number | undefined;
  const downNodes = new Map(observed.down.map((d) => [d.node, d.reason]));

  for (const a of Object.values(stored.allocations)) {
    if (!live(a)) continue;
    const c = condition(a.node);
    if (c.kind === 'up') continue;
    if (c.kind === 'silent') {
      keepRecorded.add(a.id);
      continue;
    }
    const policy = disconnectPolicy(groupOf(stored, a));
    const lostAt = c.downAt + (policy?.lostAfterMs ?? 0);
    if (!policy || now >= lostAt) continue;
    nextAt = nextAt === undefined ? lostAt : Math.min(nextAt, lostAt);
    const left = `${Math.ceil((lostAt - now) / 1000)} s`;
    if (policy.replace) {
      hidden.add(a.id);
      decisions.push({
        kind: 'held',
        alloc: a.id,
        node: a.node,
        reason: `${a.name} is unknown (node "${a.node}" is down; disconnect.lost_after ends in ${left}): replaced, the original is kept until then`,
      });
    } else {
      keepRecorded.add(a.id);
      unplaceable.add(a.node);
      decisions.push({
        kind: 'held',
        alloc: a.id,
        node: a.node,
        reason: `${a.name} is unknown (node "${a.node}" is down; disconnect.lost_after ends in ${left}): kept, not replaced (replace = false)`,
      });
    }
  }

  for (const id of keepRecorded) allocations[id] = stored.allocations[id]!;
  for (const id of hidden) delete allocations[id];
  for (const d of reconnecting(stored, condition)) {
    decisions.push(d);
    const a = allocations[d.alloc];
    if (a) allocations[d.alloc] = { ...a, client_status: 'lost', client_description: d.reason };
  }

  // A node within its grace, or one that holds an allocation kept as it is, is not down for the
  // plan; nothing new goes there while it does not answer (without a fingerprint, nothing is).
  const notDown = new Set<string>();
  for (const [node] of downNodes) {
    const c = condition(node);
    if (c.kind === 'silent' || unplaceable.has(node)) notDown.add(node);
  }
  for (const node of notDown) {
    const n = nodes[node];
    if (n?.fingerprint) {
      const { fingerprint: _gone, ...rest } = n;
      nodes[node] = rest;
    }
  }
  const touched = new Set([...keepRecorded, ...hidden]);
  return {
    observed: {
      stored,
      state: { ...observed.state, allocations, nodes },
      drift: observed.drift.filter((d) => !touched.has(d.allocId)),
      down: observed.down.filter((d) => !notDown.has(d.node)),
    },
    decisions,
    ...(nextAt !== undefined ? { nextAt } : {}),
  };
}

/**
 * Originals that were unknown and replaced, whose node answers again: the allocation
 * `disconnect.reconcile` does not keep, with why. An original is a live allocation on an up
 * node whose slot (job, group, index) a later live allocation of the same version on another
 * node also fills.
 */
function reconnecting(
  stored: StateSnapshot,
  condition: (node: string) => NodeCondition,
): Decision[] {
  const slots = new Map<string, Allocation[]>();
  for (const a of Object.values(stored.allocations)) {
    if (!live(a)) continue;
    const key = `${a.job}\0${a.group}\0${a.index}`;
    slots.set(key, [...(slots.get(key) ?? []), a]);
  }
  const out: Decision[] = [];
  for (const allocs of slots.values()) {
    if (allocs.length < 2) continue;
    const sorted = [...allocs].sort((x, y) => (x.created_at < y.created_at ? -1 : 1));
    const original = sorted[0]!;
    const policy = disconnectPolicy(groupOf(stored, original));
    if (!policy || condition(original.node).kind !== 'up') continue;
    for (const replacement of sorted.slice(1)) {
      // A canary or an update's allocation shares the slot at another version: not a reconnect.
      if (replacement.node === original.node || replacement.version !== original.version) continue;
      const keepReplacement = policy.reconcile === 'keep_replacement';
      const stop = keepReplacement ? original : replacement;
      out.push({
        kind: 'reconnect',
        alloc: stop.id,
        node: stop.node,
        reason: `node "${original.node}" reconnected: disconnect.reconcile = ${policy.reconcile} keeps the ${keepReplacement ? `replacement ${replacement.id.slice(0, 8)}` : `original ${original.id.slice(0, 8)}`}`,
      });
    }
  }
  return out;
}

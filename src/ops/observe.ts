/**
 * Looking at the fleet before a plan: read state, fingerprint every node of the inventory, pin
 * host keys met for the first time, and refresh allocations from what really runs.
 */
import type { ConfiguredNode } from '../config/types.js';
import { StateRecorder } from '../deploy/recorder.js';
import { refreshState, type Drift } from '../deploy/refresh.js';
import type { NodeFacts } from '../deploy/taskenv.js';
import { isStateError } from '../state/errors.js';
import { newLockInfo, type Lock } from '../state/store.js';
import type { NodeFingerprint, NodeState, StateSnapshot } from '../state/types.js';
import type { EngineContext } from './context.js';

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
  ctx: EngineContext,
  refresh: boolean,
  opts: { locked?: boolean } = {},
): Promise<Observed> {
  let stored = await ctx.store.read();
  if (!refresh) return { stored, state: stored, drift: [], down: [] };
  const synced = await syncNodes(stored, ctx);
  const pinned = await pinHostKeys(ctx, { ...opts, nodes: synced.state.nodes });
  // Only the pins were written on top of what was read: the plan is against the new serial.
  if (pinned && pinned.serial === stored.serial + 1) stored = pinned;
  const refreshed = await refreshState(synced.state, {
    driver: (n) => ctx.drivers.get(n),
    transport: (n) => ctx.transport(n),
    nodes: ctx.nodes,
  });
  return { stored, state: refreshed.state, drift: refreshed.drift, down: synced.down };
}

/**
 * Whether a transport refused a host because its key changed (or is revoked): the one
 * connection failure that is not "the node is down". Matched by shape, as core code does not
 * import concrete transports (the ssh transport's SshConnectionError with kind `host-key`).
 */
export function isHostKeyRefusal(err: unknown): boolean {
  return err instanceof Error && (err as { kind?: unknown }).kind === 'host-key';
}

/**
 * Pins in state the host keys met for the first time in this run (`newPins`), so later
 * connections are held to them. Without `locked` (the caller holds the state lock), it takes the
 * lock only if it is free at once: a command that only reads (plan, status, logs) must neither
 * wait for nor fail on a running apply; the keys are then pinned by a later command. A node
 * not yet in state is recorded from `nodes` (as just fingerprinted) or its inventory. Returns
 * the state written, or undefined when nothing was.
 */
export async function pinHostKeys(
  ctx: EngineContext,
  opts: { locked?: boolean; nodes?: Readonly<Record<string, NodeState>> } = {},
): Promise<StateSnapshot | undefined> {
  if (ctx.newPins.size === 0) return undefined;
  let lock: Lock | undefined;
  if (!opts.locked) {
    try {
      lock = await ctx.store.lock(newLockInfo('pin host keys'), { timeoutMs: 0 });
    } catch (err) {
      if (isStateError(err) && err.code === 'locked') return undefined;
      throw err;
    }
  }
  try {
    const state = await ctx.store.read();
    const nodes = { ...state.nodes };
    let changed = false;
    for (const [name, key] of ctx.newPins) {
      const configured = ctx.nodes.get(name);
      const prior =
        nodes[name] ?? opts.nodes?.[name] ?? (configured && inventoryRecord(configured));
      // Another drover may have pinned a key meanwhile: that pin stands.
      if (!prior || nodes[name]?.host_key) continue;
      nodes[name] = { ...prior, host_key: key };
      changed = true;
    }
    ctx.newPins.clear();
    return changed ? await ctx.store.write({ ...state, nodes }, state.serial) : undefined;
  } finally {
    await lock?.release();
  }
}

function inventoryRecord(node: ConfiguredNode): NodeState {
  const { name, ...inventory } = node;
  return { name, inventory, eligibility: 'eligible' };
}

/**
 * Fingerprints every node of the inventory and folds the result into state (in memory): the
 * inventory as configured, the fingerprint as read, eligibility and drain kept. Nodes that do
 * not answer are returned as down; nodes no longer configured are dropped. A host whose key
 * changed fails the whole call.
 */
export async function syncNodes(
  state: StateSnapshot,
  ctx: EngineContext,
): Promise<{ state: StateSnapshot; down: { node: string; reason: string }[] }> {
  const down: { node: string; reason: string }[] = [];
  const entries = await Promise.all(
    [...ctx.nodes.values()].map(async (node): Promise<[string, NodeState]> => {
      const prior = state.nodes[node.name];
      let fingerprint: NodeFingerprint | undefined = prior?.fingerprint;
      try {
        fingerprint = await ctx.transport(node).fingerprint();
      } catch (err) {
        // A changed host key is refused outright: it must not pass for a down node, whose
        // allocations a plan would move.
        if (isHostKeyRefusal(err)) throw err;
        down.push({ node: node.name, reason: (err as Error).message });
      }
      const { name: _n, ...inventory } = node;
      return [
        node.name,
        {
          name: node.name,
          inventory: inventory,
          ...(fingerprint ? { fingerprint } : {}),
          eligibility: prior?.eligibility ?? 'eligible',
          ...(prior?.drain ? { drain: prior.drain } : {}),
          ...(prior?.drain && prior.drain_ignore_system_jobs
            ? { drain_ignore_system_jobs: true }
            : {}),
          ...(prior?.host_key || ctx.newPins.has(node.name)
            ? { host_key: prior?.host_key ?? ctx.newPins.get(node.name)! }
            : {}),
        },
      ];
    }),
  );
  return { state: { ...state, nodes: Object.fromEntries(entries) }, down };
}

/** What `${attr.*}`, `${node.*}` and `${meta.*}` resolve to on a node. */
export function nodeFacts(state: StateSnapshot, node: ConfiguredNode): NodeFacts {
  const fp = state.nodes[node.name]?.fingerprint;
  return {
    name: node.name,
    datacenter: node.datacenter,
    ...(node.class ? { class: node.class } : {}),
    ...(node.node_pool ? { pool: node.node_pool } : {}),
    attributes: fp?.attributes ?? {},
    meta: node.meta,
  };
}

/**
 * Records what refresh saw when the plan changes nothing but allocations drifted: an allocation
 * an interrupted apply left pending, whose tasks its drivers found running, is recorded running
 * with their handles. Without drift nothing is written (fingerprints alone are no reason).
 */
export async function recordRefresh(ctx: EngineContext, observed: Observed): Promise<void> {
  if (observed.drift.length === 0) return;
  const recorder = new StateRecorder(ctx.store, observed.stored);
  await recordObserved(recorder, observed);
  await recorder.flush();
}

/** Records the refreshed nodes and the allocations that drifted, with a `refresh` event. */
export async function recordObserved(recorder: StateRecorder, observed: Observed): Promise<void> {
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

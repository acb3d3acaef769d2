/**
 * What every command that touches hosts or state needs: the configuration, the state store,
 * the drivers, one transport per node (opened on first use, closed at the end), and the
 * nodes' fingerprints folded into state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createDriverRegistry,
  createTransport,
  defaultDrivers,
  type DriverRegistry,
} from '../../providers/registry.js';
import type { NodeSpec, Transport } from '../../providers/types.js';
import { loadConfig } from '../config/load.js';
import type { ConfiguredNode, DroverConfig } from '../config/types.js';
import type { NodeFacts } from '../deploy/taskenv.js';
import { Diagnostics } from '../diag/diagnostic.js';
import { packageRoot } from '../paths.js';
import { isStateError } from '../state/errors.js';
import { createStateStore, stderrWarning } from '../state/factory.js';
import { newLockInfo, type StateStore } from '../state/store.js';
import type { NodeFingerprint, NodeState, PinnedHostKey, StateSnapshot } from '../state/types.js';

export interface Session {
  /** Host keys pinned in state, by node (read when the session opens, before any connection). */
  pins: Map<string, PinnedHostKey>;
  /** Host keys met for the first time in this run, to be pinned in state. */
  newPins: Map<string, PinnedHostKey>;
  config: DroverConfig;
  nodes: ReadonlyMap<string, ConfiguredNode>;
  store: StateStore;
  drivers: DriverRegistry;
  transport(node: NodeSpec): Transport;
  close(): Promise<void>;
}

export async function openSession(
  configPath: string | undefined,
  diags: Diagnostics,
): Promise<Session | undefined> {
  const config = loadConfig(configPath, diags);
  if (!config) return undefined;
  const drivers = createDriverRegistry(await defaultDrivers());
  const transports = new Map<string, Transport>();
  const store = createStateStore(config.state, { warn: stderrWarning });
  const pins = await pinnedKeys(store);
  const newPins = new Map<string, PinnedHostKey>();
  return {
    pins,
    newPins,
    config,
    nodes: new Map(config.nodes.map((n) => [n.name, n])),
    store,
    drivers,
    transport(node) {
      let t = transports.get(node.name);
      if (!t) {
        const pinned = pins.get(node.name);
        t = createTransport(node, {
          drivers: drivers.all(),
          ...(pinned ? { pinnedKey: pinned } : {}),
          onNewHostKey: (key) =>
            newPins.set(node.name, { ...key, pinned_at: new Date().toISOString() }),
        });
        transports.set(node.name, t);
      }
      return t;
    },
    async close() {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      await store.close();
    },
  };
}

/**
 * The host keys pinned in state, so that every connection of every command is held to them.
 * A state that cannot be read pins nothing here: the command reading it reports why.
 */
async function pinnedKeys(store: StateStore): Promise<Map<string, PinnedHostKey>> {
  const pins = new Map<string, PinnedHostKey>();
  try {
    for (const n of Object.values((await store.read()).nodes))
      if (n.host_key) pins.set(n.name, n.host_key);
  } catch {
    // Reported by whoever reads the state for real.
  }
  return pins;
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
  session: Session,
  opts: { locked?: boolean; nodes?: Readonly<Record<string, NodeState>> } = {},
): Promise<StateSnapshot | undefined> {
  if (session.newPins.size === 0) return undefined;
  let lock: Awaited<ReturnType<Session['store']['lock']>> | undefined;
  if (!opts.locked) {
    try {
      lock = await session.store.lock(newLockInfo('pin host keys'), { timeoutMs: 0 });
    } catch (err) {
      if (isStateError(err) && err.code === 'locked') return undefined;
      throw err;
    }
  }
  try {
    const state = await session.store.read();
    const nodes = { ...state.nodes };
    let changed = false;
    for (const [name, key] of session.newPins) {
      const configured = session.nodes.get(name);
      const prior =
        nodes[name] ?? opts.nodes?.[name] ?? (configured && inventoryRecord(configured));
      // Another drover may have pinned a key meanwhile: that pin stands.
      if (!prior || nodes[name]?.host_key) continue;
      nodes[name] = { ...prior, host_key: key };
      changed = true;
    }
    session.newPins.clear();
    return changed ? await session.store.write({ ...state, nodes }, state.serial) : undefined;
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
  session: Session,
): Promise<{ state: StateSnapshot; down: { node: string; reason: string }[] }> {
  const down: { node: string; reason: string }[] = [];
  const entries = await Promise.all(
    [...session.nodes.values()].map(async (node): Promise<[string, NodeState]> => {
      const prior = state.nodes[node.name];
      let fingerprint: NodeFingerprint | undefined = prior?.fingerprint;
      try {
        fingerprint = await session.transport(node).fingerprint();
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
          ...(prior?.host_key || session.newPins.has(node.name)
            ? { host_key: prior?.host_key ?? session.newPins.get(node.name)! }
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

export function droverVersion(): string {
  return (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
}

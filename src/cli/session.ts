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
import { LocalStateStore } from '../state/local.js';
import type { NodeFingerprint, NodeState, PinnedHostKey, StateSnapshot } from '../state/types.js';

export interface Session {
  /** Host keys pinned in state, by node (filled when state is read, before any connection). */
  pins: Map<string, PinnedHostKey>;
  /** Host keys met for the first time in this run, to be pinned in state. */
  newPins: Map<string, PinnedHostKey>;
  config: DroverConfig;
  nodes: ReadonlyMap<string, ConfiguredNode>;
  store: LocalStateStore;
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
  const pins = new Map<string, PinnedHostKey>();
  const newPins = new Map<string, PinnedHostKey>();
  return {
    pins,
    newPins,
    config,
    nodes: new Map(config.nodes.map((n) => [n.name, n])),
    store: new LocalStateStore({ path: config.state.path }),
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
    },
  };
}

/**
 * Fingerprints every node of the inventory and folds the result into state (in memory): the
 * inventory as configured, the fingerprint as read, eligibility and drain kept. Nodes that do
 * not answer are returned as down; nodes no longer configured are dropped.
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

/**
 * Adapters from the recorded state to the scheduler's inputs: the cluster (nodes with their
 * fingerprints, allocations with what they use) and the node health sets reconcile needs.
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import { groupAsk } from './resources.js';
import type { Cluster, ClusterAllocation, ClusterNode, NodeSets } from './types.js';
import { decodeStoredJob } from '../jobspec/stored.js';

export interface FromStateOptions {
  /** Nodes found unreachable by the last refresh. */
  down?: Iterable<string>;
}

/** The decoded job (with defaults) of a recorded version. */
export function recordedJob(state: StateSnapshot, jobId: string, version: number): Job | undefined {
  const v = state.jobs[jobId]?.versions.find((x) => x.version === version);
  return v ? decodeStoredJob(v) : undefined;
}

/** Whether an allocation holds resources on its node (desired run, not finished). */
export function holdsResources(a: Allocation): boolean {
  return (
    a.desired_status === 'run' &&
    a.client_status !== 'complete' &&
    a.client_status !== 'failed' &&
    a.client_status !== 'lost'
  );
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** "22,80,8000-8002" → [22, 80, 8000, 8001, 8002] (Nomad's reserved ports syntax). */
export function parsePortList(spec: unknown): number[] {
  if (Array.isArray(spec)) return spec.filter((p): p is number => typeof p === 'number');
  if (typeof spec !== 'string') return [];
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let p = lo; p <= hi && p <= 65535; p++) out.push(p);
  }
  return out;
}

/** The inventory's `host_volumes` (as config defaults recorded them), read defensively. */
function hostVolumesOf(recorded: unknown): Pick<ClusterNode, 'hostVolumes'> {
  if (typeof recorded !== 'object' || recorded === null) return {};
  const out: Record<string, { read_only: boolean }> = {};
  for (const [name, v] of Object.entries(recorded as Record<string, unknown>))
    out[name] = { read_only: (v as { read_only?: unknown } | null)?.read_only === true };
  return { hostVolumes: out };
}

export function clusterFromState(state: StateSnapshot, opts: FromStateOptions = {}): Cluster {
  const down = new Set(opts.down ?? []);
  const nodes: ClusterNode[] = Object.values(state.nodes)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((n) => {
      const inv = n.inventory;
      const fp = n.fingerprint;
      const reserved = (inv.reserved ?? {}) as Record<string, unknown>;
      const attributes = { ...(fp?.attributes ?? {}) };
      // The configured address is how drover (and so the tasks' NOMAD_IP_*) reaches the node.
      const address =
        (typeof inv.address === 'string' ? inv.address : undefined) ??
        (inv.transport === 'local' ? '127.0.0.1' : undefined) ??
        attributes['unique.network.ip-address'];
      const node: ClusterNode = {
        name: n.name,
        datacenter: inv.datacenter ?? 'dc1',
        class: inv.class ?? '',
        node_pool: typeof inv.node_pool === 'string' ? inv.node_pool : 'default',
        attributes,
        meta: { ...(inv.meta ?? {}) },
        drivers: Object.entries(fp?.drivers ?? {})
          .filter(([, d]) => d.detected && d.healthy)
          .map(([name]) => name)
          .sort(),
        resources: {
          cpu: fp?.resources.cpu ?? 0,
          memory: fp?.resources.memory ?? 0,
          ...(fp?.resources.cores !== undefined ? { cores: fp.resources.cores } : {}),
          ...(fp?.resources.disk !== undefined ? { disk: fp.resources.disk } : {}),
        },
        reserved: {
          cpu: num(reserved.cpu) ?? 0,
          memory: num(reserved.memory) ?? 0,
          disk: num(reserved.disk) ?? 0,
          cores: num(reserved.cores) ?? 0,
          ports: parsePortList(reserved.ports),
        },
        eligible: n.eligibility === 'eligible' && !n.drain && !down.has(n.name) && fp !== undefined,
        ...(address !== undefined ? { address } : {}),
        ...hostVolumesOf(inv.host_volumes),
      };
      return node;
    });
  const perCore = new Map(
    nodes.map((n) => [n.name, n.resources.cores ? n.resources.cpu / n.resources.cores : 0]),
  );
  const allocations: ClusterAllocation[] = [];
  const groups = new Map<string, Group | undefined>();
  for (const a of Object.values(state.allocations)) {
    if (!holdsResources(a)) continue;
    const key = `${a.job}\u0000${a.version}\u0000${a.group}`;
    if (!groups.has(key))
      groups.set(
        key,
        recordedJob(state, a.job, a.version)?.group.find((g) => g.name === a.group),
      );
    const g = groups.get(key);
    const ask = g ? groupAsk(g) : { cpu: 0, memory: 0, disk: 0, cores: 0 };
    allocations.push({
      id: a.id,
      node: a.node,
      job: a.job,
      group: a.group,
      cpu: ask.cpu + ask.cores * (perCore.get(a.node) ?? 0),
      memory: ask.memory,
      disk: ask.disk,
      cores: ask.cores,
      ports: a.ports.map((p) => p.value),
    });
  }
  return { nodes, allocations };
}

/** Node health for reconcile: down (given), draining, ineligible, else up. */
export function nodeSetsFromState(state: StateSnapshot, down: Iterable<string> = []): NodeSets {
  const sets = {
    up: new Set<string>(),
    down: new Set<string>(down),
    draining: new Set<string>(),
    ineligible: new Set<string>(),
    drainKeepsSystem: new Set<string>(),
  };
  for (const n of Object.values(state.nodes)) {
    if (sets.down.has(n.name)) continue;
    if (n.drain && n.drain_ignore_system_jobs) sets.drainKeepsSystem.add(n.name);
    if (n.drain) sets.draining.add(n.name);
    else if (n.eligibility !== 'eligible') sets.ineligible.add(n.name);
    else sets.up.add(n.name);
  }
  return sets;
}

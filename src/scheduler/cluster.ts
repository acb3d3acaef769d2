/**
 * A cluster laid out for placement: one slot per node in typed arrays (capacity, usage), each
 * node's computed class (Nomad's ComputedClass: nodes that look alike share feasibility
 * results), and the allocations indexed by job. Preparing is O(nodes + allocations) once;
 * `place` then copies only the usage arrays.
 */
import type { NodeFacts } from './constraints.js';
import type { Cluster, ClusterAllocation, ClusterNode, Placement } from './types.js';

export interface PreparedCluster {
  readonly prepared: true;
  readonly nodes: readonly ClusterNode[];
  readonly facts: readonly NodeFacts[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** Computed class per node and how many classes there are. */
  readonly classOf: Int32Array;
  readonly classCount: number;
  readonly drivers: readonly ReadonlySet<string>[];
  readonly eligible: Uint8Array;
  /** Resources minus reserved. Disk is NaN when unknown. */
  readonly capCpu: Float64Array;
  readonly capMem: Float64Array;
  readonly capDisk: Float64Array;
  readonly capCores: Int32Array;
  /** MHz one reserved core is worth on the node. */
  readonly cpuPerCore: Float64Array;
  /** Used by the allocations below (read-only: `place` works on copies). */
  readonly usedCpu: Float64Array;
  readonly usedMem: Float64Array;
  readonly usedDisk: Float64Array;
  readonly usedCores: Int32Array;
  /** Host ports in use per node (reserved ones included); undefined when none. */
  readonly ports: readonly (ReadonlySet<number> | undefined)[];
  readonly allocations: readonly ClusterAllocation[];
  readonly allocById: ReadonlyMap<string, ClusterAllocation>;
  readonly allocsByJob: ReadonlyMap<string, readonly ClusterAllocation[]>;
  /** Memo of candidate lists per datacenters and pool (derived data, safe to share). */
  readonly candidateCache: Map<string, Candidates>;
}

/** The nodes a job may use, and why the others are left out. */
export interface Candidates {
  nodes: Int32Array;
  byDatacenter: Record<string, number>;
  excluded: { datacenter: number; nodePool: number; ineligible: number };
}

export function isPrepared(c: Cluster | PreparedCluster): c is PreparedCluster {
  return (c as PreparedCluster).prepared === true;
}

function factsOf(n: ClusterNode): NodeFacts {
  return {
    name: n.name,
    id: n.id ?? n.name,
    datacenter: n.datacenter,
    class: n.class ?? '',
    pool: n.node_pool ?? 'default',
    attributes: n.attributes,
    meta: n.meta,
  };
}

/** Nomad's ComputeClass: everything but unique.* attributes and meta. */
function classKey(n: ClusterNode, f: NodeFacts): string {
  const parts = [f.datacenter, f.class, f.pool, [...n.drivers].sort().join(',')];
  for (const k of Object.keys(n.attributes).sort()) {
    if (!k.startsWith('unique.')) parts.push(`a:${k}=${n.attributes[k]}`);
  }
  for (const k of Object.keys(n.meta).sort()) {
    if (!k.startsWith('unique.')) parts.push(`m:${k}=${n.meta[k]}`);
  }
  return parts.join('\u0000');
}

export function prepareCluster(cluster: Cluster): PreparedCluster {
  const nodes = cluster.nodes;
  const n = nodes.length;
  const facts = nodes.map(factsOf);
  const indexOf = new Map<string, number>();
  const classOf = new Int32Array(n);
  const classIds = new Map<string, number>();
  const capCpu = new Float64Array(n);
  const capMem = new Float64Array(n);
  const capDisk = new Float64Array(n);
  const capCores = new Int32Array(n);
  const cpuPerCore = new Float64Array(n);
  const eligible = new Uint8Array(n);
  const ports: (Set<number> | undefined)[] = new Array<Set<number> | undefined>(n);
  nodes.forEach((node, i) => {
    indexOf.set(node.name, i);
    const key = classKey(node, facts[i]!);
    let id = classIds.get(key);
    if (id === undefined) classIds.set(key, (id = classIds.size));
    classOf[i] = id;
    const r = node.resources;
    const res = node.reserved ?? {};
    capCpu[i] = r.cpu - (res.cpu ?? 0);
    capMem[i] = r.memory - (res.memory ?? 0);
    capDisk[i] = r.disk === undefined ? NaN : r.disk - (res.disk ?? 0);
    const cores = r.cores ?? 0;
    capCores[i] = cores - (res.cores ?? 0);
    cpuPerCore[i] = cores > 0 ? r.cpu / cores : 0;
    eligible[i] = node.eligible ? 1 : 0;
    if (res.ports && res.ports.length > 0) ports[i] = new Set(res.ports);
  });
  const base: Omit<PreparedCluster, 'allocations' | 'allocById' | 'allocsByJob'> & {
    usedCpu: Float64Array;
    usedMem: Float64Array;
    usedDisk: Float64Array;
    usedCores: Int32Array;
  } = {
    prepared: true,
    nodes,
    facts,
    indexOf,
    classOf,
    classCount: classIds.size,
    drivers: nodes.map((node) => new Set(node.drivers)),
    eligible,
    capCpu,
    capMem,
    capDisk,
    capCores,
    cpuPerCore,
    usedCpu: new Float64Array(n),
    usedMem: new Float64Array(n),
    usedDisk: new Float64Array(n),
    usedCores: new Int32Array(n),
    ports,
    candidateCache: new Map(),
  };
  const byJob = new Map<string, ClusterAllocation[]>();
  const byId = new Map<string, ClusterAllocation>();
  for (const a of cluster.allocations) {
    const i = indexOf.get(a.node);
    if (i === undefined) continue;
    byId.set(a.id, a);
    pushTo(byJob, a.job, a);
    base.usedCpu[i] = base.usedCpu[i]! + a.cpu;
    base.usedMem[i] = base.usedMem[i]! + a.memory;
    base.usedDisk[i] = base.usedDisk[i]! + a.disk;
    base.usedCores[i] = base.usedCores[i]! + a.cores;
    if (a.ports.length > 0) {
      const set = ports[i] ?? (ports[i] = new Set());
      for (const p of a.ports) set.add(p);
    }
  }
  return {
    ...base,
    allocations: cluster.allocations,
    allocById: byId,
    allocsByJob: byJob,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The cluster once `placements` are running and the `freed` allocations are gone: a new
 * prepared cluster sharing the unchanging parts (for a caller that schedules job after job).
 */
export function applyPlacements(
  pc: PreparedCluster,
  placements: readonly Placement[],
  freed: ReadonlySet<string> = new Set(),
): PreparedCluster {
  const usedCpu = pc.usedCpu.slice();
  const usedMem = pc.usedMem.slice();
  const usedDisk = pc.usedDisk.slice();
  const usedCores = pc.usedCores.slice();
  const ports = pc.ports.slice();
  const touched = new Set<number>();
  const portSet = (i: number): Set<number> => {
    if (!touched.has(i)) {
      touched.add(i);
      ports[i] = new Set(ports[i] ?? []);
    }
    return ports[i] as Set<number>;
  };
  const allocations = pc.allocations.filter((a) => !freed.has(a.id));
  for (const id of freed) {
    const a = pc.allocById.get(id);
    const i = a ? pc.indexOf.get(a.node) : undefined;
    if (!a || i === undefined) continue;
    usedCpu[i] = usedCpu[i]! - a.cpu;
    usedMem[i] = usedMem[i]! - a.memory;
    usedDisk[i] = usedDisk[i]! - a.disk;
    usedCores[i] = usedCores[i]! - a.cores;
    const set = portSet(i);
    for (const p of a.ports) set.delete(p);
  }
  for (const p of placements) {
    const i = pc.indexOf.get(p.node);
    if (i === undefined) continue;
    const a: ClusterAllocation = {
      id: `${p.name}@${pc.allocations.length + allocations.length}`,
      node: p.node,
      job: p.job,
      group: p.group,
      ...p.resources,
      ports: p.ports.map((x) => x.value),
    };
    allocations.push(a);
    usedCpu[i] = usedCpu[i]! + a.cpu;
    usedMem[i] = usedMem[i]! + a.memory;
    usedDisk[i] = usedDisk[i]! + a.disk;
    usedCores[i] = usedCores[i]! + a.cores;
    if (a.ports.length > 0) {
      const set = portSet(i);
      for (const x of a.ports) set.add(x);
    }
  }
  const byJob = new Map<string, ClusterAllocation[]>();
  const byId = new Map<string, ClusterAllocation>();
  for (const a of allocations) {
    byId.set(a.id, a);
    pushTo(byJob, a.job, a);
  }
  return {
    ...pc,
    usedCpu,
    usedMem,
    usedDisk,
    usedCores,
    ports,
    allocations,
    allocById: byId,
    allocsByJob: byJob,
  };
}

/** Nomad's datacenter globs (ryanuber/go-glob): `*` matches any run of characters. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first)) return false;
  let at = first.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const found = value.indexOf(parts[k]!, at);
    if (found < 0) return false;
    at = found + parts[k]!.length;
  }
  return value.length - at >= last.length && value.endsWith(last);
}

/**
 * The nodes a job may use: eligible, in one of its datacenters and in its node pool ("all"
 * takes every pool), in node order (the caller shuffles).
 */
export function candidatesFor(
  pc: PreparedCluster,
  datacenters: readonly string[],
  pool: string,
): Candidates {
  const key = `${datacenters.join('\u0000')}\u0001${pool}`;
  const hit = pc.candidateCache.get(key);
  if (hit) return hit;
  const list: number[] = [];
  const byDatacenter: Record<string, number> = {};
  const excluded = { datacenter: 0, nodePool: 0, ineligible: 0 };
  pc.facts.forEach((f, i) => {
    if (!datacenters.some((d) => globMatch(d, f.datacenter))) excluded.datacenter++;
    else if (pool !== 'all' && f.pool !== pool) excluded.nodePool++;
    else if (!pc.eligible[i]) excluded.ineligible++;
    else {
      list.push(i);
      byDatacenter[f.datacenter] = (byDatacenter[f.datacenter] ?? 0) + 1;
    }
  });
  const out = { nodes: Int32Array.from(list), byDatacenter, excluded };
  pc.candidateCache.set(key, out);
  return out;
}

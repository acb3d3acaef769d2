/**
 * What an allocation of a group asks of a node: cpu, memory, disk, cores and ports.
 */
import type {
  NormalizedGroup as Group,
  NormalizedNetwork as Network,
  NormalizedPort as Port,
  NormalizedResources as Resources,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';

export interface ResourceAsk {
  /** MHz from `cpu` (tasks reserving whole cores add cores × the node's MHz per core). */
  cpu: number;
  /** MB (memory plus secrets). */
  memory: number;
  /** MB of ephemeral disk. */
  disk: number;
  /** Whole cores. */
  cores: number;
}

const ZERO: ResourceAsk = { cpu: 0, memory: 0, disk: 0, cores: 0 };

function taskAsk(r: Resources): ResourceAsk {
  const cores = r.cores;
  return {
    // A task that asks for cores gets whole cores, not MHz.
    cpu: cores > 0 ? 0 : r.cpu,
    memory: r.memory + (r.secrets ?? 0),
    disk: 0,
    cores,
  };
}

const add = (a: ResourceAsk, b: ResourceAsk): ResourceAsk => ({
  cpu: a.cpu + b.cpu,
  memory: a.memory + b.memory,
  disk: a.disk + b.disk,
  cores: a.cores + b.cores,
});

const max = (a: ResourceAsk, b: ResourceAsk): ResourceAsk => ({
  cpu: Math.max(a.cpu, b.cpu),
  memory: Math.max(a.memory, b.memory),
  disk: Math.max(a.disk, b.disk),
  cores: Math.max(a.cores, b.cores),
});

/**
 * The group's ask, with lifecycle tasks counted as Nomad's AllocatedResources.Comparable does:
 * prestart sidecars + max(prestart ephemeral tasks, main + poststart tasks, poststop tasks).
 */
export function groupAsk(group: Group): ResourceAsk {
  let sidecars = ZERO;
  let ephemeral = ZERO;
  let main = ZERO;
  let poststop = ZERO;
  for (const t of group.task) {
    const ask = taskAsk(t.resources);
    const hook = t.lifecycle?.hook;
    if (hook === 'prestart') {
      if (t.lifecycle?.sidecar) sidecars = add(sidecars, ask);
      else ephemeral = add(ephemeral, ask);
    } else if (hook === 'poststop') poststop = add(poststop, ask);
    else main = add(main, ask);
  }
  const total = add(sidecars, max(max(ephemeral, main), poststop));
  return { ...total, disk: group.ephemeral_disk.size };
}

/** A port of the group's network. */
export interface PortAsk {
  label: string;
  /** The static host port, or 0 for a dynamic one. */
  static: number;
  /** The port inside the task it maps to (−1 or undefined: the same). */
  to?: number;
  ignoreCollision: boolean;
}

function portAsks(ports: readonly Port[] | undefined): PortAsk[] {
  return (ports ?? []).map((p) => ({
    label: p.label,
    static: p.static ?? 0,
    ...(p.to !== undefined ? { to: p.to } : {}),
    ignoreCollision: p.ignore_collision === true,
  }));
}

function networkPorts(n: Network | undefined): PortAsk[] {
  if (!n) return [];
  return [...portAsks(n.reserved_ports), ...portAsks(n.port)];
}

/**
 * The ports an allocation needs: the group's first network (Nomad uses only the first), plus
 * the legacy task-level `resources { network { … } }` ports.
 */
export function groupPorts(group: Group): PortAsk[] {
  const out = networkPorts(group.network?.[0]);
  for (const t of group.task) out.push(...networkPorts(taskNetwork(t)));
  return out;
}

function taskNetwork(t: Task): Network | undefined {
  return t.resources.network?.[0];
}

/** The task drivers a group needs. */
export function groupDrivers(group: Group): string[] {
  const out = new Set<string>();
  for (const t of group.task) out.add(t.driver);
  return [...out].sort();
}

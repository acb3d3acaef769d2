/**
 * How a job change reaches a group's running allocations: not at all, in place, or by
 * replacing them. The scheduler decides the group-level part as Nomad's scheduler/util.go
 * `tasksUpdated` does (networks, ephemeral disk, volumes, affinities, spreads, Consul,
 * Connect, combined meta, resources, mounts, identities); each task's driver decides the rest
 * (config, env, user, artifacts, templates…) through `classify`.
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedNetwork as Network,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import type { ClassifyTask, UpdateClass } from './types.js';

export interface GroupChange {
  update: UpdateClass;
  /** What forces a destructive update, e.g. "ephemeral disk" or `task "web": driver`. */
  because?: string;
  /** Tasks their driver updates in place. */
  inPlaceTasks: string[];
}

/** Structural equality of JSON data; object key order does not matter, undefined keys are absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

const list = <T>(xs: readonly T[] | undefined): readonly T[] => xs ?? [];

/** networkUpdated: dynamic port values do not matter, everything else does. */
function networkKey(n: Network | undefined): unknown {
  if (!n) return undefined;
  const ports = [...list(n.reserved_ports), ...list(n.port)]
    .map((p) => ({
      label: p.label,
      value: p.static ?? -1,
      to: p.to ?? 0,
      host_network: p.host_network,
    }))
    .sort((x, y) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  return {
    mode: n.mode ?? 'host',
    mbits: n.mbits ?? 0,
    hostname: n.hostname ?? '',
    dns: n.dns,
    cni: n.cni,
    ports,
  };
}

function networksDiffer(
  a: readonly Network[] | undefined,
  b: readonly Network[] | undefined,
): boolean {
  const x = list(a);
  const y = list(b);
  return x.length !== y.length || x.some((n, i) => !deepEqual(networkKey(n), networkKey(y[i])));
}

function affinities(job: Job, g: Group): unknown[] {
  const out: unknown[] = [...list(job.affinity), ...list(g.affinity)];
  for (const t of list(g.task)) out.push(...list(t.affinity));
  return out;
}

function combinedMeta(job: Job, g: Group, t: Task): Record<string, string | undefined> {
  return { ...job.meta, ...g.meta, ...t.meta };
}

/** Connect services whose connect block or port changed. */
function connectChanged(a: Group, b: Group): boolean {
  for (const s of list(a.service)) {
    if (!s.connect) continue;
    const other = list(b.service).find((o) => o.name === s.name);
    if (!other) continue;
    if (
      !deepEqual(s.connect, other.connect) ||
      s.port !== other.port ||
      s.cluster !== other.cluster
    )
      return true;
  }
  return false;
}

function resourcesKey(t: Task): unknown {
  const r = t.resources;
  return {
    cpu: r.cpu,
    cores: r.cores,
    memory: r.memory,
    memory_max: r.memory_max,
    secrets: r.secrets,
    device: r.device,
    numa: r.numa,
  };
}

/** The first scheduler-level difference between two versions of a task, if any. */
function taskDifference(
  pj: Job,
  pg: Group,
  pt: Task,
  nj: Job,
  ng: Group,
  nt: Task,
): string | undefined {
  const name = `task "${nt.name}"`;
  if (pt.driver !== nt.driver) return `${name}: driver`;
  if (!deepEqual(combinedMeta(pj, pg, pt), combinedMeta(nj, ng, nt))) return `${name}: meta`;
  if (!deepEqual(resourcesKey(pt), resourcesKey(nt))) return `${name}: resources`;
  if (networksDiffer(pt.resources.network, nt.resources.network)) return `${name}: network`;
  if (!deepEqual(pt.volume_mount, nt.volume_mount)) return `${name}: volume mounts`;
  if (pt.logs.disabled !== nt.logs.disabled) return `${name}: logs disabled`;
  if (pt.restart.render_templates !== nt.restart.render_templates)
    return `${name}: restart render_templates`;
  if (!deepEqual(pt.identity, nt.identity)) return `${name}: identity`;
  if (!deepEqual(pt.csi_plugin, nt.csi_plugin)) return `${name}: csi_plugin`;
  if (!deepEqual(pt.vault, nt.vault)) return `${name}: vault`;
  if (!deepEqual(pt.consul, nt.consul)) return `${name}: consul`;
  return undefined;
}

/**
 * Compares group `name` between the version an allocation runs (`prior`) and the desired one.
 * Anything else that differs makes the update in place (Nomad updates every allocation of a
 * changed job in place, even when only its recorded version moves).
 */
export function compareGroup(
  prior: Job,
  next: Job,
  name: string,
  classify: ClassifyTask,
): GroupChange {
  const pg = list(prior.group).find((g) => g.name === name);
  const ng = list(next.group).find((g) => g.name === name);
  const destructive = (because: string): GroupChange => ({
    update: 'destructive',
    because,
    inPlaceTasks: [],
  });
  if (!pg || !ng) return destructive('group added');
  const pTasks = list(pg.task);
  const nTasks = list(ng.task);
  if (pTasks.length !== nTasks.length) return destructive('number of tasks');
  if (!deepEqual(pg.ephemeral_disk, ng.ephemeral_disk)) return destructive('ephemeral disk');
  if (networksDiffer(pg.network, ng.network)) return destructive('network');
  if (!deepEqual(affinities(prior, pg), affinities(next, ng))) return destructive('affinities');
  if (
    !deepEqual(
      [...list(prior.spread), ...list(pg.spread)],
      [...list(next.spread), ...list(ng.spread)],
    )
  )
    return destructive('spreads');
  if (!deepEqual(pg.consul, ng.consul)) return destructive('consul');
  if (connectChanged(pg, ng)) return destructive('connect service');
  if (!deepEqual(pg.volume, ng.volume)) return destructive('volumes');

  const inPlaceTasks: string[] = [];
  for (const nt of nTasks) {
    const pt = pTasks.find((t) => t.name === nt.name);
    if (!pt) return destructive(`task "${nt.name}" added`);
    const diff = taskDifference(prior, pg, pt, next, ng, nt);
    if (diff) return destructive(diff);
    const verdict = classify(name, pt, nt);
    if (verdict === 'destructive') return destructive(`task "${nt.name}": ${nt.driver} change`);
    if (verdict === 'in-place') inPlaceTasks.push(nt.name);
  }
  return { update: 'in-place', inPlaceTasks };
}

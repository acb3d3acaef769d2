/**
 * drover's record of `provider = "nomad"` services, as templates read it (`nomadService`,
 * `nomadServices`): every such service of every running allocation, taken from the job version
 * the allocation runs and the ports the allocation was given. Pure.
 */
import { decodeStoredJob } from '../jobspec/stored.js';
import type { NormalizedJob, NormalizedService } from '../generated/normalized-job.js';
import type { ServiceCatalog, ServiceRegistration } from '../template/context.js';
import type { Allocation, NodeState, StateSnapshot } from './types.js';

/** Nomad's datacenter for a node that names none (config/defaults.ts, which state may not import). */
const DEFAULT_DATACENTER = 'dc1';

/**
 * The catalog of a state. Built on the first lookup: apply asks for one at every task start,
 * and most tasks have no template that reads services.
 */
export function serviceCatalog(state: StateSnapshot): ServiceCatalog {
  let byName: Map<string, ServiceRegistration[]> | undefined;
  const index = (): Map<string, ServiceRegistration[]> => (byName ??= byService(state));
  return {
    instances: (name) => [...(index().get(name) ?? [])],
    names: () =>
      [...index().entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([ServiceName, regs]) => ({
          ServiceName,
          Tags: [...new Set(regs.flatMap((r) => r.Tags))].sort(),
        })),
  };
}

function byService(state: StateSnapshot): Map<string, ServiceRegistration[]> {
  const byName = new Map<string, ServiceRegistration[]>();
  for (const r of registrations(state)) {
    const list = byName.get(r.ServiceName) ?? [];
    list.push(r);
    byName.set(r.ServiceName, list);
  }
  return byName;
}

/** Every registration, ordered by service name, then job, allocation and ID (stable). */
export function registrations(state: StateSnapshot): ServiceRegistration[] {
  const out: ServiceRegistration[] = [];
  for (const alloc of Object.values(state.allocations)) {
    if (alloc.client_status !== 'running' || alloc.desired_status !== 'run') continue;
    const stored = state.jobs[alloc.job]?.versions.find((v) => v.version === alloc.version);
    const node = state.nodes[alloc.node];
    if (!stored || !node) continue;
    const job = decodeStoredJob(stored);
    const group = job.group.find((g) => g.name === alloc.group);
    if (!group) continue;
    const where = { job, alloc, node };
    for (const s of group.service ?? []) out.push(...registration(where, s, `group-${group.name}`));
    for (const t of group.task)
      for (const s of t.service ?? []) out.push(...registration(where, s, t.name));
  }
  return out.sort(
    (a, b) =>
      cmp(a.ServiceName, b.ServiceName) ||
      cmp(a.JobID, b.JobID) ||
      cmp(a.AllocID, b.AllocID) ||
      cmp(a.ID, b.ID),
  );
}

function registration(
  where: { job: NormalizedJob; alloc: Allocation; node: NodeState },
  service: NormalizedService,
  owner: string,
): ServiceRegistration[] {
  if (service.provider !== 'nomad') return [];
  const { job, alloc, node } = where;
  const label = service.port ?? '';
  return [
    {
      // Nomad's MakeAllocServiceID; a group service's owner is `group-<name>`.
      ID: `_nomad-task-${alloc.id}-${owner}-${service.name}-${label}`,
      ServiceName: service.name,
      Namespace: job.namespace,
      NodeID: node.name,
      Datacenter: node.inventory.datacenter ?? DEFAULT_DATACENTER,
      JobID: job.id,
      AllocID: alloc.id,
      Tags: [...(service.tags ?? [])],
      Address: service.address ?? nodeAddress(node),
      Port: servicePort(label, alloc),
    },
  ];
}

/** The port a service advertises: its label's host port, or the number written. */
function servicePort(label: string, alloc: Allocation): number {
  const byLabel = alloc.ports.find((p) => p.label === label);
  if (byLabel) return byLabel.value;
  const n = Number(label);
  return label !== '' && Number.isInteger(n) ? n : 0;
}

/**
 * The address other hosts reach a node at, as its transport gives NOMAD_IP_*: loopback for the
 * local transport, the configured address (else the name) over SSH, the engine's host for Docker.
 */
export function nodeAddress(node: NodeState): string {
  const inv = node.inventory;
  if (inv.transport === 'local') return '127.0.0.1';
  if (inv.address) return inv.address;
  if (inv.transport === 'docker') {
    const host = typeof inv.docker_host === 'string' ? hostOf(inv.docker_host) : undefined;
    return host ?? '127.0.0.1';
  }
  return node.name;
}

/** The host of a `tcp://host:port` endpoint; undefined for a unix socket. */
function hostOf(endpoint: string): string | undefined {
  try {
    const u = new URL(endpoint);
    return u.protocol === 'unix:' ? undefined : u.hostname || undefined;
  } catch {
    return undefined;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

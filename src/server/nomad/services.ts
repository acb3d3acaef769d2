/**
 * `provider = "nomad"` services as Nomad's read API answers them (api/services.go): the
 * registrations drover derives from running allocations (src/state/services.ts), grouped by
 * namespace for `/v1/services`. Pure.
 */
import type { ServiceRegistration } from '../../template/context.js';
import { registrations } from '../../state/services.js';
import type { StateSnapshot } from '../../state/types.js';
import { createIndexOf, modifyIndexOf, type Stamped } from './common.js';

type Json = Record<string, unknown>;

/** api.ServiceRegistration of every registration, with the indexes drover reports. */
export function serviceRegistrations(state: StateSnapshot, index: number): Json[] {
  return registrations(state).map((r) => registrationJson(r, index, state.allocations[r.AllocID]));
}

/** api.ServiceRegistration of one registration, with the indexes of `alloc`, which registers it. */
export function registrationJson(r: ServiceRegistration, index: number, alloc?: Stamped): Json {
  return {
    ID: r.ID,
    ServiceName: r.ServiceName,
    Namespace: r.Namespace,
    NodeID: r.NodeID,
    Datacenter: r.Datacenter,
    JobID: r.JobID,
    AllocID: r.AllocID,
    Tags: [...r.Tags],
    Address: r.Address,
    Port: r.Port,
    CreateIndex: alloc ? createIndexOf(alloc, index) : index,
    ModifyIndex: alloc ? modifyIndexOf(alloc, index) : index,
  };
}

/** []api.ServiceRegistrationListStub: per namespace, each service name with its unique tags. */
export function serviceListStubs(registrations: readonly Json[]): Json[] {
  const byNamespace = new Map<string, Map<string, Set<string>>>();
  for (const r of registrations) {
    const ns = r.Namespace as string;
    const services = byNamespace.get(ns) ?? new Map<string, Set<string>>();
    byNamespace.set(ns, services);
    const tags = services.get(r.ServiceName as string) ?? new Set<string>();
    services.set(r.ServiceName as string, tags);
    for (const t of r.Tags as string[]) tags.add(t);
  }
  return [...byNamespace.keys()].sort().map((ns) => ({
    Namespace: ns,
    Services: [...byNamespace.get(ns)!.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([ServiceName, tags]) => ({ ServiceName, Tags: [...tags].sort() })),
  }));
}

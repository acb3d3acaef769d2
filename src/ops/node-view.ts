/**
 * `drover node status [NODE]`: each node with its resources and what its allocations use, or one
 * node with its attributes, host volumes and running allocations. The CLI shows it from the
 * state; `drover server` answers it to the CLI (`GET /v1/drover/nodes`, `/v1/drover/node/:name`)
 * in this same form, so both print the same. Pure.
 */
import type { HostVolume } from '../config/node-spec.js';
import { clusterFromState } from '../scheduler/index.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import { OperationError } from './context.js';

export interface NodeRow {
  name: string;
  transport: string;
  address: string;
  datacenter: string;
  class: string;
  eligibility: 'eligible' | 'ineligible';
  drain: boolean;
  status: 'down' | 'ready' | 'unknown';
  allocations: number;
  cpu_used: number;
  cpu_total: number;
  memory_used: number;
  memory_total: number;
}

/** One node: its row, its allocations meant to run (listed, not counted) and what it offers. */
export type NodeDetail = Omit<NodeRow, 'allocations'> & {
  attributes: Record<string, string>;
  host_volumes: Record<string, HostVolume>;
  allocations: Allocation[];
};

/** Every node, by name; `down` those that did not answer. */
export function nodeRows(state: StateSnapshot, down: ReadonlySet<string>): NodeRow[] {
  const cluster = clusterFromState(state, { down: [...down] });
  return cluster.nodes.map((n) => {
    const allocs = cluster.allocations.filter((a) => a.node === n.name);
    const rec = state.nodes[n.name]!;
    return {
      name: n.name,
      transport: String(rec.inventory.transport),
      address: n.address ?? '-',
      datacenter: n.datacenter,
      class: n.class ?? '',
      eligibility: rec.eligibility,
      drain: Boolean(rec.drain),
      status: down.has(n.name) ? 'down' : rec.fingerprint ? 'ready' : 'unknown',
      allocations: allocs.length,
      cpu_used: allocs.reduce((t, a) => t + a.cpu, 0),
      cpu_total: n.resources.cpu,
      memory_used: allocs.reduce((t, a) => t + a.memory, 0),
      memory_total: n.resources.memory,
    };
  });
}

/** The node `name` in detail; an error naming the nodes there are when it is not one. */
export function nodeDetail(
  state: StateSnapshot,
  down: ReadonlySet<string>,
  name: string,
): NodeDetail {
  const rows = nodeRows(state, down);
  const row = rows.find((r) => r.name === name);
  if (!row)
    throw new OperationError(`no node "${name}" (nodes: ${rows.map((r) => r.name).join(', ')})`);
  const n = state.nodes[name]!;
  return {
    ...row,
    attributes: n.fingerprint?.attributes ?? {},
    host_volumes: (n.inventory.host_volumes ?? {}) as Record<string, HostVolume>,
    allocations: Object.values(state.allocations).filter(
      (a) => a.node === name && a.desired_status === 'run',
    ),
  };
}

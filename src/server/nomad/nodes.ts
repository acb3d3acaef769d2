/**
 * Nodes as Nomad's read API answers them (api/nodes.go): the full Node and the NodeListStub.
 * A node's ID is its name (drover has no node UUIDs; services name nodes the same way). A node
 * is `ready` once fingerprinted, else `down`. HTTPAddr is "": Nomad's Go client tries a node's
 * HTTPAddr directly for logs and exec before the server, and drover nodes run no agent. Pure.
 */
import type { ReservedResources } from '../../config/types.js';
import { nodeAddress } from '../../state/services.js';
import type { NodeState } from '../../state/types.js';
import { ZERO_TIME, byKey, createIndexOf, goTime, modifyIndexOf } from './common.js';

type Json = Record<string, unknown>;

/** What a node's mapping needs besides its state. */
export interface NodeFacts {
  /** The node's reserved resources as configured (absent: none). */
  reserved?: ReservedResources;
  /** Reported as the node's client version. */
  version: string;
  /** The server's datacenter, for a node that names none. */
  datacenter: string;
  createIndex: number;
  modifyIndex: number;
}

/** Nomad's node attributes: the fingerprint's, plus `driver.<name> = 1` per detected driver. */
/** Where a node's facts come from besides the state: drover.hcl's nodes, the build, the server. */
export interface NodeFactSource {
  /** drover.hcl's nodes (their reserved resources). */
  nodes: ReadonlyMap<string, { reserved?: ReservedResources }>;
  droverVersion: string;
  /** The server's datacenter. */
  datacenter: string;
}

export function nodeFacts(source: NodeFactSource, node: NodeState, index: number): NodeFacts {
  const configured = source.nodes.get(node.name);
  return {
    ...(configured?.reserved ? { reserved: configured.reserved } : {}),
    version: source.droverVersion,
    datacenter: source.datacenter,
    createIndex: createIndexOf(node, index),
    modifyIndex: modifyIndexOf(node, index),
  };
}

function attributes(node: NodeState): Record<string, string> {
  const fp = node.fingerprint;
  const out: Record<string, string> = { ...(fp?.attributes ?? {}) };
  for (const [name, d] of Object.entries(fp?.drivers ?? {}))
    if (d.detected) out[`driver.${name}`] = '1';
  return Object.fromEntries(byKey(Object.entries(out)));
}

function drivers(node: NodeState): Record<string, Json> {
  const fp = node.fingerprint;
  const out: Record<string, Json> = {};
  for (const [name, d] of byKey(Object.entries(fp?.drivers ?? {})))
    out[name] = {
      Attributes: d.attributes ? { ...d.attributes } : null,
      Detected: d.detected,
      Healthy: d.healthy,
      HealthDescription: d.description ?? (d.healthy ? 'Healthy' : ''),
      UpdateTime: goTime(fp?.fingerprinted_at),
    };
  return out;
}

function status(node: NodeState): string {
  return node.fingerprint ? 'ready' : 'down';
}

/** api.NodeResources from the fingerprint. */
function nodeResources(node: NodeState): Json {
  const r = node.fingerprint?.resources;
  return {
    Cpu: {
      CpuShares: r?.cpu ?? 0,
      TotalCpuCores: r?.cores ?? 0,
      ReservableCpuCores: r?.cores ? Array.from({ length: r.cores }, (_, i) => i) : null,
    },
    Memory: { MemoryMB: r?.memory ?? 0 },
    Disk: { DiskMB: r?.disk ?? 0 },
    Networks: null,
    Devices: null,
    NodeNetworks: null,
    MinDynamicPort: 20000,
    MaxDynamicPort: 32000,
  };
}

function reservedResources(reserved: ReservedResources | undefined): Json {
  return {
    Cpu: { CpuShares: reserved?.cpu ?? 0 },
    Memory: { MemoryMB: reserved?.memory ?? 0 },
    Disk: { DiskMB: reserved?.disk ?? 0 },
    Networks: { ReservedHostPorts: (reserved?.ports ?? []).join(',') },
  };
}

function drainStrategy(node: NodeState): Json | null {
  if (!node.drain) return null;
  return {
    DrainSpec: { Deadline: 0, IgnoreSystemJobs: node.drain_ignore_system_jobs ?? false },
    ForceDeadline: ZERO_TIME,
    StartedAt: ZERO_TIME,
  };
}

function datacenter(node: NodeState, facts: NodeFacts): string {
  return node.inventory.datacenter ?? facts.datacenter;
}

/** api.NodeListStub; `Attributes` (os.*) with `os=true`, resources with `resources=true`. */
export function nodeListStub(
  node: NodeState,
  facts: NodeFacts,
  opts: { os?: boolean; resources?: boolean } = {},
): Json {
  const osAttributes = Object.fromEntries(
    Object.entries(attributes(node)).filter(([k]) => k.startsWith('os.')),
  );
  return {
    Address: nodeAddress(node),
    ID: node.name,
    ...(opts.os && Object.keys(osAttributes).length > 0 ? { Attributes: osAttributes } : {}),
    Datacenter: datacenter(node, facts),
    Name: node.name,
    NodeClass: node.inventory.class ?? '',
    NodePool: 'default',
    Version: facts.version,
    Drain: node.drain ?? false,
    SchedulingEligibility: node.eligibility,
    Status: status(node),
    StatusDescription: '',
    Drivers: drivers(node),
    ...(opts.resources
      ? { NodeResources: nodeResources(node), ReservedResources: reservedResources(facts.reserved) }
      : {}),
    LastDrain: null,
    CreateIndex: facts.createIndex,
    ModifyIndex: facts.modifyIndex,
  };
}

/** api.Node. */
export function fullNode(node: NodeState, facts: NodeFacts): Json {
  const fp = node.fingerprint;
  return {
    ID: node.name,
    Datacenter: datacenter(node, facts),
    Name: node.name,
    HTTPAddr: '',
    TLSEnabled: false,
    Attributes: attributes(node),
    Resources: {
      CPU: fp?.resources.cpu ?? 0,
      Cores: fp?.resources.cores ?? 0,
      MemoryMB: fp?.resources.memory ?? 0,
      MemoryMaxMB: 0,
      DiskMB: fp?.resources.disk ?? 0,
      Networks: null,
    },
    Reserved: {
      CPU: facts.reserved?.cpu ?? 0,
      Cores: 0,
      MemoryMB: facts.reserved?.memory ?? 0,
      MemoryMaxMB: 0,
      DiskMB: facts.reserved?.disk ?? 0,
      Networks: null,
    },
    NodeResources: nodeResources(node),
    ReservedResources: reservedResources(facts.reserved),
    Links: null,
    Meta: { ...(node.inventory.meta ?? {}) },
    NodeClass: node.inventory.class ?? '',
    NodePool: 'default',
    CgroupParent: '',
    Drain: node.drain ?? false,
    DrainStrategy: drainStrategy(node),
    SchedulingEligibility: node.eligibility,
    Status: status(node),
    StatusDescription: '',
    StatusUpdatedAt: fp ? Math.floor(Date.parse(fp.fingerprinted_at) / 1000) : 0,
    Events: null,
    Drivers: drivers(node),
    HostVolumes: null,
    HostNetworks: null,
    CSIControllerPlugins: null,
    CSINodePlugins: null,
    LastDrain: null,
    CreateIndex: facts.createIndex,
    ModifyIndex: facts.modifyIndex,
  };
}

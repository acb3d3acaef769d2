/**
 * Nomad's node read endpoints: `GET /v1/nodes`, `/v1/node/:id`, `/v1/node/:id/allocations`
 * (blocking). A node's ID is its name.
 */
import { fullAllocation } from '../nomad/allocations.js';
import { fullNode, nodeFacts, nodeListStub, type NodeFacts } from '../nomad/nodes.js';
import type { NodeState } from '../../state/types.js';
import type { ApiReply, ApiRequest, IndexedState, Route } from '../types.js';
import { flag, idParam, listReply, objectReply } from './read-query.js';

function factsOf(req: ApiRequest, now: IndexedState, node: NodeState): NodeFacts {
  const { engine, settings } = req.server;
  return nodeFacts(
    { nodes: engine.nodes, droverVersion: engine.droverVersion, datacenter: settings.datacenter },
    node,
    now.index,
  );
}

async function listNodes(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const opts = { os: flag(req, 'os', false), resources: flag(req, 'resources', false) };
  const stubs = Object.values(now.state.nodes).map((n) =>
    nodeListStub(n, factsOf(req, now, n), opts),
  );
  // Nodes are not namespaced: the namespace parameter does not narrow them.
  return listReply({ ...req, namespace: '*' }, now, stubs, { token: (s) => s.ID as string });
}

async function getNode(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const node = now.state.nodes[idParam(req, 'id')];
  return objectReply(
    now,
    node ? fullNode(node, factsOf(req, now, node)) : undefined,
    'node not found',
  );
}

/** Nomad answers a node's allocations in full (api.Allocation), for an unknown node `[]`. */
async function nodeAllocations(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const id = idParam(req, 'id');
  const allocs = Object.values(now.state.allocations)
    .filter((a) => a.node === id)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((a) => fullAllocation(now.state, a, now.index));
  return { json: allocs, index: now.index };
}

const nodeRead = { kind: 'node', level: 'read' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/nodes',
    access: nodeRead,
    blocking: true,
    cached: true,
    handler: listNodes,
  },
  {
    method: 'GET',
    path: '/v1/node/:id',
    access: nodeRead,
    blocking: true,
    cached: true,
    handler: getNode,
  },
  {
    method: 'GET',
    path: '/v1/node/:id/allocations',
    access: nodeRead,
    blocking: true,
    cached: true,
    handler: nodeAllocations,
  },
];

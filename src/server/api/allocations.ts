/** Nomad's allocation read endpoints: `GET /v1/allocations`, `GET /v1/allocation/:id` (blocking). */
import { allocListStub, fullAllocation } from '../nomad/allocations.js';
import { namespaceMatches } from '../nomad/common.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';
import { flag, idParam, listReply, objectReply } from './read-query.js';

type Json = Record<string, unknown>;

/** A stub as `/v1/allocations` sends it: AllocatedResources only with `resources=true`. */
export function stubFor(req: ApiRequest): (stub: Json) => Json {
  const withResources = flag(req, 'resources', false);
  return ({ AllocatedResources, ...rest }) =>
    withResources ? { ...rest, AllocatedResources } : rest;
}

async function listAllocations(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const taskStates = flag(req, 'task_states', true);
  const shape = stubFor(req);
  const stubs = Object.values(now.state.allocations).map((a) =>
    shape(allocListStub(now.state, a, now.index, taskStates)),
  );
  return listReply(req, now, stubs, { token: (s) => s.ID as string });
}

async function getAllocation(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const alloc = now.state.allocations[idParam(req, 'id')];
  const json =
    alloc && namespaceMatches(req.namespace)
      ? fullAllocation(now.state, alloc, now.index)
      : undefined;
  return objectReply(now, json, 'alloc not found');
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/allocations',
    access: read,
    blocking: true,
    handler: listAllocations,
  },
  {
    method: 'GET',
    path: '/v1/allocation/:id',
    access: read,
    blocking: true,
    handler: getAllocation,
  },
];

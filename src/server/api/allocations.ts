/** Nomad's allocation read endpoints: `GET /v1/allocations`, `GET /v1/allocation/:id` (blocking). */
import { allocListStub, fullAllocation } from '../nomad/allocations.js';
import { lookups } from '../nomad/state-index.js';
import type { ApiReply, ApiRequest, IndexedState, Route } from '../types.js';
import { flag, idParam, listReply, objectReply, readableById } from './read-query.js';

type Json = Record<string, unknown>;

/**
 * The stubs of every allocation as `/v1/allocations` sends them: TaskStates null with
 * `task_states=false`, AllocatedResources only with `resources=true`. Built once per state and
 * variant.
 */
function allocationStubs(now: IndexedState, taskStates: boolean, resources: boolean): Json[] {
  return lookups(now.state).memo(`alloc-stubs:${taskStates}:${resources}`, () =>
    Object.values(now.state.allocations).map((a) => {
      const { AllocatedResources, ...stub } = allocListStub(now.state, a, now.index, taskStates);
      return resources ? { ...stub, AllocatedResources } : stub;
    }),
  );
}

async function listAllocations(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const stubs = allocationStubs(now, flag(req, 'task_states', true), flag(req, 'resources', false));
  return listReply(req, now, stubs, { token: (s) => s.ID as string });
}

async function getAllocation(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const alloc = now.state.allocations[idParam(req, 'id')];
  const full = alloc && fullAllocation(now.state, alloc, now.index);
  return objectReply(now, readableById(req, full), 'alloc not found');
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/allocations',
    access: read,
    blocking: true,
    cached: true,
    handler: listAllocations,
  },
  {
    method: 'GET',
    path: '/v1/allocation/:id',
    access: read,
    blocking: true,
    cached: true,
    handler: getAllocation,
  },
];

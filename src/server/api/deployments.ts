/**
 * Nomad's deployment read endpoints: `GET /v1/deployments`, `/v1/deployment/:id`,
 * `/v1/deployment/allocations/:id` (blocking).
 */
import { allocListStub } from '../nomad/allocations.js';
import { nomadDeployment } from '../nomad/deployments.js';
import { lookups } from '../nomad/state-index.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';
import { idParam, listReply, objectReply, readableById, visibleIn } from './read-query.js';

async function listDeployments(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const all = Object.values(now.state.deployments).map((d) =>
    nomadDeployment(now.state, d, now.index),
  );
  return listReply(req, now, all, { token: (d) => d.ID as string });
}

async function getDeployment(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const d = now.state.deployments[idParam(req, 'id')];
  const full = d && nomadDeployment(now.state, d, now.index);
  return objectReply(now, readableById(req, full), 'deployment not found');
}

async function deploymentAllocations(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const id = idParam(req, 'id');
  const stubs = Object.values(now.state.allocations)
    .filter((a) => a.deployment_id === id)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((a) => {
      const { AllocatedResources: _r, ...stub } = allocListStub(now.state, a, now.index);
      return stub;
    })
    .filter((stub) => visibleIn(req, stub));
  const d = now.state.deployments[id];
  const index = d ? lookups(now.state).scopeIndexOf(d.job, now.index) : now.index;
  return { json: stubs, index };
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/deployments',
    access: read,
    blocking: true,
    cached: true,
    handler: listDeployments,
  },
  {
    method: 'GET',
    path: '/v1/deployment/:id',
    access: read,
    blocking: true,
    cached: true,
    handler: getDeployment,
  },
  {
    method: 'GET',
    path: '/v1/deployment/allocations/:id',
    access: read,
    blocking: true,
    cached: true,
    handler: deploymentAllocations,
  },
];

/**
 * Nomad's service discovery endpoints (what Prometheus's `nomad_sd_configs` and Traefik's Nomad
 * provider read): `GET /v1/services` (per namespace, each service with its tags; `filter` runs
 * on the registrations, so `Tags contains "traefik.enable=true"` keeps the services that have
 * a registration with that tag) and `GET /v1/service/:name` (its registrations; `[]` when none).
 * Blocking.
 */
import { serviceListStubs, serviceRegistrations } from '../nomad/services.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';
import { idParam, listPage } from './read-query.js';

async function listServices(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const regs = listPage(req, serviceRegistrations(now.state, now.index), {
    token: (r) => `${r.ServiceName as string}\u0000${r.ID as string}`,
    prefixOf: (r) => r.ServiceName as string,
  }).items;
  return { json: serviceListStubs(regs), index: now.index };
}

async function getService(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const name = idParam(req, 'name');
  const regs = serviceRegistrations(now.state, now.index).filter((r) => r.ServiceName === name);
  const page = listPage(req, regs, { token: (r) => r.ID as string });
  return {
    json: page.items,
    index: now.index,
    ...(page.nextToken ? { headers: { 'X-Nomad-NextToken': page.nextToken } } : {}),
  };
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/services',
    access: read,
    blocking: true,
    cached: true,
    handler: listServices,
  },
  {
    method: 'GET',
    path: '/v1/service/:name',
    access: read,
    blocking: true,
    cached: true,
    handler: getService,
  },
];

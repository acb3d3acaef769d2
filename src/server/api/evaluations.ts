/**
 * Nomad's evaluation read endpoints: `GET /v1/evaluations` (`job`, `status`, prefix, filter,
 * paging) and `/v1/evaluation/:id` (blocking). drover stores no evaluations: one per job
 * version is synthesized (src/server/nomad/evaluations.ts).
 */
import { allEvaluations } from '../nomad/evaluations.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';
import { idParam, listReply, objectReply, readableById } from './read-query.js';

async function listEvaluations(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const job = req.query.get('job');
  const status = req.query.get('status');
  const evals = allEvaluations(now.state, now.index).filter(
    (e) => (!job || e.JobID === job) && (!status || e.Status === status),
  );
  return listReply(req, now, evals, { token: (e) => e.ID as string });
}

async function getEvaluation(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const id = idParam(req, 'id');
  const found = allEvaluations(now.state, now.index).find((e) => e.ID === id);
  return objectReply(now, readableById(req, found), 'eval not found');
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/evaluations',
    access: read,
    blocking: true,
    cached: true,
    handler: listEvaluations,
  },
  {
    method: 'GET',
    path: '/v1/evaluation/:id',
    access: read,
    blocking: true,
    cached: true,
    handler: getEvaluation,
  },
];

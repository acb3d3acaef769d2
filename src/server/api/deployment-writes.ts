/**
 * `POST /v1/deployment/promote/:id` and `/v1/deployment/fail/:id` through the engine's builders
 * (planPromote, planFail) and the write path; `/v1/deployment/pause/:id` is refused: drover does
 * not pause deployments.
 */
import { namespaceOfKey } from '../../state/job-key.js';
import { latestDeployment, planFail, planPromote } from '../../ops/index.js';
import type { Deployment, StateSnapshot } from '../../state/types.js';
import { isActiveDeployment } from '../../plan/deployments.js';
import { evaluationId } from '../nomad/ids.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import {
  applyWrite,
  bodyOf,
  requireReach,
  latestVersion,
  queryMeta,
  type WriteOutcome,
} from './write-path.js';

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/deployment/promote/:id',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: promote,
  },
  {
    method: 'POST',
    path: '/v1/deployment/fail/:id',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: fail,
  },
  {
    method: 'POST',
    path: '/v1/deployment/pause/:id',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: () =>
      Promise.reject(
        new ApiError(
          400,
          'drover does not pause deployments: a rollout runs until it succeeds or fails (promote it, or fail it with /v1/deployment/fail/:id)',
        ),
      ),
  },
];

/** {DeploymentID, All, Groups}: the canaries of all groups, or of the groups named. */
async function promote(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  const groups = Array.isArray(body.Groups) ? body.Groups.map(String) : [];
  const all = body.All === true || groups.length === 0;
  const out = await applyWrite(req, 'promote', (engine, observed) => {
    const d = requireActive(req, observed.stored, req.params.id!);
    const waiting = Object.entries(d.groups)
      .filter(([, g]) => g.desired_canaries > 0 && !g.promoted)
      .map(([name]) => name);
    const unknown = groups.filter((g) => !d.groups[g]);
    if (!all && unknown.length)
      throw new ApiError(
        400,
        `deployment has no task group ${unknown.map((g) => `"${g}"`).join(', ')}`,
      );
    // drover promotes one group or every waiting group at once.
    const only = all || waiting.every((g) => groups.includes(g)) ? undefined : groups;
    if (only && only.length > 1)
      throw new ApiError(
        400,
        `drover promotes one group or all waiting groups (${waiting.join(', ')}) at once: promote ${only.join(', ')} one by one`,
      );
    return { plan: planPromote(engine, observed, d.job, only?.[0]), extra: d };
  });
  return deploymentReply(out, undefined);
}

/** The deployment fails; with auto_revert the job's last stable version is rolled out again. */
async function fail(req: ApiRequest): Promise<ApiReply> {
  const out = await applyWrite(req, 'deployment fail', (engine, observed) => {
    const d = requireActive(req, observed.stored, req.params.id!);
    return { plan: planFail(engine, observed, d.job), extra: d };
  });
  const d = out.extra;
  const revertedTo = out.plan.jobs.find((j) => j.id === d.job && j.type !== 'none');
  const source = revertedTo
    ? out.state.jobs[d.job]?.versions.find((v) => v.version === revertedTo.to_version)?.origin
        ?.source_version
    : undefined;
  return deploymentReply(out, source);
}

/** The deployment by id (or unique prefix), which must be its job's latest and still running. */
function requireActive(req: ApiRequest, state: StateSnapshot, id: string): Deployment {
  const matches = Object.values(state.deployments).filter(
    (d) =>
      (d.id === id || d.id.startsWith(id)) &&
      requireReach(req, namespaceOfKey(state, d.job), {
        kind: 'namespace',
        capability: 'submit-job',
      }),
  );
  const d = matches.find((m) => m.id === id) ?? (matches.length === 1 ? matches[0] : undefined);
  if (!d) throw new ApiError(404, 'deployment not found');
  if (!isActiveDeployment(d) || latestDeployment(state, d.job)?.id !== d.id)
    throw new ApiError(400, `can't change deployment ${d.id}: it is ${d.status}, not running`);
  return d;
}

/** Nomad's DeploymentUpdateResponse. */
function deploymentReply(out: WriteOutcome<Deployment>, reverted: number | undefined): ApiReply {
  const job = out.extra.job;
  return {
    json: {
      EvalID: evaluationId(job, latestVersion(out.state, job)),
      EvalCreateIndex: out.index,
      DeploymentModifyIndex: out.index,
      RevertedJobVersion: reverted ?? null,
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

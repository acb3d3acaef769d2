/**
 * `POST /v1/client/allocation/:id/restart` (`{ "TaskName" }` or `{ "AllTasks": true }`, Nomad's)
 * and `POST /v1/drover/job/:id/restart` (`{ "FailedOnly" }`: every allocation of a job, or its
 * failed ones). drover has no agent on the hosts to restart a task in place, so a restart is
 * what `POST /v1/allocation/:id/stop` does: the allocation is replaced by a new one in its
 * job's plan (the task started again, in a new allocation directory), with why, through the
 * write path. A task name is checked, and the whole allocation is replaced.
 */
import { makePlan, recordedDesired } from '../../ops/index.js';
import type { Allocation, StateSnapshot } from '../../state/types.js';
import { evaluationId } from '../nomad/ids.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import {
  applyWrite,
  latestVersion,
  optionalBodyOf,
  queryMeta,
  requestedJobKey,
  requireReach,
} from './write-path.js';
import { jobIdentity } from '../../state/job-key.js';

const ALLOC_LIFECYCLE = { kind: 'namespace', capability: 'alloc-lifecycle' } as const;

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/client/allocation/:id/restart',
    access: ALLOC_LIFECYCLE,
    handler: restartAlloc,
  },
  {
    method: 'POST',
    path: '/v1/drover/job/:id/restart',
    access: ALLOC_LIFECYCLE,
    handler: restartJob,
  },
];

async function restartAlloc(req: ApiRequest): Promise<ApiReply> {
  const id = req.params.id!;
  const body = await optionalBodyOf(req);
  const task =
    typeof body.TaskName === 'string' && body.TaskName !== '' ? body.TaskName : undefined;
  if (task && body.AllTasks === true)
    throw new ApiError(400, 'Cannot specify both a task name and AllTasks');
  return restart(req, (state) => {
    const alloc = state.allocations[id];
    if (!alloc || !requireReach(req, jobIdentity(state, alloc.job).namespace, ALLOC_LIFECYCLE))
      throw new ApiError(404, 'alloc not found');
    if (task && !alloc.driver_handles[task] && !alloc.task_states[task])
      throw new ApiError(400, `Failed to restart task "${task}": task not found in allocation`);
    requireRunning(alloc);
    return { job: alloc.job, allocs: [alloc] };
  });
}

async function restartJob(req: ApiRequest): Promise<ApiReply> {
  const id = req.params.id!;
  const key = requestedJobKey(req, id);
  const failedOnly = (await optionalBodyOf(req)).FailedOnly === true;
  return restart(req, (state) => {
    const allocs = Object.values(state.allocations).filter(
      (a) =>
        a.job === key &&
        a.desired_status === 'run' &&
        (failedOnly ? a.client_status === 'failed' : true),
    );
    if (!state.jobs[key]?.versions.length) throw new ApiError(404, 'job not found');
    if (allocs.length === 0)
      throw new ApiError(
        400,
        `job "${id}" has no ${failedOnly ? 'failed ' : ''}allocations to restart`,
      );
    return { job: key, allocs };
  });
}

/** Replaces `pick`'s allocations in their job's plan, in the name of the request's actor. */
async function restart(
  req: ApiRequest,
  pick: (state: StateSnapshot) => { job: string; allocs: Allocation[] },
): Promise<ApiReply> {
  const why = `restarted through the API by ${req.identity.actor.name}`;
  const out = await applyWrite(req, 'restart', (engine, observed) => {
    const { job, allocs } = pick(observed.stored);
    const recorded = observed.stored.jobs[job];
    if (!recorded?.versions.length || recorded.stopped)
      throw new ApiError(400, `job "${job}" is stopped: its allocations are not restarted`);
    const plan = makePlan(engine, observed, [recordedDesired(observed.stored, job)], {
      drifted: new Map(allocs.map((a) => [a.id, why])),
    });
    return { plan, extra: job };
  });
  return {
    json: {
      EvalID: evaluationId(out.extra, latestVersion(out.state, out.extra)),
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

function requireRunning(alloc: Allocation): void {
  if (alloc.desired_status !== 'run')
    throw new ApiError(
      400,
      `allocation ${alloc.id} is not running (desired status ${alloc.desired_status})`,
    );
}

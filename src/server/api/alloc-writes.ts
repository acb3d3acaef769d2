/**
 * `POST /v1/allocation/:id/stop`: the allocation is stopped and replaced, as Nomad's alloc stop
 * does (its scheduler places a replacement). drover plans it as a replacement of that one
 * allocation in its job's plan, with why, and runs it through the write path.
 */
import { jobIdentity, namespaceOfKey } from '../../state/job-key.js';
import { makePlan, recordedDesired } from '../../ops/index.js';
import { evaluationId } from '../nomad/ids.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { applyWrite, latestVersion, queryMeta, requireReach } from './write-path.js';

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/allocation/:id/stop',
    access: { kind: 'namespace', capability: 'alloc-lifecycle' },
    handler: stopAlloc,
  },
];

async function stopAlloc(req: ApiRequest): Promise<ApiReply> {
  const id = req.params.id!;
  if (req.query.get('no_shutdown_delay') === 'true')
    throw new ApiError(
      400,
      'no_shutdown_delay is not supported: drover always honours shutdown_delay',
    );
  const who = req.identity.actor.name;
  const out = await applyWrite(req, 'alloc stop', (engine, observed) => {
    const alloc = observed.stored.allocations[id];
    const reached =
      alloc &&
      requireReach(req, namespaceOfKey(observed.stored, alloc.job), {
        kind: 'namespace',
        capability: 'alloc-lifecycle',
      });
    if (!alloc || !reached) throw new ApiError(404, 'alloc not found');
    const job = observed.stored.jobs[alloc.job];
    if (!job?.versions.length || job.stopped)
      throw new ApiError(
        400,
        `job "${jobIdentity(observed.stored, alloc.job).id}" is stopped: its allocations are not replaced`,
      );
    if (alloc.desired_status !== 'run')
      throw new ApiError(
        400,
        `allocation ${id} is not running (desired status ${alloc.desired_status})`,
      );
    const plan = makePlan(engine, observed, [recordedDesired(observed.stored, alloc.job)], {
      drifted: new Map([[id, `stopped through the API by ${who}`]]),
    });
    return { plan, extra: alloc.job };
  });
  return {
    json: {
      EvalID: evaluationId(out.extra, latestVersion(out.state, out.extra)),
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

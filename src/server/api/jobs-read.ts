/**
 * Nomad's job read endpoints: `GET /v1/jobs` and `GET /v1/job/:id[/…]`, all blocking queries.
 * Lists of a job that does not exist are empty, single objects 404 with Nomad's text ("job not
 * found": Terraform's provider looks for the 404).
 */
import { jobView, modifyIndexOf, type JobView } from '../nomad/common.js';
import { requestedJobKey } from './write-path.js';
import { lookups } from '../nomad/state-index.js';
import { redactState } from '../../plan/redact.js';
import { allocListStub } from '../nomad/allocations.js';
import { nomadDeployment } from '../nomad/deployments.js';
import { jobEvaluations } from '../nomad/evaluations.js';
import {
  allocationsOf,
  deploymentsOf,
  fullJob,
  jobListStub,
  jobScaleStatus,
  jobSubmission,
  jobSummary,
  jobVersions,
  latestDeployment,
} from '../nomad/jobs.js';
import {
  ApiError,
  type ApiReply,
  type ApiRequest,
  type IndexedState,
  type Route,
} from '../types.js';
import { flag, idParam, listReply, objectReply } from './read-query.js';

type Json = Record<string, unknown>;

const JOB_NOT_FOUND = 'job not found';

async function listJobs(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  // Built once per state (the list of 1,000 jobs is asked for far more often than it changes):
  // the stubs with Meta, which the filter always sees, and without, as sent unless meta=true.
  const index = lookups(now.state);
  const withMeta = index.memo('job-list-stubs', () =>
    index.views.map((v) => jobListStub(now.state, v, now.index, true)),
  );
  const sent = flag(req, 'meta', false)
    ? withMeta
    : index.memo('job-list-stubs-no-meta', () => withMeta.map(({ Meta: _meta, ...rest }) => rest));
  const byId = index.memo('job-list-stubs-by-id', () => new Map(withMeta.map((s) => [s.ID, s])));
  return listReply(req, now, sent, {
    token: (s) => s.ID as string,
    filterView: (s) => byId.get(s.ID),
  });
}

/** The job of `:id`, or undefined when the namespace parameter excludes it or it is unknown. */
function requestedJob(req: ApiRequest, now: IndexedState): JobView | undefined {
  // As `job inspect` shows it: values from sensitive variables read (sensitive) (README).
  const shown = lookups(now.state).memo('redacted-state', () => redactState(now.state));
  return jobView(shown, requestedJobKey(req, idParam(req, 'id')));
}

/** The index of a job's own record: what its definition, versions and status answer with. */
const jobIndex = (now: IndexedState, view: JobView) => modifyIndexOf(view.record, now.index);
/** The index of everything of a job: what answers counting its allocations use. */
const scopeIndex = (now: IndexedState, view: JobView) =>
  lookups(now.state).scopeIndexOf(view.id, now.index);

/**
 * A handler over the job of `:id`; `answer` undefined means 404 `notFound`. Its X-Nomad-Index
 * is `index` of the job (default: the job's ModifyIndex, as Nomad's).
 */
function jobRead(
  answer: (req: ApiRequest, now: IndexedState, view: JobView) => Json | undefined,
  notFound = JOB_NOT_FOUND,
  index = jobIndex,
) {
  return async (req: ApiRequest): Promise<ApiReply> => {
    const now = await req.server.current();
    const view = requestedJob(req, now);
    const json = view ? answer(req, now, view) : undefined;
    return objectReply(now, json, notFound, view && index(now, view));
  };
}

/**
 * A handler listing something of the job of `:id`: empty for an unknown job, as Nomad's. Its
 * X-Nomad-Index is the job's scope index: writes to other jobs do not move it.
 */
function jobList(answer: (req: ApiRequest, now: IndexedState, view: JobView) => Json[]) {
  return async (req: ApiRequest): Promise<ApiReply> => {
    const now = await req.server.current();
    const view = requestedJob(req, now);
    return view
      ? { json: answer(req, now, view), index: scopeIndex(now, view) }
      : { json: [], index: now.index };
  };
}

function versionParam(req: ApiRequest, view: JobView): number {
  const raw = req.query.get('version');
  if (raw === null || raw === '') return view.latest.version;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `Failed to parse version: ${raw}`);
  return n;
}

const read = { kind: 'namespace', capability: 'read-job' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/jobs',
    access: { kind: 'namespace', capability: 'list-jobs' },
    blocking: true,
    cached: true,
    handler: listJobs,
  },
  {
    method: 'GET',
    path: '/v1/job/:id',
    access: read,
    blocking: true,
    cached: true,
    handler: jobRead((_req, now, view) => fullJob(view, view.latest.version, now.index)),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/allocations',
    access: read,
    blocking: true,
    cached: true,
    handler: jobList((req, now, view) =>
      allocationsOf(now.state, view.id).map((a) =>
        allocListStub(now.state, a, now.index, flag(req, 'task_states', true)),
      ),
    ),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/evaluations',
    access: read,
    blocking: true,
    cached: true,
    handler: jobList((_req, now, view) => jobEvaluations(now.state, view, now.index)),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/summary',
    access: read,
    blocking: true,
    cached: true,
    handler: jobRead(
      (_req, now, view) => jobSummary(now.state, view, now.index),
      JOB_NOT_FOUND,
      scopeIndex,
    ),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/deployment',
    access: read,
    blocking: true,
    cached: true,
    // Nomad answers null, not 404, when the job has no deployment or does not exist.
    handler: async (req) => {
      const now = await req.server.current();
      const view = requestedJob(req, now);
      const d = view ? latestDeployment(now.state, view.id) : undefined;
      return {
        json: d ? nomadDeployment(now.state, d, now.index) : null,
        index: view ? scopeIndex(now, view) : now.index,
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/job/:id/deployments',
    access: read,
    blocking: true,
    cached: true,
    handler: jobList((_req, now, view) =>
      deploymentsOf(now.state, view.id).map((d) => nomadDeployment(now.state, d, now.index)),
    ),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/versions',
    access: read,
    blocking: true,
    // Not cached: the body carries LastContact and KnownLeader, which move without the index.
    handler: jobRead((req, now, view) => {
      const leader = req.server.leadership();
      const meta = {
        index: jobIndex(now, view),
        lastContactMs: leader.lastContactMs,
        knownLeader: leader.leader !== undefined,
      };
      return jobVersions(view, meta, flag(req, 'diffs', false));
    }, 'job versions not found'),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/scale',
    access: { kind: 'namespace', capability: 'read-job-scaling' },
    blocking: true,
    cached: true,
    handler: jobRead(
      (_req, now, view) => jobScaleStatus(now.state, view, now.index),
      JOB_NOT_FOUND,
      scopeIndex,
    ),
  },
  {
    method: 'GET',
    path: '/v1/job/:id/submission',
    access: read,
    blocking: true,
    cached: true,
    handler: jobRead(
      (req, _now, view) => jobSubmission(view, versionParam(req, view)),
      'job source not found',
    ),
  },
];

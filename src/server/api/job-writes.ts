/**
 * Nomad's job writes: register (with EnforceIndex check-and-set), plan, revert, scale, stop and
 * purge, dispatch, periodic force. Each builds its plan with the engine's builder for that
 * change and runs it through the write path (src/server/api/write-path.ts), as the CLI does.
 */
import { NAMESPACE_NAME, jobIdentity, keyOfJob } from '../../state/job-key.js';
import { randomUUID } from 'node:crypto';
import type { Plan, GroupPlan } from '../../generated/plan.js';
import type { NormalizedJob } from '../../generated/normalized-job.js';
import { cloneValue, type ValueObject } from '../../hcl/value.js';
import { nextLaunch } from '../../jobspec/cron.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import {
  makePlan,
  observe,
  planDispatch,
  planPeriodicForce,
  planRollback,
  planScale,
  planStop,
  recordedDesired,
} from '../../ops/index.js';
import type { DesiredJob } from '../../plan/compute.js';
import { stickyRefusal, stickyRollbacks } from '../../plan/sticky.js';
import type { StateSnapshot } from '../../state/types.js';
import { driverConfigCheck } from '../../../providers/config-validators.js';
import { nomadJobDiff } from '../nomad/diff.js';
import { evaluationId } from '../nomad/ids.js';
import { diagnosticsText, fromNomadJob, type NomadJobRead } from '../nomad/job-json.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import {
  applyWrite,
  asApiErrors,
  bodyOf,
  currentJobModifyIndex,
  enforceIndex,
  requestNamespace,
  requestedJobKey,
  jobWriteReply,
  latestVersion,
  planWarningText,
  queryMeta,
  requireJobHere,
  warningsText,
} from './write-path.js';

type Obj = Record<string, unknown>;
type ReadJob = Extract<NomadJobRead, { ok: true }>;

export const routes: Route[] = [
  {
    method: 'PUT',
    path: '/v1/jobs',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: (req) => register(req),
  },
  {
    method: 'PUT',
    path: '/v1/job/:id',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: (req) => register(req, req.params.id),
  },
  {
    method: 'PUT',
    path: '/v1/job/:id/plan',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: planJob,
  },
  {
    method: 'PUT',
    path: '/v1/job/:id/revert',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: revert,
  },
  {
    method: 'PUT',
    path: '/v1/job/:id/scale',
    access: { kind: 'namespace', capability: 'scale-job' },
    handler: scale,
  },
  {
    method: 'DELETE',
    path: '/v1/job/:id',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: deregister,
  },
  {
    method: 'PUT',
    path: '/v1/job/:id/dispatch',
    access: { kind: 'namespace', capability: 'dispatch-job' },
    handler: dispatch,
  },
  {
    method: 'PUT',
    path: '/v1/job/:id/periodic/force',
    access: { kind: 'namespace', capability: 'submit-job' },
    handler: periodicForce,
  },
];

// ---------------------------------------------------------------------------------------------
// Register and plan.

/** `PUT /v1/jobs` and `/v1/job/:id`: {Job, EnforceIndex, JobModifyIndex, PreserveCounts, Submission}. */
async function register(req: ApiRequest, pathId?: string): Promise<ApiReply> {
  const body = await bodyOf(req);
  const read = readJob(req, body.Job, pathId);
  const id = keyOfJob(read.job);
  const desired = desiredOf(read, body);
  const out = await applyWrite(req, 'register', (engine, observed) => {
    const state = observed.stored;
    if (body.EnforceIndex === true)
      enforceIndex(state, id, wholeNumber(body.JobModifyIndex ?? 0, 'JobModifyIndex'));
    const wanted = body.PreserveCounts === true ? withRecordedCounts(desired, state) : desired;
    const sticky = stickyRollbacks(state, [wanted]);
    if (sticky.length > 0) throw new ApiError(400, stickyRefusal(sticky));
    return {
      plan: makePlan(engine, observed, [wanted], { warnings: read.diagnostics }),
      extra: undefined,
    };
  });
  return { json: jobWriteReply(out, id), index: out.index };
}

/** `PUT /v1/job/:id/plan`: drover's plan in Nomad's answer; nothing is executed or written. */
async function planJob(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  const read = readJob(req, body.Job, req.params.id);
  const id = keyOfJob(read.job);
  const engine = req.server.engine;
  return asApiErrors(async () => {
    // Looks at the hosts as `drover plan` does, without the lock: a plan only reads.
    const observed = await observe(engine, true);
    const plan = makePlan(engine, observed, [desiredOf(read, body)], {
      warnings: read.diagnostics,
    });
    const state = observed.stored;
    const versions = state.jobs[id]?.versions ?? [];
    const prior = versions.length ? decodeStoredJob(versions[versions.length - 1]!) : undefined;
    const groups = plan.jobs.find((j) => j.id === id)?.groups ?? [];
    const index = (await req.server.current()).index;
    return {
      json: {
        JobModifyIndex: currentJobModifyIndex(state, id),
        CreatedEvals: null,
        Diff: body.Diff === true ? nomadJobDiff(prior, read.job) : null,
        Annotations: { DesiredTGUpdates: desiredUpdates(groups), PreemptedAllocs: null },
        FailedTGAllocs: failedAllocs(groups),
        NextPeriodicLaunch: nextPeriodicLaunch(read.job, new Date(engine.clock.now())),
        Warnings: warningsText(plan.warnings.map(planWarningText)),
        Index: index,
      },
      index,
    };
  });
}

/** The Job of a request, read and checked as a jobspec file is (400 with every problem). */
function readJob(req: ApiRequest, json: unknown, pathId: string | undefined): ReadJob {
  if (json === undefined || json === null) throw new ApiError(400, 'Job must be specified');
  const read = fromNomadJob(json, { drivers: driverConfigCheck });
  if (!read.ok) throw new ApiError(400, diagnosticsText(read.diagnostics));
  if (pathId !== undefined && pathId !== read.job.id)
    throw new ApiError(400, 'Job ID does not match name');
  placeInNamespace(req, json, read);
  const region = req.server.settings.region;
  if ((read.job.region ?? region) !== region)
    throw new ApiError(
      400,
      `job region "${read.job.region}" is not this server's region "${region}": drover does not forward jobs between regions`,
    );
  return read;
}

/**
 * The job's namespace: the payload's `Namespace`, else the request's (as Nomad's HTTP agent
 * does); a valid name the token may submit jobs to (403 otherwise, whatever `?namespace=` said).
 */
function placeInNamespace(req: ApiRequest, json: unknown, read: ReadJob): void {
  const written = isObject(json) ? json.Namespace : undefined;
  const namespace = typeof written === 'string' && written !== '' ? written : requestNamespace(req);
  if (!NAMESPACE_NAME.test(namespace))
    throw new ApiError(
      400,
      `invalid namespace ${JSON.stringify(namespace)}: 1 to 128 letters, digits and dashes`,
    );
  if (!req.identity.allows({ kind: 'namespace', capability: 'submit-job' }, namespace))
    throw new ApiError(403, 'Permission denied');
  read.job = { ...read.job, namespace };
}

/** The job as a version records it: the submitted HCL when the client sent it, else the JSON. */
function desiredOf(read: ReadJob, body: Obj): Extract<DesiredJob, { kind: 'run' }> {
  const submission = isObject(body.Submission) ? body.Submission : undefined;
  const hcl = typeof submission?.Source === 'string' && submission.Source !== '';
  const filename = `api/${read.job.id}.nomad.${hcl ? 'hcl' : 'json'}`;
  return {
    kind: 'run',
    id: keyOfJob(read.job),
    job: read.job,
    submitted: read.submitted,
    source: hcl ? (submission.Source as string) : JSON.stringify(body.Job, null, 2),
    filename,
    origin: { kind: 'file', file: filename },
  };
}

/** PreserveCounts: the groups the recorded job has keep its counts. */
function withRecordedCounts(
  desired: Extract<DesiredJob, { kind: 'run' }>,
  state: StateSnapshot,
): Extract<DesiredJob, { kind: 'run' }> {
  if (!state.jobs[desired.id]?.versions.length) return desired;
  const recorded = recordedDesired(state, desired.id).job;
  const job: NormalizedJob = structuredClone(desired.job);
  const submitted = cloneValue(desired.submitted as ValueObject);
  for (const g of job.group) {
    const count = recorded.group.find((r) => r.name === g.name)?.count;
    if (count === undefined) continue;
    g.count = count;
    const written = (submitted.group as { name: string; count?: number }[] | undefined)?.find(
      (w) => w.name === g.name,
    );
    if (written) written.count = count;
  }
  return { ...desired, job, submitted };
}

/** Nomad's DesiredTGUpdates from drover's per-group counts. */
function desiredUpdates(groups: readonly GroupPlan[]): Obj {
  return Object.fromEntries(
    groups.map((g) => [
      g.name,
      {
        Ignore: g.counts.ignore,
        Place: g.counts.create,
        Migrate: g.counts.migrate,
        Stop: g.counts.destroy,
        InPlaceUpdate: g.counts.in_place_update,
        DestructiveUpdate: g.counts.create_destroy_update,
        Canary: g.counts.canary,
        Preemptions: 0,
      },
    ]),
  );
}

/** Nomad's FailedTGAllocs (an AllocMetric per group that cannot be placed), null when none. */
function failedAllocs(groups: readonly GroupPlan[]): Obj | null {
  const failed = groups.filter((g) => g.failures);
  if (failed.length === 0) return null;
  return Object.fromEntries(
    failed.map((g) => {
      const f = g.failures!;
      return [
        g.name,
        {
          NodesEvaluated: f.metrics.nodes_evaluated,
          NodesFiltered: f.metrics.nodes_filtered,
          NodesInPool: f.metrics.nodes_evaluated,
          NodesAvailable: null,
          ClassFiltered: null,
          ConstraintFiltered: f.metrics.constraint_filtered,
          NodesExhausted: f.metrics.nodes_exhausted,
          ClassExhausted: null,
          DimensionExhausted: f.metrics.dimension_exhausted,
          QuotaExhausted: null,
          ResourcesExhausted: null,
          Scores: null,
          ScoreMetaData: null,
          AllocationTime: 0,
          CoalescedFailures: Math.max(0, f.count - 1),
        },
      ];
    }),
  );
}

/** When a periodic job launches next (RFC 3339), Go's zero time when it does not. */
function nextPeriodicLaunch(job: NormalizedJob, now: Date): string {
  const next =
    job.periodic && job.periodic.enabled !== false ? nextLaunch(job.periodic, now) : undefined;
  return next ? next.toISOString() : '0001-01-01T00:00:00Z';
}

// ---------------------------------------------------------------------------------------------
// Revert, scale, stop.

/** `PUT /v1/job/:id/revert`: {JobID, JobVersion, EnforcePriorVersion}. */
async function revert(req: ApiRequest): Promise<ApiReply> {
  const id = requestedJobKey(req);
  const body = await bodyOf(req);
  const version = wholeNumber(body.JobVersion, 'JobVersion');
  const out = await applyWrite(req, 'rollback', (engine, observed) => {
    requireJobHere(req, observed.stored, id);
    const current = latestVersion(observed.stored, id);
    if (body.EnforcePriorVersion !== undefined && body.EnforcePriorVersion !== null) {
      const enforced = wholeNumber(body.EnforcePriorVersion, 'EnforcePriorVersion');
      if (enforced !== current)
        throw new ApiError(
          400,
          `Current job has version ${current}; enforcing version ${enforced}`,
        );
    }
    if (version === current) throw new ApiError(400, "can't revert to current version");
    return { plan: planRollback(engine, observed, id, version), extra: undefined };
  });
  return { json: jobWriteReply(out, id), index: out.index };
}

/** `PUT /v1/job/:id/scale`: {Count, Target{Group}, Message, Error, Meta, EnforceIndex, JobModifyIndex}. */
async function scale(req: ApiRequest): Promise<ApiReply> {
  const id = requestedJobKey(req);
  const body = await bodyOf(req);
  const target = isObject(body.Target) ? body.Target : {};
  const group = typeof target.Group === 'string' ? target.Group : '';
  if (!group) throw new ApiError(400, 'missing task group name for scaling action');
  if (body.Count === undefined || body.Count === null)
    throw new ApiError(
      400,
      'a scaling request without a Count only records a scaling event, and drover does not record scaling events (not built)',
    );
  const count = wholeNumber(body.Count, 'Count');
  const out = await applyWrite(
    req,
    'scale',
    (engine, observed) => {
      requireJobHere(req, observed.stored, id);
      if (body.EnforceIndex === true)
        enforceIndex(observed.stored, id, wholeNumber(body.JobModifyIndex ?? 0, 'JobModifyIndex'));
      const g = recordedDesired(observed.stored, id).job.group.find((x) => x.name === group);
      if (!g)
        throw new ApiError(
          400,
          `task group "${group}" specified for scaling does not exist in job`,
        );
      refuseOutsidePolicy(g.scaling, count);
      return { plan: planScale(engine, observed, id, group, count), extra: undefined };
    },
    { message: scaleMessage(body) },
  );
  return { json: jobWriteReply(out, id), index: out.index };
}

/** Nomad's bounds of a group's scaling policy. */
function refuseOutsidePolicy(
  scaling: { min?: number; max?: number } | undefined,
  count: number,
): void {
  if (!scaling) return;
  if (scaling.min !== undefined && count < scaling.min)
    throw new ApiError(
      400,
      `group count was less than scaling policy minimum: ${count} < ${scaling.min}`,
    );
  if (scaling.max !== undefined && count > scaling.max)
    throw new ApiError(
      400,
      `group count was greater than scaling policy maximum: ${count} > ${scaling.max}`,
    );
}

/** The scaling request's Message and Meta, kept in the audit record (drover has no scaling events). */
function scaleMessage(body: Obj): string | undefined {
  const message = typeof body.Message === 'string' ? body.Message : '';
  const meta =
    isObject(body.Meta) && Object.keys(body.Meta).length ? JSON.stringify(body.Meta) : '';
  return [message, meta && `meta ${meta}`].filter(Boolean).join('; ') || undefined;
}

/** `DELETE /v1/job/:id?purge=true`: stop the job (and forget it with purge). */
async function deregister(req: ApiRequest): Promise<ApiReply> {
  const id = requestedJobKey(req);
  const purge = req.query.get('purge') === 'true';
  if (req.query.get('no_shutdown_delay') === 'true')
    throw new ApiError(
      400,
      'no_shutdown_delay is not supported: drover always honours shutdown_delay',
    );
  const out = await applyWrite(req, purge ? 'purge' : 'stop', (engine, observed) => {
    requireJobHere(req, observed.stored, id);
    // drover forgets a job as it stops it; a stopped job kept in state is not purged later.
    if (purge && observed.stored.jobs[id]!.stopped)
      throw new ApiError(
        400,
        `job "${jobIdentity(observed.stored, id).id}" is already stopped, and drover purges a job only as it stops it (purging a stopped job is not built)`,
      );
    return {
      plan: planStop(engine, observed, id, purge),
      extra: latestVersion(observed.stored, id),
    };
  });
  return {
    json: {
      EvalID: evaluationId(id, out.extra),
      EvalCreateIndex: out.index,
      JobModifyIndex: currentJobModifyIndex(out.state, id),
      VolumeEvalID: '',
      VolumeEvalIndex: 0,
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

// ---------------------------------------------------------------------------------------------
// Launches.

/** `PUT /v1/job/:id/dispatch`: {Payload (base64), Meta, IdempotencyToken}, Nomad's rules. */
async function dispatch(req: ApiRequest): Promise<ApiReply> {
  const id = requestedJobKey(req);
  const body = await bodyOf(req);
  const meta = stringMap(body.Meta, 'Meta');
  const payload = payloadOf(body.Payload);
  const token = typeof body.IdempotencyToken === 'string' ? body.IdempotencyToken : '';
  const out = await applyWrite(req, 'dispatch', (engine, observed) => {
    requireJobHere(req, observed.stored, id);
    const got = planDispatch(engine, observed, id, {
      meta,
      payload,
      uuid: randomUUID(),
      ...(token ? { idempotencyToken: token } : {}),
    });
    // The same idempotency token as a child still in state: that child is the answer.
    if ('existing' in got) return { plan: makePlan(engine, observed, []), extra: got.existing };
    return { plan: got.plan, extra: got.child };
  });
  const child = out.extra;
  return {
    json: {
      DispatchedJobID: jobIdentity(out.state, child).id,
      EvalID: evaluationId(child, latestVersion(out.state, child)),
      EvalCreateIndex: out.index,
      JobCreateIndex: out.index,
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

/** `PUT /v1/job/:id/periodic/force`: a child launched now. */
async function periodicForce(req: ApiRequest): Promise<ApiReply> {
  const id = requestedJobKey(req);
  const out = await applyWrite(req, 'periodic force', (engine, observed) => {
    requireJobHere(req, observed.stored, id);
    const plan = planPeriodicForce(engine, observed, id);
    return { plan, extra: childOf(plan) };
  });
  return {
    json: {
      EvalID: evaluationId(out.extra, latestVersion(out.state, out.extra)),
      EvalCreateIndex: out.index,
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

/** The one job a launch plan creates. */
function childOf(plan: Plan): string {
  return plan.jobs.find((j) => j.type === 'create')?.id ?? plan.jobs[0]!.id;
}

function payloadOf(value: unknown): Uint8Array {
  if (value === undefined || value === null || value === '') return new Uint8Array();
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new ApiError(400, 'Payload must be base64-encoded');
  return Buffer.from(value, 'base64');
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string'))
    throw new ApiError(400, `${name} must be an object of strings`);
  return value as Record<string, string>;
}

function wholeNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new ApiError(400, `${name} must be a whole number ≥ 0`);
  return value;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Plans waiting for review, for the web UI (issue 16): the plans saved in state (`drover plan
 * -out F`, and `POST /v1/drover/plans` from the UI's run-job page), approved, rejected and
 * applied by hash. Approve is `drover approve`'s operation (ops/approve: stale refused, once per
 * person, allow_self); apply runs the saved plan through the write path, detached, when it has
 * the approvals drover.hcl requires. Reads need read-job, writes submit-job, in every namespace
 * the plan touches.
 */
import { auditRecordOf } from '../../audit/record.js';
import type { Plan } from '../../generated/plan.js';
import {
  approvePlan,
  makePlan,
  observe,
  planImages,
  planRollback,
  type Observed,
  recordSavedPlan,
  rejectSavedPlan,
  type RecordResult,
} from '../../ops/index.js';
import type { DesiredJob } from '../../plan/compute.js';
import {
  countApprovals,
  describeCount,
  NO_APPROVALS,
  type ApprovalRule,
} from '../../plan/approvals.js';
import { checkPlanFresh } from '../../plan/planfile.js';
import { withPlanHooks } from '../../plan/hooks.js';
import { approvalsOf } from '../../state/approvals.js';
import type { NewAuditRecord } from '../../state/audit.js';
import { planOf, savedPlan } from '../../state/plans.js';
import type { SavedPlan, StateSnapshot } from '../../state/types.js';
import {
  ApiError,
  NotLeaderError,
  type ApiReply,
  type ApiRequest,
  type NamespaceCapability,
  type Route,
} from '../types.js';
import {
  planDetail,
  planNamespaces,
  planSummary,
  savedPlansNewestFirst,
  wasApplied,
  APPLY_OPERATION,
} from './drover-plan-view.js';
import { loadRequestJob } from './jobs-parse.js';
import { applyWrite, asApiErrors, bodyOf, optionalBodyOf, requestedJobKey } from './write-path.js';
import { keyOfJob } from '../../state/job-key.js';

/** How long a review write waits for a CLI that holds the state lock (as the server's writes). */
const REVIEW_LOCK_TIMEOUT_MS = 60_000;

/** Each handler checks the plan's namespaces itself: the request's `?namespace=` is not the plan's. */
const CHECKED_IN_HANDLER = { kind: 'public' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/drover/plans',
    access: CHECKED_IN_HANDLER,
    blocking: true,
    cached: true,
    handler: listPlans,
  },
  { method: 'POST', path: '/v1/drover/plans', access: CHECKED_IN_HANDLER, handler: planJob },
  {
    method: 'GET',
    path: '/v1/drover/plan/:hash',
    access: CHECKED_IN_HANDLER,
    blocking: true,
    cached: true,
    handler: showPlan,
  },
  {
    method: 'POST',
    path: '/v1/drover/plan/:hash/approve',
    access: CHECKED_IN_HANDLER,
    handler: approve,
  },
  {
    method: 'POST',
    path: '/v1/drover/plan/:hash/reject',
    access: CHECKED_IN_HANDLER,
    handler: reject,
  },
  {
    method: 'POST',
    path: '/v1/drover/plan/:hash/apply',
    access: CHECKED_IN_HANDLER,
    handler: apply,
  },
];

function ruleOf(req: ApiRequest): ApprovalRule {
  return req.server.engine.config.approvals ?? NO_APPROVALS;
}

function mayInEvery(req: ApiRequest, plan: Plan, capability: NamespaceCapability): boolean {
  return planNamespaces(plan).every((ns) =>
    req.identity.allows({ kind: 'namespace', capability }, ns),
  );
}

async function listPlans(req: ApiRequest): Promise<ApiReply> {
  const { state } = await req.server.current();
  const wanted = req.namespace;
  const shown = savedPlansNewestFirst(state).filter((saved) => {
    const plan = planOf(saved);
    const here = wanted === '*' || planNamespaces(plan).includes(wanted);
    return here && mayInEvery(req, plan, 'read-job');
  });
  return { json: shown.map((saved) => planSummary(state, saved, ruleOf(req))) };
}

/** The saved plan of the request's `:hash` the caller may do `capability` on (404, 403). */
function requirePlan(
  req: ApiRequest,
  state: StateSnapshot,
  capability: NamespaceCapability,
): SavedPlan {
  const saved = savedPlan(state, req.params.hash!);
  if (!saved) throw new ApiError(404, `no saved plan ${req.params.hash}`);
  if (!mayInEvery(req, planOf(saved), 'read-job') || !mayInEvery(req, planOf(saved), capability))
    throw new ApiError(403, 'Permission denied');
  return saved;
}

async function showPlan(req: ApiRequest): Promise<ApiReply> {
  const { state } = await req.server.current();
  return { json: planDetail(state, requirePlan(req, state, 'read-job'), ruleOf(req)) };
}

/** A write that records a review (no plan executed): as the leader, with drover's errors as the API's. */
async function reviewWrite<T>(req: ApiRequest, fn: () => Promise<T>): Promise<T> {
  if (!req.server.leadership().isLeader) throw new NotLeaderError('this server is not the leader');
  return asApiErrors(fn);
}

/** The request's `{ "Message" }`; an empty body is no message. */
async function messageOf(req: ApiRequest): Promise<string | undefined> {
  const m = (await optionalBodyOf(req)).Message;
  if (m !== undefined && typeof m !== 'string') throw new ApiError(400, 'Message must be a string');
  return m || undefined;
}

/** A review's audit record, in the name of the request's actor. */
function reviewAudit(
  req: ApiRequest,
  operation: string,
  started: Date,
  plan: Plan,
  detail: string,
  message: string | undefined,
): NewAuditRecord {
  return {
    ...auditRecordOf({
      operation,
      started,
      ended: new Date(),
      identity: { actor: req.identity.actor.name, git: {} },
      exitCode: 0,
      detail,
      ...(message ? { message } : {}),
    }),
    plan_hash: plan.hash,
  };
}

function refuseRejected(saved: SavedPlan): void {
  const first = saved.rejections?.[0];
  if (first)
    throw new ApiError(
      400,
      `plan ${planOf(saved).hash} was rejected by ${first.by}${first.message ? ` (${first.message})` : ''}: plan again`,
    );
}

async function approve(req: ApiRequest): Promise<ApiReply> {
  const message = await messageOf(req);
  const { state } = await req.server.current();
  const saved = requirePlan(req, state, 'submit-job');
  refuseRejected(saved);
  const plan = planOf(saved);
  const started = new Date();
  const done = await reviewWrite(req, () =>
    approvePlan(req.server.engine, {
      plan,
      rule: ruleOf(req),
      lockTimeoutMs: REVIEW_LOCK_TIMEOUT_MS,
      approval: {
        plan_hash: plan.hash,
        approver: req.identity.actor.name,
        time: started.toISOString(),
        ...(message ? { message } : {}),
      },
      audit: (count) =>
        reviewAudit(
          req,
          'approve',
          started,
          plan,
          `approved the plan: it has ${describeCount(count)}`,
          message,
        ),
    }),
  );
  return summaryAfter(req, done.state);
}

async function reject(req: ApiRequest): Promise<ApiReply> {
  const message = await messageOf(req);
  const { state } = await req.server.current();
  const saved = requirePlan(req, state, 'submit-job');
  const plan = planOf(saved);
  if (wasApplied(state, plan.hash))
    throw new ApiError(400, `plan ${plan.hash} was applied already: it cannot be rejected`);
  const started = new Date();
  const done: RecordResult = await reviewWrite(req, () =>
    rejectSavedPlan(req.server.engine, {
      hash: plan.hash,
      rejection: {
        by: req.identity.actor.name,
        time: started.toISOString(),
        ...(message ? { message } : {}),
      },
      audit: reviewAudit(req, 'reject', started, plan, 'rejected the plan', message),
      lockTimeoutMs: REVIEW_LOCK_TIMEOUT_MS,
    }),
  );
  return summaryAfter(req, done.state);
}

function summaryAfter(req: ApiRequest, state: StateSnapshot): ApiReply {
  const saved = savedPlan(state, req.params.hash!)!;
  return { json: planSummary(state, saved, ruleOf(req)), index: state.serial + 1 };
}

/**
 * Runs the saved plan, detached, as `drover apply F` would: under the lock, fresh, not rejected
 * nor applied, with the approvals drover.hcl requires (counted under the lock).
 */
async function apply(req: ApiRequest): Promise<ApiReply> {
  const { state } = await req.server.current();
  requirePlan(req, state, 'submit-job');
  const hash = req.params.hash!;
  const out = await applyWrite(req, APPLY_OPERATION, (_engine, observed) => {
    const now = observed.stored;
    const saved = savedPlan(now, hash);
    if (!saved) throw new ApiError(404, `no saved plan ${hash}`);
    refuseRejected(saved);
    if (wasApplied(now, hash)) throw new ApiError(400, `plan ${hash} was applied already`);
    const plan = planOf(saved);
    const fresh = checkPlanFresh(plan, now);
    if (!fresh.ok) throw new ApiError(400, `${fresh.message}: plan again`);
    const count = countApprovals(ruleOf(req), approvalsOf(now), plan);
    if (count.missing > 0)
      throw new ApiError(
        403,
        `plan ${hash} is not approved: it has ${describeCount(count)}; ${count.missing} more needed. Nothing was changed.`,
      );
    return { plan, extra: undefined, approvals: count.counted };
  });
  const deployments = (out.result?.outcomes ?? []).flatMap((r) =>
    r.outcome.deploymentId ? [r.outcome.deploymentId] : [],
  );
  return { json: { Index: out.index, DeploymentIDs: deployments }, index: out.index };
}

/**
 * `{ JobHCL, Variables }`: plans one job as `drover plan` does (looking at the hosts, without the
 * lock) and saves the plan for review in the caller's name; answers its detail. With `{ Revert:
 * { JobID, JobVersion } }` instead (namespace from `?namespace=`), the plan is `drover rollback`'s:
 * where approvals are required, the UI's Revert goes through review like any other change.
 */
async function planJob(req: ApiRequest): Promise<ApiReply> {
  const submit = { kind: 'namespace', capability: 'submit-job' } as const;
  // Before reading the job: a caller who may not submit learns nothing of its problems.
  if (!req.identity.allows(submit, req.namespace)) throw new ApiError(403, 'Permission denied');
  const body = await bodyOf(req);
  const planOfRequest = isRevert(body.Revert)
    ? revertPlanner(req, body.Revert)
    : jobPlanner(req, body);
  const engine = req.server.engine;
  const actor = req.identity.actor.name;
  const started = new Date();
  const done = await reviewWrite(req, async () => {
    const observed = await observe(engine, true);
    const made = planOfRequest(observed);
    // It lists the hooks applying it runs, as `drover plan -out` does: reviewed with the plan.
    const imaged = await planImages(engine, made, observed.state);
    const plan = withAuthor(withPlanHooks(imaged, engine.config.hooks ?? []), actor);
    const saved = await recordSavedPlan(engine, {
      saved: {
        plan,
        created_by: actor,
        created_at: started.toISOString(),
        source: sourceOf(req, body),
      },
      audit: reviewAudit(req, 'plan', started, plan, 'saved the plan for review', undefined),
      lockTimeoutMs: REVIEW_LOCK_TIMEOUT_MS,
    });
    return { ...saved, hash: plan.hash };
  });
  // The same plan saved before keeps who made it first.
  const saved = savedPlan(done.state, done.hash)!;
  return { json: planDetail(done.state, saved, ruleOf(req)), index: done.state.serial + 1 };
}

type Planner = (observed: Observed) => Plan;

/** The plan of `{ JobHCL, Variables }`: the job as submitted, in its own namespace. */
function jobPlanner(req: ApiRequest, body: Record<string, unknown>): Planner {
  const loaded = loadRequestJob(body);
  const namespace = loaded.job.namespace ?? 'default';
  if (!req.identity.allows({ kind: 'namespace', capability: 'submit-job' }, namespace))
    throw new ApiError(403, 'Permission denied');
  const filename = `api/${loaded.id}.nomad.hcl`;
  const desired: DesiredJob = {
    kind: 'run',
    id: keyOfJob(loaded.job),
    job: loaded.job,
    submitted: loaded.submitted,
    source: loaded.source,
    filename,
    ...(loaded.sensitive.length ? { sensitive: loaded.sensitive } : {}),
    origin: { kind: 'file', file: filename },
  };
  return (observed) => makePlan(req.server.engine, observed, [desired]);
}

interface RevertRequest {
  JobID: string;
  JobVersion: number;
}

function isRevert(v: unknown): v is RevertRequest {
  if (v === undefined || v === null) return false;
  const r = v as Partial<RevertRequest>;
  if (typeof r.JobID !== 'string' || !r.JobID)
    throw new ApiError(400, 'Revert.JobID must be a job id');
  if (typeof r.JobVersion !== 'number' || !Number.isInteger(r.JobVersion) || r.JobVersion < 0)
    throw new ApiError(400, 'Revert.JobVersion must be a whole number');
  return true;
}

/** The plan of `{ Revert: { JobID, JobVersion } }`: `drover rollback JOB VERSION`'s. */
function revertPlanner(req: ApiRequest, revert: RevertRequest): Planner {
  const id = requestedJobKey(req, revert.JobID);
  return (observed) => {
    const job = observed.stored.jobs[id];
    if (!job) throw new ApiError(404, 'job not found');
    const current = job.versions.at(-1)?.version;
    if (revert.JobVersion === current) throw new ApiError(400, "can't revert to current version");
    return planRollback(req.server.engine, observed, id, revert.JobVersion);
  };
}

/** The plan with who made it (not covered by its hash), after when it was made, as a planfile has it. */
function withAuthor(plan: Plan, actor: string): Plan {
  const { format_version, drover_version, created_at, ...rest } = plan;
  return { format_version, drover_version, created_at, author: { actor }, ...rest };
}

/** `ui` for the web UI's requests (their Referer is under /ui/), else `api`; a body's `Source` wins. */
function sourceOf(req: ApiRequest, body: Record<string, unknown>): 'ui' | 'api' {
  if (body.Source === 'ui' || body.Source === 'api') return body.Source;
  const referer = req.headers.referer;
  return referer && /^https?:\/\/[^/]+\/ui(\/|$)/.test(referer) ? 'ui' : 'api';
}

/**
 * What every write of Nomad's API shares: the CLI's path (under the state lock, after observing
 * the fleet: a plan built by the engine's builders, then executed and recorded in the audit
 * trail with the request's actor), Nomad's answers to a write, and how drover's errors become
 * API errors.
 */
import { ALL_NAMESPACES, DEFAULT_NAMESPACE, jobKey } from '../../state/job-key.js';
import { auditRecordOf } from '../../audit/record.js';
import type { Plan } from '../../generated/plan.js';
import type { ProgressEvent } from '../../deploy/apply.js';
import {
  executePlan,
  OperationError,
  planHasChanges,
  planImages,
  type ApplyResult,
  type EngineContext,
  type Observed,
} from '../../ops/index.js';
import { recordAudit } from '../../ops/audit.js';
import { applyWithHooks, describeHookFailure, planWithHooks } from '../../ops/hooks.js';
import { planfileRequired, NO_APPROVALS } from '../../plan/approvals.js';
import { isStateError } from '../../state/errors.js';
import type { PlanApproval, StateSnapshot } from '../../state/types.js';
import { jobModifyIndexOf } from '../nomad/job-json.js';
import { evaluationId } from '../nomad/ids.js';
import { ApiError, NotLeaderError, type Access, type ApiRequest } from '../types.js';
import { serverApplyHooks } from './write-hooks.js';

/** What a write did. */
export interface WriteOutcome<T> {
  plan: Plan;
  /** Whether the plan changed anything (a plan without changes is not executed). */
  changed: boolean;
  result?: ApplyResult;
  /** What the builder returned besides the plan. */
  extra: T;
  /** drover.hcl's hooks that failed while the write went on (pre-job, post hooks): said, not undone. */
  warnings: string[];
  /** The state after the write, and its index. */
  state: StateSnapshot;
  index: number;
}

export interface BuiltPlan<T> {
  plan: Plan;
  extra: T;
  /**
   * A saved plan, approved by these (drover.hcl `approvals`): it runs as planned (its images
   * included), and its audit record names them.
   */
  approvals?: PlanApproval[];
}

/**
 * Runs a write as the CLI runs `apply`: under the state lock, observe, build the plan, run
 * drover.hcl's hooks around executing it (detached: the request returns once each rollout
 * started, the controller continues it) and append its audit record, all in the name of the
 * request's actor. A refusal (bad request, approvals required, a failing pre-apply hook)
 * changes nothing.
 */
export async function applyWrite<T = undefined>(
  req: ApiRequest,
  operation: string,
  build: (engine: EngineContext, observed: Observed) => BuiltPlan<T> | Promise<BuiltPlan<T>>,
  opts: { message?: string } = {},
): Promise<WriteOutcome<T>> {
  const actor = req.identity.actor;
  const done = await asApiErrors(() =>
    req.server.write(actor, operation, async (engine, observed) => {
      const built = await build(engine, observed);
      if (!planHasChanges(built.plan)) return { ...built, changed: false, warnings: [] };
      const saved = built.approvals !== undefined;
      refuseWithoutApprovals(engine, saved);
      // A saved plan runs as reviewed (its images, its hooks: stale when drover.hcl's changed).
      const plan = planWithHooks(
        engine.config.hooks ?? [],
        saved ? built.plan : await planImages(engine, built.plan, observed.state),
        saved,
      );
      const started = new Date();
      const hooks = serverApplyHooks(req, plan, operation);
      const record = (exitCode: number, more: { applied?: ApplyResult; error?: string }) =>
        auditRecordOf({
          operation,
          started,
          ended: new Date(),
          identity: { actor: actor.name, git: {} },
          exitCode,
          plan,
          ...(opts.message ? { message: opts.message } : {}),
          ...(built.approvals?.length ? { approvals: built.approvals } : {}),
          ...(hooks.records.length ? { hooks: hooks.records } : {}),
          ...more,
        });
      try {
        // drover.hcl's hooks run as for the CLI's apply; a failing pre-apply hook refuses the write.
        const { result, code } = await applyWithHooks(hooks, (jobHooks) =>
          executePlan(engine, plan, observed, logProgress(req, operation), {
            detach: true,
            actor: actor.name,
            ...(jobHooks ? { jobHooks } : {}),
          }),
        );
        await recordAudit(engine.store, record(code, { applied: result }), result.state);
        const warnings = hooks.records
          .filter((r) => r.result !== 'ok')
          .map(
            (r) => `${describeHookFailure(r)}${r.kind === 'pre-job' ? '' : '; nothing was undone'}`,
          );
        return { plan, extra: built.extra, changed: true, result, warnings };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await recordAudit(engine.store, record(1, { error })).catch(() => undefined);
        throw err;
      }
    }),
  );
  const now = await req.server.current();
  return { ...done, state: now.state, index: now.index };
}

/** With approvals required (drover.hcl `approvals`), only an approved saved plan changes anything. */
function refuseWithoutApprovals(engine: EngineContext, savedPlan: boolean): void {
  const rule = engine.config.approvals ?? NO_APPROVALS;
  if (rule.required > 0 && !savedPlan) throw new ApiError(403, planfileRequired(rule));
}

/** Each step of a rollout as a line of the server's log. */
function logProgress(req: ApiRequest, operation: string): (ev: ProgressEvent) => void {
  return (ev) => {
    const what = ev.kind === 'job' ? `job ${ev.job}` : `allocation ${ev.name} on ${ev.node}`;
    req.server.log.info(`${operation}: ${what} ${ev.status}`, {
      operation,
      actor: req.identity.actor.name,
      ...(ev.detail ? { detail: ev.detail } : {}),
    });
  };
}

/** drover's refusals as Nomad's: a bad request is 400, the state lock or a conflict 500 with its text. */
export async function asApiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError || err instanceof NotLeaderError) throw err;
    if (err instanceof OperationError) throw new ApiError(400, err.message);
    if (isStateError(err)) throw new ApiError(500, err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and answers.

type Obj = Record<string, unknown>;

/** The request's JSON body as an object (400 when it is not one). */
export async function bodyOf(req: ApiRequest): Promise<Obj> {
  const body = await req.json();
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'Request body must be a JSON object');
  return body as Obj;
}

/** The body as an object, `{}` when the request has none (Nomad's lifecycle writes take none). */
export async function optionalBodyOf(req: ApiRequest): Promise<Obj> {
  const length = req.headers['content-length'];
  if (length === '0' || (length === undefined && !req.headers['transfer-encoding'])) return {};
  return bodyOf(req);
}

/** The JobModifyIndex of a job in state; 0 when there is no such job (Nomad's "does not exist"). */
export function currentJobModifyIndex(state: StateSnapshot, id: string): number {
  const versions = state.jobs[id]?.versions ?? [];
  const latest = versions[versions.length - 1];
  return latest ? jobModifyIndexOf(latest.version) : 0;
}

/** The latest version number of a job after a write (0 when it has none, e.g. purged). */
export function latestVersion(state: StateSnapshot, id: string): number {
  const versions = state.jobs[id]?.versions ?? [];
  return versions[versions.length - 1]?.version ?? 0;
}

/** Nomad's check-and-set of a job register or scale, with Nomad's error texts (500, as Nomad answers). */
export function enforceIndex(state: StateSnapshot, id: string, expected: number): void {
  const current = currentJobModifyIndex(state, id);
  const prefix = `Enforcing job modify index ${expected}`;
  if (expected === 0 && current !== 0) throw new ApiError(500, `${prefix}: job already exists`);
  if (expected !== 0 && current === 0) throw new ApiError(500, `${prefix}: job does not exist`);
  if (expected !== current)
    throw new ApiError(500, `${prefix}: job exists with conflicting job modify index: ${current}`);
}

/** 404 "job not found" (Terraform's provider looks for the 404) unless the job is in state. */
export function requireJobHere(_req: ApiRequest, state: StateSnapshot, key: string): void {
  if (!state.jobs[key]?.versions.length) throw new ApiError(404, 'job not found');
}

/** The request's namespace as one namespace (`*` names none: the default one, as Nomad). */
export function requestNamespace(req: ApiRequest): string {
  return req.namespace === ALL_NAMESPACES || req.namespace === ''
    ? DEFAULT_NAMESPACE
    : req.namespace;
}

/** The state key of the job `:id` (or `id`) in the request's namespace. */
export function requestedJobKey(req: ApiRequest, id: string = req.params.id!): string {
  return jobKey(requestNamespace(req), id);
}

/**
 * Whether the request reaches an object named by its id (an allocation, a deployment), of
 * namespace `actual`: as Nomad, whatever `?namespace=` says, when the token's policies grant
 * `access` there (403 otherwise).
 */
export function requireReach(req: ApiRequest, actual: string, access: Access): boolean {
  if (!req.identity.allows(access, actual)) throw new ApiError(403, 'Permission denied');
  return true;
}

/** Nomad's answer to a job write: the evaluation of the version it left, and the indexes. */
export function jobWriteReply(
  out: WriteOutcome<unknown>,
  id: string,
  warnings: readonly string[] = [],
): Obj {
  const version = latestVersion(out.state, id);
  return {
    EvalID: evaluationId(id, version),
    EvalCreateIndex: out.index,
    JobModifyIndex: currentJobModifyIndex(out.state, id),
    Warnings: warningsText([
      ...warnings,
      ...out.plan.warnings.map(planWarningText),
      ...out.warnings,
    ]),
    ...queryMeta(out.index),
  };
}

/** The QueryMeta fields Nomad's write responses carry in their bodies. */
export function queryMeta(index: number): Obj {
  return { Index: index, LastContact: 0, KnownLeader: true, NextToken: '' };
}

export function planWarningText(w: { summary: string; detail?: string }): string {
  return w.detail ? `${w.summary}: ${w.detail}` : w.summary;
}

/** Warnings as Nomad's multierror text (`2 warnings:\n\n* a\n* b`), "" when there are none. */
export function warningsText(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  const head = warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`;
  return `${head}:\n\n${warnings.map((w) => `* ${w}`).join('\n')}`;
}

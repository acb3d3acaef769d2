/**
 * An operation's audit record, from what it did: the plan it ran, the outcome of each job, the
 * exit code, who ran it and from which git checkout. Pure: times and identity come in.
 */
import type { Plan } from '../generated/plan.js';
import type { NewAuditRecord } from '../state/audit.js';
import type { AuditHook, AuditJobChange, AuditRecord, PlanApproval } from '../state/types.js';
import type { Identity } from './identity.js';
import { changedJobs } from '../plan/changed-jobs.js';

/**
 * What a record reads of an apply's result: the shape of the operations layer's `ApplyResult`,
 * named here because the audit layer sits below it (importing it would make a cycle).
 */
export interface AppliedJobs {
  outcomes: {
    job: string;
    outcome: { result: NonNullable<AuditJobChange['result']> };
    revert?: { toVersion: number | undefined; outcome?: { ok: boolean } };
  }[];
  /** An atomic apply that failed: the jobs it put back (toVersion null: stopped). */
  atomic?: { reverted: { job: string; toVersion: number | null; outcome: { ok: boolean } }[] };
}

export interface OperationFacts {
  operation: string;
  started: Date;
  ended: Date;
  identity: Identity;
  exitCode: number;
  message?: string;
  plan?: Plan;
  /** The approvals that let the plan run (drover.hcl `approvals`). */
  approvals?: PlanApproval[];
  /** Absent when the operation failed before (or while) running the plan. */
  applied?: AppliedJobs;
  error?: string;
  /** For operations without jobs: what happened, in a sentence. */
  detail?: string;
  /** The hooks it ran (drover.hcl `hook` blocks). */
  hooks?: AuditHook[];
}

export function auditRecordOf(f: OperationFacts): NewAuditRecord {
  const { git } = f.identity;
  const detail = f.detail ?? (f.plan ? changesDetail(f.plan) : undefined);
  return {
    time: f.started.toISOString(),
    duration_ms: Math.max(0, f.ended.getTime() - f.started.getTime()),
    actor: f.identity.actor,
    ...(git.author ? { git_author: git.author } : {}),
    operation: f.operation,
    ...(f.plan ? { plan_hash: f.plan.hash } : {}),
    ...(f.approvals?.length ? { approvals: f.approvals } : {}),
    ...(git.commit ? { git_commit: git.commit } : {}),
    ...(git.branch ? { git_branch: git.branch } : {}),
    ...(f.message ? { message: f.message } : {}),
    jobs: f.plan ? jobChanges(f.plan, f.applied) : [],
    result: resultOf(f.exitCode, f.error),
    exit_code: f.exitCode,
    ...(f.error ? { error: f.error } : {}),
    ...(detail ? { detail } : {}),
    ...(f.hooks?.length ? { hooks: f.hooks } : {}),
  };
}

/**
 * ok for 0 (and 5: canaries wait for promotion, as planned); reverted for 3 (a deployment failed
 * and auto_revert rolled it back); failed for everything else.
 */
export function resultOf(exitCode: number, error?: string): AuditRecord['result'] {
  if (error === undefined && (exitCode === 0 || exitCode === 5)) return 'ok';
  return exitCode === 3 ? 'reverted' : 'failed';
}

/** The jobs the plan changes, with their versions before and after and what became of them. */
export function jobChanges(plan: Plan, applied?: AppliedJobs): AuditJobChange[] {
  return changedJobs(plan).map((j): AuditJobChange => {
    const r = applied?.outcomes.find((o) => o.job === j.id);
    const atomic = applied?.atomic?.reverted.find((x) => x.job === j.id);
    const revertedTo =
      atomic?.outcome.ok && atomic.toVersion !== null
        ? atomic.toVersion
        : r?.revert?.outcome?.ok
          ? r.revert.toVersion
          : undefined;
    return {
      id: j.id,
      from_version: j.from_version,
      to_version: j.to_version,
      change: j.type,
      ...(r ? { result: r.outcome.result } : {}),
      ...(revertedTo !== undefined ? { reverted_to: revertedTo } : {}),
    };
  });
}

/** The plan's state changes in words (node drain and eligibility, promotions, failures). */
export function changesDetail(plan: Plan): string | undefined {
  const parts = plan.changes.map((c) =>
    c.kind === 'node'
      ? `node ${c.node}: ${[c.eligibility, c.drain === undefined ? '' : c.drain ? 'draining' : 'not draining'].filter(Boolean).join(', ')}`
      : c.kind === 'promote'
        ? `${c.job}: promoted ${(c.groups ?? []).join(', ')}`
        : `${c.job}: deployment failed (${c.description ?? 'by the user'})`,
  );
  return parts.length ? parts.join('; ') : undefined;
}

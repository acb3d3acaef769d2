/**
 * The CLI's side of the audit trail: who runs this command (see audit/identity), timing an
 * operation and appending its record when it is done or has failed, and the sticky-rollback
 * check of plans of job files.
 */
import { relative, resolve, dirname } from 'node:path';
import { currentIdentity } from '../audit/identity.js';
import { auditRecordOf, type OperationFacts } from '../audit/record.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { Plan } from '../generated/plan.js';
import { recordAudit } from '../ops/audit.js';
import type { ApplyResult } from '../ops/execute.js';
import type { DesiredJob } from '../plan/compute.js';
import { describeSticky, stickyRefusal, stickyRollbacks } from '../plan/sticky.js';
import type { NewAuditRecord } from '../state/audit.js';
import type { StateStore } from '../state/store.js';
import type { AuditHook, PlanApproval, StateSnapshot, VersionOrigin } from '../state/types.js';
import { UserError } from './with-session.js';

/** An operation being timed; `done` and `failed` append its record to the trail. */
export interface OperationAudit {
  done(exitCode: number, applied?: ApplyResult, hooks?: AuditHook[]): Promise<void>;
  /** Appends a failed record; never throws (the operation's own error is the news). */
  failed(err: unknown, hooks?: AuditHook[]): Promise<void>;
}

interface AuditExtra {
  plan?: Plan;
  /** The approvals that let the plan run. */
  approvals?: PlanApproval[];
  message?: string;
  detail?: string;
  applied?: ApplyResult;
  error?: string;
  hooks?: AuditHook[];
}

/** The record of an operation started at `started` and ending now, run by this process's actor. */
export function auditRecordNow(
  operation: string,
  started: Date,
  exitCode: number,
  extra: AuditExtra = {},
): NewAuditRecord {
  const facts: OperationFacts = {
    ...extra,
    operation,
    started,
    ended: new Date(),
    identity: currentIdentity(),
    exitCode,
  };
  return auditRecordOf(facts);
}

export function startAudit(
  store: StateStore,
  operation: string,
  extra: Pick<AuditExtra, 'plan' | 'message' | 'detail' | 'approvals'> = {},
): OperationAudit {
  const started = new Date();
  return {
    async done(exitCode, applied, hooks) {
      const record = auditRecordNow(operation, started, exitCode, {
        ...extra,
        ...(applied ? { applied } : {}),
        ...(hooks ? { hooks } : {}),
      });
      await recordAudit(store, record, applied?.state);
    },
    async failed(err, hooks) {
      const error = err instanceof Error ? err.message : String(err);
      await recordAudit(
        store,
        auditRecordNow(operation, started, 1, { ...extra, error, ...(hooks ? { hooks } : {}) }),
      ).catch(() => undefined);
    },
  };
}

/**
 * A job file's origin: its path relative to the directory of drover.hcl (the working directory
 * when there is none), so that the same repository checked out elsewhere records the same name.
 */
export function fileOrigin(filename: string, configPath: string | undefined): VersionOrigin {
  return { kind: 'file', file: configRelative(filename, configPath) || filename };
}

/** `path` relative to the directory of drover.hcl (the working directory when there is none). */
export function configRelative(path: string, configPath: string | undefined): string {
  return relative(dirname(resolve(configPath ?? 'drover.hcl')), resolve(path));
}

/**
 * Refuses (UserError) desired jobs that would roll forward to a version rolled back since,
 * unless `rollForward`; with it, each such job is a warning shown with the plan.
 */
export function checkStickyRollbacks(
  state: StateSnapshot,
  desired: readonly DesiredJob[],
  rollForward: boolean,
): Diagnostic[] {
  const sticky = stickyRollbacks(state, desired);
  if (sticky.length === 0) return [];
  if (!rollForward) throw new UserError(stickyRefusal(sticky));
  return sticky.map((s) => ({
    severity: 'warning',
    summary: `rolling forward job "${s.job}" (-roll-forward)`,
    detail: `${describeSticky(s)}.`,
  }));
}

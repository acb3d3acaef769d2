/**
 * Plans saved for review in state (state/plans): `drover plan -out F` and the API's plans are
 * recorded so that people see, approve, reject and apply them where they are (the web UI). Each
 * is one small write under the state lock with its audit record, like an approval: such writes
 * do not make plans stale (plan/approvals `planBasis`).
 */
import type { Plan } from '../generated/plan.js';
import { appendAudit, type NewAuditRecord } from '../state/audit.js';
import {
  appendRejection,
  savedPlan,
  savePlan,
  type NewRejection,
  type NewSavedPlan,
} from '../state/plans.js';
import type { StateSnapshot } from '../state/types.js';
import { OperationError, type EngineContext } from './context.js';
import { withStateLock } from './lock.js';

export interface RecordResult {
  /** False when there was nothing to write (the plan saved already, the person had rejected it). */
  recorded: boolean;
  state: StateSnapshot;
}

/**
 * Saves `saved.plan` for review with `audit`; a plan saved already (the same hash) is left as it
 * is. `locked`: the caller holds the state lock already (apply -out).
 */
export function recordSavedPlan(
  ctx: EngineContext,
  req: { saved: NewSavedPlan; audit: NewAuditRecord; lockTimeoutMs: number; locked?: boolean },
): Promise<RecordResult> {
  const { plan } = req.saved;
  const write = async (): Promise<RecordResult> => {
    const state = await ctx.store.read();
    if (savedPlan(state, plan.hash)) return { recorded: false, state };
    const next = appendAudit(savePlan(lineageOf(state, plan), req.saved), req.audit);
    return { recorded: true, state: await ctx.store.write(next, state.serial) };
  };
  return req.locked ? write() : withStateLock(ctx, 'plan', req.lockTimeoutMs, write);
}

/** Records that someone rejects the saved plan `hash` (once per person), with its audit record. */
export function rejectSavedPlan(
  ctx: EngineContext,
  req: { hash: string; rejection: NewRejection; audit: NewAuditRecord; lockTimeoutMs: number },
): Promise<RecordResult> {
  return withStateLock(ctx, 'reject', req.lockTimeoutMs, async () => {
    const state = await ctx.store.read();
    const saved = savedPlan(state, req.hash);
    if (!saved) throw new OperationError(`no saved plan ${req.hash}`);
    if ((saved.rejections ?? []).some((r) => r.by === req.rejection.by))
      return { recorded: false, state };
    const next = appendAudit(appendRejection(state, req.hash, req.rejection), req.audit);
    return { recorded: true, state: await ctx.store.write(next, state.serial) };
  });
}

/**
 * A state never written reads with a new lineage each time: take the plan's, so that the plan
 * stays fresh (as approvePlan does).
 */
function lineageOf(state: StateSnapshot, plan: Plan): StateSnapshot {
  return state.serial === 0 ? { ...state, lineage: plan.state.lineage } : state;
}

/**
 * `drover approve PLANFILE`: records one person's approval of a plan, under the state lock like
 * every write, and only for a plan that can still be applied (the freshness check apply makes).
 * The approval and the approve's audit record go in one write, which plans do not count (see
 * state/approvals), so the approved planfile stays fresh.
 */
import type { Plan } from '../generated/plan.js';
import { countApprovals, type ApprovalCount, type ApprovalRule } from '../plan/approvals.js';
import { checkPlanFresh } from '../plan/planfile.js';
import { appendApproval, approvalsFor, approvalsOf, type NewApproval } from '../state/approvals.js';
import { appendAudit, type NewAuditRecord } from '../state/audit.js';
import type { StateSnapshot } from '../state/types.js';
import { OperationError, type EngineContext } from './context.js';
import { withStateLock } from './lock.js';

export interface ApproveRequest {
  plan: Plan;
  approval: NewApproval;
  rule: ApprovalRule;
  lockTimeoutMs: number;
  /** The approve's audit record, given the approvals the plan has with this one. */
  audit: (count: ApprovalCount) => NewAuditRecord;
}

export interface ApproveResult {
  /** False when this approver had approved the plan already: nothing was written. */
  recorded: boolean;
  count: ApprovalCount;
  state: StateSnapshot;
}

export function approvePlan(ctx: EngineContext, req: ApproveRequest): Promise<ApproveResult> {
  const { plan, approval, rule } = req;
  return withStateLock(ctx, 'approve', req.lockTimeoutMs, async () => {
    const state = await ctx.store.read();
    const fresh = checkPlanFresh(plan, state);
    if (!fresh.ok)
      throw new OperationError(
        `${fresh.message}; a plan that can no longer be applied cannot be approved: run drover plan -out again`,
      );
    if (!rule.allowSelf && plan.author?.actor === approval.approver)
      throw new OperationError(
        `${approval.approver} saved this planfile, and drover.hcl says approvals { allow_self = false }: someone else must approve it`,
      );
    if (approvalsFor(state, plan.hash).some((a) => a.approver === approval.approver))
      return { recorded: false, count: countApprovals(rule, approvalsOf(state), plan), state };
    // A state never written reads with a new lineage each time: take the plan's, so that the
    // same plan made again (against this state) is the same plan.
    const base = state.serial === 0 ? { ...state, lineage: plan.state.lineage } : state;
    const approved = appendApproval(base, approval);
    const count = countApprovals(rule, approvalsOf(approved), plan);
    const written = await ctx.store.write(appendAudit(approved, req.audit(count)), state.serial);
    return { recorded: true, count, state: written };
  });
}

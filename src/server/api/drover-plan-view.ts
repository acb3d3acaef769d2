/**
 * A saved plan as the web UI's API shows it (`/v1/drover/plans`): its jobs, who made it, its
 * status (pending, approved, rejected, applied, stale), its approvals and rejections, and on
 * request the plan itself and its text. Pure: the state and drover.hcl's approval rule come in.
 */
import { splitJobKey } from '../../state/job-key.js';
import type { Plan } from '../../generated/plan.js';
import { countApprovals, type ApprovalRule } from '../../plan/approvals.js';
import { checkPlanFresh } from '../../plan/planfile.js';
import { redactPlan } from '../../plan/redact.js';
import { renderPlanText } from '../../plan/render-text.js';
import { approvalsOf } from '../../state/approvals.js';
import { auditTrail } from '../../state/audit.js';
import { planOf, plansOf } from '../../state/plans.js';
import type { SavedPlan, StateSnapshot } from '../../state/types.js';

export type PlanStatus = 'pending' | 'approved' | 'rejected' | 'applied' | 'stale';

/** The operations whose audit record with the plan's hash means it ran. */
export const APPLY_OPERATION = 'apply';

/** A job of a plan: its namespace and id, read from the job key the plan holds. */
export interface PlanJobRef {
  Namespace: string;
  ID: string;
}

export function planJobs(plan: Plan): PlanJobRef[] {
  return plan.jobs.map((j) => {
    const { namespace, id } = splitJobKey(j.id);
    return { Namespace: namespace, ID: id };
  });
}

/** The namespaces a plan touches (what its ACL checks are made in). */
export function planNamespaces(plan: Plan): string[] {
  const names = new Set(planJobs(plan).map((j) => j.Namespace));
  return names.size ? [...names] : ['default'];
}

/** Whether the plan ran: an apply's audit record names its hash. */
export function wasApplied(state: StateSnapshot, hash: string): boolean {
  return auditTrail(state).some((r) => r.plan_hash === hash && r.operation === APPLY_OPERATION);
}

export function planStatus(state: StateSnapshot, saved: SavedPlan, rule: ApprovalRule): PlanStatus {
  const plan = planOf(saved);
  if (wasApplied(state, plan.hash)) return 'applied';
  if ((saved.rejections ?? []).length > 0) return 'rejected';
  if (!checkPlanFresh(plan, state).ok) return 'stale';
  return countApprovals(rule, approvalsOf(state), plan).missing === 0 ? 'approved' : 'pending';
}

export function planSummary(
  state: StateSnapshot,
  saved: SavedPlan,
  rule: ApprovalRule,
): Record<string, unknown> {
  const plan = planOf(saved);
  return {
    Hash: plan.hash,
    Jobs: planJobs(plan),
    CreatedBy: saved.created_by,
    CreatedAt: saved.created_at,
    Source: saved.source,
    Status: planStatus(state, saved, rule),
    Required: rule.required,
    // With these `drover approve` through a server counts the approvals as the direct one does.
    AllowSelf: rule.allowSelf,
    Approvals: approvalsOf(state)
      .filter((a) => a.plan_hash === plan.hash)
      .map((a) => ({
        By: a.approver,
        At: a.time,
        Message: a.message ?? '',
        GitAuthor: a.git_author ?? '',
        Serial: a.serial,
      })),
    Rejections: (saved.rejections ?? []).map((r) => ({
      By: r.by,
      At: r.time,
      Message: r.message ?? '',
    })),
  };
}

/** The summary with the plan (sensitive values redacted, as `plan -json` prints it) and its text. */
export function planDetail(
  state: StateSnapshot,
  saved: SavedPlan,
  rule: ApprovalRule,
): Record<string, unknown> {
  const shown = redactPlan(planOf(saved));
  return { ...planSummary(state, saved, rule), Plan: shown, Text: renderPlanText(shown) };
}

/** Every saved plan, newest first. */
export function savedPlansNewestFirst(state: StateSnapshot): SavedPlan[] {
  return Object.values(plansOf(state)).sort(
    (a, b) => b.created_at.localeCompare(a.created_at) || b.serial - a.serial,
  );
}

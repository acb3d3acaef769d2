/**
 * The CLI's side of approvals (drover.hcl `approvals`): who saved a planfile, what `plan -out`
 * says about the approvals a plan already has, and what `apply` refuses.
 */
import { currentIdentity, type Identity } from '../audit/identity.js';
import type { DroverConfig } from '../config/types.js';
import type { Plan } from '../generated/plan.js';
import {
  approvalRefusal,
  countApprovals,
  describeCount,
  NO_APPROVALS,
  planfileRequired,
  type ApprovalCount,
} from '../plan/approvals.js';
import { approvalsOf } from '../state/approvals.js';
import type { PlanApproval, StateSnapshot } from '../state/types.js';
import { UserError } from './with-session.js';

/** The plan as a planfile saves it: with who saved it (not covered by the hash). */
export function authoredPlan(plan: Plan, identity: Identity = currentIdentity()): Plan {
  const { git } = identity;
  const author = { actor: identity.actor, ...(git.author ? { git_author: git.author } : {}) };
  // In the schema's order (sealPlan's), the author after when the plan was made.
  const { format_version, drover_version, created_at, ...rest } = plan;
  return { format_version, drover_version, created_at, author, ...rest };
}

/** How many approvals `plan` has, by drover.hcl's rule. */
export function planApprovals(
  config: DroverConfig,
  state: StateSnapshot,
  plan: Pick<Plan, 'hash' | 'author'>,
): ApprovalCount {
  return countApprovals(config.approvals ?? NO_APPROVALS, approvalsOf(state), plan);
}

/** What `plan -out` says of the approvals the plan has (undefined: none required, none given). */
export function approvalsNote(
  config: DroverConfig,
  state: StateSnapshot,
  plan: Plan,
  planfile: string,
): string | undefined {
  const count = planApprovals(config, state, plan);
  if (count.required === 0 && count.counted.length === 0) return undefined;
  const next =
    count.missing > 0 ? ` To approve it: drover approve ${planfile}` : ' It may be applied.';
  return `This plan has ${describeCount(count)}.${next}`;
}

/**
 * The approvals that let `apply PLANFILE` run the plan; refuses (UserError) a plan with fewer
 * than drover.hcl requires, naming who approved it and how many are missing.
 */
export function requireApprovals(
  config: DroverConfig,
  state: StateSnapshot,
  plan: Plan,
  planfile: string,
): PlanApproval[] {
  const count = planApprovals(config, state, plan);
  if (count.missing > 0) throw new UserError(approvalRefusal(count, planfile, plan.hash));
  return count.counted;
}

/** Refuses (UserError) a change made without a planfile while approvals are required. */
export function refuseWithoutPlanfile(config: DroverConfig): void {
  const rule = config.approvals ?? NO_APPROVALS;
  if (rule.required > 0) throw new UserError(planfileRequired(rule));
}

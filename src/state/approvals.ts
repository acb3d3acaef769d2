/**
 * Approvals of plans in state (`drover approve`): appended and found by plan hash. Each names
 * the serial of the write that recorded it, which records nothing else, so plans can leave such
 * writes out of the serial they count (plan/approvals `planBasis`). Pure.
 */
import { withoutUndefined } from './events.js';
import type { PlanApproval, StateSnapshot } from './types.js';

/** An approval before its write stamps it with the serial. */
export type NewApproval = Omit<PlanApproval, 'serial'>;

/** The approvals in a state (an older drover's state has none). */
export function approvalsOf(state: Pick<StateSnapshot, 'approvals'>): readonly PlanApproval[] {
  return state.approvals ?? [];
}

/** The approvals of one plan hash, oldest first. */
export function approvalsFor(
  state: Pick<StateSnapshot, 'approvals'>,
  hash: string,
): PlanApproval[] {
  return approvalsOf(state).filter((a) => a.plan_hash === hash);
}

/** The state with `approval` appended, stamped with the serial the write of it gives the state. */
export function appendApproval(state: StateSnapshot, approval: NewApproval): StateSnapshot {
  return {
    ...state,
    approvals: [...approvalsOf(state), { ...withoutUndefined(approval), serial: state.serial + 1 }],
  };
}

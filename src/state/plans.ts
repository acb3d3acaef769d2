/**
 * Plans saved for review in state (`drover plan -out F`, the web UI's run-job page), by hash,
 * with their rejections. Like approvals (state/approvals), each names the serial of the write
 * that recorded it, which records nothing else, so plans leave such writes out of the serial
 * they count (plan/approvals `planBasis`). Pure.
 */
import type { Plan } from '../generated/plan.js';
import { withoutUndefined } from './events.js';
import type { PlanRejection, SavedPlan, StateSnapshot } from './types.js';

/** A saved plan before its write stamps it with the serial. */
export type NewSavedPlan = Omit<SavedPlan, 'serial' | 'rejections' | 'plan'> & { plan: Plan };
export type NewRejection = Omit<PlanRejection, 'serial'>;

type WithPlans = Pick<StateSnapshot, 'plans'>;

/** The saved plans of a state (an older drover's state has none). */
export function plansOf(state: WithPlans): Readonly<Record<string, SavedPlan>> {
  return state.plans ?? {};
}

export function savedPlan(state: WithPlans, hash: string): SavedPlan | undefined {
  const plans = plansOf(state);
  return Object.hasOwn(plans, hash) ? plans[hash] : undefined;
}

/** The planfile a saved plan holds (checked against the plan schema when it was saved). */
export function planOf(saved: SavedPlan): Plan {
  return saved.plan as unknown as Plan;
}

/** The state with `saved` recorded under its hash, stamped with the serial its write gives. */
export function savePlan(state: StateSnapshot, saved: NewSavedPlan): StateSnapshot {
  const entry: SavedPlan = {
    ...withoutUndefined(saved),
    plan: saved.plan,
    serial: state.serial + 1,
  };
  return { ...state, plans: { ...plansOf(state), [saved.plan.hash]: entry } };
}

/** The state with a rejection of the saved plan `hash` appended (the plan must be saved). */
export function appendRejection(
  state: StateSnapshot,
  hash: string,
  rejection: NewRejection,
): StateSnapshot {
  const saved = savedPlan(state, hash);
  if (!saved) throw new Error(`no saved plan ${hash}`);
  const stamped = { ...withoutUndefined(rejection), serial: state.serial + 1 };
  return {
    ...state,
    plans: {
      ...plansOf(state),
      [hash]: { ...saved, rejections: [...(saved.rejections ?? []), stamped] },
    },
  };
}

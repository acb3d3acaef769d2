/**
 * Recording a replacement: the new allocation names the one it replaced (`previous_allocation`)
 * and, for a reschedule, carries the reschedule history (Nomad's RescheduleTracker) the policy
 * counts attempts and grows delays from; the replaced one names its successor
 * (`next_allocation`).
 */
import type { NormalizedGroup as Group } from '../generated/normalized-job.js';
import { trackerAfter } from '../scheduler/reschedule.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import type { PlacementStep } from './steps.js';

/** The state with `alloc` added, linked to the allocation it replaces. */
export function recordPlaced(
  s: StateSnapshot,
  alloc: Allocation,
  p: PlacementStep,
  group: Group | undefined,
  at: number,
): StateSnapshot {
  const prev = p.replaces ? s.allocations[p.replaces] : undefined;
  if (!prev) return { ...s, allocations: { ...s.allocations, [alloc.id]: alloc } };
  const linked: Allocation = {
    ...alloc,
    previous_allocation: prev.id,
    ...(p.reschedule
      ? { reschedule_tracker: trackerAfter(prev, group?.reschedule, at, p.reschedule.delayMs) }
      : {}),
  };
  return {
    ...s,
    allocations: {
      ...s.allocations,
      [prev.id]: { ...prev, next_allocation: alloc.id },
      [alloc.id]: linked,
    },
  };
}

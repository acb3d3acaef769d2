/**
 * Reschedule policies: whether a failed allocation is replaced, and when. Nomad's semantics
 * (`nomad/structs` ReschedulePolicy, Allocation.RescheduleEligible / NextRescheduleTime /
 * NextDelay, RescheduleTracker; `scheduler/reconcile_util.go` updateByReschedulable):
 * - attempts are counted from the allocation's tracker: the reschedule events within `interval`
 *   of its failure; `unlimited` never runs out;
 * - the delay is `delay` for the first attempt, then grows by `delay_function` from the last
 *   event's delay (constant, exponential doubles, fibonacci adds the last two), capped at
 *   `max_delay`, and starts again at `delay` once the last reschedule is longer ago than that;
 * - the replacement is due `delay` after the failure; within a second of it counts as now.
 * Pure: the clock comes in as a number of milliseconds.
 */
import type { NormalizedReschedule as Policy } from '../generated/normalized-job.js';
import type { Allocation, RescheduleEvent, RescheduleTracker } from '../state/types.js';

/** Nomad's rescheduleWindowSize: a replacement due this soon is placed now. */
export const RESCHEDULE_WINDOW_MS = 1000;
/** Nomad's maxPastRescheduleEvents: what an unlimited policy's tracker keeps. */
const MAX_PAST_EVENTS = 5;

export type RescheduleDecision =
  /** Replace now: the delay has passed (or passes within a second). */
  | { kind: 'now'; delayMs: number; attempt: number; attempts?: number }
  /** Replace at `dueAt`: a plan made then places the replacement. */
  | { kind: 'later'; delayMs: number; attempt: number; attempts?: number; dueAt: number }
  /** Not replaced: the policy's attempts within its interval are used up, or it has none. */
  | { kind: 'exhausted'; attempted: number; attempts: number; intervalMs: number };

const ms = (t: string): number => Date.parse(t);
const events = (a: Allocation): readonly RescheduleEvent[] => a.reschedule_tracker?.events ?? [];

/** When the allocation failed: its last task's finish (Nomad's LastEventTime), else its last change. */
export function failedAt(a: Allocation): number {
  const finishes = Object.values(a.task_states).flatMap((t) =>
    t.finished_at ? [ms(t.finished_at)] : [],
  );
  return finishes.length ? Math.max(...finishes) : ms(a.modified_at);
}

/** Reschedule events within the policy's interval before `at` (Nomad's rescheduleInfo). */
export function attemptsWithin(
  tracker: readonly RescheduleEvent[],
  policy: Policy,
  at: number,
): number {
  let n = 0;
  for (let i = tracker.length - 1; i >= 0; i--) {
    if (at - ms(tracker[i]!.time) >= policy.interval) break;
    n++;
  }
  return n;
}

/** The delay before the next reschedule of an allocation that failed at `failed`. */
export function nextDelay(
  policy: Policy,
  tracker: readonly RescheduleEvent[],
  failed: number,
): number {
  const last = tracker[tracker.length - 1];
  if (!last) return policy.delay;
  let delay: number;
  switch (policy.delay_function) {
    case 'exponential':
      delay = last.delay_ms * 2;
      break;
    case 'fibonacci': {
      const before = tracker[tracker.length - 2];
      if (!before) delay = last.delay_ms;
      // After a reset to `delay` the series starts again.
      else if (before.delay_ms === policy.max_delay && last.delay_ms === policy.delay)
        delay = last.delay_ms;
      else delay = last.delay_ms + before.delay_ms;
      break;
    }
    default:
      return policy.delay;
  }
  if (policy.max_delay > 0 && delay > policy.max_delay) {
    delay = policy.max_delay;
    // Quiet for longer than max_delay since the last reschedule: start again at `delay`.
    if (failed - ms(last.time) > delay) delay = policy.delay;
  }
  return delay;
}

/** Whether, when and as which attempt a failed allocation is replaced under `policy`. */
export function rescheduleDecision(
  a: Allocation,
  policy: Policy | undefined,
  now: number,
): RescheduleDecision {
  const failed = failedAt(a);
  const tracker = events(a);
  if (!policy || (!policy.unlimited && policy.attempts <= 0))
    return { kind: 'exhausted', attempted: 0, attempts: 0, intervalMs: policy?.interval ?? 0 };
  const attempted = policy.unlimited ? 0 : attemptsWithin(tracker, policy, failed);
  if (!policy.unlimited && attempted >= policy.attempts)
    return {
      kind: 'exhausted',
      attempted,
      attempts: policy.attempts,
      intervalMs: policy.interval,
    };
  const delayMs = nextDelay(policy, tracker, failed);
  const limit = policy.unlimited ? {} : { attempts: policy.attempts };
  const attempt = policy.unlimited ? tracker.length + 1 : attempted + 1;
  const dueAt = failed + delayMs;
  return dueAt <= now + RESCHEDULE_WINDOW_MS
    ? { kind: 'now', delayMs, attempt, ...limit }
    : { kind: 'later', delayMs, attempt, ...limit, dueAt };
}

/**
 * The tracker a replacement of `prev` carries: the events the policy still needs (those within
 * its interval, or the last few when unlimited) and one for this reschedule.
 */
export function trackerAfter(
  prev: Pick<Allocation, 'id' | 'node' | 'reschedule_tracker'>,
  policy: Policy | undefined,
  at: number,
  delayMs: number,
): RescheduleTracker {
  const past = prev.reschedule_tracker?.events ?? [];
  const kept = !policy
    ? []
    : policy.unlimited
      ? past.slice(-(MAX_PAST_EVENTS - 1))
      : past.filter((e) => at - ms(e.time) < policy.interval);
  return {
    events: [
      ...kept,
      {
        time: new Date(at).toISOString(),
        prev_alloc: prev.id,
        prev_node: prev.node,
        delay_ms: delayMs,
      },
    ],
  };
}

/**
 * Reschedules in the plan. Two things:
 * - the failed allocations a plan does not replace, and why (`reschedule_waits`): the delay has
 *   not passed (due at …), or the attempts are used up;
 * - for batch jobs, the replacements apply may start within the same apply (`reschedules`): for
 *   every allocation the plan starts, a chain of as many replacements as the group's policy
 *   still allows (at most MAX_IN_APPLY), each placed by the scheduler with the node it would
 *   fail on penalised, as Nomad ranks a reschedule. Apply starts one only if the allocation it
 *   replaces fails, after the delay. So the plan stays the executed contract: every allocation
 *   apply may start has its id, node and ports here.
 * Pure.
 */
import type { NormalizedJob as Job } from '../generated/normalized-job.js';
import type { GroupPlan, Placement, RescheduleWait } from '../generated/plan.js';
import {
  applyPlacements,
  attemptsWithin,
  nextDelay,
  place,
  seedFrom,
  trackerAfter,
  type GroupReconcile,
  type Placement as SchedulerPlacement,
  type PreparedCluster,
  type SchedulerAlgorithm,
} from '../scheduler/index.js';
import type { RescheduleTracker } from '../state/types.js';

/** How many times one allocation may be rescheduled within a single apply; the next plan goes on. */
export const MAX_IN_APPLY = 5;

/** The waits of a reconciled group in the plan's terms. */
export function rescheduleWaits(g: GroupReconcile): RescheduleWait[] {
  return g.waiting.map(({ alloc, decision: d }): RescheduleWait => {
    const base = { alloc_id: alloc.id, name: alloc.name, node: alloc.node };
    return d.kind === 'later'
      ? {
          ...base,
          status: 'due',
          due_at: new Date(d.dueAt).toISOString(),
          delay_ms: d.delayMs,
          attempt: d.attempt,
          ...(d.attempts !== undefined ? { attempts: d.attempts } : {}),
        }
      : {
          ...base,
          status: 'exhausted',
          delay_ms: 0,
          attempt: d.attempted,
          attempts: d.attempts,
          interval_ms: d.intervalMs,
        };
  });
}

export interface ContingentInput {
  job: Job;
  groups: readonly GroupPlan[];
  /** The scheduler's placements of this job, as the group plans list them (same order). */
  placements: readonly SchedulerPlacement[];
  /** The plan's id of each scheduler placement. */
  ids: ReadonlyMap<SchedulerPlacement, string>;
  /** The cluster before this job's placements. */
  cluster: PreparedCluster;
  /** Allocations this job's plan stops (their resources are free). */
  freed: ReadonlySet<string>;
  /** Reschedule trackers of the failed allocations this plan replaces, by their id. */
  trackers: ReadonlyMap<string, { node: string; tracker?: RescheduleTracker }>;
  now: number;
  seed: number;
  algorithm?: SchedulerAlgorithm;
  newId: () => string;
}

/**
 * Per group, the chain of replacements apply may start for each allocation this plan starts
 * (batch jobs only). Each replacement lists the allocation it replaces and its attempt.
 */
export function contingentReschedules(input: ContingentInput): Map<string, Placement[]> {
  const out = new Map<string, Placement[]>();
  if (input.job.type !== 'batch') return out;
  for (const gp of input.groups) {
    const policy = input.job.group.find((g) => g.name === gp.name)?.reschedule;
    if (!policy || (!policy.unlimited && policy.attempts <= 0)) continue;
    const chain: Placement[] = [];
    for (const sp of input.placements.filter((p) => p.group === gp.name)) {
      const id = input.ids.get(sp)!;
      const planned = gp.placements.find((p) => p.alloc_id === id)!;
      // The tracker the planned allocation will carry, then one more event per replacement.
      const prev = planned.replaces ? input.trackers.get(planned.replaces) : undefined;
      let tracker =
        planned.replaces && planned.reschedule && prev
          ? trackerAfter(
              { id: planned.replaces, node: prev.node, reschedule_tracker: prev.tracker },
              policy,
              input.now,
              planned.reschedule.delay_ms,
            )
          : { events: [] };
      const left = policy.unlimited
        ? MAX_IN_APPLY
        : Math.min(
            MAX_IN_APPLY,
            policy.attempts - attemptsWithin(tracker.events, policy, input.now),
          );
      // Everything else this job places stays; the allocation that failed is gone.
      const others = input.placements.filter((p) => p !== sp);
      const cluster = applyPlacements(input.cluster, others, input.freed);
      let replaced = { id, node: planned.node };
      for (let k = 0; k < left; k++) {
        const delay = nextDelay(policy, tracker.events, input.now);
        const attempt = policy.unlimited
          ? tracker.events.length + 1
          : attemptsWithin(tracker.events, policy, input.now) + 1;
        const placed = place(
          [
            {
              job: input.job,
              group: gp.name,
              name: planned.name,
              index: planned.index,
              reason: 'failed',
              canary: false,
              replaces: replaced.id,
              previousNode: replaced.node,
            },
          ],
          cluster,
          {
            seed: seedFrom(`${input.seed}:${id}:${k}`),
            ...(input.algorithm ? { algorithm: input.algorithm } : {}),
          },
        ).placements[0];
        if (!placed) break;
        const next: Placement = {
          alloc_id: input.newId(),
          name: planned.name,
          index: planned.index,
          node: placed.node,
          ports: placed.ports.map((port) => ({
            label: port.label,
            value: port.value,
            ...(port.to ? { to: port.to } : {}),
          })),
          replaces: replaced.id,
          canary: false,
          reschedule: {
            attempt,
            delay_ms: delay,
            ...(policy.unlimited ? {} : { attempts: policy.attempts }),
          },
        };
        chain.push(next);
        tracker = trackerAfter(
          { id: replaced.id, node: replaced.node, reschedule_tracker: tracker },
          policy,
          input.now,
          delay,
        );
        replaced = { id: next.alloc_id, node: next.node };
      }
    }
    if (chain.length) out.set(gp.name, chain);
  }
  return out;
}

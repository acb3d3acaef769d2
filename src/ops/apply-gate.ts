/**
 * Which job apply may start next, by the plan's order (plan/order): a job starts only when
 * every job it waits for (`drover.after`, and every job of a lower wave) that this apply
 * changes finished its deployment healthy. In an atomic apply, the first failure stops every
 * job after it. Pure: the executor reports each outcome and asks before each start.
 */
import type { JobOutcome } from '../deploy/apply.js';
import type { Plan, PlanOrderEntry } from '../generated/plan.js';
import { OperationError } from './context.js';
import type { RecordedReadiness } from '../plan/order.js';
import { changedJobs } from '../plan/changed-jobs.js';

export class ApplyGate {
  private readonly entries: Map<string, PlanOrderEntry>;
  private readonly outcomes = new Map<string, JobOutcome>();
  /** The job whose failure stopped an atomic apply. */
  stoppedBy: string | undefined;

  /**
   * @param recorded whether a job this apply does not change is healthy in the state now: one
   * the plan leaves as it is (or that is not in it) may have failed, or be failing, since.
   */
  constructor(
    private readonly order: readonly PlanOrderEntry[] | undefined,
    private readonly atomic: boolean,
    private readonly recorded: RecordedReadiness = () => true,
  ) {
    this.entries = new Map((order ?? []).map((e) => [e.job, e]));
  }

  /** Why `job` must not start, or undefined when it may. */
  blocked(job: string): string | undefined {
    if (this.stoppedBy) return `the apply is atomic and ${this.stoppedBy} failed`;
    for (const dep of waitsFor(this.order ?? [], this.entries.get(job))) {
      const outcome = this.outcomes.get(dep.job);
      const why = outcome ? notHealthy(outcome) : notReady(this.recorded(dep.job));
      if (why)
        return `waits for ${dep.job}${dep.wave !== undefined ? ` (wave ${dep.wave})` : ''}, ${why}`;
    }
    return undefined;
  }

  finished(job: string, outcome: JobOutcome): void {
    this.outcomes.set(job, outcome);
    if (this.atomic && !this.stoppedBy && outcome.result === 'failed') this.stoppedBy = job;
  }
}

/** The jobs of the plan `entry` waits for: the ones it names, then every one of a lower wave. */
function waitsFor(
  order: readonly PlanOrderEntry[],
  entry: PlanOrderEntry | undefined,
): { job: string; wave?: number }[] {
  if (!entry) return [];
  // Jobs outside the plan too: they were healthy when it was made, and are looked at again.
  const named = entry.after.map((job) => ({ job }));
  const earlier = order
    .filter((e) => e.wave < entry.wave && !entry.after.includes(e.job))
    .map((e) => ({ job: e.job, wave: e.wave }));
  return [...named, ...earlier];
}

/** Why a finished job does not let the jobs waiting for it start, or undefined when it does. */
function notHealthy(outcome: JobOutcome): string | undefined {
  switch (outcome.result) {
    case 'successful':
    case 'none':
      return undefined;
    case 'failed':
      return 'which failed';
    case 'not-started':
      return 'which did not start';
    case 'awaiting-promotion':
      return 'whose canaries wait for promotion';
    case 'detached':
      return 'whose deployment was left running (detached)';
  }
}

function notReady(ready: true | string | undefined): string | undefined {
  if (ready === true) return undefined;
  return ready === undefined ? 'which is not recorded' : `which is not healthy: ${ready}`;
}

/** The outcome of a job apply did not start. */
export function notStarted(why: string): JobOutcome {
  return { ok: false, result: 'not-started', description: why, failures: [] };
}

/**
 * Refuses, before anything is done, what an ordered or atomic apply cannot keep its word on:
 * with -detach, apply returns before deployments finish, so it can neither wait for one nor
 * undo the others when one fails.
 */
export function refuseDetached(plan: Plan, atomic: boolean): void {
  if (atomic)
    throw new OperationError(
      '-detach cannot be used with an atomic apply (-atomic, or stack { atomic = true } in drover.hcl): apply must see every deployment finish to undo the others when one fails. Run apply without -detach.',
    );
  const changed = new Set(changedJobs(plan).map((j) => j.id));
  for (const e of plan.order ?? []) {
    if (!changed.has(e.job)) continue;
    const dep = waitsFor(plan.order!, e).find((d) => changed.has(d.job));
    if (dep)
      throw new OperationError(
        `-detach cannot be used here: job "${e.job}" waits for "${dep.job}" (drover.after / drover.wave), which this apply changes, and a detached apply does not wait for its deployment to finish. Run apply without -detach.`,
      );
  }
}

import type { Plan } from '../generated/plan.js';

/** How many allocations the plan's scheduler dry-run could not place, over every job. */
export function unplacedAllocations(jobs: readonly Plan['jobs'][number][]): number {
  return jobs.reduce((n, j) => n + j.groups.reduce((m, g) => m + (g.failures?.count ?? 0), 0), 0);
}

import type { Plan } from '../generated/plan.js';

/** The jobs a plan changes (every one but those it leaves as they are). */
export function changedJobs(plan: Pick<Plan, 'jobs'>): Plan['jobs'] {
  return plan.jobs.filter((j) => j.type !== 'none');
}

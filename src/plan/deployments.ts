/** Which deployments are still going on: the one rule the planner, the executor and the commands share. */
import type { Deployment } from '../state/types.js';

const ACTIVE: ReadonlySet<Deployment['status']> = new Set([
  'running',
  'paused',
  'pending',
  'blocked',
  'unblocking',
]);

/** A deployment not yet finished (successful, failed or cancelled). */
export function isActiveDeployment(d: Deployment): boolean {
  return ACTIVE.has(d.status);
}

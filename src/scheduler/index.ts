/**
 * The scheduler: `reconcile` (desired job vs recorded allocations → buckets) and `place`
 * (feasibility → ranking → a node per allocation). Pure: data in, data out.
 */
import type { PreparedCluster } from './cluster.js';
import { isPrepared, prepareCluster } from './cluster.js';
import { recheckInPlace } from './inplace-check.js';
import { replaceDrifted } from './drift-replace.js';
import { place } from './place.js';
import { freedAllocations, placementRequests, reconcile } from './reconcile.js';
import { isSystemType, scheduleSystemJob } from './system.js';
import type {
  Cluster,
  PlaceOptions,
  PlaceResult,
  ReconcileInput,
  ReconcileResult,
} from './types.js';

export * from './types.js';
export {
  reconcile,
  placementRequests,
  freedAllocations,
  goneStatus,
  STOP_DESCRIPTIONS,
} from './reconcile.js';
export { place, DEFAULT_DYNAMIC_PORTS } from './place.js';
export {
  rescheduleDecision,
  nextDelay,
  attemptsWithin,
  failedAt,
  trackerAfter,
  RESCHEDULE_WINDOW_MS,
  type RescheduleDecision,
} from './reschedule.js';
export { prepareCluster, applyPlacements, type PreparedCluster } from './cluster.js';
export { clusterFromState, nodeSetsFromState, recordedJob, holdsResources } from './from-state.js';
export { createRng, seedFrom, type Rng } from './rng.js';
export { compareGroup } from './update-class.js';
export { recheckInPlace } from './inplace-check.js';
export { reconcileSystem, scheduleSystemJob, systemScope, isSystemType } from './system.js';

export interface ScheduleResult {
  reconcile: ReconcileResult;
  place: PlaceResult;
}

/**
 * Reconcile then place, the way a plan uses them: in-place updates whose node no longer suits
 * the job become destructive, and the stops of the plan free their resources for its
 * placements (except allocations that canaries replace later).
 */
export function scheduleJob(
  input: ReconcileInput,
  cluster: Cluster | PreparedCluster,
  options: PlaceOptions,
): ScheduleResult {
  const pc = isPrepared(cluster) ? cluster : prepareCluster(cluster);
  if (input.job === 'stopped') {
    const none = { placements: [], failures: [], stats: { nodesEvaluated: 0, nodesScored: 0 } };
    return { reconcile: reconcile(input), place: none };
  }
  // System and sysbatch jobs: one allocation per ready, feasible node.
  if (isSystemType(input.job.type))
    return scheduleSystemJob({ ...input, job: input.job }, pc, options);
  const result = replaceDrifted(recheckInPlace(reconcile(input), input.job, pc), input.drifted);
  const freed = new Set([...(options.freed ?? []), ...freedAllocations(result)]);
  const placed = place(placementRequests(result, input.job), pc, { ...options, freed });
  return { reconcile: result, place: placed };
}

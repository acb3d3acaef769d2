/** Allocations an earlier stop did not reach: the plan retries them and warns about the rest. */
import type { Allocation, StateSnapshot } from '../state/types.js';

/**
 * Meant to stop, but its host never confirmed it: the last stop did not reach the host. A
 * failed or lost allocation keeps its client status through such a stop, so it says so in
 * `stop_pending`.
 */
export function stopPending(a: Allocation): boolean {
  return (
    a.desired_status !== 'run' &&
    (a.stop_pending === true || a.client_status === 'running' || a.client_status === 'pending')
  );
}

/** The allocations whose earlier stop did not reach their host, on hosts that can be tried now. */
export function retryableStops(
  allocations: StateSnapshot['allocations'],
  reachable: (node: string) => boolean,
): Allocation[] {
  return Object.values(allocations).filter((a) => stopPending(a) && reachable(a.node));
}

// Types of timeline.mjs, for the tests that import it.
import type { StampedLine } from '../rollout/timeline.mjs';
export interface PlacementPhases {
  allocations: number;
  plan: number;
  record: number;
  start: number;
  gate: number;
  finish: number;
  perAllocStart: number;
  perAllocGate: number;
}
export function placementPhases(
  lines: readonly StampedLine[],
  exitMs: number,
): PlacementPhases | undefined;

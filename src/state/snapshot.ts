/** Creating, serialising and replacing snapshots; pure. */
import { StateError } from './errors.js';
import type { StateSnapshot } from './types.js';

/** The file format this drover reads and writes. */
export const STATE_FORMAT_VERSION = 1;

/** A state that has never been written: serial 0, nothing recorded. */
export function emptyState(lineage: string): StateSnapshot {
  return {
    format_version: STATE_FORMAT_VERSION,
    lineage,
    serial: 0,
    nodes: {},
    jobs: {},
    allocations: {},
    deployments: {},
    events: [],
  };
}

/**
 * The on-disk form: compact JSON with a final newline. An apply rewrites the file after every
 * step, and indenting costs about half again as much CPU and 1.8 times the bytes (3.3 ms against
 * 2.3 ms, 1.4 MB against 0.8 MB, for 100 jobs with 300 allocations); people read the state
 * through `drover state show` (or `jq`).
 */
export function serializeState(state: StateSnapshot): string {
  return JSON.stringify(state) + '\n';
}

/**
 * A restore or migration replaces the whole state; over a state that exists and belongs to
 * another lineage only when forced. `current` is undefined when nothing was written yet.
 */
export function refuseOtherLineage(
  current: { lineage: string } | undefined,
  incoming: StateSnapshot,
  opts: { force?: boolean; source?: string },
): void {
  if (!current || incoming.lineage === current.lineage || opts.force) return;
  throw new StateError(
    'lineage',
    `${opts.source ?? 'the new state'} belongs to lineage ${incoming.lineage}, but the state is ` +
      `lineage ${current.lineage}; restore it with -force to replace the state anyway`,
  );
}

/** The serial a replaced state gets: one past the current, or the incoming one if kept and ahead. */
export function replacedSerial(
  current: number,
  incoming: number,
  opts: { keepSerial?: boolean },
): number {
  return opts.keepSerial ? Math.max(current + 1, incoming) : current + 1;
}

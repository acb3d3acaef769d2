/** Creating and serialising snapshots; pure. */
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

/** The on-disk form: indented so diffs and `git` stay readable, with a final newline. */
export function serializeState(state: StateSnapshot): string {
  return JSON.stringify(state, null, 2) + '\n';
}

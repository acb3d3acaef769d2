/**
 * Errors that are the user's business (a held lock, a corrupt file, a plan computed against an
 * older state). The CLI prints `message` without a stack and may show `lock` in `-json` output.
 */
import type { LockInfo } from './store.js';

export type StateErrorCode =
  | 'locked'
  | 'corrupt'
  | 'version'
  | 'stale'
  | 'lineage'
  /** The backend cannot be reached (a database that does not answer or refuses us). */
  | 'unavailable'
  /** A state file could not be written (disk full, read-only, no permission); it is unchanged. */
  | 'unwritable';

export class StateError extends Error {
  override readonly name = 'StateError';

  constructor(
    readonly code: StateErrorCode,
    message: string,
    /** For `locked`: who holds the lock, and whether its process looks gone. */
    readonly lock?: { info: LockInfo; stale: boolean },
  ) {
    super(message);
  }
}

export function isStateError(e: unknown): e is StateError {
  return e instanceof StateError;
}

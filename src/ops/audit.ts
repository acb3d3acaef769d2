/** Appending an operation's record to the audit trail in state, under the lock the caller holds. */
import { appendAudit, type NewAuditRecord } from '../state/audit.js';
import type { StateStore } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';

/**
 * Writes the state with `record` appended; returns what was written. `base` is the state as the
 * caller last wrote it (an apply's result): appending to it re-checks and rewrites only the new
 * record, where a state read afresh would be validated whole. Without it the state is read.
 */
export async function recordAudit(
  store: StateStore,
  record: NewAuditRecord,
  base?: StateSnapshot,
): Promise<StateSnapshot> {
  const current = base ?? (await store.read());
  return store.write(appendAudit(current, record), current.serial);
}

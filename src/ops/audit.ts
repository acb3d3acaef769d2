/** Appending an operation's record to the audit trail in state, under the lock the caller holds. */
import { appendAudit, type NewAuditRecord } from '../state/audit.js';
import type { StateStore } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';

/** Reads the state and writes it back with `record` appended; returns what was written. */
export async function recordAudit(
  store: StateStore,
  record: NewAuditRecord,
): Promise<StateSnapshot> {
  const current = await store.read();
  return store.write(appendAudit(current, record), current.serial);
}

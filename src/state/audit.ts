/**
 * The audit trail in state: one record per operation, appended, numbered like the event log.
 * Pure: each helper returns a new snapshot; restoring a snapshot keeps the trail it replaces.
 */
import { withoutUndefined } from './events.js';
import type { AuditRecord, StateSnapshot } from './types.js';

/** A record before it is numbered. */
export type NewAuditRecord = Omit<AuditRecord, 'seq'>;

/** The trail of a state (an older drover's state has none). */
export function auditTrail(state: StateSnapshot): readonly AuditRecord[] {
  return state.audit ?? [];
}

/** Appends a record, numbered one past the last. */
export function appendAudit(state: StateSnapshot, record: NewAuditRecord): StateSnapshot {
  const trail = auditTrail(state);
  const seq = (trail[trail.length - 1]?.seq ?? 0) + 1;
  return { ...state, audit: [...trail, { seq, ...withoutUndefined(record) }] };
}

/**
 * What a restore writes: the snapshot's jobs, allocations and the rest, but the trail of the
 * state it replaces (a restore must not erase who did what), with the restore's own record.
 * The snapshot's approvals and saved plans are dropped: a restore makes every plan stale (the
 * trail keeps who approved what), and their serials would name writes of another history
 * (state/approvals, state/plans).
 * The ACLs are the current ones: a restore must not bring back a revoked token, nor undo a
 * bootstrap.
 */
export function restoredWithTrail(
  current: StateSnapshot,
  incoming: StateSnapshot,
  record?: NewAuditRecord,
): StateSnapshot {
  const { audit: _replaced, approvals: _stale, plans: _saved, acl: _old, ...rest } = incoming;
  const trail = auditTrail(current);
  const kept: StateSnapshot = {
    ...rest,
    ...(trail.length ? { audit: [...trail] } : {}),
    ...(current.acl ? { acl: current.acl } : {}),
  };
  return record ? appendAudit(kept, record) : kept;
}

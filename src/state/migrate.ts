/**
 * `drover state migrate`: copies the whole state (every job version, allocation, deployment and
 * event, with its lineage and serial) from one backend to another, holding both locks.
 */
import { appendAudit, type NewAuditRecord } from './audit.js';
import { StateError } from './errors.js';
import { newLockInfo, type StateStore } from './store.js';
import type { StateSnapshot } from './types.js';

export interface MigrateOptions {
  /** Replace a destination that holds another state (another lineage, or a newer serial). */
  force?: boolean;
  lockTimeoutMs: number;
  /** The migration's own record, appended to the audit trail it copies. */
  audit?: NewAuditRecord;
}

export interface MigrateResult {
  from: string;
  to: string;
  state: StateSnapshot;
}

export async function migrateState(
  from: StateStore,
  to: StateStore,
  opts: MigrateOptions,
): Promise<MigrateResult> {
  if (from.describe() === to.describe()) {
    throw new StateError('lineage', `the state is already at ${to.describe()}: nothing to migrate`);
  }
  const lockOpts = { timeoutMs: opts.lockTimeoutMs };
  const source = await from.lock(newLockInfo('state migrate'), lockOpts);
  try {
    const target = await to.lock(newLockInfo('state migrate'), lockOpts);
    try {
      const state = await from.read();
      const there = await to.read();
      refuseToOverwrite(there, state, to.describe(), Boolean(opts.force));
      const written = await to.replace(opts.audit ? appendAudit(state, opts.audit) : state, {
        force: true,
        keepSerial: true,
        source: `the state at ${from.describe()}`,
      });
      return { from: from.describe(), to: to.describe(), state: written };
    } finally {
      await target.release();
    }
  } finally {
    await source.release();
  }
}

/** A destination that already holds a state is replaced only with `force`, unless it is ours and older. */
function refuseToOverwrite(
  there: StateSnapshot,
  incoming: StateSnapshot,
  where: string,
  force: boolean,
): void {
  if (force || there.serial === 0) return;
  if (there.lineage !== incoming.lineage) {
    throw new StateError(
      'lineage',
      `${where} already holds another state (lineage ${there.lineage}, serial ${there.serial}); ` +
        'migrate with -force to replace it',
    );
  }
  if (there.serial > incoming.serial) {
    throw new StateError(
      'stale',
      `${where} holds a newer copy of this state (serial ${there.serial}, this one is at ` +
        `${incoming.serial}); migrate with -force to replace it anyway`,
    );
  }
}

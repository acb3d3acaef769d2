/**
 * The contract every state backend keeps. Writes are compare-and-swap on `serial`; the lock is
 * advisory and guards a whole read-modify-write (plan → apply), not a single write.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { NewAuditRecord } from './audit.js';
import type { StateSnapshot } from './types.js';

export interface LockInfo {
  id: string;
  /** The user that holds the lock. */
  owner: string;
  host: string;
  pid: number;
  /** What the holder is doing, e.g. `apply`. */
  operation: string;
  created_at: string;
}

export interface Lock {
  readonly info: LockInfo;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a held lock; 0 tries once. */
  timeoutMs: number;
}

export interface RestoreOptions {
  /** Accept a snapshot of a different lineage (it then replaces the current lineage). */
  force?: boolean;
}

export interface SnapshotRestoreOptions extends RestoreOptions {
  /** The restore's own record, appended to the audit trail the restore keeps. */
  audit?: NewAuditRecord;
}

export interface ReplaceOptions extends RestoreOptions {
  /** Names the incoming state in messages (`snapshot FILE`). */
  source?: string;
  /**
   * Keep the incoming serial when it is ahead of this store's (a migration: plans computed
   * against the old backend stay valid); the serial is never moved back.
   */
  keepSerial?: boolean;
}

export interface StateStore {
  /** The current state; a missing state reads as an empty one with a new lineage. */
  read(): Promise<StateSnapshot>;
  /**
   * Writes `next` with `serial = expectSerial + 1` and returns what was written. Refuses
   * (`stale`) if the stored serial is no longer `expectSerial`, and (`lineage`) if `next`
   * belongs to another lineage, and (`locked`) while another process holds the lock. Callers
   * hold the lock themselves around a read-modify-write.
   */
  write(next: StateSnapshot, expectSerial: number): Promise<StateSnapshot>;
  /** Takes the lock, waiting up to `timeoutMs` for a holder to let go; fails with `locked`. */
  lock(info: LockInfo, opts: LockOptions): Promise<Lock>;
  /** Breaks the lock (only the one with `id`, when given) and returns what it was. */
  forceUnlock(id?: string): Promise<LockInfo | undefined>;
  currentLock(): Promise<LockInfo | undefined>;
  /** Copies the current state to `file`. */
  snapshotSave(file: string): Promise<void>;
  /**
   * Replaces the current state with the one in `file`, with serial = current + 1, but keeps
   * the current audit trail (who did what is not undone by a restore) and appends `audit`.
   */
  snapshotRestore(file: string, opts?: SnapshotRestoreOptions): Promise<StateSnapshot>;
  /**
   * Replaces the current state with `snapshot` (another lineage only with `force`), keeping it
   * whole: history and events as they are, serial = current + 1. What restore and migrate use.
   */
  replace(snapshot: StateSnapshot, opts?: ReplaceOptions): Promise<StateSnapshot>;
  /** Where the state lives, for messages (never a password). */
  describe(): string;
  /** Closes what the store keeps open (database connections); safe to call twice. */
  close(): Promise<void>;
}

/** Lock details for this process; `now` is injectable so tests get stable times. */
export function newLockInfo(operation: string, now: Date = new Date()): LockInfo {
  return {
    id: randomUUID(),
    owner: currentUser(),
    host: hostname(),
    pid: process.pid,
    operation,
    created_at: now.toISOString(),
  };
}

/** The user running drover, as locks and the event log name it. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers run as an anonymous uid).
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * The `local` backend: the state is one JSON file (default `.drover/state.json`), replaced
 * atomically on every write, and the lock is a file next to it (`.drover/state.lock`).
 *
 * `<file>.backup` is the state as it was before the current operation: while this store holds
 * the lock (an apply, a drain…), the file as it was before the first write under that lock;
 * a write without the lock is an operation of its own and backs up the file it replaces.
 *
 * A state file drover cannot read is never overwritten: a write reads and checks the file first,
 * except while this store holds the lock and the file is still the one it last wrote (same
 * inode, size, mtime and ctime): then nobody else can have changed it, and re-reading and
 * re-validating a large state on every step of an apply would cost the most of all.
 */
import type { DriverConfigCheck } from '../jobspec/driver-config.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { StateError } from './errors.js';
import { syncDir, writeFileAtomic } from './atomic.js';
import { restoreSnapshotFile } from './restore.js';
import {
  UNREADABLE_LOCK_ID,
  acquireLock,
  isOwnLock,
  lockedError,
  readLock,
  removeLock,
  takeoverMessage,
  type AcquireOptions,
  type LockProbe,
} from './lock.js';
import {
  emptyState,
  refuseOtherLineage,
  replacedSerial,
  serializeState,
  serializeStateBytes,
  type EntryTexts,
} from './snapshot.js';
import type {
  Lock,
  LockInfo,
  LockOptions,
  ReplaceOptions,
  SnapshotRestoreOptions,
  StateStore,
} from './store.js';
import type { StateSnapshot } from './types.js';
import { changedSchemaProblems, parseState, schemaProblems } from './validate.js';
import { copiesIndexes, snapshotPrior, stampIndexes } from './indexes.js';

/** Directories drover creates for the state (`.drover/`): readable by the owner only. */
const STATE_DIR_MODE = 0o700;

export const DEFAULT_STATE_PATH = '.drover/state.json';

export interface LocalStateOptions {
  /** The state file; relative paths resolve against the working directory. */
  path?: string;
  /** Defaults to the state file's name with `.lock` for `.json` (`.drover/state.lock`). */
  lockPath?: string;
  /** Delay between lock attempts while another drover holds it. */
  lockPollMs?: number;
  /** Liveness checks for dead holders; tests replace it. */
  probe?: LockProbe;
  /** Where a warning goes (a dead holder's lock taken over): the command's stderr. */
  warn?: (message: string) => void;
  /** The drivers' config rules: a stored job's task config is checked when the file is read. */
  drivers?: DriverConfigCheck;
}

/** `state.json` → `state.lock`, anything else gets `.lock` appended. */
export function lockPathFor(statePath: string): string {
  const name = basename(statePath);
  const stem = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  return join(dirname(statePath), `${stem}.lock`);
}

/** What is on disk now: the parsed state and the exact text it came from (if any). */
interface Current {
  state: StateSnapshot;
  text?: string;
}

interface CommitOptions {
  /** Restore with `force` may replace the lineage; ordinary writes may not. */
  allowLineageChange?: boolean;
  /** The serial to write instead of expectSerial + 1 (a replace that keeps the incoming one). */
  serial?: number;
  /** A whole copy (state/indexes `copiesIndexes`): the objects keep the indexes they carry. */
  keepIndexes?: boolean;
}

/** What identifies one version of the file without reading it (ctime cannot be set back). */
interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** While this store holds the lock. */
interface Session {
  lockId: string;
  /** The backup of the state before this session's first write is made (or not needed). */
  backedUp: boolean;
  /** Entries' JSON text from this session's writes, reused while an entry is the same object. */
  texts: EntryTexts;
  /** The last write of this session, while it is known to have succeeded. */
  written?: {
    /** What was written; the next write validates only what it changes against this. */
    state: StateSnapshot;
    bytes: Buffer;
    file: FileIdentity;
  };
}

export class LocalStateStore implements StateStore {
  readonly path: string;
  readonly lockPath: string;
  readonly backupPath: string;
  private readonly lockPollMs: number;
  private readonly probe: LockProbe | undefined;
  private readonly warn: (message: string) => void;
  private readonly drivers: DriverConfigCheck | undefined;
  /** The lineage a missing state reads with, kept so repeated reads agree. */
  private freshLineage: string | undefined;
  /**
   * The last text read and validated, or written, so reading it again skips the schema. Bytes
   * written under the lock are decoded only if the file is read again.
   */
  private trusted: { text?: string; bytes?: Buffer } | undefined;
  private session: Session | undefined;

  constructor(opts: LocalStateOptions = {}) {
    this.path = resolve(opts.path ?? DEFAULT_STATE_PATH);
    this.lockPath = resolve(opts.lockPath ?? lockPathFor(this.path));
    this.backupPath = `${this.path}.backup`;
    this.lockPollMs = opts.lockPollMs ?? 100;
    this.probe = opts.probe;
    this.warn = opts.warn ?? (() => undefined);
    this.drivers = opts.drivers;
  }

  /** Where this store keeps the state, for messages. */
  describe(): string {
    return `local state file ${this.path}`;
  }

  /** Nothing stays open between calls. */
  async close(): Promise<void> {}

  /** A fresh copy each time: callers may change what they get. */
  async read(): Promise<StateSnapshot> {
    return (await this.current()).state;
  }

  async write(next: StateSnapshot, expectSerial: number): Promise<StateSnapshot> {
    return this.commit(next, expectSerial, {});
  }

  async lock(info: LockInfo, opts: LockOptions): Promise<Lock> {
    await mkdir(dirname(this.lockPath), { recursive: true, mode: STATE_DIR_MODE });
    const acquire: AcquireOptions = {
      timeoutMs: opts.timeoutMs,
      pollMs: this.lockPollMs,
      onTakeover: (dead) => this.warn(takeoverMessage(dead, 'that process is gone')),
    };
    if (this.probe) acquire.probe = this.probe;
    await acquireLock(this.lockPath, info, acquire);
    this.session = { lockId: info.id, backedUp: false, texts: new WeakMap() };
    return { info, release: () => this.release(info.id) };
  }

  private async release(lockId: string): Promise<void> {
    if (this.session?.lockId === lockId) {
      const wrote = this.session.written !== undefined;
      this.session = undefined;
      // Writes under the lock skip syncing the directory; once here makes the last rename durable.
      if (wrote) await syncDir(dirname(this.path));
    }
    await removeLock(this.lockPath, lockId);
  }

  async forceUnlock(id?: string): Promise<LockInfo | undefined> {
    const held = await readLock(this.lockPath);
    if (!held) return undefined;
    if (id !== undefined && id !== held.id) {
      const who =
        held.id === UNREADABLE_LOCK_ID
          ? 'an unreadable lock file'
          : `${held.owner}@${held.host} (pid ${held.pid}, ${held.operation})`;
      throw new StateError(
        'locked',
        `the state lock is ${held.id}, held by ${who}, not ${id}; nothing was unlocked`,
        { info: held, stale: false },
      );
    }
    return removeLock(this.lockPath, held.id);
  }

  async currentLock(): Promise<LockInfo | undefined> {
    return readLock(this.lockPath);
  }

  async snapshotSave(file: string): Promise<void> {
    const { state, text } = await this.current();
    await writeFileAtomic(resolve(file), text ?? serializeState(state));
  }

  async snapshotRestore(file: string, opts: SnapshotRestoreOptions = {}): Promise<StateSnapshot> {
    return restoreSnapshotFile(this, file, opts);
  }

  async replace(snapshot: StateSnapshot, opts: ReplaceOptions = {}): Promise<StateSnapshot> {
    const current = await this.current();
    refuseOtherLineage(current.text !== undefined ? current.state : undefined, snapshot, opts);
    const serial = replacedSerial(current.state.serial, snapshot.serial, opts);
    return this.commit(snapshot, current.state.serial, {
      allowLineageChange: true,
      serial,
      keepIndexes: copiesIndexes(snapshot, serial, opts),
    });
  }

  /**
   * Reads and checks the file (a text already checked or written is only parsed); a missing
   * file is an empty state that is not written yet.
   */
  private async current(): Promise<Current> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.freshLineage ??= randomUUID();
      return { state: emptyState(this.freshLineage) };
    }
    if (text === this.trustedText()) return { state: JSON.parse(text) as StateSnapshot, text };
    const state = parseState(text, `state file ${this.path}`, this.drivers);
    this.trusted = { text };
    return { state, text };
  }

  private trustedText(): string | undefined {
    const t = this.trusted;
    if (t && t.text === undefined && t.bytes) t.text = t.bytes.toString('utf8');
    return t?.text;
  }

  /** The identity of the state file now, or undefined when it is missing. */
  private async fileIdentity(): Promise<FileIdentity | undefined> {
    try {
      const s = await stat(this.path, { bigint: true });
      return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * The state on disk, which a write is checked and stamped against (indexes.ts). Under our
   * lock, after our own write to a file that is still that write, it is what we wrote;
   * otherwise the file is read and checked, and a file changed since our last write under the
   * lock (someone broke it) is refused.
   */
  private async onDisk(
    session: Session | undefined,
  ): Promise<{ state: StateSnapshot; exists: boolean; text?: string }> {
    const written = session?.written;
    if (written && sameFile(written.file, await this.fileIdentity())) {
      return { state: written.state, exists: true };
    }
    const { state, text } = await this.current(); // throws for a corrupt or unknown-version file
    if (
      written &&
      text !== written.bytes.toString('utf8') &&
      state.serial === written.state.serial
    ) {
      throw new StateError(
        'stale',
        `the state file ${this.path} was changed by someone else while this drover held the ` +
          `lock (it is still at serial ${state.serial}); plan again`,
      );
    }
    return { state, exists: text !== undefined, ...(text === undefined ? {} : { text }) };
  }

  private async commit(
    next: StateSnapshot,
    expectSerial: number,
    opts: CommitOptions,
  ): Promise<StateSnapshot> {
    if (!Number.isInteger(expectSerial) || expectSerial < 0) {
      throw new Error(`state write: expectSerial must be a whole number, got ${expectSerial}`);
    }
    // Another drover's lock means it may be writing too; our serial check alone would race.
    const held = await readLock(this.lockPath);
    if (held && !isOwnLock(held, this.probe)) throw lockedError(held, this.lockPath, this.probe);
    // Trust our own writes only while the lock file still names our lock.
    const session = held && this.session?.lockId === held.id ? this.session : undefined;

    const current = await this.onDisk(session);
    if (current.state.serial !== expectSerial) {
      throw new StateError(
        'stale',
        `the state changed since it was read (it is at serial ${current.state.serial}, this ` +
          `change was made against serial ${expectSerial}); plan again`,
      );
    }
    if (current.exists && next.lineage !== current.state.lineage && !opts.allowLineageChange) {
      throw new StateError(
        'lineage',
        `refusing to write a state of lineage ${next.lineage} over the state of lineage ` +
          `${current.state.lineage}`,
      );
    }

    const serial = opts.serial ?? expectSerial + 1;
    const out: StateSnapshot = {
      ...(opts.keepIndexes ? next : stampIndexes(snapshotPrior(current.state), next, serial)),
      serial,
    };
    // drover builds every snapshot itself, so a schema error is a bug: checked before it can
    // reach the file, but only in what changed since this session's last write.
    const problems = session?.written
      ? changedSchemaProblems(session.written.state, out)
      : schemaProblems(out);
    // A bug in drover, not a user error: keep the stack.
    if (problems)
      throw new Error(`refusing to write an invalid state:\n  ${problems.join('\n  ')}`);

    const unwritable = (e: unknown, file: string, what: string): never => {
      throw unwritableError(e, file, what, current.exists ? current.state.serial : undefined);
    };
    // Owner only: the state holds the values of sensitive variables (apply needs them).
    await mkdir(dirname(this.path), { recursive: true, mode: STATE_DIR_MODE }).catch((e) =>
      unwritable(e, dirname(this.path), 'the state directory'),
    );
    // One backup per operation: the state before its first write.
    if (current.exists && !this.session?.backedUp) {
      const backup = current.text ?? (await readFile(this.path));
      await writeFileAtomic(this.backupPath, backup).catch((e) =>
        unwritable(e, this.backupPath, 'the state backup'),
      );
    }
    if (this.session) this.session.backedUp = true;
    // Under the lock, entries unchanged since the last write keep their bytes (see
    // serializeStateBytes): serialising no longer grows with the whole state on every step.
    const data = session ? serializeStateBytes(out, session.texts) : serializeState(out);
    if (session) session.written = undefined; // until this write is known to have happened
    // Under the lock, the directory is synced when the file is created and at release.
    await writeFileAtomic(this.path, data, { syncDir: !session || !current.exists }).catch((e) =>
      unwritable(e, this.path, 'the state file'),
    );
    this.trusted = typeof data === 'string' ? { text: data } : { bytes: data };
    const file = session && (await this.fileIdentity());
    if (session && file && typeof data !== 'string')
      session.written = { state: out, bytes: data, file };
    return out;
  }
}

/** Why a file cannot be written, in words, for the errors the disk itself gives. */
const UNWRITABLE: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an I/O error',
  EFBIG: 'the file is too large for the filesystem',
};

/**
 * A failed write of `file` as the user's business: which file, why, that nothing was
 * half-written (writeFileAtomic wrote a copy beside it and removed it) and what to do. Other
 * errors pass through unchanged.
 */
function unwritableError(e: unknown, file: string, what: string, serial?: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? UNWRITABLE[code] : undefined;
  if (!why) return e;
  const kept =
    serial === undefined
      ? 'no state file was created'
      : `the state file still holds serial ${serial}, its last complete write`;
  const fix =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `free space on the filesystem of ${dirname(file)}`
      : `make ${dirname(file)} writable`;
  return new StateError(
    'unwritable',
    `cannot write ${what} ${file}: ${why} (${code}). Nothing was half-written: ${kept}. ` +
      `${fix[0]!.toUpperCase()}${fix.slice(1)} and run the command again: it carries on from ` +
      'what the state records.',
  );
}

function sameFile(a: FileIdentity, b: FileIdentity | undefined): boolean {
  return (
    b !== undefined &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/**
 * The `local` backend: the state is one JSON file (default `.drover/state.json`), replaced
 * atomically on every write with the previous version kept beside it as `<file>.backup`, and
 * the lock is a file next to it (`.drover/state.lock`). A state file drover cannot read is
 * never overwritten: every write reads and checks the current file first.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { StateError } from './errors.js';
import { writeFileAtomic } from './atomic.js';
import {
  UNREADABLE_LOCK_ID,
  acquireLock,
  isOwnLock,
  lockedError,
  readLock,
  removeLock,
  type AcquireOptions,
  type LockProbe,
} from './lock.js';
import { emptyState, serializeState } from './snapshot.js';
import type { Lock, LockInfo, LockOptions, RestoreOptions, StateStore } from './store.js';
import type { StateSnapshot } from './types.js';
import { parseState, schemaProblems } from './validate.js';

export const DEFAULT_STATE_PATH = '.drover/state.json';

export interface LocalStateOptions {
  /** The state file; relative paths resolve against the working directory. */
  path?: string;
  /** Defaults to the state file's name with `.lock` for `.json` (`.drover/state.lock`). */
  lockPath?: string;
  /** Delay between lock attempts while another drover holds it. */
  lockPollMs?: number;
  /** Liveness checks for stale-lock reports; tests replace it. */
  probe?: LockProbe;
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
}

export class LocalStateStore implements StateStore {
  readonly path: string;
  readonly lockPath: string;
  readonly backupPath: string;
  private readonly lockPollMs: number;
  private readonly probe: LockProbe | undefined;
  /** The lineage a missing state reads with, kept so repeated reads agree. */
  private freshLineage: string | undefined;
  /** The last text read or written with its parse, so unchanged files skip re-validation. */
  private cache: { text: string; state: StateSnapshot } | undefined;

  constructor(opts: LocalStateOptions = {}) {
    this.path = resolve(opts.path ?? DEFAULT_STATE_PATH);
    this.lockPath = resolve(opts.lockPath ?? lockPathFor(this.path));
    this.backupPath = `${this.path}.backup`;
    this.lockPollMs = opts.lockPollMs ?? 100;
    this.probe = opts.probe;
  }

  async read(): Promise<StateSnapshot> {
    return structuredClone((await this.current()).state);
  }

  async write(next: StateSnapshot, expectSerial: number): Promise<StateSnapshot> {
    return this.commit(next, expectSerial, {});
  }

  async lock(info: LockInfo, opts: LockOptions): Promise<Lock> {
    await mkdir(dirname(this.lockPath), { recursive: true });
    const acquire: AcquireOptions = {
      timeoutMs: opts.timeoutMs,
      pollMs: this.lockPollMs,
    };
    if (this.probe) acquire.probe = this.probe;
    await acquireLock(this.lockPath, info, acquire);
    const lockPath = this.lockPath;
    return {
      info,
      async release() {
        await removeLock(lockPath, info.id);
      },
    };
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
    const { state } = await this.current();
    await writeFileAtomic(resolve(file), serializeState(state));
  }

  async snapshotRestore(file: string, opts: RestoreOptions = {}): Promise<StateSnapshot> {
    const snapshot = parseState(await readFile(resolve(file), 'utf8'), `snapshot ${file}`);
    const current = await this.current();
    if (current.text !== undefined && snapshot.lineage !== current.state.lineage && !opts.force) {
      throw new StateError(
        'lineage',
        `snapshot ${file} belongs to lineage ${snapshot.lineage}, but the state is lineage ` +
          `${current.state.lineage}; restore it with -force to replace the state anyway`,
      );
    }
    return this.commit(snapshot, current.state.serial, { allowLineageChange: true });
  }

  /** Reads and checks the file; a missing file is an empty state that is not written yet. */
  private async current(): Promise<Current> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.freshLineage ??= randomUUID();
      return { state: emptyState(this.freshLineage) };
    }
    if (this.cache?.text === text) return { state: this.cache.state, text };
    const state = parseState(text, `state file ${this.path}`);
    this.cache = { text, state };
    return { state, text };
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

    const current = await this.current(); // throws for a corrupt or unknown-version file
    if (current.state.serial !== expectSerial) {
      throw new StateError(
        'stale',
        `the state changed since it was read (it is at serial ${current.state.serial}, this ` +
          `change was made against serial ${expectSerial}); plan again`,
      );
    }
    if (
      current.text !== undefined &&
      next.lineage !== current.state.lineage &&
      !opts.allowLineageChange
    ) {
      throw new StateError(
        'lineage',
        `refusing to write a state of lineage ${next.lineage} over the state of lineage ` +
          `${current.state.lineage}`,
      );
    }

    const out: StateSnapshot = { ...next, serial: expectSerial + 1 };
    const problems = schemaProblems(out);
    // A bug in drover, not a user error: keep the stack.
    if (problems)
      throw new Error(`refusing to write an invalid state:\n  ${problems.join('\n  ')}`);

    await mkdir(dirname(this.path), { recursive: true });
    if (current.text !== undefined) await writeFileAtomic(this.backupPath, current.text);
    const text = serializeState(out);
    await writeFileAtomic(this.path, text);
    this.cache = { text, state: structuredClone(out) };
    return structuredClone(out);
  }
}

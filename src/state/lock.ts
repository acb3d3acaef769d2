/**
 * The lock file: created with O_EXCL so exactly one drover gets it, holding the holder's
 * LockInfo as JSON so the others can say who it is. A holder that is a dead process on this
 * same host is taken over by the next drover that wants the lock (with a warning naming it);
 * a holder on another host cannot be checked, so only a person breaks it (`state unlock`).
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError } from './errors.js';
import type { LockInfo } from './store.js';

/** The id reported for a lock file that exists but cannot be parsed (a crash mid-create). */
export const UNREADABLE_LOCK_ID = 'unreadable';

/** How a lock's holder is checked for liveness; injectable for tests. */
export interface LockProbe {
  host: string;
  pidAlive(pid: number): boolean;
}

export const systemProbe: LockProbe = {
  host: hostname(),
  pidAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: the process exists but belongs to someone else.
      return (e as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  },
};

/** Stale only when we can tell: same host and the pid is gone. Other hosts are never stale. */
export function isLockStale(info: LockInfo, probe: LockProbe = systemProbe): boolean {
  if (info.id === UNREADABLE_LOCK_ID || info.host !== probe.host) return false;
  return info.pid > 0 && !probe.pidAlive(info.pid);
}

/** Whether the lock was taken by this very process (through any store instance). */
export function isOwnLock(info: LockInfo, probe: LockProbe = systemProbe): boolean {
  return info.host === probe.host && info.pid === process.pid;
}

/** The message a waiting drover fails with. */
export function lockHeldMessage(info: LockInfo, stale: boolean, lockPath: string): string {
  if (info.id === UNREADABLE_LOCK_ID) {
    return (
      `state is locked, but the lock file ${lockPath} cannot be read (a drover may have ` +
      `crashed while taking it); if no drover is running, run \`drover state unlock ${UNREADABLE_LOCK_ID}\``
    );
  }
  const holder = `${info.owner}@${info.host} (pid ${info.pid}, ${info.operation}) since ${info.created_at}`;
  const unlock = `\`drover state unlock ${info.id}\``;
  if (stale) {
    return (
      `state is locked by ${holder}; pid ${info.pid} is no longer running on this host, so the ` +
      `next drover that takes the lock takes it over (or run ${unlock})`
    );
  }
  return `state is locked by ${holder}; if that drover is gone, run ${unlock}`;
}

export function lockedError(info: LockInfo, lockPath: string, probe?: LockProbe): StateError {
  const stale = isLockStale(info, probe);
  return new StateError('locked', lockHeldMessage(info, stale, lockPath), { info, stale });
}

/** The current holder, or undefined when nobody holds the lock. */
export async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const info = parseLockInfo(text);
  if (info) return info;
  const since = await stat(lockPath).then(
    (s) => s.mtime.toISOString(),
    () => new Date(0).toISOString(),
  );
  return {
    id: UNREADABLE_LOCK_ID,
    owner: 'unknown',
    host: 'unknown',
    pid: 0,
    operation: 'unknown',
    created_at: since,
  };
}

function parseLockInfo(text: string): LockInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const strings = ['id', 'owner', 'host', 'operation', 'created_at'] as const;
  if (!strings.every((k) => typeof o[k] === 'string') || !Number.isInteger(o.pid)) return undefined;
  return {
    id: o.id as string,
    owner: o.owner as string,
    host: o.host as string,
    pid: o.pid as number,
    operation: o.operation as string,
    created_at: o.created_at as string,
  };
}

/** One attempt: true if we created the lock file, false if it already exists. */
export async function tryCreateLock(lockPath: string, info: LockInfo): Promise<boolean> {
  let fh;
  try {
    fh = await open(lockPath, 'wx', 0o644); // O_CREAT | O_EXCL
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(info, null, 2) + '\n', 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(lockPath).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return true;
}

export interface AcquireOptions {
  timeoutMs: number;
  /** Delay between attempts while the lock is held. */
  pollMs?: number;
  probe?: LockProbe;
  /** Told about a dead holder's lock that was taken over. */
  onTakeover?: (dead: LockInfo) => void;
}

/** The words a takeover is reported with, the same on every backend. */
export function takeoverMessage(dead: LockInfo, why: string): string {
  return (
    `took over the state lock of ${dead.operation} by ${dead.owner}@${dead.host} ` +
    `pid ${dead.pid} since ${dead.created_at}: ${why}`
  );
}

/** A takeover mutex older than this was left by a drover that died while taking over. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Removes the lock file of a dead holder if it still holds `dead`. Two drovers may find the same
 * dead lock at once; the `.takeover` file (O_EXCL) lets only one of them look and remove, so the
 * other can never remove the fresh lock the first one took meanwhile. True if it was removed.
 */
async function removeDeadLock(lockPath: string, dead: LockInfo): Promise<boolean> {
  const mutex = `${lockPath}.takeover`;
  let fh;
  try {
    fh = await open(mutex, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const age = await stat(mutex).then(
      (st) => Date.now() - st.mtimeMs,
      () => 0,
    );
    if (age > TAKEOVER_STALE_MS) await unlink(mutex).catch(() => undefined);
    return false;
  }
  try {
    await fh.close();
    const now = await readLock(lockPath);
    if (now?.id !== dead.id) return false;
    await unlink(lockPath).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    return true;
  } finally {
    await unlink(mutex).catch(() => undefined);
  }
}

/**
 * Takes the lock, retrying every `pollMs` until `timeoutMs` has passed; throws `locked`. A lock
 * whose holder is a dead process on this host is taken over at once.
 */
export async function acquireLock(
  lockPath: string,
  info: LockInfo,
  opts: AcquireOptions,
): Promise<void> {
  const pollMs = opts.pollMs ?? 100;
  // NaN would never expire; Infinity is allowed and waits for as long as it takes.
  const timeoutMs = Number.isNaN(opts.timeoutMs) ? 0 : Math.max(0, opts.timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryCreateLock(lockPath, info)) return;
    const holder = await readLock(lockPath);
    if (holder === undefined) continue; // Released between our two calls: try again at once.
    if (isLockStale(holder, opts.probe)) {
      if (await removeDeadLock(lockPath, holder)) opts.onTakeover?.(holder);
      else await sleep(Math.min(pollMs, 10)); // another drover is taking it over
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw lockedError(holder, lockPath, opts.probe);
    await sleep(Math.min(pollMs, left));
  }
}

/** Removes the lock file if it holds `id` (or whatever it holds, without `id`). */
export async function removeLock(lockPath: string, id?: string): Promise<LockInfo | undefined> {
  const held = await readLock(lockPath);
  if (!held) return undefined;
  if (id !== undefined && held.id !== id) return undefined;
  await unlink(lockPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  return held;
}

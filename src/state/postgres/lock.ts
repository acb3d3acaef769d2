/**
 * The postgres backend's lock: one row (`lock`, id 1) that says who holds it, and a rule that
 * ends it with its holder, so that a drover killed mid-apply never needs `state unlock`:
 *
 * - `session` (default): the holder also takes a session-level advisory lock on a connection of
 *   its own. PostgreSQL drops it the moment that connection ends: a killed process closes its
 *   socket at once, a vanished machine within the TCP keepalive time. The row's holder is alive
 *   while its connection (`holder_pid`) holds the advisory lock.
 * - `lease`: the row has a lease the holder renews every third of its length; an expired lease
 *   is a dead holder. For PgBouncer in transaction mode, where one client's statements may run
 *   on different server connections, so a session lock would be held by whichever connection
 *   ran it and released by none.
 *
 * Either way a dead holder's row is taken over by the next drover, which warns naming it.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { StateError } from '../errors.js';
import type { LockInfo } from '../store.js';
import { LOCK_CLASS, schemaKey } from './schema.js';

export type LockMode = 'session' | 'lease';

/** The lock row as every check reads it: whether its holder is alive is decided by the server. */
export interface LockRow {
  info: LockInfo | null;
  mode: LockMode | null;
  holder_pid: number | null;
  alive: boolean;
}

/** The SELECT of the lock row with its holder's liveness (`s`: quoted schema). */
export function lockRowSql(s: string, schema: string, suffix = ''): string {
  return `
    SELECT l.info, l.mode, l.holder_pid,
      CASE WHEN l.info IS NULL THEN false
           WHEN l.mode = 'lease' THEN l.lease_until > now()
           ELSE EXISTS (
             SELECT 1 FROM pg_locks p
             WHERE p.locktype = 'advisory' AND p.granted AND p.pid = l.holder_pid
               AND p.classid = ${LOCK_CLASS}::oid AND p.objid = ${schemaKey(schema)}::oid
               AND p.objsubid = 2
               AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
      END AS alive
    FROM ${s}.lock l WHERE l.id = 1 ${suffix}`;
}

export async function readLockRow(
  c: pg.Client,
  s: string,
  schema: string,
  suffix = '',
): Promise<LockRow> {
  const r = await c.query<LockRow>(lockRowSql(s, schema, suffix));
  const row = r.rows[0];
  if (!row) throw new Error(`the lock row of ${s} is missing`);
  return row;
}

/** Why a dead holder is dead, in the words of each mode. */
export function deathOf(mode: LockMode | null): string {
  return mode === 'lease'
    ? 'its lease expired without being renewed'
    : 'its connection to PostgreSQL is gone';
}

export function pgLockedError(info: LockInfo, alive: boolean, mode: LockMode | null): StateError {
  const holder = `${info.owner}@${info.host} (pid ${info.pid}, ${info.operation}) since ${info.created_at}`;
  const unlock = `\`drover state unlock ${info.id}\``;
  const message = alive
    ? `state is locked by ${holder}; if that drover is gone, run ${unlock}`
    : `state is locked by ${holder}, but ${deathOf(mode)}: the next drover that takes the lock ` +
      `takes it over (or run ${unlock})`;
  return new StateError('locked', message, { info, stale: !alive });
}

/** A lock row naming a process of this very process (another store instance of it). */
export function isOwnProcess(info: LockInfo): boolean {
  return info.host === hostname() && info.pid === process.pid;
}

export interface AcquireContext {
  /** A connection of the lock's own, kept for as long as the lock is held. */
  client: pg.Client;
  s: string;
  schema: string;
  mode: LockMode;
  leaseMs: number;
  pollMs: number;
  timeoutMs: number;
  onTakeover: (dead: LockInfo, why: string) => void;
}

/** Takes the lock for `info`, waiting up to `timeoutMs`; throws `locked` naming the holder. */
export async function acquirePgLock(ctx: AcquireContext, info: LockInfo): Promise<void> {
  const timeoutMs = Number.isNaN(ctx.timeoutMs) ? 0 : Math.max(0, ctx.timeoutMs);
  const deadline = Date.now() + timeoutMs;
  let advisory = false;
  for (;;) {
    if (ctx.mode === 'session' && !advisory) {
      const r = await ctx.client.query<{ got: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS got',
        [LOCK_CLASS, schemaKey(ctx.schema)],
      );
      advisory = r.rows[0]?.got === true;
    }
    const holder =
      advisory || ctx.mode === 'lease'
        ? await tryTake(ctx, info)
        : await readLockRow(ctx.client, ctx.s, ctx.schema);
    if (holder === undefined) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      if (advisory) await unlockAdvisory(ctx.client, ctx.schema);
      if (holder.info) throw pgLockedError(holder.info, true, holder.mode);
      throw new StateError(
        'locked',
        'state is locked by a drover that is taking or letting go of the lock right now; try again',
      );
    }
    await sleep(Math.min(ctx.pollMs, left));
  }
}

/**
 * One transaction on the lock row: takes it when free or when its holder is dead (a dead
 * holder's row is reported), else returns the live holder's row.
 */
async function tryTake(ctx: AcquireContext, info: LockInfo): Promise<LockRow | undefined> {
  const c = ctx.client;
  await c.query('BEGIN');
  try {
    const row = await readLockRow(c, ctx.s, ctx.schema, 'FOR UPDATE OF l');
    // In session mode our advisory lock proves a session-mode holder dead; a lease is checked.
    const held = row.info !== null && (ctx.mode === 'lease' || row.mode === 'lease') && row.alive;
    if (held) {
      await c.query('ROLLBACK');
      return row;
    }
    await c.query(
      `UPDATE ${ctx.s}.lock SET info = $1, mode = $2, holder_pid = pg_backend_pid(),
         lease_until = CASE WHEN $2 = 'lease' THEN now() + $3 * interval '1 millisecond' END
       WHERE id = 1`,
      [JSON.stringify(info), ctx.mode, ctx.leaseMs],
    );
    await c.query('COMMIT');
    if (row.info) ctx.onTakeover(row.info, deathOf(row.mode));
    return undefined;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export async function unlockAdvisory(c: pg.Client, schema: string): Promise<void> {
  await c
    .query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, schemaKey(schema)])
    .catch(() => undefined);
}

/** Renews a lease; false when the row no longer names this lock (broken or taken over). */
export async function renewLease(
  c: pg.Client,
  s: string,
  id: string,
  leaseMs: number,
): Promise<boolean> {
  const r = await c.query(
    `UPDATE ${s}.lock SET lease_until = now() + $2 * interval '1 millisecond'
     WHERE id = 1 AND info->>'id' = $1`,
    [id, leaseMs],
  );
  return r.rowCount === 1;
}

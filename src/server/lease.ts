/**
 * The leader lease, per backend. Exactly one server holds it; its epoch fences the leader's
 * writes (a write checked against an epoch that moved is refused).
 *
 *   local     `<state dir>/server.lock`, created with O_EXCL, holding the holder's pid, host and
 *             address (the state lock's file format and takeover rules: a dead pid's file on
 *             this host is taken over, one on another host only by a person). It does not
 *             expire, so its epoch is always 1; the holder's lock id is what fences.
 *   postgres  one row of `server_lease` (migration 5): holder, name, address, epoch, expires_at.
 *             Taken when free or expired (epoch + 1), renewed by its holder before it expires;
 *             every write of the leader checks it inside the write's transaction.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { StateError } from '../state/errors.js';
import { acquireLock, readLock, removeLock } from '../state/lock.js';
import { connectClient, type PgTarget } from '../state/postgres/connect.js';
import { quoteIdent } from '../state/postgres/schema.js';
import { newLockInfo, type LockInfo } from '../state/store.js';
import { NotLeaderError } from './types.js';

/** This server, as the lease names it. */
export interface Holder {
  /** Unique per process and acquisition attempt series. */
  readonly id: string;
  readonly name: string;
  /** host:port of its API. */
  readonly address: string;
}

/** Who holds the lease now, as seen by one look. */
export interface LeaseView {
  /** The holder's id; absent when nobody holds it. */
  holder?: string;
  address?: string;
  epoch: number;
  /** The holder's lease has not expired (or its process is alive). */
  live: boolean;
}

export interface LeaseBackend {
  /** Takes the lease if it is free, expired or its holder is dead; returns who holds it now. */
  acquire(me: Holder, ttlMs: number): Promise<LeaseView & { mine: boolean }>;
  /** Extends `me`'s lease; false when it is no longer `me`'s at `epoch`. */
  renew(me: Holder, epoch: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if it is still `me`'s. */
  release(me: Holder, epoch: number): Promise<void>;
  /** Throws NotLeaderError unless `me` holds a live lease at `epoch`. */
  verify(me: Holder, epoch: number): Promise<void>;
  close(): Promise<void>;
}

export function fenceError(view: LeaseView, epoch: number): NotLeaderError {
  return new NotLeaderError(
    `this server's leadership (epoch ${epoch}) is gone` +
      (view.holder !== undefined
        ? `: the lease is at epoch ${view.epoch}, held by ${view.address ?? view.holder}${view.live ? '' : ' (expired)'}`
        : ': nobody holds the lease') +
      '; nothing was written',
  );
}

// --- local: a lock file beside the state --------------------------------------------------

/** `<state dir>/server.lock`. */
export function serverLockPath(statePath: string): string {
  return join(dirname(statePath), 'server.lock');
}

const OPERATION = /^server (\S+)$/;

export function fileLease(statePath: string, pollMs = 100): LeaseBackend {
  const path = serverLockPath(statePath);
  /** The lock info this process wrote, by holder id. */
  const mine = new Map<string, LockInfo>();
  const view = (info: LockInfo | undefined): LeaseView => {
    if (!info) return { epoch: 0, live: false };
    const address = OPERATION.exec(info.operation)?.[1];
    return { holder: info.id, ...(address ? { address } : {}), epoch: 1, live: true };
  };
  const held = async (me: Holder) => {
    const info = await readLock(path);
    return { info, ours: info !== undefined && info.id === mine.get(me.id)?.id };
  };
  return {
    async acquire(me) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const current = await held(me);
      if (current.ours) return { ...view(current.info), mine: true };
      const info = newLockInfo(`server ${me.address}`);
      try {
        await acquireLock(path, info, { timeoutMs: 0, pollMs });
      } catch (e) {
        if (e instanceof StateError && e.code === 'locked')
          return { ...view(await readLock(path)), mine: false };
        throw e;
      }
      mine.set(me.id, info);
      return { ...view(info), mine: true };
    },
    async renew(me) {
      return (await held(me)).ours;
    },
    async release(me) {
      const info = mine.get(me.id);
      if (info) await removeLock(path, info.id);
      mine.delete(me.id);
    },
    async verify(me, epoch) {
      const { info, ours } = await held(me);
      if (!ours) throw fenceError(view(info), epoch);
    },
    async close() {},
  };
}

// --- postgres: a lease row -------------------------------------------------------------------

export interface PgLease extends LeaseBackend {
  /** The fence inside a write's transaction (see PostgresStateStore.guardWrites). */
  guard(c: pg.Client, me: Holder, epoch: number): Promise<void>;
}

interface LeaseRow {
  holder: string | null;
  address: string | null;
  epoch: string;
  live: boolean | null;
}

export function pgLease(target: PgTarget, schema: string): PgLease {
  const s = quoteIdent(schema);
  let client: Promise<pg.Client> | undefined;
  /** Runs a query on the lease's own connection; a failed or slow one drops it (reconnect next time). */
  const query = async <R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[],
    timeoutMs: number,
  ): Promise<pg.QueryResult<R>> => {
    client ??= connectClient(target);
    const mine = client;
    let timer: NodeJS.Timeout | undefined;
    try {
      const c = await mine;
      return await Promise.race([
        c.query<R>(sql, params),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the lease query took longer than ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (e) {
      if (client === mine) client = undefined;
      void mine.then((c) => c.end()).catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  const toView = (r: LeaseRow | undefined): LeaseView =>
    r && r.holder !== null
      ? {
          holder: r.holder,
          ...(r.address !== null ? { address: r.address } : {}),
          epoch: Number(r.epoch),
          live: r.live === true,
        }
      : { epoch: Number(r?.epoch ?? 0), live: false };
  const SELECT = `SELECT holder, address, epoch, expires_at > clock_timestamp() AS live FROM ${s}.server_lease WHERE id = 1`;
  return {
    async acquire(me, ttlMs) {
      const r = await query<LeaseRow>(
        `UPDATE ${s}.server_lease
            SET holder = $1, name = $2, address = $3, epoch = epoch + 1,
                expires_at = clock_timestamp() + $4 * interval '1 millisecond'
          WHERE id = 1 AND (holder IS NULL OR expires_at IS NULL OR expires_at <= clock_timestamp())
          RETURNING holder, address, epoch, true AS live`,
        [me.id, me.name, me.address, ttlMs],
        ttlMs,
      );
      if (r.rows[0]) return { ...toView(r.rows[0]), mine: true };
      const now = toView((await query<LeaseRow>(SELECT, [], ttlMs)).rows[0]);
      return { ...now, mine: false };
    },
    async renew(me, epoch, ttlMs) {
      const r = await query(
        `UPDATE ${s}.server_lease SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
          WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > clock_timestamp()
          RETURNING 1`,
        [me.id, epoch, ttlMs],
        // A renewal slower than a third of the lease is as good as failed.
        Math.max(100, Math.floor(ttlMs / 3)),
      );
      return r.rowCount === 1;
    },
    async release(me, epoch) {
      await query(
        `UPDATE ${s}.server_lease SET holder = NULL, name = NULL, address = NULL, expires_at = NULL
          WHERE id = 1 AND holder = $1 AND epoch = $2`,
        [me.id, epoch],
        5_000,
      );
    },
    async verify(me, epoch) {
      const view = toView((await query<LeaseRow>(SELECT, [], 5_000)).rows[0]);
      if (view.holder !== me.id || view.epoch !== epoch || !view.live)
        throw fenceError(view, epoch);
    },
    async guard(c, me, epoch) {
      // FOR SHARE: no other server can take the lease until this write commits or rolls back.
      const r = await c.query<LeaseRow>(`${SELECT} FOR SHARE`);
      const view = toView(r.rows[0]);
      if (view.holder !== me.id || view.epoch !== epoch || !view.live)
        throw fenceError(view, epoch);
    },
    async close() {
      const c = client;
      client = undefined;
      await c?.then((x) => x.end()).catch(() => undefined);
    },
  };
}

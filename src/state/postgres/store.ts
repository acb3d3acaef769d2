/**
 * The `postgres` backend: the state in a PostgreSQL schema, one row per object (nodes, jobs, job
 * versions, allocations, deployments, events) and a `meta` row with lineage, serial and schema
 * version. Every write is one transaction that locks `meta`, refuses a stale serial, and writes
 * only the rows that changed (see rows.ts); a dropped connection rolls it back whole. A read or
 * write whose connection is lost (`pg_terminate_backend`, a restart) runs again on a fresh
 * connection, for up to 15 s, when that is safe: a transaction that never reached COMMIT was rolled back
 * and its serial check makes a re-run exact; one lost during COMMIT is decided by the serial
 * stored now. A lock whose connection went with it is taken back first, if nobody else has it.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { writeFileAtomic } from '../atomic.js';
import { restoreSnapshotFile } from '../restore.js';
import { StateError } from '../errors.js';
import { takeoverMessage } from '../lock.js';
import {
  STATE_FORMAT_VERSION,
  emptyState,
  refuseOtherLineage,
  replacedSerial,
  serializeState,
} from '../snapshot.js';
import type {
  Lock,
  LockInfo,
  LockOptions,
  ReplaceOptions,
  SnapshotRestoreOptions,
  StateStore,
} from '../store.js';
import type { JobState, StateSnapshot } from '../types.js';
import { changedSchemaProblems, schemaProblems } from '../validate.js';
import { copiesIndexes, snapshotPrior, stampIndexes, type Prior } from '../indexes.js';
import {
  connectClient,
  describeTarget,
  isConnectionLoss,
  unavailable,
  type PgTarget,
} from './connect.js';
import {
  acquirePgLock,
  isOwnProcess,
  pgLockedError,
  readLockRow,
  renewLease,
  unlockAdvisory,
  type LockMode,
} from './lock.js';
import { LOCK_CLASS, schemaKey } from './schema.js';
import {
  KEYED,
  LOGS,
  aclHead,
  diffRows,
  isEmpty,
  snapshotBase,
  textBase,
  textPrior,
  type Keyed,
  type RowChanges,
  type StoredText,
} from './rows.js';
import { changeChannel, ensureSchema, quoteIdent } from './schema.js';

export const DEFAULT_SCHEMA = 'drover';
/** A lease's length: long enough for a busy machine to renew it, short enough to wait out. */
export const DEFAULT_LEASE_MS = 15_000;
/** Long enough for a PostgreSQL restart on a busy machine; an apply waits no longer. */
export const DEFAULT_RECONNECT_WINDOW_MS = 15_000;

export interface PostgresStateOptions {
  /** postgres://USER@HOST:PORT/DATABASE; absent: the PG* environment variables. */
  url?: string;
  schema?: string;
  lockMode?: LockMode;
  leaseMs?: number;
  /** Delay between lock attempts while another drover holds it. */
  lockPollMs?: number;
  /** Where a warning goes (a dead holder's lock taken over): the command's stderr. */
  warn?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** How long a read or write whose connection was lost keeps trying on fresh ones (15 s). */
  reconnectWindowMs?: number;
  /** Called inside a write's transaction once its rows are written, before COMMIT (tests). */
  beforeCommit?: (backendPid: number) => Promise<void>;
}

const KEY_COLUMN: Record<Keyed, string> = {
  nodes: 'name',
  jobs: 'id',
  allocations: 'id',
  deployments: 'id',
  variables: 'path',
  acl_tokens: 'accessor_id',
  acl_policies: 'name',
  plans: 'hash',
};

interface Meta {
  format_version: number;
  lineage: string | null;
  serial: number;
  /** The ACL state but its tokens and policies (null: never bootstrapped). */
  acl: ReturnType<typeof aclHead>;
}

interface HeldLock {
  info: LockInfo;
  client: pg.Client;
  /** Everything on the lock's connection (renewals, the release), one at a time. */
  queue: Queue;
  lost: boolean;
  renew?: NodeJS.Timeout;
}

/** Runs one thing at a time on a connection, in call order. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class PostgresStateStore implements StateStore {
  readonly schema: string;
  readonly lockMode: LockMode;
  private readonly s: string;
  private readonly target: PgTarget;
  private readonly leaseMs: number;
  private readonly lockPollMs: number;
  private readonly warn: (message: string) => void;
  private readonly beforeCommit: PostgresStateOptions['beforeCommit'];
  private readonly reconnectWindowMs: number;
  private readonly queue = new Queue();
  private client: Promise<pg.Client> | undefined;
  /** The snapshot this store last read or wrote: the base of its next write. */
  private known: StateSnapshot | undefined;
  /** The lineage an empty database reads with, kept so repeated reads agree. */
  private freshLineage: string | undefined;
  private held: HeldLock | undefined;
  private writeGuard: ((c: pg.Client) => Promise<void>) | undefined;

  constructor(opts: PostgresStateOptions = {}) {
    this.schema = opts.schema ?? DEFAULT_SCHEMA;
    this.s = quoteIdent(this.schema);
    this.target = {
      ...(opts.url !== undefined ? { url: opts.url } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    };
    this.lockMode = opts.lockMode ?? 'session';
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.lockPollMs = opts.lockPollMs ?? 200;
    this.warn = opts.warn ?? (() => undefined);
    this.beforeCommit = opts.beforeCommit;
    this.reconnectWindowMs = opts.reconnectWindowMs ?? DEFAULT_RECONNECT_WINDOW_MS;
  }

  /**
   * Runs `guard` inside every write's transaction, after `meta` is locked and before any row is
   * written; a guard that throws rolls the write back. `drover server` fences its leader's
   * writes with it (the lease's epoch).
   */
  guardWrites(guard: (c: pg.Client) => Promise<void>): void {
    this.writeGuard = guard;
  }

  /** Where the database is, for connections of the caller's own (a server's lease and LISTEN). */
  get pgTarget(): PgTarget {
    return { ...this.target };
  }

  describe(): string {
    return `postgres state ${describeTarget(this.target)} (schema ${this.schema})`;
  }

  async read(): Promise<StateSnapshot> {
    return this.onData(RETRY, async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const state = await this.readRows(c);
        await c.query('COMMIT');
        return state;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async write(next: StateSnapshot, expectSerial: number): Promise<StateSnapshot> {
    if (!Number.isInteger(expectSerial) || expectSerial < 0) {
      throw new Error(`state write: expectSerial must be a whole number, got ${expectSerial}`);
    }
    return this.commit(next, { expectSerial });
  }

  async replace(snapshot: StateSnapshot, opts: ReplaceOptions = {}): Promise<StateSnapshot> {
    return this.commit(snapshot, { replace: opts });
  }

  async snapshotSave(file: string): Promise<void> {
    await writeFileAtomic(resolve(file), serializeState(await this.read()));
  }

  async snapshotRestore(file: string, opts: SnapshotRestoreOptions = {}): Promise<StateSnapshot> {
    return restoreSnapshotFile(this, file, opts);
  }

  async lock(info: LockInfo, opts: LockOptions): Promise<Lock> {
    await this.dataClient(); // the schema exists before the lock row is looked at
    const client = await this.connect();
    try {
      await acquirePgLock(
        {
          client,
          s: this.s,
          schema: this.schema,
          mode: this.lockMode,
          leaseMs: this.leaseMs,
          pollMs: this.lockPollMs,
          timeoutMs: opts.timeoutMs,
          onTakeover: (dead, why) => this.warn(takeoverMessage(dead, why)),
        },
        info,
      );
    } catch (e) {
      await client.end().catch(() => undefined);
      throw isConnectionLoss(e) ? unavailable(this.target, e) : e;
    }
    const held: HeldLock = { info, client, queue: new Queue(), lost: false };
    watchLockClient(held, client);
    if (this.lockMode === 'lease') {
      held.renew = setInterval(
        () => {
          // On whichever connection holds the lock now (see regainLock).
          const c = held.client;
          void held.queue
            .run(() => renewLease(c, this.s, info.id, this.leaseMs))
            .then(
              (ok) => !ok && held.client === c && (held.lost = true),
              () => held.client === c && (held.lost = true),
            );
        },
        Math.max(50, Math.floor(this.leaseMs / 3)),
      );
      held.renew.unref();
    }
    this.held = held;
    return { info, release: () => this.release(held) };
  }

  private async release(held: HeldLock): Promise<void> {
    if (held.renew) clearInterval(held.renew);
    if (this.held === held) this.held = undefined;
    if (held.client === undefined) return;
    const client = held.client;
    (held as { client?: pg.Client }).client = undefined;
    // The row is cleared only if it still names this lock (someone may have broken it).
    await this.onData(NO_RETRY, (c) =>
      c.query(
        `UPDATE ${this.s}.lock SET info = NULL, mode = NULL, holder_pid = NULL, lease_until = NULL
               WHERE id = 1 AND info->>'id' = $1`,
        [held.info.id],
      ),
    ).catch(() => undefined);
    await held.queue.run(async () => {
      if (this.lockMode === 'session') await unlockAdvisory(client, this.schema);
      await client.end().catch(() => undefined);
    });
  }

  async forceUnlock(id?: string): Promise<LockInfo | undefined> {
    return this.onData(NO_RETRY, async (c) => {
      await c.query('BEGIN');
      try {
        const row = await readLockRow(c, this.s, this.schema, 'FOR UPDATE OF l');
        if (!row.info) {
          await c.query('ROLLBACK');
          return undefined;
        }
        const held = row.info;
        if (id !== undefined && id !== held.id) {
          throw new StateError(
            'locked',
            `the state lock is ${held.id}, held by ${held.owner}@${held.host} (pid ${held.pid}, ` +
              `${held.operation}), not ${id}; nothing was unlocked`,
            { info: held, stale: !row.alive },
          );
        }
        // A live session holder keeps its advisory lock until its connection ends: end it.
        if (row.mode === 'session' && row.alive && row.holder_pid !== null) {
          await c.query('SELECT pg_terminate_backend($1)', [row.holder_pid]);
        }
        await c.query(
          `UPDATE ${this.s}.lock SET info = NULL, mode = NULL, holder_pid = NULL, lease_until = NULL WHERE id = 1`,
        );
        await c.query('COMMIT');
        return held;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async currentLock(): Promise<LockInfo | undefined> {
    return this.onData(
      RETRY,
      async (c) => (await readLockRow(c, this.s, this.schema)).info ?? undefined,
    );
  }

  async close(): Promise<void> {
    if (this.held) await this.release(this.held);
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }

  // --- internals ---------------------------------------------------------------------------

  private async connect(): Promise<pg.Client> {
    return connectClient(this.target);
  }

  /** The data connection, made (and the schema migrated) on first use. */
  private dataClient(): Promise<pg.Client> {
    this.client ??= (async () => {
      const c = await this.connect();
      try {
        await ensureSchema(c, this.schema, describeTarget(this.target));
      } catch (e) {
        await c.end().catch(() => undefined);
        throw e instanceof StateError ? e : unavailable(this.target, e);
      }
      return c;
    })();
    // A failed connect is not kept: the next call tries again.
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  /**
   * Runs `fn` on the data connection, one at a time; a lost connection is replaced. With
   * `retry`, `fn` runs again on a fresh connection (its second argument says it is a re-run),
   * for up to `reconnectWindowMs` after the loss, waiting for a server that refuses meanwhile
   * (a restart); else, or after that, the loss is reported.
   */
  private onData<T>(retry: boolean, fn: (c: pg.Client, again: boolean) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      let lostAt: number | undefined;
      const waitMore = (): boolean =>
        lostAt !== undefined && Date.now() - lostAt < this.reconnectWindowMs;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 1) await sleep(Math.min(1000, 100 * 2 ** attempt));
        let c: pg.Client;
        try {
          c = await this.dataClient();
        } catch (e) {
          if (e instanceof StateError && e.code === 'unavailable' && waitMore()) continue;
          throw e;
        }
        try {
          return await fn(c, lostAt !== undefined);
        } catch (e) {
          if (!isConnectionLoss(e)) throw e;
          this.client = undefined;
          this.known = undefined;
          await c.end().catch(() => undefined);
          lostAt ??= Date.now();
          if (!retry || !waitMore()) throw unavailable(this.target, e);
        }
      }
    });
  }

  /**
   * Takes the lock back on a fresh connection after its own connection was lost (killed with
   * the data connection, say): only while its row still names this lock, which nobody can
   * take over without rewriting it, and (session mode) when the advisory lock is free. Then
   * nobody else held the lock meanwhile, so nothing changed under this drover. Otherwise the
   * lock stays lost and the write is refused (`checkLock`).
   */
  private async regainLock(held: HeldLock): Promise<void> {
    // A lost connection is seen on its next use, which may not have come yet.
    if (!held.lost) {
      const alive = await held.queue
        .run(() => held.client.query('SELECT 1'))
        .then(
          () => true,
          () => false,
        );
      if (alive) return;
      held.lost = true;
    }
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch {
      return; // Still unreachable: the write reports it.
    }
    let regained = false;
    try {
      if (this.lockMode === 'session') {
        const r = await client.query<{ got: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS got',
          [LOCK_CLASS, schemaKey(this.schema)],
        );
        if (r.rows[0]?.got !== true) return;
      }
      await client.query('BEGIN');
      const row = await readLockRow(client, this.s, this.schema, 'FOR UPDATE OF l');
      if (row.info?.id !== held.info.id) {
        await client.query('ROLLBACK');
        return;
      }
      await client.query(
        `UPDATE ${this.s}.lock SET holder_pid = pg_backend_pid(),
           lease_until = CASE WHEN mode = 'lease' THEN now() + $1 * interval '1 millisecond' END
         WHERE id = 1`,
        [this.leaseMs],
      );
      await client.query('COMMIT');
      regained = true;
    } catch {
      // Lost again: the write's lock check reports the lock lost.
    } finally {
      if (!regained) await client.end().catch(() => undefined);
    }
    if (!regained) return;
    const old = held.client;
    held.client = client;
    held.lost = false;
    watchLockClient(held, client);
    await old.end().catch(() => undefined);
    this.warn(
      `the state lock's connection to PostgreSQL was lost; lock ${held.info.id} was taken back ` +
        'on a new connection (nobody else held it meanwhile)',
    );
  }

  private async readMeta(c: pg.Client, forUpdate: boolean): Promise<Meta> {
    const r = await c.query<{
      format_version: number;
      lineage: string | null;
      serial: string;
      acl: Meta['acl'];
    }>(
      `SELECT format_version, lineage, serial, acl FROM ${this.s}.meta WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`,
    );
    const row = r.rows[0];
    if (!row) throw new StateError('corrupt', `${this.describe()} has no meta row`);
    if (row.format_version !== STATE_FORMAT_VERSION) {
      throw new StateError(
        'version',
        `${this.describe()} has format_version ${row.format_version}, but this drover reads only ` +
          `format_version ${STATE_FORMAT_VERSION}; use the drover that wrote it (or a newer one)`,
      );
    }
    return {
      format_version: row.format_version,
      lineage: row.lineage,
      serial: Number(row.serial),
      acl: row.acl,
    };
  }

  /** The whole snapshot, inside the caller's transaction. */
  private async readRows(c: pg.Client): Promise<StateSnapshot> {
    const meta = await this.readMeta(c, false);
    if (meta.lineage === null) {
      this.freshLineage ??= randomUUID();
      const empty = emptyState(this.freshLineage);
      this.known = emptyState(this.freshLineage);
      return empty;
    }
    const keyed = async (t: Keyed) => {
      const r = await c.query<{ k: string; body: unknown }>(
        `SELECT ${KEY_COLUMN[t]} AS k, body FROM ${this.s}.${t} ORDER BY ord`,
      );
      const out: Record<string, unknown> = {};
      for (const row of r.rows) out[row.k] = row.body;
      return out;
    };
    const nodes = await keyed('nodes');
    const jobRows = (await keyed('jobs')) as Record<string, Omit<JobState, 'versions'>>;
    const versions = await c.query<{ job: string; body: JobState['versions'][number] }>(
      `SELECT job, body FROM ${this.s}.job_versions ORDER BY job, pos`,
    );
    const allocations = await keyed('allocations');
    const deployments = await keyed('deployments');
    const variables = await keyed('variables');
    const aclTokens = await keyed('acl_tokens');
    const aclPolicies = await keyed('acl_policies');
    const plans = await keyed('plans');
    const events = await c.query<{ body: StateSnapshot['events'][number] }>(
      `SELECT body FROM ${this.s}.events ORDER BY pos`,
    );
    const audit = await c.query<{ body: NonNullable<StateSnapshot['audit']>[number] }>(
      `SELECT body FROM ${this.s}.audit ORDER BY pos`,
    );
    const approvals = await c.query<{ body: NonNullable<StateSnapshot['approvals']>[number] }>(
      `SELECT body FROM ${this.s}.approvals ORDER BY pos`,
    );
    const jobs: Record<string, JobState> = {};
    for (const [id, row] of Object.entries(jobRows)) jobs[id] = { versions: [], ...row };
    for (const v of versions.rows) jobs[v.job]?.versions.push(v.body);
    const state = {
      format_version: meta.format_version,
      lineage: meta.lineage,
      serial: meta.serial,
      nodes,
      jobs,
      allocations,
      deployments,
      events: events.rows.map((r) => r.body),
      // Only when there are some: a state written before Variables reads back as it was.
      ...(Object.keys(variables).length > 0 ? { variables } : {}),
      // Absent rather than empty, as a state written without a trail reads back.
      ...(audit.rows.length ? { audit: audit.rows.map((r) => r.body) } : {}),
      ...(approvals.rows.length ? { approvals: approvals.rows.map((r) => r.body) } : {}),
      ...(Object.keys(plans).length > 0 ? { plans } : {}),
      ...(meta.acl ? { acl: { ...meta.acl, tokens: aclTokens, policies: aclPolicies } } : {}),
    } as StateSnapshot;
    const problems = schemaProblems(state);
    if (problems) {
      throw new StateError(
        'corrupt',
        `${this.describe()} does not match the state schema:\n  ${problems.join('\n  ')}`,
      );
    }
    // The base keeps its own maps: a caller may replace or delete entries of what it got.
    this.known = shallowCopy(state);
    return state;
  }

  /**
   * One transaction: lock meta, check the lock, the serial and the lineage, write the rows that
   * changed, move the serial. `replace` rewrites every row (restore, migrate).
   */
  private async commit(
    next: StateSnapshot,
    how: { expectSerial: number } | { replace: ReplaceOptions },
  ): Promise<StateSnapshot> {
    /** What the last run sent COMMIT for: if its connection was lost then, it may have happened. */
    let committing: StateSnapshot | undefined;
    return this.onData(RETRY, async (c, again) => {
      // A lock that lost its connection (alone, or with this one) is taken back first.
      if (this.held && (again || this.held.lost)) await this.regainLock(this.held);
      if (again && committing) {
        const settled = await this.settleCommit(c, committing, how);
        if (settled) return settled;
      }
      await c.query('BEGIN');
      try {
        const meta = await this.readMeta(c, true);
        await this.checkLock(c);
        if (this.writeGuard) await this.writeGuard(c);
        const exists = meta.lineage !== null;
        let base: StateSnapshot | StoredText | undefined;
        if ('replace' in how) {
          refuseOtherLineage(exists ? { lineage: meta.lineage! } : undefined, next, how.replace);
        } else {
          if (meta.serial !== how.expectSerial) {
            throw new StateError(
              'stale',
              `the state changed since it was read (it is at serial ${meta.serial}, this ` +
                `change was made against serial ${how.expectSerial}); plan again`,
            );
          }
          if (exists && next.lineage !== meta.lineage) {
            throw new StateError(
              'lineage',
              `refusing to write a state of lineage ${next.lineage} over the state of lineage ` +
                `${meta.lineage}`,
            );
          }
          const known = this.known;
          base = !exists
            ? emptyState(next.lineage)
            : known && known.lineage === meta.lineage && known.serial === meta.serial
              ? known
              : await this.storedText(c);
        }
        const serial =
          'replace' in how
            ? replacedSerial(meta.serial, next.serial, how.replace)
            : meta.serial + 1;
        const out: StateSnapshot =
          'replace' in how && copiesIndexes(next, serial, how.replace)
            ? { ...next, serial }
            : { ...stampIndexes(await this.prior(c, meta, base), next, serial), serial };
        const problems =
          base && 'lineage' in base ? changedSchemaProblems(base, out) : schemaProblems(out);
        // A bug in drover, not a user error: keep the stack.
        if (problems)
          throw new Error(`refusing to write an invalid state:\n  ${problems.join('\n  ')}`);

        if (base === undefined) await this.clearRows(c);
        const changes = diffRows(
          base === undefined
            ? snapshotBase(emptyState(out.lineage))
            : 'lineage' in base
              ? snapshotBase(base)
              : textBase(base),
          out,
        );
        if (!isEmpty(changes)) await this.applyChanges(c, changes);
        await c.query(
          `UPDATE ${this.s}.meta SET lineage = $1, serial = $2, format_version = $3, acl = $4::json WHERE id = 1`,
          [out.lineage, out.serial, out.format_version, jsonOrNull(aclHead(out))],
        );
        // Servers beside this drover LISTEN for it (delivered at COMMIT, never for a rollback).
        await c.query('SELECT pg_notify($1, $2)', [changeChannel(this.schema), String(out.serial)]);
        if (this.beforeCommit) {
          const pid = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await this.beforeCommit(pid.rows[0]!.pid);
        }
        this.known = undefined; // until the commit is known to have happened
        committing = out;
        await c.query('COMMIT');
        this.known = shallowCopy(out);
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * After a connection was lost during COMMIT: whether that commit happened, by the serial
   * stored now. Our serial under our own lock: it did (returned). The serial the write was made
   * against: it did not, and the write runs again (undefined). Anything else, or our serial
   * without the lock (another writer may have reached the same number), cannot be told apart:
   * refused, saying so.
   */
  private async settleCommit(
    c: pg.Client,
    sent: StateSnapshot,
    how: { expectSerial: number } | { replace: ReplaceOptions },
  ): Promise<StateSnapshot | undefined> {
    const meta = await this.readMeta(c, false);
    if (
      meta.lineage === sent.lineage &&
      meta.serial === sent.serial &&
      this.held &&
      !this.held.lost
    )
      return sent;
    if ('expectSerial' in how && meta.serial === how.expectSerial) return undefined;
    throw new StateError(
      'unavailable',
      `the connection to ${describeTarget(this.target)} was lost while committing serial ` +
        `${sent.serial}, and whether that write happened cannot be told (the state is now at ` +
        `serial ${meta.serial}); run \`drover plan\` to see where things stand`,
    );
  }

  /**
   * The state a write is stamped against (state/indexes.ts): its base, or for a replace (which
   * has none) what is stored now.
   */
  private async prior(
    c: pg.Client,
    meta: Meta,
    base: StateSnapshot | StoredText | undefined,
  ): Promise<Prior> {
    if (base !== undefined) return 'lineage' in base ? snapshotPrior(base) : textPrior(base);
    if (meta.lineage === null) return snapshotPrior(emptyState(randomUUID()));
    const known = this.known;
    return known && known.lineage === meta.lineage && known.serial === meta.serial
      ? snapshotPrior(known)
      : textPrior(await this.storedText(c));
  }

  /** Refuses a write while another drover holds the lock, or after this one lost its own. */
  private async checkLock(c: pg.Client): Promise<void> {
    const row = await readLockRow(c, this.s, this.schema, 'FOR SHARE OF l');
    const mine = this.held;
    if (mine) {
      if (row.info?.id !== mine.info.id) {
        throw new StateError(
          'locked',
          `the state lock this drover took (${mine.info.id}) was broken` +
            (row.info
              ? ` and is now held by ${row.info.owner}@${row.info.host} (pid ${row.info.pid}, ${row.info.operation})`
              : '') +
            '; nothing was written',
          row.info ? { info: row.info, stale: !row.alive } : undefined,
        );
      }
      if (!row.alive || mine.lost) {
        throw new StateError(
          'locked',
          `this drover lost the state lock: ${mine.info.id}'s ${this.lockMode === 'lease' ? 'lease expired' : 'connection to PostgreSQL ended'}; nothing was written`,
        );
      }
      return;
    }
    if (row.info && !isOwnProcess(row.info)) throw pgLockedError(row.info, row.alive, row.mode);
  }

  /** Every row's text, for a write this store knows no base for. */
  private async storedText(c: pg.Client): Promise<StoredText> {
    const rows = {} as StoredText['rows'];
    for (const t of KEYED) {
      const r = await c.query<{ k: string; body: string }>(
        `SELECT ${KEY_COLUMN[t]} AS k, body::text AS body FROM ${this.s}.${t}`,
      );
      rows[t] = new Map(r.rows.map((row) => [row.k, row.body]));
    }
    const versions = new Map<string, string[]>();
    const v = await c.query<{ job: string; body: string }>(
      `SELECT job, body::text AS body FROM ${this.s}.job_versions ORDER BY job, pos`,
    );
    for (const row of v.rows) {
      const list = versions.get(row.job) ?? [];
      list.push(row.body);
      versions.set(row.job, list);
    }
    const logs = {} as StoredText['logs'];
    for (const log of LOGS) {
      const e = await c.query<{ n: number; last: string | null }>(
        `SELECT (SELECT count(*)::int FROM ${this.s}.${log}) AS n,
                (SELECT body::text FROM ${this.s}.${log} ORDER BY pos DESC LIMIT 1) AS last`,
      );
      const row = e.rows[0]!;
      logs[log] = { count: row.n, ...(row.last !== null ? { last: row.last } : {}) };
    }
    return { rows, versions, logs };
  }

  private async clearRows(c: pg.Client): Promise<void> {
    await c.query(
      `TRUNCATE ${this.s}.job_versions, ${this.s}.jobs, ${this.s}.nodes, ${this.s}.allocations, ${this.s}.deployments, ${this.s}.variables, ${this.s}.events, ${this.s}.audit, ${this.s}.approvals, ${this.s}.acl_tokens, ${this.s}.acl_policies, ${this.s}.plans`,
    );
  }

  private async applyChanges(c: pg.Client, ch: RowChanges): Promise<void> {
    for (const t of KEYED) {
      const key = KEY_COLUMN[t];
      if (ch.deletes[t].length > 0)
        await c.query(`DELETE FROM ${this.s}.${t} WHERE ${key} = ANY($1::text[])`, [ch.deletes[t]]);
      if (ch.upserts[t].length > 0)
        await c.query(
          `INSERT INTO ${this.s}.${t} (${key}, body)
           SELECT e->>0, e->1 FROM json_array_elements($1::json) e
           ON CONFLICT (${key}) DO UPDATE SET body = EXCLUDED.body`,
          [JSON.stringify(ch.upserts[t])],
        );
    }
    if (ch.versionTrims.length > 0)
      await c.query(
        `DELETE FROM ${this.s}.job_versions v USING json_array_elements($1::json) e
         WHERE v.job = e->>0 AND v.pos >= (e->>1)::int`,
        [JSON.stringify(ch.versionTrims)],
      );
    if (ch.versions.length > 0)
      await c.query(
        `INSERT INTO ${this.s}.job_versions (job, pos, body)
         SELECT e->>0, (e->>1)::int, e->2 FROM json_array_elements($1::json) e
         ON CONFLICT (job, pos) DO UPDATE SET body = EXCLUDED.body`,
        [JSON.stringify(ch.versions)],
      );
    for (const log of LOGS) {
      const l = ch.logs[log];
      if (l.rewrite) await c.query(`DELETE FROM ${this.s}.${log}`);
      if (l.rows.length > 0)
        await c.query(
          `INSERT INTO ${this.s}.${log} (pos, body)
           SELECT $2::int + (x.n - 1)::int, x.e FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, n)`,
          [JSON.stringify(l.rows), l.from],
        );
    }
  }
}

const RETRY = true;
const NO_RETRY = false;

/** A lock whose connection ends is lost, unless the lock has moved to another connection since. */
function watchLockClient(held: HeldLock, client: pg.Client): void {
  const lost = (): void => {
    if (held.client === client) held.lost = true;
  };
  client.on('error', lost);
  client.on('end', lost);
}

function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** A snapshot with maps of its own and the same entries: what a base keeps. */
function shallowCopy(s: StateSnapshot): StateSnapshot {
  return {
    ...s,
    nodes: { ...s.nodes },
    jobs: { ...s.jobs },
    allocations: { ...s.allocations },
    deployments: { ...s.deployments },
    events: [...s.events],
    ...(s.variables ? { variables: { ...s.variables } } : {}),
    ...(s.audit ? { audit: [...s.audit] } : {}),
    ...(s.approvals ? { approvals: [...s.approvals] } : {}),
    ...(s.plans ? { plans: { ...s.plans } } : {}),
    ...(s.acl
      ? { acl: { ...s.acl, tokens: { ...s.acl.tokens }, policies: { ...s.acl.policies } } }
      : {}),
  };
}

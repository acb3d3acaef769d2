/**
 * What only the postgres backend has: rows per object written only when they change, a write
 * whose connection dies mid-transaction, schema migrations, connection errors without secrets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/errors.js';
import { appendEvent } from '../../src/state/events.js';
import { matchPgpass } from '../../src/state/postgres/password.js';
import { SCHEMA_VERSION } from '../../src/state/postgres/schema.js';
import { PostgresStateStore, type PostgresStateOptions } from '../../src/state/postgres/store.js';
import { newLockInfo } from '../../src/state/store.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { sampleState, withoutIndexes } from './sample.js';
import { hashSecret, withBootstrap } from '../../src/server/acl/state.js';

let db: TestDatabase;
let n = 0;
let schema: string;
const opened: PostgresStateStore[] = [];

beforeAll(async () => {
  db = await createTestDatabase('drover_pg');
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function store(opts: PostgresStateOptions = {}): PostgresStateStore {
  const s = new PostgresStateStore({ url: db.url, schema, ...opts });
  opened.push(s);
  return s;
}

function fresh(): void {
  schema = `t${++n}`;
}

/** A state with `count` allocations. */
function withAllocs(base: StateSnapshot, count: number): StateSnapshot {
  const template = sampleState(base).allocations.a1!;
  const allocations: Record<string, Allocation> = {};
  for (let i = 0; i < count; i++) allocations[`x${i}`] = { ...template, id: `x${i}`, index: i };
  return { ...sampleState(base), allocations };
}

async function error(p: Promise<unknown>): Promise<Error> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe('rows', () => {
  it('creates its schema with the recorded schema version, once for two stores at once', async () => {
    fresh();
    await Promise.all([store().read(), store().read()]);
    const meta = await db.query(`SELECT schema_version, serial FROM ${schema}.meta`);
    expect(meta.rows).toEqual([{ schema_version: SCHEMA_VERSION, serial: '0' }]);
  });

  it('writes only the rows that changed', async () => {
    fresh();
    const s = store();
    let cur = await s.write(withAllocs(await s.read(), 200), 0);
    const xmins = async () =>
      new Map(
        (
          await db.query<{ id: string; x: string }>(
            `SELECT id, xmin::text AS x FROM ${schema}.allocations`,
          )
        ).rows.map((r) => [r.id, r.x]),
      );
    const before = await xmins();
    const next = appendEvent(
      {
        ...cur,
        allocations: {
          ...cur.allocations,
          x7: { ...cur.allocations.x7!, client_status: 'complete' },
        },
      },
      { time: '2026-01-02T03:04:05.000Z', who: 't@h', what: 'alloc.stop', detail: 'x7' },
    );
    cur = await s.write(next, cur.serial);
    const after = await xmins();
    const changed = [...after].filter(([id, x]) => before.get(id) !== x).map(([id]) => id);
    expect(changed).toEqual(['x7']);
    // A store that knows nothing compares with the stored rows and writes as little.
    const other = store();
    const again = {
      ...cur,
      allocations: { ...cur.allocations, x9: { ...cur.allocations.x9!, index: 999 } },
    };
    await other.write(again, cur.serial);
    const third = await xmins();
    expect([...third].filter(([id, x]) => after.get(id) !== x).map(([id]) => id)).toEqual(['x9']);
    expect(withoutIndexes(await store().read())).toEqual(withoutIndexes({ ...again, serial: 3 }));
  });

  it('leaves nothing half-written when the connection dies in the middle of a write', async () => {
    fresh();
    let kill = false;
    const s = store({
      // Killed on every try: it gives up after this long.
      reconnectWindowMs: 500,
      beforeCommit: async (pid) => {
        if (kill) await db.query('SELECT pg_terminate_backend($1)', [pid]);
      },
    });
    const v1 = await s.write(withAllocs(await s.read(), 20), 0);
    kill = true;
    const e = await error(s.write({ ...v1, allocations: {}, jobs: {} }, v1.serial));
    expect(e).toBeInstanceOf(StateError);
    expect((e as StateError).code).toBe('unavailable');
    expect(e.message).toContain(`postgres://postgres@127.0.0.1:`);
    expect(await store().read()).toEqual(v1);
    // The store reconnects and goes on from what is stored.
    kill = false;
    const v2 = await s.write({ ...v1, allocations: {} }, v1.serial);
    expect(await store().read()).toEqual(v2);
  });

  it('migrates a schema of drover before ACLs (5) to 6, and keeps tokens hashed in rows', async () => {
    fresh();
    const before = await store().write(sampleState(await store().read()), 0);
    // What a drover before ACLs left: no acl tables, no acl column, schema version 5.
    await db.query(
      `DROP TABLE ${schema}.acl_tokens, ${schema}.acl_policies, ${schema}.plans; ` +
        `ALTER TABLE ${schema}.meta DROP COLUMN acl; UPDATE ${schema}.meta SET schema_version = 5`,
    );
    const s = store();
    expect(await s.read()).toEqual(before);
    const secret = 'c0ffee00-0000-4000-8000-000000000000';
    const token = {
      accessor_id: '11111111-1111-4111-8111-111111111111',
      secret_hash: hashSecret(secret),
      name: 'root',
      type: 'management' as const,
      policies: [],
      global: true,
      create_time: '2026-01-02T03:04:05.000Z',
      create_index: 2,
      modify_index: 2,
    };
    const after = await s.write(withBootstrap(before, token), before.serial);
    expect(await store().read()).toEqual(after);
    const meta = await db.query(`SELECT schema_version, acl FROM ${schema}.meta`);
    expect(meta.rows).toEqual([
      { schema_version: SCHEMA_VERSION, acl: { bootstrapped: true, bootstrap_index: 2 } },
    ]);
    const rows = await db.query<{ accessor_id: string; body: string }>(
      `SELECT accessor_id, body::text AS body FROM ${schema}.acl_tokens`,
    );
    expect(rows.rows.map((r) => r.accessor_id)).toEqual([token.accessor_id]);
    expect(rows.rows[0]!.body).not.toContain(secret);
  });

  it('refuses a schema migrated by a newer drover', async () => {
    fresh();
    await store().read();
    await db.query(`UPDATE ${schema}.meta SET schema_version = ${SCHEMA_VERSION + 1}`);
    const e = await error(store().read());
    expect((e as StateError).code).toBe('version');
    expect(e.message).toContain(
      `has schema version ${SCHEMA_VERSION + 1}, but this drover knows only up to ${SCHEMA_VERSION}`,
    );
  });
});

describe('connections', () => {
  it('names the database without its password when it cannot connect', async () => {
    fresh();
    const s = new PostgresStateStore({
      url: 'postgres://drover:hunter2@127.0.0.1:1/fleet',
      schema,
    });
    const e = await error(s.read());
    expect((e as StateError).code).toBe('unavailable');
    expect(e.message).toContain(
      'cannot use the postgres state at postgres://drover@127.0.0.1:1/fleet',
    );
    expect(e.message).not.toContain('hunter2');
    expect(s.describe()).not.toContain('hunter2');
    await s.close();
  });

  it.each([
    ['an exact line', 'db:5432:fleet:drover:s3cret', 's3cret'],
    ['wildcards', '*:*:*:drover:wild', 'wild'],
    ['the first match', 'db:5432:fleet:drover:one\n*:*:*:*:two', 'one'],
    ['escaped colons', 'db:5432:fleet:drover:a\\:b\\\\c', 'a:b\\c'],
    ['no match', 'other:5432:fleet:drover:x\n# comment', undefined],
  ])('reads ~/.pgpass: %s', (_case, text, want) => {
    expect(matchPgpass(text, { host: 'db', port: 5432, database: 'fleet', user: 'drover' })).toBe(
      want,
    );
  });
});

describe('a connection killed between writes', () => {
  /** Ends every connection of the test database but the caller's own, as the faults suite does. */
  async function killAll(): Promise<number> {
    const r = await db.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return r.rowCount ?? 0;
  }

  it('runs a write once more on a fresh connection when it never reached COMMIT', async () => {
    fresh();
    let kills = 0;
    const s = store({
      beforeCommit: async (pid) => {
        if (kills-- > 0) await db.query('SELECT pg_terminate_backend($1)', [pid]);
      },
    });
    const v1 = await s.write(withAllocs(await s.read(), 5), 0);
    kills = 1;
    const v2 = await s.write({ ...v1, allocations: {} }, v1.serial);
    expect(v2.serial).toBe(v1.serial + 1);
    expect(await store().read()).toEqual(v2);
  });

  it.each(['session', 'lease'] as const)(
    'takes its %s lock back when every connection was killed, and writes on',
    async (lockMode) => {
      fresh();
      const warnings: string[] = [];
      const s = store({ lockMode, warn: (m) => warnings.push(m) });
      const lock = await s.lock({ ...newLockInfo('apply') }, { timeoutMs: 0 });
      const v1 = await s.write(withAllocs(await s.read(), 3), 0);
      expect(await killAll()).toBeGreaterThanOrEqual(2); // the lock's and the data's
      const v2 = await s.write({ ...v1, allocations: {} }, v1.serial);
      expect(await store().read()).toEqual(v2);
      expect(warnings).toEqual([
        `the state lock's connection to PostgreSQL was lost; lock ${lock.info.id} was taken back on a new connection (nobody else held it meanwhile)`,
      ]);
      // Still held: another drover is refused, and it is free once released.
      const other = store({ lockMode });
      await expect(other.lock(newLockInfo('apply'), { timeoutMs: 0 })).rejects.toMatchObject({
        code: 'locked',
      });
      await lock.release();
      const next = await other.lock(newLockInfo('apply'), { timeoutMs: 0 });
      await next.release();
    },
  );

  it('does not take back a lock another drover took over meanwhile', async () => {
    fresh();
    const s = store();
    await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
    const v1 = await s.write(sampleState(await s.read()), 0);
    await killAll();
    // The holder looks dead now: the next drover takes the lock over.
    const other = store({ warn: () => undefined });
    const theirs = await other.lock(newLockInfo('apply'), { timeoutMs: 0 });
    const e = await error(s.write({ ...v1, allocations: {} }, v1.serial));
    expect((e as StateError).code).toBe('locked');
    expect(e.message).toContain('was broken and is now held by');
    expect(await store().read()).toEqual(v1);
    await theirs.release();
  });
});

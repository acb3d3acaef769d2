/**
 * Variables on the postgres backend: their own table (schema migration 2, also from a database
 * a drover without Variables created), rows written and deleted as Variables change, and a state
 * without Variables read back as it was written. And `state migrate` carries them both ways.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../src/state/local.js';
import { migrateState } from '../../src/state/migrate.js';
import { PostgresStateStore } from '../../src/state/postgres/store.js';
import { SCHEMA_VERSION } from '../../src/state/postgres/schema.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { keyIdOf, newKeyMaterial } from '../../src/state/variables-crypto.js';
import { purgeVariable, putVariable, variableReader } from '../../src/state/variables.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { sampleState } from './sample.js';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase('drover_vars');
  dir = mkdtempSync(join(tmpdir(), 'drover-vars-pg-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const material = newKeyMaterial();
const key = { id: keyIdOf(material), material };
const ring = { where: 'test', keys: [key], active: key, find: () => key };
const now = new Date('2026-05-06T07:08:09.000Z');

function put(s: StateSnapshot, path: string, value: string): StateSnapshot {
  return putVariable(s, { path, items: { v: value }, key, now, who: 'u@h', force: true }).state;
}

async function withStore<T>(schema: string, fn: (s: PostgresStateStore) => Promise<T>): Promise<T> {
  const s = new PostgresStateStore({ url: db.url, schema });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('Variables in postgres', () => {
  it('writes, updates and deletes their rows, and reads them back', async () => {
    await withStore('v1', async (store) => {
      const empty = await store.read();
      let s = await store.write(put(put(sampleState(empty), 'a/x', 'one'), 'b/y', 'two'), 0);
      expect(await store.read()).toEqual(s);
      s = await store.write(put(s, 'a/x', 'three'), s.serial);
      await store.write(purgeVariable(s, { path: 'b/y', now, who: 'u@h' }).state, s.serial);
      const rows = await db.query<{ path: string }>('SELECT path FROM v1.variables ORDER BY path');
      expect(rows.rows.map((r) => r.path)).toEqual(['a/x']);
    });
    // Another drover, without this one's base, reads what was written and opens it.
    await withStore('v1', async (store) => {
      const back = await store.read();
      expect(variableReader(back, ring).get('a/x')!.items).toEqual({ v: 'three' });
      const next = await store.write(put(back, 'c/z', 'four'), back.serial);
      expect(Object.keys(next.variables!).sort()).toEqual(['a/x', 'c/z']);
    });
  });

  it('reads a state without Variables back without them', async () => {
    await withStore('v2', async (store) => {
      const written = await store.write(sampleState(await store.read()), 0);
      const back = await store.read();
      expect(back).toEqual(written);
      expect('variables' in back).toBe(false);
    });
  });

  it('migrates a database created before Variables (schema version 1)', async () => {
    await withStore('v3', async (store) => {
      await store.write(sampleState(await store.read()), 0);
    });
    // Schema version 1 had none of the tables later migrations add.
    await db.query(
      'DROP TABLE v3.variables, v3.audit, v3.approvals, v3.server_lease, v3.acl_tokens, v3.acl_policies, v3.plans; ' +
        'ALTER TABLE v3.meta DROP COLUMN acl',
    );
    await db.query('UPDATE v3.meta SET schema_version = 1');
    await withStore('v3', async (store) => {
      const s = await store.read();
      const next = await store.write(put(s, 'app/db', 'secret'), s.serial);
      expect((await store.read()).variables).toEqual(next.variables);
    });
    const meta = await db.query<{ schema_version: number }>('SELECT schema_version FROM v3.meta');
    expect(meta.rows[0]!.schema_version).toBe(SCHEMA_VERSION);
  });

  it('travels with state migrate, local to postgres and back', async () => {
    const local = new LocalStateStore({ path: join(dir, 'state.json') });
    const s = await local.write(put(sampleState(await local.read()), 'app/db', 'secret'), 0);
    await withStore('v4', async (pg) => {
      await migrateState(local, pg, { lockTimeoutMs: 0 });
      expect((await pg.read()).variables).toEqual(s.variables);
      const back = new LocalStateStore({ path: join(dir, 'back.json') });
      await migrateState(pg, back, { lockTimeoutMs: 0 });
      const read = await back.read();
      expect(read.variables).toEqual(s.variables);
      expect(variableReader(read, ring).get('app/db')!.items).toEqual({ v: 'secret' });
    });
  });
});

/** The StateStore contract (conformance.ts) on every backend: local files and PostgreSQL. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalStateStore } from '../../src/state/local.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { describeStoreConformance } from './conformance.js';
import { describePostgresConformance } from './postgres-conformance.js';

let dir: string;
let path = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
describeStoreConformance({
  name: 'local',
  reset: () => {
    path = join(dir, `s${++n}`, 'state.json');
  },
  store: (opts = {}) => new LocalStateStore({ path, lockPollMs: 20, ...opts }),
  spec: () => JSON.stringify({ backend: 'local', path }),
  deadHolder: 'that process is gone',
});

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase('drover_conformance');
});
afterAll(async () => {
  await db?.drop();
});

// Each test gets a schema of its own in the file's database (so a test starts from nothing).
describePostgresConformance('session', () => db!.url);

/** The StateStore contract (conformance.ts) on postgres with the lease lock (PgBouncer's mode). */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { describePostgresConformance } from './postgres-conformance.js';

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase('drover_conformance_lease');
});
afterAll(async () => {
  await db?.drop();
});

describePostgresConformance('lease', () => db!.url);

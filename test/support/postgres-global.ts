/**
 * Vitest global setup: one PostgreSQL server for the whole run (started once, about 2 s),
 * stopped at the end. Test files get its URL through `inject('postgresUrl')` and make a
 * database of their own (see postgres.ts).
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Nothing here outlives the run, so durability buys nothing and costs time.
  const server = await startPostgres({
    fsync: 'off',
    synchronous_commit: 'off',
    max_connections: 300,
  });
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}

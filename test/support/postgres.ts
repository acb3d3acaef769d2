/** A database of its own for a test file, on the run's PostgreSQL server (postgres-global.ts). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** postgres://postgres@127.0.0.1:PORT/NAME */
  url: string;
  name: string;
  /** Runs one statement as the superuser on this database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Drops the database `with (force)`, ending every connection to it. */
  drop(): Promise<void>;
}

export function serverUrl(): string {
  return inject('postgresUrl');
}

export async function createTestDatabase(prefix = 'drover_test'): Promise<TestDatabase> {
  const server = serverUrl();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE ${name}`);
  const url = server.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    name,
    query: (sql, params) => adminQuery(url, sql, params),
    drop: async () =>
      void (await adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function adminQuery<R extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params?: unknown[],
): Promise<pg.QueryResult<R>> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query<R>(sql, params);
  } finally {
    await c.end();
  }
}

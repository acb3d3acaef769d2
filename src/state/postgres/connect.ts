/**
 * Connections of the postgres backend: the client settings from a URL or the standard PG*
 * variables, the password from PGPASSWORD or ~/.pgpass, and a description of the target for
 * messages that never holds a password.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import { StateError } from '../errors.js';
import { lookupPassword, type PasswordTarget } from './password.js';

/** Where the database is: the URL as configured (absent: PG* variables) and the environment. */
export interface PgTarget {
  url?: string;
  env?: NodeJS.ProcessEnv;
}

/** The host, port, database and user a client will use, as libpq resolves them. */
export function resolveTarget(t: PgTarget): PasswordTarget {
  const env = t.env ?? process.env;
  const u = t.url !== undefined ? new URL(t.url) : undefined;
  const user = decode(u?.username) || env.PGUSER || osUser();
  return {
    host: decode(u?.hostname) || u?.searchParams.get('host') || env.PGHOST || 'localhost',
    port: Number(u?.port || env.PGPORT || 5432),
    database: decode(u?.pathname.slice(1)) || env.PGDATABASE || user,
    user,
  };
}

/** `postgres://user@host:port/db`: enough to tell which database, and never the password. */
export function describeTarget(t: PgTarget): string {
  const r = resolveTarget(t);
  const host = r.host.includes(':') ? `[${r.host}]` : r.host;
  return `postgres://${r.user}@${host}:${r.port}/${r.database}`;
}

export function newClient(t: PgTarget): pg.Client {
  const target = resolveTarget(t);
  const env = t.env ?? process.env;
  const written = t.url !== undefined ? decode(new URL(t.url).password) : '';
  return new pg.Client({
    ...(t.url !== undefined ? { connectionString: t.url } : {}),
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    // A function, so pg neither reads ~/.pgpass itself (with a deprecation notice) nor keeps a
    // password where an error could print it.
    password: async () => (written || (await lookupPassword(target, env))) ?? '',
    application_name: 'drover',
    // A holder whose machine vanishes must lose its session (and so its lock) in bounded time.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 10_000,
  });
}

/** Connects, turning failures into a user-facing error that names the target. */
export async function connectClient(t: PgTarget): Promise<pg.Client> {
  const client = newClient(t);
  // A connection that drops later must not crash the process: the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw unavailable(t, e);
  }
  return client;
}

export function unavailable(t: PgTarget, e: unknown): StateError {
  const why = e instanceof Error ? e.message || (e as { code?: string }).code : String(e);
  return new StateError(
    'unavailable',
    `cannot use the postgres state at ${describeTarget(t)}: ${why}`,
  );
}

/** Whether an error means the connection is gone (so the client must be replaced). */
export function isConnectionLoss(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  if (code === undefined)
    return e instanceof Error && /Connection terminated|not queryable/i.test(e.message);
  // 57P01 admin_shutdown (pg_terminate_backend), 08xxx connection exceptions, socket errors.
  return (
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code.startsWith('08') ||
    code.startsWith('E')
  );
}

function decode(s: string | undefined): string {
  return s ? decodeURIComponent(s) : '';
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'postgres';
  }
}

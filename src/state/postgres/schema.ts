/**
 * The postgres backend's tables and their migrations. Numbered, applied in order inside one
 * transaction under a transaction-level advisory lock (two drovers starting at once migrate
 * once), and recorded in `meta.schema_version`. A database migrated by a newer drover is
 * refused rather than written in a shape this one does not know.
 */
import type pg from 'pg';
import { StateError } from '../errors.js';

/** One table per kind of object; `ord` keeps insertion order, as a JSON object does. */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  // 1: the first shape.
  (s) => `
    CREATE TABLE ${s}.meta (
      id smallint PRIMARY KEY CHECK (id = 1),
      schema_version integer NOT NULL,
      format_version integer NOT NULL,
      lineage text,
      serial bigint NOT NULL DEFAULT 0
    );
    INSERT INTO ${s}.meta (id, schema_version, format_version) VALUES (1, 0, 1);
    CREATE TABLE ${s}.nodes (name text PRIMARY KEY, ord bigserial, body json NOT NULL);
    CREATE TABLE ${s}.jobs (id text PRIMARY KEY, ord bigserial, body json NOT NULL);
    CREATE TABLE ${s}.job_versions (
      job text NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
      pos integer NOT NULL,
      body json NOT NULL,
      PRIMARY KEY (job, pos)
    );
    CREATE TABLE ${s}.allocations (id text PRIMARY KEY, ord bigserial, body json NOT NULL);
    CREATE TABLE ${s}.deployments (id text PRIMARY KEY, ord bigserial, body json NOT NULL);
    CREATE TABLE ${s}.events (pos integer PRIMARY KEY, body json NOT NULL);
    CREATE TABLE ${s}.lock (
      id smallint PRIMARY KEY CHECK (id = 1),
      info json,
      mode text,
      holder_pid integer,
      lease_until timestamptz
    );
    INSERT INTO ${s}.lock (id) VALUES (1);
  `,
  // 2: Nomad Variables (their items sealed; see state/variables.ts).
  (s) => `
    CREATE TABLE ${s}.variables (path text PRIMARY KEY, ord bigserial, body json NOT NULL);
  `,
  // 3: the audit trail, one row per record (append-only, as the events).
  (s) => `
    CREATE TABLE ${s}.audit (pos integer PRIMARY KEY, body json NOT NULL);
  `,
  // 4: approvals of plans, one row per approval (append-only, as the audit trail).
  (s) => `
    CREATE TABLE ${s}.approvals (pos integer PRIMARY KEY, body json NOT NULL);
  `,
  // 5: the lease of `drover server`'s leader; epoch fences the writes of a leader that lost it.
  (s) => `
    CREATE TABLE ${s}.server_lease (
      id smallint PRIMARY KEY CHECK (id = 1),
      holder text,
      name text,
      address text,
      epoch bigint NOT NULL DEFAULT 0,
      expires_at timestamptz
    );
    INSERT INTO ${s}.server_lease (id) VALUES (1);
  `,
  // 6: ACLs of drover server: tokens (their secrets hashed) and policies, one row each; whether
  // the ACL system was bootstrapped in meta.
  (s) => `
    ALTER TABLE ${s}.meta ADD COLUMN acl json;
    CREATE TABLE ${s}.acl_tokens (accessor_id text PRIMARY KEY, ord bigserial, body json NOT NULL);
    CREATE TABLE ${s}.acl_policies (name text PRIMARY KEY, ord bigserial, body json NOT NULL);
  `,
  // 7: plans saved for review (plan -out, the web UI), one row per plan hash.
  (s) => `
    CREATE TABLE ${s}.plans (hash text PRIMARY KEY, ord bigserial, body json NOT NULL);
  `,
];

/** The schema version this drover writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Advisory lock keys: drover's, and one per schema (so two schemas in a database do not meet). */
export const LOCK_CLASS = 0x64726f76; // "drov"
export function schemaKey(schema: string): number {
  let h = 2166136261;
  for (const c of Buffer.from(schema)) h = Math.imul(h ^ c, 16777619);
  return (h >>> 0) & 0x7fffffff;
}

/** The channel every write NOTIFYs (one per schema; a name short enough for any schema). */
export function changeChannel(schema: string): string {
  return `drover_changed_${schemaKey(schema)}`;
}

/** A double-quoted identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Brings the schema to SCHEMA_VERSION: nothing but one query when it already is, else creates
 * or migrates it. Throws `version` for a schema newer than this drover.
 */
export async function ensureSchema(
  client: pg.Client,
  schema: string,
  where: string,
): Promise<void> {
  const s = quoteIdent(schema);
  const current = await schemaVersion(client, s, false);
  if (current === SCHEMA_VERSION) return;
  if (current !== undefined && current > SCHEMA_VERSION) throw tooNew(current, where);
  await client.query('BEGIN');
  try {
    // The migration lock's key is the schema's plus one: never the state lock's own key.
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, schemaKey(schema) ^ 1]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    const now = (await schemaVersion(client, s, true)) ?? 0;
    if (now > SCHEMA_VERSION) throw tooNew(now, where);
    for (let v = now + 1; v <= SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v - 1]!(s));
    await client.query(`UPDATE ${s}.meta SET schema_version = $1`, [SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** The recorded version, or undefined when the schema or its meta table does not exist. */
async function schemaVersion(
  client: pg.Client,
  s: string,
  inTransaction: boolean,
): Promise<number | undefined> {
  // Inside a transaction a failed query aborts it, unless rolled back to a savepoint.
  if (inTransaction) await client.query('SAVEPOINT probe');
  try {
    const r = await client.query<{ v: number }>(`SELECT schema_version AS v FROM ${s}.meta`);
    return r.rows[0]?.v;
  } catch (e) {
    const code = (e as { code?: string }).code;
    // 42P01 undefined_table, 3F000 invalid_schema_name.
    if (code !== '42P01' && code !== '3F000') throw e;
    if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT probe');
    return undefined;
  }
}

function tooNew(version: number, where: string): StateError {
  return new StateError(
    'version',
    `the postgres state at ${where} has schema version ${version}, but this drover knows only ` +
      `up to ${SCHEMA_VERSION}; use the drover that migrated it (or a newer one)`,
  );
}

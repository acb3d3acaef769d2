/**
 * The snapshot as rows, and what a write changes. Pure. A write compares the new snapshot
 * with a base: the snapshot this store last read or wrote (by identity: drover derives each
 * snapshot from the last without mutating it, so an entry that is the same object is
 * unchanged) or, when this store knows none, the rows' stored text. Either way the rows written
 * are the ones that changed, so a write costs what changed, not what the state holds.
 */
import type { Prior } from '../indexes.js';
import type { JobState, JobVersion, StateSnapshot } from '../types.js';

/** The tables of whole objects, keyed by name or id. */
export const KEYED = [
  'nodes',
  'jobs',
  'allocations',
  'deployments',
  'variables',
  'acl_tokens',
  'acl_policies',
  'plans',
] as const;
export type Keyed = (typeof KEYED)[number];

/** The append-only lists, one row per entry by position: the event log, the audit trail, approvals. */
export const LOGS = ['events', 'audit', 'approvals'] as const;
export type Log = (typeof LOGS)[number];

/** The entries of a log (a state written by an older drover has no audit trail nor approvals). */
export function logOf(s: StateSnapshot, log: Log): readonly unknown[] {
  return s[log] ?? [];
}

/** What a write does to a log: entries from `from` on are (re)written; with `rewrite`, every stored entry goes first. */
export interface LogChanges {
  rewrite: boolean;
  from: number;
  rows: unknown[];
}

/** A job's row: everything but its versions, which have rows of their own. */
export function jobRow(job: JobState): Omit<JobState, 'versions'> {
  const { versions: _v, ...rest } = job;
  return rest;
}

/** One table's objects in a snapshot (`variables`, `acl` and `plans` are absent from older states). */
export function keyedOf(s: StateSnapshot, t: Keyed): Record<string, unknown> {
  if (t === 'acl_tokens') return s.acl?.tokens ?? {};
  if (t === 'acl_policies') return s.acl?.policies ?? {};
  return s[t] ?? {};
}

/** What meta's `acl` column holds: the ACL state but its tokens and policies (rows of their own). */
export function aclHead(
  s: StateSnapshot,
): Omit<NonNullable<StateSnapshot['acl']>, 'tokens' | 'policies'> | null {
  if (!s.acl) return null;
  const { tokens: _t, policies: _p, ...head } = s.acl;
  return head;
}

/** What a write does to the tables. */
export interface RowChanges {
  upserts: Record<Keyed, [string, unknown][]>;
  deletes: Record<Keyed, string[]>;
  /** [job, position, version] */
  versions: [string, number, JobVersion][];
  /** [job, count]: the job keeps only its first `count` versions. */
  versionTrims: [string, number][];
  logs: Record<Log, LogChanges>;
}

/** What the new snapshot is compared with. */
export interface Base {
  keys(table: Keyed): Iterable<string>;
  /** The whole job is the one the base has (its versions too). */
  sameJob(id: string, job: JobState): boolean;
  sameRow(table: Keyed, key: string, body: unknown): boolean;
  versionCount(job: string): number;
  sameVersion(job: string, pos: number, v: JobVersion): boolean;
  logCount(log: Log): number;
  sameLogEntry(log: Log, pos: number, e: unknown): boolean;
}

/** The base of a snapshot this store read or wrote. */
export function snapshotBase(prev: StateSnapshot): Base {
  return {
    keys: (t) => Object.keys(keyedOf(prev, t)),
    sameJob: (id, job) => prev.jobs[id] === job,
    sameRow: (t, key, body) => {
      if (t !== 'jobs') return keyedOf(prev, t)[key] === body;
      const before = prev.jobs[key];
      return before !== undefined && JSON.stringify(jobRow(before)) === JSON.stringify(body);
    },
    versionCount: (job) => prev.jobs[job]?.versions.length ?? 0,
    sameVersion: (job, pos, v) => prev.jobs[job]?.versions[pos] === v,
    logCount: (log) => logOf(prev, log).length,
    sameLogEntry: (log, pos, e) => logOf(prev, log)[pos] === e,
  };
}

/** The stored rows' text, as read back for a write this store knows no base for. */
export interface StoredText {
  rows: Record<Keyed, Map<string, string>>;
  /** job → text of each version by position. */
  versions: Map<string, string[]>;
  /** Per log: how many entries are stored, and the text of the last one (if any). */
  logs: Record<Log, { count: number; last?: string }>;
}

export function textBase(stored: StoredText): Base {
  return {
    keys: (t) => stored.rows[t].keys(),
    sameJob: () => false,
    sameRow: (t, key, body) => stored.rows[t].get(key) === JSON.stringify(body),
    versionCount: (job) => stored.versions.get(job)?.length ?? 0,
    sameVersion: (job, pos, v) => stored.versions.get(job)?.[pos] === JSON.stringify(v),
    logCount: (log) => stored.logs[log].count,
    // Only the last stored entry is read back: if it is unchanged the log was appended to.
    sameLogEntry: (log, pos, e) =>
      pos === stored.logs[log].count - 1 && stored.logs[log].last === JSON.stringify(e),
  };
}

export function diffRows(base: Base, next: StateSnapshot): RowChanges {
  const out: RowChanges = {
    upserts: emptyTables<[string, unknown]>(),
    deletes: emptyTables<string>(),
    versions: [],
    versionTrims: [],
    logs: {
      events: { rewrite: false, from: 0, rows: [] },
      audit: { rewrite: false, from: 0, rows: [] },
      approvals: { rewrite: false, from: 0, rows: [] },
    },
  };
  for (const t of KEYED) {
    const now = keyedOf(next, t);
    for (const key of base.keys(t)) if (!Object.hasOwn(now, key)) out.deletes[t].push(key);
    for (const [key, value] of Object.entries(now)) {
      if (t === 'jobs') {
        diffJob(base, key, value as JobState, out);
        continue;
      }
      if (!base.sameRow(t, key, value)) out.upserts[t].push([key, value]);
    }
  }
  for (const log of LOGS) out.logs[log] = diffLog(base, log, logOf(next, log));
  return out;
}

function emptyTables<T>(): Record<Keyed, T[]> {
  return Object.fromEntries(KEYED.map((t) => [t, []])) as unknown as Record<Keyed, T[]>;
}

function diffJob(base: Base, id: string, job: JobState, out: RowChanges): void {
  if (base.sameJob(id, job)) return;
  const row = jobRow(job);
  if (!base.sameRow('jobs', id, row)) out.upserts.jobs.push([id, row]);
  job.versions.forEach((v, pos) => {
    if (!base.sameVersion(id, pos, v)) out.versions.push([id, pos, v]);
  });
  if (base.versionCount(id) > job.versions.length) out.versionTrims.push([id, job.versions.length]);
}

/** A log is appended to when its last known entry is still in place; otherwise rewritten. */
function diffLog(base: Base, log: Log, entries: readonly unknown[]): LogChanges {
  const known = base.logCount(log);
  const appended =
    known === 0 ||
    (entries.length >= known && base.sameLogEntry(log, known - 1, entries[known - 1]));
  if (appended) return { rewrite: false, from: known, rows: entries.slice(known) };
  return { rewrite: true, from: 0, rows: [...entries] };
}

/** Whether a write changes nothing in the rows (only the serial moves). */
export function isEmpty(c: RowChanges): boolean {
  return (
    KEYED.every((t) => c.upserts[t].length === 0 && c.deletes[t].length === 0) &&
    c.versions.length === 0 &&
    c.versionTrims.length === 0 &&
    LOGS.every((log) => !c.logs[log].rewrite && c.logs[log].rows.length === 0)
  );
}

/**
 * The stored rows as the state a write is stamped against (state/indexes.ts): an entry is the
 * same when its text is; the old entry is parsed only where it changed.
 */
export function textPrior(stored: StoredText): Prior {
  const versionTexts = (key: string) => stored.versions.get(key) ?? [];
  return {
    keys: (t) => stored.rows[t].keys(),
    entry: (t, key) => {
      const text = stored.rows[t].get(key);
      if (text === undefined) return undefined;
      const row = JSON.parse(text) as Record<string, unknown>;
      if (t !== 'jobs') return row;
      return { ...row, versions: versionTexts(key).map((v) => JSON.parse(v) as unknown) };
    },
    same: (t, key, value) => {
      if (t !== 'jobs') return stored.rows[t].get(key) === JSON.stringify(value);
      const job = value as JobState;
      const texts = versionTexts(key);
      return (
        stored.rows.jobs.get(key) === JSON.stringify(jobRow(job)) &&
        texts.length === job.versions.length &&
        job.versions.every((v, pos) => texts[pos] === JSON.stringify(v))
      );
    },
  };
}

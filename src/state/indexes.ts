/**
 * Per-object change indexes, as Nomad's raft indexes: every node, job, job version, allocation
 * and deployment records the serial of the write that created it (`create_index`) and of the
 * last write that changed it (`modify_index`); an allocation also the last write that changed
 * what the server decides for it (`alloc_modify_index`, Nomad's AllocModifyIndex).
 *
 * Stamped in one place: each backend's write, which knows the serial it writes, calls
 * `stampIndexes(prior, next, serial)` before checking and storing `next`. Callers derive a new
 * snapshot from the one they read by replacing entries, so an entry unchanged since the last
 * write is usually the same object (checked first, for free) and a changed one carries the
 * stamps of its old self, which are compared away. Pure.
 */
import type {
  Allocation,
  Deployment,
  JobState,
  JobVersion,
  NodeState,
  StateSnapshot,
} from './types.js';

/** The maps of stamped objects. */
export const INDEXED_TABLES = ['nodes', 'jobs', 'allocations', 'deployments'] as const;
export type IndexedTable = (typeof INDEXED_TABLES)[number];

/** What a write is compared with: the state before it (a snapshot, or a backend's stored rows). */
export interface Prior {
  keys(table: IndexedTable): Iterable<string>;
  /** The entry as it was (jobs with their versions); undefined when there was none. */
  entry(table: IndexedTable, key: string): unknown;
  /** Whether `value` is exactly the entry that was there. */
  same(table: IndexedTable, key: string, value: unknown): boolean;
}

/** The prior of a snapshot held in memory. */
export function snapshotPrior(prev: StateSnapshot): Prior {
  return {
    keys: (t) => Object.keys(prev[t]),
    entry: (t, key) => (Object.hasOwn(prev[t], key) ? prev[t][key] : undefined),
    same: (t, key, value) => Object.hasOwn(prev[t], key) && sameJson(prev[t][key], value),
  };
}

/**
 * An allocation that is over or on its way out: what a job's status is derived from (Nomad's
 * getJobStatus), so a change of it may change the job's status.
 */
export function isTerminalAllocation(a: Pick<Allocation, 'desired_status' | 'client_status'>) {
  return (
    a.desired_status !== 'run' ||
    a.client_status === 'complete' ||
    a.client_status === 'failed' ||
    a.client_status === 'lost'
  );
}

/** What the client reports about an allocation; the rest is the server's (AllocModifyIndex). */
const CLIENT_FIELDS: ReadonlySet<string> = new Set([
  'client_status',
  'client_description',
  'task_states',
  'health',
  'driver_handles',
  'collected',
  'modified_at',
]);

const STAMPS: ReadonlySet<string> = new Set(['create_index', 'modify_index', 'alloc_modify_index']);

/**
 * Whether a replace copies a state whole (a migration that keeps the incoming serial): its
 * objects keep the indexes they carry, which that serial's history gave them.
 */
export function copiesIndexes(
  incoming: StateSnapshot,
  serial: number,
  opts: { keepSerial?: boolean },
): boolean {
  return Boolean(opts.keepSerial) && serial === incoming.serial;
}

/**
 * `next` with the indexes of what changed since `prior` set to `serial`; unchanged entries (and
 * the maps holding only them) are returned as they are.
 */
export function stampIndexes(prior: Prior, next: StateSnapshot, serial: number): StateSnapshot {
  /** Jobs whose status may have moved through their allocations, or lost a child. */
  const touchedJobs = new Set<string>();
  const allocations = stampTable(prior, 'allocations', next.allocations, (a, before) => {
    const was = before as Allocation | undefined;
    if (!was || isTerminalAllocation(was) !== isTerminalAllocation(a)) touchedJobs.add(a.job);
    const serverChanged =
      !was || !sameJson(withoutFields(was, CLIENT_FIELDS), withoutFields(a, CLIENT_FIELDS));
    return {
      ...stamped(a, was, serial),
      ...(serverChanged
        ? { alloc_modify_index: serial }
        : was.alloc_modify_index !== undefined
          ? { alloc_modify_index: was.alloc_modify_index }
          : {}),
    };
  });
  const deployments = stampTable(prior, 'deployments', next.deployments, (d, before) =>
    stamped(d, before as Deployment | undefined, serial),
  );
  for (const table of ['allocations', 'deployments'] as const) {
    for (const key of prior.keys(table)) {
      if (Object.hasOwn(next[table], key)) continue;
      const gone = prior.entry(table, key) as { job?: unknown } | undefined;
      if (typeof gone?.job === 'string') touchedJobs.add(gone.job);
    }
  }
  const jobs = stampTable(
    prior,
    'jobs',
    next.jobs,
    (j, before) => stampJob(j, before as JobState | undefined, serial),
    (key) => touchedJobs.has(key),
  );
  const nodes = stampTable(prior, 'nodes', next.nodes, (n, before) =>
    stamped(n, before as NodeState | undefined, serial),
  );
  if (
    allocations === next.allocations &&
    deployments === next.deployments &&
    jobs === next.jobs &&
    nodes === next.nodes
  )
    return next;
  return { ...next, nodes, jobs, allocations, deployments };
}

/**
 * A map with its changed entries replaced by `stamp`'s result (`touched` entries count as
 * changed even when equal); the same map when nothing changed.
 */
function stampTable<T extends object>(
  prior: Prior,
  table: IndexedTable,
  entries: Record<string, T>,
  stamp: (entry: T, before: unknown) => T,
  touched?: (key: string) => boolean,
): Record<string, T> {
  let out: Record<string, T> | undefined;
  for (const key in entries) {
    if (!Object.hasOwn(entries, key)) continue;
    const entry = entries[key]!;
    // Not an object: an invalid state, which the schema check after this refuses.
    if (typeof entry !== 'object' || entry === null) continue;
    if (!touched?.(key) && prior.same(table, key, entry)) continue;
    out ??= { ...entries };
    out[key] = stamp(entry, prior.entry(table, key));
  }
  return out ?? entries;
}

interface Stamped {
  create_index?: number;
  modify_index?: number;
}

/** `entry` created or changed by the write of `serial`. */
function stamped<T extends Stamped>(entry: T, before: Stamped | undefined, serial: number): T {
  // An entry an older drover recorded keeps no create index: when it was made is not known.
  const created = before ? before.create_index : serial;
  const { create_index: _c, ...rest } = entry;
  return {
    ...rest,
    ...(created !== undefined ? { create_index: created } : {}),
    modify_index: serial,
  } as T;
}

/**
 * A job changed (or touched through its allocations): its versions newer than any it had are
 * new, recorded by this write.
 */
function stampJob(job: JobState, before: JobState | undefined, serial: number): JobState {
  // Not a list: an invalid state, which the schema check after this refuses.
  if (!Array.isArray(job.versions)) return stamped(job, before, serial);
  let newest = -1;
  for (const v of before?.versions ?? []) newest = Math.max(newest, v.version);
  const isNew = (v: JobVersion) => v.version > newest && v.create_index !== serial;
  const versions = job.versions.some(isNew)
    ? job.versions.map((v) => (isNew(v) ? { ...v, create_index: serial } : v))
    : job.versions;
  return { ...stamped(job, before, serial), versions };
}

function withoutFields(entry: object, fields: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!fields.has(k) && !STAMPS.has(k)) out[k] = v;
  return out;
}

/** Deep equality of JSON values, by identity first (shared sub-objects cost nothing). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((v, i) => sameJson(v, bs[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && sameJson(ao[k], bo[k]));
}

/**
 * The change index of the write that produced `serial`: serial + 1, never 0 (Nomad's floor),
 * what the server reports as X-Nomad-Index once that write is read.
 */
export function changeIndex(serial: number): number {
  return serial + 1;
}

/**
 * What every Nomad read mapper shares: Nomad's time encodings, the namespace drover reports, a
 * job's versions as Nomad sees them and the objects' raft-style indexes.
 *
 * Every write stamps the objects it changes with its serial (state/indexes.ts); an object
 * reports serial + 1, the change index that write produced, as its CreateIndex / ModifyIndex.
 * An object recorded by an older drover has no stamp and reports the state index it was read
 * at, as drover did before. A job's JobModifyIndex is its version + 1, so it changes exactly
 * when the job's definition does (what `EnforceIndex` check-and-set compares) and is never 0
 * for a job that exists.
 */
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { NormalizedJob } from '../../generated/normalized-job.js';
import { changeIndex } from '../../state/indexes.js';
import type { Allocation, JobState, JobVersion, StateSnapshot } from '../../state/types.js';
import { jobModifyIndexOf, type JobVersionFacts } from './job-json.js';

/** drover has no namespaces yet: every object is in `default`. */
export const NAMESPACE = 'default';

/** Go's zero time.Time as encoding/json writes it. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** An RFC 3339 timestamp as Unix nanoseconds (Nomad's int64 times); 0 when absent. */
export function nanos(timestamp: string | undefined): number {
  if (!timestamp) return 0;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? 0 : ms * 1_000_000;
}

/** A timestamp as a Go time.Time in JSON (RFC 3339); the zero time when absent. */
export function goTime(timestamp: string | undefined): string {
  if (!timestamp) return ZERO_TIME;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? ZERO_TIME : new Date(ms).toISOString();
}

/** Milliseconds as a Go time.Duration (nanoseconds). */
export function durationNs(ms: number | undefined): number {
  return Math.round((ms ?? 0) * 1_000_000);
}

/** Whether an object of namespace `actual` is visible to a request's `namespace` parameter. */
export function namespaceMatches(requested: string, actual: string = NAMESPACE): boolean {
  return requested === '*' || requested === actual;
}

/** A job as the API sees it: its state record and its latest version; purged jobs do not exist. */
export interface JobView {
  /** The job's state key (see state/job-key). */
  id: string;
  /** Its id and namespace, as Nomad's JSON shows them (`ID`, `Namespace`). */
  jobId: string;
  namespace: string;
  record: JobState;
  latest: JobVersion;
  job: NormalizedJob;
  /** Nomad's status of the job now: pending, running or dead (`liveStatus`). */
  status: string;
}

/** `allocations`: the job's, when the caller has them grouped (else found in `state`). */
export function jobView(
  state: StateSnapshot,
  id: string,
  allocations?: readonly Allocation[],
): JobView | undefined {
  const record = state.jobs[id];
  if (!record || record.purged) return undefined;
  const latest = latestVersion(record);
  if (!latest) return undefined;
  const job = decodeStoredJob(latest);
  const own = allocations ?? Object.values(state.allocations).filter((a) => a.job === id);
  return {
    id,
    jobId: job.id,
    namespace: job.namespace || NAMESPACE,
    record,
    latest,
    job,
    status: liveStatus(own, record, job),
  };
}

/**
 * Nomad's job status (its state store's getJobStatus): system, periodic and parameterized jobs
 * run until stopped; any other job runs while one of its allocations is not terminal, is dead
 * once it had allocations and all are terminal (or it was stopped), and is pending before that.
 */
function liveStatus(
  allocations: readonly Allocation[],
  record: JobState,
  job: NormalizedJob,
): string {
  if (job.type === 'system' || job.periodic || job.parameterized)
    return record.stopped ? 'dead' : 'running';
  for (const a of allocations) {
    const terminal =
      a.desired_status !== 'run' ||
      a.client_status === 'complete' ||
      a.client_status === 'failed' ||
      a.client_status === 'lost';
    if (!terminal) return 'running';
  }
  return allocations.length > 0 || record.stopped ? 'dead' : 'pending';
}

function latestVersion(record: JobState): JobVersion | undefined {
  let best: JobVersion | undefined;
  for (const v of record.versions) if (!best || v.version > best.version) best = v;
  return best;
}

/** Nomad's job status: a stopped job whose allocations are all terminal is `dead`. */
export function jobStatus(view: JobView, version: JobVersion = view.latest): string {
  return version.version === view.latest.version ? view.status : version.status;
}

/** What `toNomadJob` needs beyond the definition, for version `version` of a job. */
export function jobVersionFacts(
  view: JobView,
  version: JobVersion,
  stateIndex: number,
): JobVersionFacts {
  return {
    namespace: view.namespace,
    version: version.version,
    stable: version.stable,
    status: jobStatus(view, version),
    stop: version.version === view.latest.version && view.record.stopped,
    submitTime: nanos(version.submitted_at),
    createIndex: createIndexOf(view.record, stateIndex),
    // An older version was last changed when the next one replaced it: its own index is the
    // closest drover knows.
    modifyIndex:
      version.version === view.latest.version
        ? modifyIndexOf(view.record, stateIndex)
        : stampedIndex(version.create_index, stateIndex),
    jobModifyIndex: jobModifyIndex(version),
    ...(version.launch ? { parentId: version.launch.parent } : {}),
    ...(version.launch?.kind === 'dispatch' ? { dispatched: true } : {}),
    ...(version.launch?.payload ? { payload: version.launch.payload } : {}),
  };
}

/** The JobModifyIndex of a recorded version, as check-and-set (`EnforceIndex`) compares it. */
export function jobModifyIndex(version: JobVersion): number {
  return jobModifyIndexOf(version.version);
}

/** Nomad's stable order for maps sent as lists: by key. */
export function byKey<T>(entries: Iterable<[string, T]>): [string, T][] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What a write stamps on an object (state/indexes.ts). */
export interface Stamped {
  create_index?: number;
  modify_index?: number;
  alloc_modify_index?: number;
}

/** The change index of a stamped serial, or `stateIndex` when there is no stamp. */
export function stampedIndex(serial: number | undefined, stateIndex: number): number {
  return serial === undefined ? stateIndex : changeIndex(serial);
}

/** An object's ModifyIndex; `stateIndex` for one recorded by an older drover. */
export function modifyIndexOf(o: Stamped, stateIndex: number): number {
  return stampedIndex(o.modify_index, stateIndex);
}

/** An object's CreateIndex: never above its ModifyIndex, whatever an older drover left. */
export function createIndexOf(o: Stamped, stateIndex: number): number {
  return o.create_index === undefined
    ? modifyIndexOf(o, stateIndex)
    : Math.min(changeIndex(o.create_index), modifyIndexOf(o, stateIndex));
}

/** An allocation's AllocModifyIndex (the server's changes to it), between its two others. */
export function allocModifyIndexOf(a: Stamped, stateIndex: number): number {
  return a.alloc_modify_index === undefined
    ? createIndexOf(a, stateIndex)
    : Math.min(changeIndex(a.alloc_modify_index), modifyIndexOf(a, stateIndex));
}

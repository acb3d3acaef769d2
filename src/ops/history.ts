/**
 * `drover job history`: a job's versions, newest first, each with what changed since the one
 * before (on request). The CLI shows it from the state, `drover server` answers it to the CLI
 * through `GET /v1/drover/job/:id/history`: one form, so both print the same. Pure.
 */
import type { NormalizedJob } from '../generated/normalized-job.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import { diffJobs, type JobDiff } from '../plan/diff.js';
import { redactJobDiff, redactorFor } from '../plan/redact.js';
import type { JobState, JobVersion } from '../state/types.js';

export interface HistoryVersion {
  version: number;
  submitted_at: string;
  stable: boolean;
  status: JobVersion['status'];
  filename: string;
  origin: JobVersion['origin'] | null;
  actor: string | null;
  /** Against the version before (the oldest: against nothing); only when diffs were asked for. */
  diff?: JobDiff;
}

export interface JobHistory {
  id: string;
  namespace: string;
  /** Newest first. */
  versions: HistoryVersion[];
}

/** The history of `job` (id and namespace as the user named them); sensitive values redacted. */
export function jobHistory(
  job: JobState,
  id: string,
  namespace: string,
  withDiffs: boolean,
): JobHistory {
  // A place sensitive in one version is sensitive in every version of the job.
  const redactor = redactorFor(job.versions, true);
  const versions = job.versions.map((v, i): HistoryVersion => {
    const prior: NormalizedJob | undefined =
      i > 0 ? decodeStoredJob(job.versions[i - 1]!) : undefined;
    return {
      version: v.version,
      submitted_at: v.submitted_at,
      stable: v.stable,
      status: v.status,
      filename: v.filename,
      origin: v.origin ?? null,
      actor: v.actor ?? null,
      ...(withDiffs ? { diff: redactJobDiff(diffJobs(prior, decodeStoredJob(v)), redactor) } : {}),
    };
  });
  return { id, namespace, versions: versions.reverse() };
}

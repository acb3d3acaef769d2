/**
 * The one decoder for jobs that state versions and plan payloads store. The current form
 * (`job_format: 2`) is a normalized job as `normalizeJob` returns it; the form older drovers
 * wrote (no `job_format`) may lack defaults and holds durations as Go duration text or integer
 * nanoseconds, so it is normalized again: state files and planfiles written before keep working.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Job } from '../generated/jobspec.js';
import validateJobspec from '../generated/jobspec.validate.js';
import type { NormalizedJob } from '../generated/normalized-job.js';
import { cloneValue } from '../hcl/value.js';
import { normalizeJob } from './normalize.js';

/** The `job_format` of a normalized job in state and plans. */
export const NORMALIZED_JOB_FORMAT = 2;

/** What a state job version and a plan's job payload have in common. */
export interface StoredJob {
  job: { [k: string]: unknown };
  job_format?: typeof NORMALIZED_JOB_FORMAT;
}

// An old-form job is normalized once per object: readers decode the same version many times.
const decodedOldForm = new WeakMap<object, NormalizedJob>();

/** The normalized job a state version or plan payload holds, whichever form it was written in. */
export function decodeStoredJob(stored: StoredJob): NormalizedJob {
  if (stored.job_format === NORMALIZED_JOB_FORMAT) return stored.job as unknown as NormalizedJob;
  let job = decodedOldForm.get(stored.job);
  if (!job) {
    // The old form is a job the jobspec schema describes (the validator may coerce: a copy).
    const written = cloneValue(stored.job);
    if (!isJob(written)) {
      const why = (isJob.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new Error(`a stored job is not a valid job: ${why.slice(0, 3).join('; ')}`);
    }
    // applyDefaults fills only what is absent, so a job that has its defaults keeps them.
    job = normalizeJob(written);
    decodedOldForm.set(stored.job, job);
  }
  return job;
}

/** The validator generated from the jobspec schema (`npm run gen:types`), as a type guard. */
const isJob = validateJobspec as unknown as ValidateFunction<Job>;

/** The fields that store a normalized job in a state version or a plan payload. */
export function encodeStoredJob(job: NormalizedJob): Required<StoredJob> {
  return { job: job as unknown as StoredJob['job'], job_format: NORMALIZED_JOB_FORMAT };
}

/** The record in the current form: itself when it is, else a copy with its job re-encoded. */
export function upgradeStoredJob<T extends StoredJob>(stored: T): T {
  return stored.job_format === NORMALIZED_JOB_FORMAT
    ? stored
    : { ...stored, ...encodeStoredJob(decodeStoredJob(stored)) };
}

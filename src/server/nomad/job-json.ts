/**
 * drover's job ⇄ Nomad's `api.Job` JSON (the shape of `GET /v1/job/:id`, `/v1/jobs/parse` and the
 * body of `PUT /v1/jobs`). Owned by the API's write side; the read side calls `toNomadJob`.
 * NOT BUILT YET: both directions throw until the write side lands.
 */
import type { NormalizedJob } from '../../generated/normalized-job.js';

/** What the state knows about a job version beyond its definition. */
export interface JobVersionFacts {
  namespace: string;
  version: number;
  stable: boolean;
  /** Nomad's job status: pending, running, dead. */
  status: string;
  stop: boolean;
  submitTime: number;
  createIndex: number;
  modifyIndex: number;
  jobModifyIndex: number;
  parentId?: string;
}

export function toNomadJob(_job: NormalizedJob, _facts: JobVersionFacts): Record<string, unknown> {
  throw new Error('Nomad job JSON is not built yet');
}

export function fromNomadJob(_json: unknown): NormalizedJob {
  throw new Error('Nomad job JSON is not built yet');
}

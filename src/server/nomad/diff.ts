/**
 * Nomad's `JobDiff` (the `Diff` of `PUT /v1/job/:id/plan` and the `Diffs` of
 * `GET /v1/job/:id/versions?diffs=true`) between two versions of a job. Owned by the API's read
 * side. NOT BUILT YET: throws until the read side lands.
 */
import type { NormalizedJob } from '../../generated/normalized-job.js';

/** `{Type, ID, Fields, Objects, TaskGroups}` with Nomad's field names. */
export type NomadJobDiff = Record<string, unknown>;

export function nomadJobDiff(
  _prior: NormalizedJob | undefined,
  _next: NormalizedJob | undefined,
): NomadJobDiff {
  throw new Error('Nomad job diffs are not built yet');
}

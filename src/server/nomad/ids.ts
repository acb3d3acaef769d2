/**
 * Stable ids for objects drover does not store but Nomad's API has (evaluations): the same
 * inputs give the same UUID-shaped id on every server, so an id returned by a write can be looked
 * up later without being recorded.
 */
import { createHash } from 'node:crypto';

export function stableUuid(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The evaluation that registered (or changed) version `version` of a job. */
export function evaluationId(jobId: string, version: number): string {
  return stableUuid('eval', jobId, version);
}

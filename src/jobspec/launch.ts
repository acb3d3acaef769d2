/**
 * Periodic and parameterized jobs and the children launched from them, as Nomad derives them
 * (`nomad/periodic.go` derivedJob, `nomad/job_endpoint.go` Dispatch and validateDispatchRequest,
 * `nomad/structs` DispatchedID and PeriodicLaunchSuffix). Pure: the clock and the random suffix
 * are parameters.
 */
import type { NormalizedJob as Job } from '../generated/normalized-job.js';

/** Nomad's DispatchPayloadSizeLimit: 16 KiB. */
export const DISPATCH_PAYLOAD_LIMIT = 16 * 1024;

/**
 * A job apply records without starting anything: a periodic job (its schedule launches
 * children) or a parameterized one (`job dispatch` does). Children carry neither block.
 */
export function launchKind(job: Job): 'periodic' | 'parameterized' | undefined {
  return job.periodic ? 'periodic' : job.parameterized ? 'parameterized' : undefined;
}

/** `<parent>/periodic-<unix seconds>` (structs.PeriodicLaunchSuffix). */
export function periodicChildId(parent: string, at: Date): string {
  return `${parent}/periodic-${Math.floor(at.getTime() / 1000)}`;
}

/** `<parent>/dispatch-<unix seconds>-<first 8 hex of a uuid>` (structs.DispatchedID). */
export function dispatchChildId(parent: string, at: Date, uuid: string): string {
  const hex = uuid.replace(/-/g, '').slice(0, 8);
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return `${parent}/dispatch-${Math.floor(at.getTime() / 1000)}-${hex}`;
}

/**
 * The child a launch runs: the parent with the child's id and name, and the dispatch meta merged
 * over the job's meta (NOMAD_META_*). A periodic launch drops the periodic block; a dispatch
 * drops the parameterized one (a dispatched child of a periodic job is periodic itself and runs
 * nothing until its own schedule launches it, as in Nomad).
 */
export function childJob(
  parent: Job,
  id: string,
  kind: 'periodic' | 'dispatch',
  meta: Record<string, string> = {},
): Job {
  const { periodic, parameterized: _d, ...rest } = parent;
  const merged = { ...(parent.meta ?? {}), ...meta };
  return {
    ...rest,
    ...(kind === 'dispatch' && periodic ? { periodic } : {}),
    id,
    name: id,
    ...(Object.keys(merged).length ? { meta: merged } : {}),
  };
}

export interface DispatchRequest {
  meta: Record<string, string>;
  payload: Uint8Array;
}

/** Why Nomad would refuse this dispatch of `parent`, or undefined when it is accepted. */
export function dispatchProblem(parent: Job, req: DispatchRequest): string | undefined {
  const p = parent.parameterized;
  if (!p) return `job "${parent.id}" is not a parameterized job`;
  const has = req.payload.length > 0;
  const mode = p.payload ?? 'optional';
  if (mode === 'required' && !has)
    return 'Payload is not provided but required by parameterized job';
  if (mode === 'forbidden' && has) return 'Payload provided but forbidden by parameterized job';
  if (req.payload.length > DISPATCH_PAYLOAD_LIMIT)
    return `Payload exceeds maximum size; ${req.payload.length} > ${DISPATCH_PAYLOAD_LIMIT}`;
  const required = p.meta_required ?? [];
  const allowed = new Set([...required, ...(p.meta_optional ?? [])]);
  const unpermitted = Object.keys(req.meta).filter((k) => !allowed.has(k));
  if (unpermitted.length)
    return `Dispatch request included unpermitted metadata keys: ${unpermitted.join(', ')} (allowed: ${[...allowed].join(', ') || 'none'})`;
  const missing = required.filter((k) => !(k in req.meta));
  if (missing.length) return `Dispatch did not provide required meta keys: ${missing.join(', ')}`;
  return undefined;
}

/**
 * The state key of a job, pure and at the bottom of the layers so the scheduler and the jobspec
 * rules can use it: the bare id in the `default` namespace (states written before namespaces
 * stay valid), `<namespace>/<id>` in any other. `state/job-key.ts` adds the lookups in a state.
 */
export const DEFAULT_NAMESPACE = 'default';
/** Every namespace, for listings (`-namespace '*'`, `?namespace=*`). */
export const ALL_NAMESPACES = '*';

/** Nomad's namespace names (nomad/structs: validNamespaceName). */
export const NAMESPACE_NAME = /^[a-zA-Z0-9-]{1,128}$/;

export interface JobIdentity {
  namespace: string;
  id: string;
}

/** The state key of job `id` in `namespace`. */
export function jobKey(namespace: string | undefined, id: string): string {
  return !namespace || namespace === DEFAULT_NAMESPACE ? id : `${namespace}/${id}`;
}

/** The state key of a job (decoded, normalized or as Nomad's JSON names it). */
export function keyOfJob(job: { id: string; namespace?: string | undefined }): string {
  return jobKey(job.namespace, job.id);
}

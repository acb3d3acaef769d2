/**
 * How state keys a job: by namespace and id. A job in the `default` namespace keeps its bare id
 * as its key (states written before namespaces stay valid with no migration); a job in any other
 * namespace is keyed `<namespace>/<id>`. Nomad's namespace names have no `/`, so the key splits
 * back unambiguously except for one case, a default-namespace id that itself holds a `/`: plan
 * refuses that collision (see `keyCollision`), and lookups that can read the job's recorded
 * namespace do (`jobIdentity`). Everything that refers to a job from elsewhere in state
 * (allocations, deployments, evaluations, events, launched children …) holds the key; everything
 * shown to people shows the namespace and the id. Pure.
 */
import {
  ALL_NAMESPACES,
  DEFAULT_NAMESPACE,
  NAMESPACE_NAME,
  jobKey,
  type JobIdentity,
} from '../jobspec/job-key.js';
import type { StateSnapshot } from './types.js';

export {
  ALL_NAMESPACES,
  DEFAULT_NAMESPACE,
  NAMESPACE_NAME,
  jobKey,
  keyOfJob,
  type JobIdentity,
} from '../jobspec/job-key.js';

/**
 * The namespace and id a key names, read from the key alone. Prefer `jobIdentity` where the
 * state is at hand: it reads the job's recorded namespace.
 */
export function splitJobKey(key: string): JobIdentity {
  const slash = key.indexOf('/');
  const namespace = slash > 0 ? key.slice(0, slash) : '';
  return NAMESPACE_NAME.test(namespace)
    ? { namespace, id: key.slice(slash + 1) }
    : { namespace: DEFAULT_NAMESPACE, id: key };
}

/** The namespace and id of the job state keys `key`, from its latest recorded version. */
export function jobIdentity(state: Pick<StateSnapshot, 'jobs'>, key: string): JobIdentity {
  const versions = state.jobs[key]?.versions;
  const job = versions?.[versions.length - 1]?.job as
    { id?: unknown; namespace?: unknown } | undefined;
  if (typeof job?.id === 'string')
    return {
      namespace: typeof job.namespace === 'string' && job.namespace ? job.namespace : 'default',
      id: job.id,
    };
  return splitJobKey(key);
}

/** The namespace of the job state keys `key`. */
export function namespaceOfKey(state: Pick<StateSnapshot, 'jobs'>, key: string): string {
  return jobIdentity(state, key).namespace;
}

/** Whether `namespace` (a name, or `*` for every one) selects `actual`. */
export function namespaceSelects(namespace: string, actual: string): boolean {
  return namespace === ALL_NAMESPACES || namespace === actual;
}

/** The keys of the jobs in `namespace` (`*`: every job). */
export function jobKeysIn(state: Pick<StateSnapshot, 'jobs'>, namespace: string): string[] {
  return Object.keys(state.jobs).filter((k) =>
    namespaceSelects(namespace, namespaceOfKey(state, k)),
  );
}

/** The namespaces the state's jobs are in, plus `default`, sorted. */
export function namespacesInUse(state: Pick<StateSnapshot, 'jobs'>): string[] {
  const names = new Set([DEFAULT_NAMESPACE]);
  for (const key of Object.keys(state.jobs)) names.add(namespaceOfKey(state, key));
  return [...names].sort();
}

/** The namespaces that hold a job with this id, sorted (for "it exists in: prod"). */
export function namespacesHolding(state: Pick<StateSnapshot, 'jobs'>, id: string): string[] {
  return Object.keys(state.jobs)
    .map((k) => jobIdentity(state, k))
    .filter((j) => j.id === id)
    .map((j) => j.namespace)
    .sort();
}

/** "no job "web" in namespace "default"; it exists in: prod", or plain "no job …". */
export function missingJobMessage(
  state: Pick<StateSnapshot, 'jobs'>,
  namespace: string,
  id: string,
): string {
  const elsewhere = namespacesHolding(state, id).filter((n) => n !== namespace);
  const base = `no job ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`;
  return elsewhere.length ? `${base}; it exists in: ${elsewhere.join(', ')}` : base;
}

/**
 * The job's name on its hosts (container names, log prefixes): the bare id in `default`,
 * `<namespace>.<id>` elsewhere (Docker names allow `.`, not `/`).
 */
export function hostJobName(identity: JobIdentity): string {
  return identity.namespace === DEFAULT_NAMESPACE
    ? identity.id
    : `${identity.namespace}.${identity.id}`;
}

/** How people are shown a job: `web` in `default`, `prod/web` elsewhere. */
export function displayJob(identity: JobIdentity): string {
  return jobKey(identity.namespace, identity.id);
}

/**
 * The one collision the keys allow: two different (namespace, id) pairs with the same key (a
 * default-namespace id `prod/web` and job `web` in `prod`). Returns the message refusing it, or
 * undefined when `next` may take `key`.
 */
export function keyCollision(
  existing: JobIdentity | undefined,
  next: JobIdentity,
): string | undefined {
  if (!existing || (existing.namespace === next.namespace && existing.id === next.id))
    return undefined;
  const describe = (j: JobIdentity): string =>
    `job ${JSON.stringify(j.id)} in namespace ${JSON.stringify(j.namespace)}`;
  return `${describe(next)} and ${describe(existing)} would share the state key ${JSON.stringify(jobKey(next.namespace, next.id))}: rename one of them (a job id in "default" may not look like "<namespace>/<id>" of a job that exists)`;
}

/** The id of the job keyed `key`, known to be in `namespace` (the key's prefix dropped). */
export function idInNamespace(key: string, namespace: string): string {
  const prefix = `${namespace}/`;
  return namespace !== DEFAULT_NAMESPACE && key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

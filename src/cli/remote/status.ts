/**
 * `drover status [JOB]` through a server: the jobs, their definitions and the allocations from
 * Nomad's read API, mapped to state records and printed by the direct command's view.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { selectedNamespace } from '../namespace.js';
import type { StateSnapshot } from '../../state/types.js';
import { jobKey } from '../../state/job-key.js';
import { query, seg } from './connection.js';
import { allocationOf, emptySnapshot, jobStateOf, type Json } from './snapshot.js';

/** The namespace of a command's `-namespace` flag or DROVER_NAMESPACE, for `?namespace=`. */
export function namespaceOf(cmd: Command): string {
  return selectedNamespace(cmd.optsWithGlobals<{ namespace?: string }>());
}

/** The full Nomad job of `id` (its latest version). */
export function fetchJob(api: ApiClient, id: string, namespace: string): Promise<Json> {
  return api.request<Json>('GET', `/v1/job/${seg(id)}${query({ namespace })}`);
}

/**
 * The state a status view reads: every job of the namespace known by id, with the definitions
 * of `wanted` (all when undefined) and every allocation.
 */
export async function statusSnapshot(
  api: ApiClient,
  namespace: string,
  wanted?: (stub: Json) => boolean,
): Promise<StateSnapshot> {
  const state = emptySnapshot();
  const [stubs, allocs] = await Promise.all([
    api.request<Json[]>('GET', `/v1/jobs${query({ namespace })}`),
    api.request<Json[]>('GET', `/v1/allocations${query({ namespace, resources: true })}`),
  ]);
  for (const stub of stubs)
    state.jobs[keyOf(stub)] = {
      versions: [],
      stopped: stub.Stop === true,
    };
  const full = await Promise.all(
    stubs.filter((s) => !wanted || wanted(s)).map((s) => fetchJob(api, String(s.ID), namespace)),
  );
  for (const job of full) state.jobs[keyOf(job)] = jobStateOf([job]);
  for (const a of allocs) {
    const alloc = allocationOf(a);
    state.allocations[alloc.id] = alloc;
  }
  return state;
}

/** The state key of a Nomad job or job stub. */
function keyOf(job: Json): string {
  return jobKey(typeof job.Namespace === 'string' ? job.Namespace : undefined, String(job.ID));
}

/** What `drover status [JOB]` shows, read through a server. */
export function remoteStatusSnapshot(
  api: ApiClient,
  jobId: string | undefined,
  namespace: string,
): Promise<StateSnapshot> {
  // One job needs its own definition and its children's (their statuses are listed).
  return statusSnapshot(
    api,
    namespace,
    jobId === undefined ? undefined : (s) => s.ID === jobId || s.ParentID === jobId,
  );
}

/**
 * Job, deployment and node changes through a server (Nomad's write routes): stop (and purge),
 * scale, rollback (revert), promote, deployment fail, node eligibility and drain. The server
 * plans and runs each change as the direct command would; here the change is named, approved
 * (as the direct command asks: not for promote and deployment fail) and sent.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printJson, type Output } from '../output.js';
import { UserError } from '../with-session.js';
import type { PlanOptions } from '../desired-jobs.js';
import { approved } from './apply.js';
import { query, remoteTarget, runRemote, seg } from './connection.js';
import { namespaceOf } from './status.js';
import type { Json } from './snapshot.js';

export interface WriteRequest {
  /** What is about to change, for the person approving. */
  what: string;
  method: 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** What happened, from the server's answer. */
  done: (reply: Json) => string;
}

/** Options of the direct commands that mean nothing through a server: refused, not ignored. */
function refuseLocalOptions(opts: PlanOptions): void {
  if (opts.out)
    throw new UserError('-out does not work through a server: the server keeps no plan');
  if (opts.message)
    throw new UserError('-message does not work through a server: the API has no field for it');
}

/** Names the change, asks (unless -auto-approve), sends it and says what the server did. */
export async function remoteWrite(
  api: ApiClient,
  o: Output,
  opts: PlanOptions,
  req: WriteRequest,
): Promise<void> {
  refuseLocalOptions(opts);
  if (!o.json) o.out(req.what);
  if (!(await approved(o, opts))) return;
  const reply = (await api.request<Json>(req.method, req.path, req.body)) ?? {};
  if (o.json) printJson(o, reply);
  else o.out(req.done(reply));
  process.exitCode = 0;
}

export function stopRequest(id: string, purge: boolean, namespace: string): WriteRequest {
  return {
    what: `Stop job "${id}" on the server${purge ? ' and purge it (its history is forgotten)' : ''}.`,
    method: 'DELETE',
    path: `/v1/job/${seg(id)}${query({ namespace, purge: purge || undefined })}`,
    done: () => `Job "${id}" ${purge ? 'stopped and purged' : 'stopped'}.`,
  };
}

export function scaleRequest(
  id: string,
  group: string,
  count: number,
  namespace: string,
): WriteRequest {
  return {
    what: `Scale group "${group}" of job "${id}" to ${count} on the server.`,
    method: 'PUT',
    path: `/v1/job/${seg(id)}/scale${query({ namespace })}`,
    body: { Count: count, Target: { Group: group, Job: id, Namespace: namespace } },
    done: (r) => `Job "${id}" group "${group}" scaled to ${count} (job version ${versionOf(r)}).`,
  };
}

export function revertRequest(id: string, version: number, namespace: string): WriteRequest {
  return {
    what: `Roll job "${id}" back to version ${version} on the server.`,
    method: 'PUT',
    path: `/v1/job/${seg(id)}/revert${query({ namespace })}`,
    body: { JobID: id, JobVersion: version },
    done: (r) => `Job "${id}" rolled back to version ${version} (as version ${versionOf(r)}).`,
  };
}

/** The job version a write left (its JobModifyIndex is the version + 1, see server/nomad/common.ts). */
function versionOf(reply: Json): number {
  return typeof reply.JobModifyIndex === 'number' ? reply.JobModifyIndex - 1 : 0;
}

/** `rollback` without a version: the newest stable version before the current one. */
export async function previousStable(
  api: ApiClient,
  id: string,
  namespace: string,
): Promise<number> {
  const answer = await api.request<{ Versions?: Json[] }>(
    'GET',
    `/v1/job/${seg(id)}/versions${query({ namespace })}`,
  );
  const versions = (answer.Versions ?? []).map((v) => ({
    version: typeof v.Version === 'number' ? v.Version : -1,
    stable: v.Stable === true,
  }));
  const current = Math.max(...versions.map((v) => v.version));
  const stable = versions
    .filter((v) => v.stable && v.version < current)
    .sort((a, b) => b.version - a.version)[0];
  if (!stable)
    throw new UserError(
      `job "${id}" has no stable version before version ${current} to roll back to: name one (drover rollback ${id} VERSION)`,
    );
  return stable.version;
}

/** The id of a job's latest deployment. */
async function latestDeploymentId(api: ApiClient, id: string, namespace: string): Promise<string> {
  const d = await api.request<Json | null>(
    'GET',
    `/v1/job/${seg(id)}/deployment${query({ namespace })}`,
  );
  if (!d || typeof d.ID !== 'string') throw new UserError(`job "${id}" has no deployments`);
  return d.ID;
}

export async function promoteRequest(
  api: ApiClient,
  id: string,
  group: string | undefined,
  namespace: string,
): Promise<WriteRequest> {
  const deployment = await latestDeploymentId(api, id, namespace);
  return {
    what: `Promote the canaries of ${group ? `group "${group}" of ` : ''}job "${id}" (deployment ${deployment.slice(0, 8)}) on the server.`,
    method: 'POST',
    path: `/v1/deployment/promote/${seg(deployment)}${query({ namespace })}`,
    body: { DeploymentID: deployment, All: !group, Groups: group ? [group] : null },
    done: () => `Deployment ${deployment.slice(0, 8)} of job "${id}" promoted.`,
  };
}

export async function failRequest(
  api: ApiClient,
  id: string,
  namespace: string,
): Promise<WriteRequest> {
  const deployment = await latestDeploymentId(api, id, namespace);
  return {
    what: `Fail deployment ${deployment.slice(0, 8)} of job "${id}" on the server.`,
    method: 'POST',
    path: `/v1/deployment/fail/${seg(deployment)}${query({ namespace })}`,
    body: { DeploymentID: deployment },
    done: (r) =>
      `Deployment ${deployment.slice(0, 8)} of job "${id}" failed${
        typeof r.RevertedJobVersion === 'number'
          ? `; rolled back to job version ${r.RevertedJobVersion} (auto_revert)`
          : ''
      }.`,
  };
}

export function dispatchRequest(
  id: string,
  launch: { meta: Record<string, string>; payload: Uint8Array; idempotencyToken?: string },
  namespace: string,
): WriteRequest {
  return {
    what: `Dispatch a child of job "${id}" on the server.`,
    method: 'PUT',
    path: `/v1/job/${seg(id)}/dispatch${query({ namespace })}`,
    body: {
      JobID: id,
      Meta: launch.meta,
      Payload: Buffer.from(launch.payload).toString('base64'),
      ...(launch.idempotencyToken ? { IdempotencyToken: launch.idempotencyToken } : {}),
    },
    done: (r) =>
      `Dispatched Job ID = ${typeof r.DispatchedJobID === 'string' ? r.DispatchedJobID : ''}`,
  };
}

export function periodicForceRequest(id: string, namespace: string): WriteRequest {
  return {
    what: `Launch a child of periodic job "${id}" now, on the server.`,
    method: 'PUT',
    path: `/v1/job/${seg(id)}/periodic/force${query({ namespace })}`,
    // Nomad's answer names the evaluation, not the child: status lists the children.
    done: () => `Launched a child of job "${id}"; drover status ${id} lists it.`,
  };
}

export function eligibilityRequest(node: string, eligible: boolean): WriteRequest {
  const word = eligible ? 'eligible' : 'ineligible';
  return {
    what: `Mark node "${node}" ${word} for new allocations on the server.`,
    method: 'POST',
    path: `/v1/node/${seg(node)}/eligibility`,
    body: { NodeID: node, Eligibility: word },
    done: () => `Node "${node}" is ${word}.`,
  };
}

export function drainRequest(node: string, enable: boolean, ignoreSystem: boolean): WriteRequest {
  return {
    what: enable
      ? `Drain node "${node}" on the server: its allocations move elsewhere${ignoreSystem ? ' (system jobs stay)' : ''}.`
      : `End the drain of node "${node}" on the server: it is eligible again.`,
    method: 'POST',
    path: `/v1/node/${seg(node)}/drain`,
    body: {
      NodeID: node,
      DrainSpec: enable ? { Deadline: 0, IgnoreSystemJobs: ignoreSystem } : null,
      MarkEligible: !enable,
    },
    done: () => (enable ? `Node "${node}" drained.` : `Node "${node}" is no longer draining.`),
  };
}

/**
 * The remote path of a change command: undefined without an address (the command works on the
 * state), else the change built by `build` sent to the server.
 */
export function remoteChange(
  io: (json: boolean) => Output,
  opts: PlanOptions,
  cmd: Command,
  build: (api: ApiClient, namespace: string) => WriteRequest | Promise<WriteRequest>,
): Promise<void> | undefined {
  const target = remoteTarget(cmd);
  if (!target) return undefined;
  const o = io(Boolean(opts.json));
  return runRemote(o, target, async (api) =>
    remoteWrite(api, o, opts, await build(api, namespaceOf(cmd))),
  );
}

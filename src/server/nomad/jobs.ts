/**
 * Jobs as Nomad's read API answers them (api/jobs.go): JobListStub, JobSummary, the scale status
 * and the versions with their diffs. Pure: state in, Nomad JSON out. The full job is
 * `toNomadJob`'s (job-json.ts); this module only supplies its facts.
 */
import { jobIdentity } from '../../state/job-key.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { Allocation, ClientStatus, Deployment, StateSnapshot } from '../../state/types.js';
import {
  createIndexOf,
  modifyIndexOf,
  jobModifyIndex,
  jobStatus,
  durationNs,
  jobVersionFacts,
  nanos,
  type JobView,
} from './common.js';
import { nomadJobDiff } from './diff.js';
import { lookups } from './state-index.js';
import { toNomadJob } from './job-json.js';

type Json = Record<string, unknown>;

/** The allocations of a job, every version (Nomad keeps them until GC). */
export function allocationsOf(state: StateSnapshot, jobId: string): Allocation[] {
  return [...lookups(state).allocationsOf(jobId)].sort((a, b) =>
    a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0,
  );
}

/** The deployments of a job, newest first (by version, then creation), as Nomad lists them. */
export function deploymentsOf(state: StateSnapshot, jobId: string): Deployment[] {
  return [...lookups(state).deploymentsOf(jobId)].sort(
    (a, b) =>
      b.version - a.version ||
      (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0),
  );
}

/** `GET /v1/job/:id/deployment`: the newest deployment of the job. */
export function latestDeployment(state: StateSnapshot, jobId: string): Deployment | undefined {
  return deploymentsOf(state, jobId)[0];
}

const SUMMARY_FIELD: Record<ClientStatus, string> = {
  pending: 'Starting',
  running: 'Running',
  complete: 'Complete',
  failed: 'Failed',
  lost: 'Lost',
};

/** api.JobSummary: allocations of each group counted by client status. */
export function jobSummary(state: StateSnapshot, view: JobView, index: number): Json {
  const summary: Record<string, Record<string, number>> = {};
  const empty = () => ({
    Queued: 0,
    Complete: 0,
    Failed: 0,
    Running: 0,
    Starting: 0,
    Lost: 0,
    Unknown: 0,
  });
  for (const g of view.job.group) summary[g.name] = empty();
  const allocs = allocationsOf(state, view.id);
  for (const a of allocs) {
    const group = (summary[a.group] ??= empty());
    group[SUMMARY_FIELD[a.client_status]]! += 1;
  }
  // Queued: what the latest version wants but has no live allocation for yet.
  // A periodic or parameterized parent runs nothing itself: its children do.
  const launcher = view.job.periodic !== undefined || view.job.parameterized !== undefined;
  const perNode = view.job.type === 'system' || view.job.type === 'sysbatch';
  if (!view.record.stopped && !launcher && !perNode) {
    for (const g of view.job.group) {
      const live = allocs.filter(
        (a) => a.group === g.name && a.desired_status === 'run' && isLive(a.client_status),
      ).length;
      const done = view.job.type === 'batch' ? summary[g.name]!.Complete! : 0;
      summary[g.name]!.Queued = Math.max(0, g.count - live - done);
    }
  }
  return {
    JobID: view.jobId,
    Namespace: view.namespace,
    Summary: summary,
    Children: childrenSummary(state, view.id),
    CreateIndex: createIndexOf(view.record, index),
    // Nomad keeps a summary of its own, changed with the job's allocations.
    ModifyIndex: lookups(state).scopeIndexOf(view.id, index),
  };
}

function isLive(status: ClientStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** api.JobChildrenSummary: the periodic launches and dispatches of a parent job by status. */
function childrenSummary(state: StateSnapshot, parentId: string): Json {
  const counts = { Pending: 0, Running: 0, Dead: 0 };
  for (const child of lookups(state).childrenOf(parentId)) {
    const status = jobStatus(child);
    if (status === 'pending') counts.Pending++;
    else if (status === 'running') counts.Running++;
    else counts.Dead++;
  }
  return counts;
}

/** api.JobListStub; `Meta` only with `meta=true`, as Nomad sends it. */
export function jobListStub(
  state: StateSnapshot,
  view: JobView,
  index: number,
  withMeta: boolean,
): Json {
  const { job, latest } = view;
  return {
    ID: view.jobId,
    ParentID: latest.launch ? jobIdentity(state, latest.launch.parent).id : '',
    Name: job.name,
    Namespace: view.namespace,
    Datacenters: [...job.datacenters],
    Multiregion: null,
    Type: job.type,
    Priority: job.priority,
    Periodic: job.periodic !== undefined,
    ParameterizedJob: job.parameterized !== undefined,
    Stop: view.record.stopped,
    Status: jobStatus(view),
    StatusDescription: '',
    JobSummary: jobSummary(state, view, index),
    CreateIndex: createIndexOf(view.record, index),
    ModifyIndex: modifyIndexOf(view.record, index),
    JobModifyIndex: jobModifyIndex(latest),
    SubmitTime: nanos(latest.submitted_at),
    NodePool: job.node_pool,
    ...(withMeta ? { Meta: { ...(job.meta ?? {}) } } : {}),
  };
}

/** `GET /v1/job/:id` (and each of `/versions`): the full job, shaped by job-json.ts. */
export function fullJob(view: JobView, version: number, index: number): Json | undefined {
  const stored = view.record.versions.find((v) => v.version === version);
  if (!stored) return undefined;
  const job = version === view.latest.version ? view.job : decodeStoredJob(stored);
  return toNomadJob(job, jobVersionFacts(view, stored, index));
}

/** Nomad's QueryMeta, which structs.JobVersionsResponse embeds and so sends in its body. */
export interface QueryMetaFacts {
  index: number;
  lastContactMs: number;
  knownLeader: boolean;
}

/**
 * api.JobVersionsResponse: newest first; `Diffs[i]` goes from version i+1 to version i (null
 * without `diffs=true`); the QueryMeta fields as Nomad's body carries them.
 */
export function jobVersions(view: JobView, meta: QueryMetaFacts, withDiffs: boolean): Json {
  const versions = [...view.record.versions].sort((a, b) => b.version - a.version);
  const jobs = versions.map((v) => decodeStoredJob(v));
  return {
    Versions: versions.map((v) => fullJob(view, v.version, meta.index)),
    Diffs: withDiffs ? jobs.slice(0, -1).map((cur, i) => nomadJobDiff(jobs[i + 1], cur)) : null,
    Index: meta.index,
    LastContact: durationNs(meta.lastContactMs),
    KnownLeader: meta.knownLeader,
    NextToken: '',
  };
}

/** api.JobScaleStatusResponse: each group's desired count and what is placed, running, healthy. */
export function jobScaleStatus(state: StateSnapshot, view: JobView, index: number): Json {
  const allocs = allocationsOf(state, view.id).filter((a) => a.version === view.latest.version);
  const deployment = latestDeployment(state, view.id);
  const groups: Record<string, Json> = {};
  for (const g of view.job.group) {
    const mine = allocs.filter((a) => a.group === g.name && a.desired_status === 'run');
    const dg = deployment?.version === view.latest.version ? deployment.groups[g.name] : undefined;
    groups[g.name] = {
      Desired: g.count,
      Placed: dg?.placed ?? mine.filter((a) => isLive(a.client_status)).length,
      Running: mine.filter((a) => a.client_status === 'running').length,
      Healthy: dg?.healthy ?? mine.filter((a) => a.health?.healthy === true).length,
      Unhealthy: dg?.unhealthy ?? mine.filter((a) => a.health?.healthy === false).length,
      Events: null,
    };
  }
  return {
    JobID: view.jobId,
    Namespace: view.namespace,
    JobCreateIndex: createIndexOf(view.record, index),
    JobModifyIndex: jobModifyIndex(view.latest),
    JobStopped: view.record.stopped,
    TaskGroups: groups,
  };
}

/** api.JobSubmission of a version: the source as submitted; undefined when none was kept. */
export function jobSubmission(view: JobView, version: number): Json | undefined {
  const stored = view.record.versions.find((v) => v.version === version);
  if (!stored || stored.source === '') return undefined;
  return {
    Source: stored.source,
    Format: /\.json$/i.test(stored.filename) ? 'json' : 'hcl2',
    VariableFlags: null,
    Variables: '',
  };
}

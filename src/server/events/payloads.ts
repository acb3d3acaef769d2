/**
 * The objects inside event payloads (`{"Job": …}`, `{"Allocation": …}`, …), in Nomad's field
 * names. Small stand-ins for the full mappers of src/server/nomad/: every payload of the event
 * stream is built here, so switching to those mappers is a change of this one file.
 */
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { ServiceRegistration } from '../../template/context.js';
import type {
  Allocation,
  Deployment,
  JobState,
  NodeState,
  StateEvent,
  TaskState,
} from '../../state/types.js';
import { evaluationId } from '../nomad/ids.js';

/** drover has no namespaces yet: every object is in Nomad's `default`. */
export const NAMESPACE = 'default';

/** Unix nanoseconds of an RFC 3339 time (Nomad's CreateTime, SubmitTime, ModifyTime). */
export function unixNanos(time: string | undefined): number {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isFinite(ms) ? ms * 1e6 : 0;
}

/** The job's current version: the newest one submitted. */
export function currentVersion(job: JobState) {
  return job.versions[job.versions.length - 1];
}

/** Nomad's job status: a stopped job is `dead` whatever its version says. */
export function jobStatus(job: JobState): string {
  return job.stopped ? 'dead' : (currentVersion(job)?.status ?? 'pending');
}

export function nomadJob(id: string, job: JobState, index: number): Record<string, unknown> {
  const version = currentVersion(job);
  const decoded = version ? decodeStoredJob(version) : undefined;
  return {
    ID: id,
    Name: decoded?.name ?? id,
    Namespace: NAMESPACE,
    Region: decoded?.region ?? 'global',
    Type: decoded?.type ?? 'service',
    Priority: decoded?.priority ?? 50,
    Datacenters: decoded?.datacenters ?? [],
    NodePool: decoded?.node_pool ?? 'default',
    ParentID: version?.launch?.parent ?? '',
    Dispatched: version?.launch?.kind === 'dispatch',
    Stop: job.stopped,
    Status: jobStatus(job),
    StatusDescription: '',
    Stable: version?.stable ?? false,
    Version: version?.version ?? 0,
    SubmitTime: unixNanos(version?.submitted_at),
    Meta: decoded?.meta ?? {},
    TaskGroups: (decoded?.group ?? []).map((g) => ({ Name: g.name, Count: g.count })),
    CreateIndex: index,
    ModifyIndex: index,
    JobModifyIndex: index,
  };
}

export function nomadAllocation(
  alloc: Allocation,
  nodeName: string | undefined,
  index: number,
): Record<string, unknown> {
  return {
    ID: alloc.id,
    Namespace: NAMESPACE,
    EvalID: evaluationId(alloc.job, alloc.version),
    Name: alloc.name,
    NodeID: alloc.node,
    NodeName: nodeName ?? alloc.node,
    JobID: alloc.job,
    JobVersion: alloc.version,
    TaskGroup: alloc.group,
    DesiredStatus: alloc.desired_status,
    DesiredDescription: '',
    ClientStatus: alloc.client_status,
    ClientDescription: alloc.client_description ?? '',
    TaskStates: Object.fromEntries(
      Object.entries(alloc.task_states).map(([name, t]) => [name, nomadTaskState(t)]),
    ),
    DeploymentID: alloc.deployment_id ?? '',
    DeploymentStatus: alloc.health
      ? {
          Healthy: alloc.health.healthy,
          Timestamp: alloc.health.timestamp,
          Canary: alloc.canary ?? false,
        }
      : null,
    PreviousAllocation: alloc.previous_allocation ?? '',
    NextAllocation: alloc.next_allocation ?? '',
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: unixNanos(alloc.created_at),
    ModifyTime: unixNanos(alloc.modified_at),
  };
}

function nomadTaskState(t: TaskState): Record<string, unknown> {
  return {
    State: t.state,
    Failed: t.failed,
    Restarts: t.restarts,
    StartedAt: t.started_at ?? null,
    FinishedAt: t.finished_at ?? null,
    Events: [],
  };
}

export function nomadDeployment(d: Deployment, index: number): Record<string, unknown> {
  return {
    ID: d.id,
    Namespace: NAMESPACE,
    JobID: d.job,
    JobVersion: d.version,
    Status: d.status,
    StatusDescription: d.status_description,
    TaskGroups: Object.fromEntries(
      Object.entries(d.groups).map(([name, g]) => [
        name,
        {
          AutoRevert: g.auto_revert,
          AutoPromote: false,
          ProgressDeadline: 0,
          RequireProgressBy: g.progress_deadline ?? null,
          Promoted: g.promoted,
          PlacedCanaries: g.placed_canaries,
          DesiredCanaries: g.desired_canaries,
          DesiredTotal: g.desired_total,
          PlacedAllocs: g.placed,
          HealthyAllocs: g.healthy,
          UnhealthyAllocs: g.unhealthy,
        },
      ]),
    ),
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: unixNanos(d.created_at),
    ModifyTime: unixNanos(d.modified_at ?? d.created_at),
  };
}

/** The evaluation that registered a job version (drover evaluates synchronously: complete). */
export function nomadEvaluation(
  jobId: string,
  job: JobState,
  index: number,
): Record<string, unknown> {
  const version = currentVersion(job);
  return {
    ID: evaluationId(jobId, version?.version ?? 0),
    Namespace: NAMESPACE,
    Priority: 50,
    Type: 'service',
    TriggeredBy: job.stopped ? 'job-deregister' : 'job-register',
    JobID: jobId,
    JobModifyIndex: index,
    Status: 'complete',
    StatusDescription: '',
    CreateIndex: index,
    ModifyIndex: index,
  };
}

export function nomadNode(node: NodeState, index: number): Record<string, unknown> {
  return {
    ID: node.name,
    Name: node.name,
    Datacenter: node.inventory.datacenter ?? 'dc1',
    NodeClass: node.inventory.class ?? '',
    NodePool: 'default',
    HTTPAddr: '',
    Status: node.fingerprint ? 'ready' : 'initializing',
    SchedulingEligibility: node.eligibility,
    Drain: node.drain ?? false,
    Attributes: node.fingerprint?.attributes ?? {},
    Meta: node.inventory.meta ?? {},
    CreateIndex: index,
    ModifyIndex: index,
  };
}

export function nomadService(reg: ServiceRegistration, index: number): Record<string, unknown> {
  return { ...reg, CreateIndex: index, ModifyIndex: index };
}

/** One entry of the state's own event log (who did what), for the `Drover` topic. */
export function droverEvent(e: StateEvent): Record<string, unknown> {
  return {
    Seq: e.seq,
    Time: e.time,
    Who: e.who,
    What: e.what,
    JobID: e.job ?? '',
    AllocID: e.alloc ?? '',
    Detail: e.detail,
  };
}

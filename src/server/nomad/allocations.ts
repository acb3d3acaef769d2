/**
 * Allocations as Nomad's read API answers them (api/allocations.go, api/tasks.go): the full
 * Allocation and the AllocationListStub, with task states and their events, the deployment
 * status, the reschedule tracker and the resources the allocation was given. Pure.
 *
 * drover records no task event log, only each task's state: the events are the ones that state
 * implies (received, started, terminated), timed as recorded.
 */
import { jobIdentity, namespaceOfKey } from '../../state/job-key.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { NormalizedGroup, NormalizedJob } from '../../generated/normalized-job.js';
import type { Allocation, StateSnapshot, TaskState } from '../../state/types.js';
import {
  ZERO_TIME,
  allocModifyIndexOf,
  createIndexOf,
  goTime,
  jobVersionFacts,
  modifyIndexOf,
  nanos,
} from './common.js';
import { evaluationId } from './ids.js';
import { toNomadJob } from './job-json.js';
import { lookups } from './state-index.js';

type Json = Record<string, unknown>;

/** The job version an allocation runs, decoded; undefined when its job was purged. */
function allocJob(state: StateSnapshot, alloc: Allocation): NormalizedJob | undefined {
  const stored = state.jobs[alloc.job]?.versions.find((v) => v.version === alloc.version);
  return stored ? decodeStoredJob(stored) : undefined;
}

function allocGroup(
  job: NormalizedJob | undefined,
  alloc: Allocation,
): NormalizedGroup | undefined {
  return job?.group.find((g) => g.name === alloc.group);
}

/** api.AllocationListStub; `TaskStates` is null with `task_states=false`. */
export function allocListStub(
  state: StateSnapshot,
  alloc: Allocation,
  index: number,
  withTaskStates = true,
): Json {
  const job = allocJob(state, alloc);
  return {
    ID: alloc.id,
    EvalID: evaluationId(alloc.job, alloc.version),
    Name: alloc.name,
    Namespace: namespaceOfKey(state, alloc.job),
    NodeID: alloc.node,
    NodeName: alloc.node,
    JobID: jobIdentity(state, alloc.job).id,
    JobType: job?.type ?? '',
    JobVersion: alloc.version,
    TaskGroup: alloc.group,
    AllocatedResources: allocatedResources(allocGroup(job, alloc), alloc),
    DesiredStatus: alloc.desired_status,
    DesiredDescription: desiredDescription(alloc),
    ClientStatus: alloc.client_status,
    ClientDescription: alloc.client_description ?? '',
    TaskStates: withTaskStates ? taskStates(alloc) : null,
    DeploymentStatus: deploymentStatus(alloc, index),
    FollowupEvalID: '',
    RescheduleTracker: rescheduleTracker(alloc),
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    CreateIndex: createIndexOf(alloc, index),
    ModifyIndex: modifyIndexOf(alloc, index),
    CreateTime: nanos(alloc.created_at),
    ModifyTime: nanos(alloc.modified_at),
  };
}

/** api.Allocation, with the job version it runs (shaped by job-json.ts). */
export function fullAllocation(state: StateSnapshot, alloc: Allocation, index: number): Json {
  const job = allocJob(state, alloc);
  const group = allocGroup(job, alloc);
  const known = lookups(state);
  const view = known.viewOf(alloc.job);
  const stored = view?.record.versions.find((v) => v.version === alloc.version);
  // Every allocation of a job version embeds the same job: built once per snapshot and index.
  const nomadJob =
    job && view && stored
      ? known.memo(`nomad-job:${alloc.job}@${alloc.version}:${index}`, () =>
          toNomadJob(job, jobVersionFacts(view, stored, index)),
        )
      : null;
  return {
    ID: alloc.id,
    Namespace: namespaceOfKey(state, alloc.job),
    EvalID: evaluationId(alloc.job, alloc.version),
    Name: alloc.name,
    NodeID: alloc.node,
    NodeName: alloc.node,
    JobID: jobIdentity(state, alloc.job).id,
    Job: nomadJob,
    TaskGroup: alloc.group,
    Resources: totalResources(group, alloc),
    TaskResources: taskResources(group),
    AllocatedResources: allocatedResources(group, alloc),
    Services: null,
    Metrics: allocationMetric(),
    DesiredStatus: alloc.desired_status,
    DesiredDescription: desiredDescription(alloc),
    DesiredTransition: { Migrate: null, Reschedule: null },
    ClientStatus: alloc.client_status,
    ClientDescription: alloc.client_description ?? '',
    TaskStates: taskStates(alloc),
    DeploymentID: alloc.deployment_id ?? '',
    DeploymentStatus: deploymentStatus(alloc, index),
    FollowupEvalID: '',
    PreviousAllocation: alloc.previous_allocation ?? '',
    NextAllocation: alloc.next_allocation ?? '',
    RescheduleTracker: rescheduleTracker(alloc),
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    CreateIndex: createIndexOf(alloc, index),
    ModifyIndex: modifyIndexOf(alloc, index),
    AllocModifyIndex: allocModifyIndexOf(alloc, index),
    CreateTime: nanos(alloc.created_at),
    ModifyTime: nanos(alloc.modified_at),
  };
}

function desiredDescription(alloc: Allocation): string {
  if (alloc.desired_status === 'run') return '';
  return alloc.next_allocation ? 'alloc was rescheduled because it failed' : 'alloc not needed';
}

function deploymentStatus(alloc: Allocation, index: number): Json | null {
  if (!alloc.deployment_id && !alloc.health && !alloc.canary) return null;
  return {
    Healthy: alloc.health ? alloc.health.healthy : null,
    Timestamp: goTime(alloc.health?.timestamp),
    Canary: alloc.canary ?? false,
    ModifyIndex: modifyIndexOf(alloc, index),
  };
}

function rescheduleTracker(alloc: Allocation): Json | null {
  const events = alloc.reschedule_tracker?.events ?? [];
  if (events.length === 0) return null;
  return {
    Events: events.map((e) => ({
      RescheduleTime: nanos(e.time),
      PrevAllocID: e.prev_alloc,
      PrevNodeID: e.prev_node,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Task states

function taskStates(alloc: Allocation): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const name of Object.keys(alloc.task_states).sort())
    out[name] = taskState(alloc, alloc.task_states[name]!);
  return out;
}

function taskState(alloc: Allocation, ts: TaskState): Json {
  return {
    State: ts.state,
    Failed: ts.failed,
    Restarts: ts.restarts,
    LastRestart: ZERO_TIME,
    StartedAt: goTime(ts.started_at),
    FinishedAt: goTime(ts.finished_at),
    Events: taskEvents(alloc, ts),
  };
}

function taskEvents(alloc: Allocation, ts: TaskState): Json[] {
  const events = [taskEvent('Received', alloc.created_at, 'Task received by client')];
  if (ts.started_at) events.push(taskEvent('Started', ts.started_at, 'Task started by client'));
  if (ts.finished_at) {
    const exit = ts.exit_code ?? 0;
    const message = ts.message ? `Exit Code: ${exit}, ${ts.message}` : `Exit Code: ${exit}`;
    events.push({
      ...taskEvent('Terminated', ts.finished_at, message),
      ExitCode: exit,
      FailsTask: ts.failed,
      Details: { exit_code: String(exit), ...(ts.message ? { message: ts.message } : {}) },
    });
  }
  return events;
}

/** api.TaskEvent with Go's zero values in the fields drover has nothing for. */
function taskEvent(type: string, at: string, displayMessage: string): Json {
  return {
    Type: type,
    Time: nanos(at),
    DisplayMessage: displayMessage,
    Details: {},
    Message: '',
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    DriverMessage: '',
    ExitCode: 0,
    Signal: 0,
    KillReason: '',
    KillTimeout: 0,
    KillError: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    GenericSource: '',
  };
}

// ---------------------------------------------------------------------------------------------
// Resources

/** The allocation's ports as Nomad's NetworkResource (one, on the node's address). */
function networks(group: NormalizedGroup | undefined, alloc: Allocation): Json[] | null {
  if (alloc.ports.length === 0) return null;
  // Static ports are Nomad's ReservedPorts; the others were picked from the dynamic range.
  const reserved = new Set(
    (group?.network ?? []).flatMap((n) => [
      ...(n.port ?? []).filter((p) => p.static !== undefined).map((p) => p.label),
      ...(n.reserved_ports ?? []).map((p) => p.label),
    ]),
  );
  const port = (p: Allocation['ports'][number]) => ({
    Label: p.label,
    Value: p.value,
    To: p.to ?? 0,
    HostNetwork: 'default',
  });
  const isReserved = (p: Allocation['ports'][number]) => reserved.has(p.label);
  const toList = (ps: Allocation['ports']) => (ps.length === 0 ? null : ps.map(port));
  return [
    {
      Mode: group?.network?.[0]?.mode ?? 'host',
      Device: '',
      CIDR: '',
      IP: alloc.ports[0]!.host_ip,
      MBits: 0,
      DNS: null,
      ReservedPorts: toList(alloc.ports.filter(isReserved)),
      DynamicPorts: toList(alloc.ports.filter((p) => !isReserved(p))),
    },
  ];
}

/** api.AllocatedResources: each task's CPU and memory, the group's disk and ports. */
function allocatedResources(group: NormalizedGroup | undefined, alloc: Allocation): Json {
  const tasks: Record<string, Json> = {};
  for (const t of group?.task ?? [])
    tasks[t.name] = {
      Cpu: { CpuShares: t.resources.cpu, ReservedCores: null },
      Memory: { MemoryMB: t.resources.memory, MemoryMaxMB: t.resources.memory_max ?? 0 },
      Networks: null,
      Devices: null,
    };
  return {
    Tasks: tasks,
    Shared: {
      DiskMB: group?.ephemeral_disk.size ?? 0,
      Networks: networks(group, alloc),
      Ports: alloc.ports.map((p) => ({
        Label: p.label,
        Value: p.value,
        To: p.to ?? 0,
        HostIP: p.host_ip,
      })),
    },
  };
}

/** api.Resources of one task (the pre-0.9 shape the CLI still reads). */
function resources(cpu: number, memory: number, disk: number, nets: Json[] | null): Json {
  return { CPU: cpu, Cores: 0, MemoryMB: memory, MemoryMaxMB: 0, DiskMB: disk, Networks: nets };
}

function taskResources(group: NormalizedGroup | undefined): Json {
  const out: Record<string, Json> = {};
  for (const t of group?.task ?? [])
    out[t.name] = resources(t.resources.cpu, t.resources.memory, 0, null);
  return out;
}

function totalResources(group: NormalizedGroup | undefined, alloc: Allocation): Json {
  const tasks = group?.task ?? [];
  return resources(
    tasks.reduce((sum, t) => sum + t.resources.cpu, 0),
    tasks.reduce((sum, t) => sum + t.resources.memory, 0),
    group?.ephemeral_disk.size ?? 0,
    networks(group, alloc),
  );
}

/** api.AllocationMetric: drover's scheduler keeps no per-placement metrics. */
function allocationMetric(): Json {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesAvailable: null,
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    Scores: null,
    AllocationTime: 0,
    CoalescedFailures: 0,
    ScoreMetaData: null,
  };
}

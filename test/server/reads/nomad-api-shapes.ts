/**
 * The JSON field names and types of Nomad's own `api` structs (hashicorp/nomad, package `api`),
 * as encoding/json writes them: every field present (no `omitempty` unless marked optional),
 * nil slices, maps and pointers as `null`, time.Time as an RFC 3339 string, time.Duration and
 * integer indexes/times as numbers.
 *
 * Read with the search tools:
 *   api/allocations.go  @ 0372b82cb9438f81c6e4fde69f122a82a16692aa  (Allocation, AllocationListStub,
 *                          AllocDeploymentStatus, AllocatedResources…, AllocationMetric,
 *                          RescheduleTracker/Event, DesiredTransition)
 *   api/evaluations.go  @ 880ba14a96e8f2d0ab0583f5a6d08e98ac8998a0  (Evaluation)
 *   api/services.go     @ b961d841630ee372805367d371715a8ddfd2cfb3  (ServiceRegistration,
 *                          ServiceRegistrationListStub, ServiceRegistrationStub)
 *   api/jobs.go         @ 880ba14a96e8f2d0ab0583f5a6d08e98ac8998a0  (located; JobListStub checked
 *                          against hashicorp/nomad-openapi's JobListStub model)
 *   api/nodes.go        @ c7c10e88e434d283350a9ffb8c1d0740ae77b290  (located; Node checked against
 *                          the Nomad.OAS Node model and website/source/api/nodes.html.md)
 *   api/deployments.go  @ 880ba14a96e8f2d0ab0583f5a6d08e98ac8998a0  (located)
 * Fields marked `later` are in the structs of Nomad releases newer than the commit read for that
 * file (1.1–1.7: NodePool, AllocatedResources on stubs, MemoryMaxMB, ReservedCores, Shared.Ports,
 * Namespace/CreateTime on evaluations…) and are written from those releases' api package; the
 * TaskState/TaskEvent shapes are api/tasks.go's (not one of the files above).
 */

/** A JSON type: scalar, a struct by name, or a list / map / pointer of one. */
export type Shape =
  | 'string'
  | 'int'
  | 'number'
  | 'bool'
  | 'time'
  | 'any'
  | { struct: string }
  | { list: Shape }
  | { map: Shape }
  | { ptr: Shape };

export interface Field {
  type: Shape;
  /** `omitempty` (or only sent with a query flag): may be absent. */
  optional?: boolean;
  /** From a Nomad release newer than the commit read (see above). */
  later?: boolean;
}

const s = 'string' as const;
const i = 'int' as const;
const b = 'bool' as const;
const t = 'time' as const;
const list = (type: Shape): Shape => ({ list: type });
const map = (type: Shape): Shape => ({ map: type });
const ptr = (type: Shape): Shape => ({ ptr: type });
const st = (name: string): Shape => ({ struct: name });

type Struct = Record<string, Field | Shape>;

export const NOMAD_API: Record<string, Struct> = {
  // api/jobs.go
  JobListStub: {
    ID: s,
    ParentID: s,
    Name: s,
    Namespace: s,
    Datacenters: list(s),
    Multiregion: { type: ptr('any'), later: true },
    Type: s,
    Priority: i,
    Periodic: b,
    ParameterizedJob: b,
    Stop: b,
    Status: s,
    StatusDescription: s,
    JobSummary: ptr(st('JobSummary')),
    CreateIndex: i,
    ModifyIndex: i,
    JobModifyIndex: i,
    SubmitTime: i,
    NodePool: { type: s, later: true },
    Meta: { type: map(s), optional: true, later: true },
  },
  JobSummary: {
    JobID: s,
    Namespace: s,
    Summary: map(st('TaskGroupSummary')),
    Children: ptr(st('JobChildrenSummary')),
    CreateIndex: i,
    ModifyIndex: i,
  },
  TaskGroupSummary: {
    Queued: i,
    Complete: i,
    Failed: i,
    Running: i,
    Starting: i,
    Lost: i,
    Unknown: { type: i, later: true },
  },
  JobChildrenSummary: { Pending: i, Running: i, Dead: i },
  JobScaleStatusResponse: {
    JobID: s,
    Namespace: s,
    JobCreateIndex: i,
    JobModifyIndex: i,
    JobStopped: b,
    TaskGroups: map(st('TaskGroupScaleStatus')),
  },
  TaskGroupScaleStatus: {
    Desired: i,
    Placed: i,
    Running: i,
    Healthy: i,
    Unhealthy: i,
    Events: list('any'),
  },
  JobVersionsResponse: {
    // The full api.Job is job-json.ts's (the write side's); here only that it is an object.
    Versions: list('any'),
    Diffs: list(st('JobDiff')),
    // QueryMeta, embedded in structs.JobVersionsResponse and sent by the endpoint.
    Index: i,
    LastContact: i,
    KnownLeader: b,
    NextToken: s,
  },
  JobDiff: {
    Type: s,
    ID: s,
    Fields: list(st('FieldDiff')),
    Objects: list(st('ObjectDiff')),
    TaskGroups: list(st('TaskGroupDiff')),
  },
  FieldDiff: { Type: s, Name: s, Old: s, New: s, Annotations: list(s) },
  ObjectDiff: { Type: s, Name: s, Fields: list(st('FieldDiff')), Objects: list(st('ObjectDiff')) },
  TaskGroupDiff: {
    Type: s,
    Name: s,
    Fields: list(st('FieldDiff')),
    Objects: list(st('ObjectDiff')),
    Tasks: list(st('TaskDiff')),
    Updates: map(i),
  },
  TaskDiff: {
    Type: s,
    Name: s,
    Fields: list(st('FieldDiff')),
    Objects: list(st('ObjectDiff')),
    Annotations: list(s),
  },
  JobSubmission: { Source: s, Format: s, VariableFlags: map(s), Variables: s },

  // api/allocations.go
  Allocation: {
    ID: s,
    Namespace: s,
    EvalID: s,
    Name: s,
    NodeID: s,
    NodeName: s,
    JobID: s,
    Job: ptr('any'),
    TaskGroup: s,
    Resources: ptr(st('Resources')),
    TaskResources: map(st('Resources')),
    AllocatedResources: ptr(st('AllocatedResources')),
    Services: map(s),
    Metrics: ptr(st('AllocationMetric')),
    DesiredStatus: s,
    DesiredDescription: s,
    DesiredTransition: st('DesiredTransition'),
    ClientStatus: s,
    ClientDescription: s,
    TaskStates: map(st('TaskState')),
    DeploymentID: s,
    DeploymentStatus: ptr(st('AllocDeploymentStatus')),
    FollowupEvalID: s,
    PreviousAllocation: s,
    NextAllocation: s,
    RescheduleTracker: ptr(st('RescheduleTracker')),
    PreemptedAllocations: list(s),
    PreemptedByAllocation: s,
    CreateIndex: i,
    ModifyIndex: i,
    AllocModifyIndex: i,
    CreateTime: i,
    ModifyTime: i,
  },
  AllocationListStub: {
    ID: s,
    EvalID: s,
    Name: s,
    Namespace: s,
    NodeID: s,
    NodeName: s,
    JobID: s,
    JobType: s,
    JobVersion: i,
    TaskGroup: s,
    AllocatedResources: { type: ptr(st('AllocatedResources')), optional: true, later: true },
    DesiredStatus: s,
    DesiredDescription: s,
    ClientStatus: s,
    ClientDescription: s,
    TaskStates: map(st('TaskState')),
    DeploymentStatus: ptr(st('AllocDeploymentStatus')),
    FollowupEvalID: s,
    RescheduleTracker: ptr(st('RescheduleTracker')),
    PreemptedAllocations: list(s),
    PreemptedByAllocation: s,
    CreateIndex: i,
    ModifyIndex: i,
    CreateTime: i,
    ModifyTime: i,
  },
  AllocDeploymentStatus: { Healthy: ptr(b), Timestamp: t, Canary: b, ModifyIndex: i },
  AllocatedResources: {
    Tasks: map(st('AllocatedTaskResources')),
    Shared: st('AllocatedSharedResources'),
  },
  AllocatedTaskResources: {
    Cpu: st('AllocatedCpuResources'),
    Memory: st('AllocatedMemoryResources'),
    Networks: list(st('NetworkResource')),
    Devices: { type: list('any'), later: true },
  },
  AllocatedSharedResources: {
    DiskMB: i,
    Networks: { type: list(st('NetworkResource')), later: true },
    Ports: { type: list(st('PortMapping')), later: true },
  },
  AllocatedCpuResources: { CpuShares: i, ReservedCores: { type: list(i), later: true } },
  AllocatedMemoryResources: { MemoryMB: i, MemoryMaxMB: { type: i, later: true } },
  PortMapping: { Label: s, Value: i, To: i, HostIP: s },
  AllocationMetric: {
    NodesEvaluated: i,
    NodesFiltered: i,
    NodesAvailable: map(i),
    ClassFiltered: map(i),
    ConstraintFiltered: map(i),
    NodesExhausted: i,
    ClassExhausted: map(i),
    DimensionExhausted: map(i),
    QuotaExhausted: list(s),
    Scores: map('number'),
    AllocationTime: i,
    CoalescedFailures: i,
    ScoreMetaData: list('any'),
  },
  RescheduleTracker: { Events: list(st('RescheduleEvent')) },
  RescheduleEvent: { RescheduleTime: i, PrevAllocID: s, PrevNodeID: s },
  DesiredTransition: { Migrate: ptr(b), Reschedule: ptr(b) },

  // api/resources.go (referenced by Allocation and Node)
  Resources: {
    CPU: ptr(i),
    Cores: { type: ptr(i), later: true },
    MemoryMB: ptr(i),
    MemoryMaxMB: { type: ptr(i), later: true },
    DiskMB: ptr(i),
    Networks: list(st('NetworkResource')),
  },
  NetworkResource: {
    Mode: s,
    Device: s,
    CIDR: s,
    IP: s,
    DNS: ptr('any'),
    ReservedPorts: list(st('Port')),
    DynamicPorts: list(st('Port')),
    MBits: ptr(i),
  },
  Port: { Label: s, Value: i, To: i, HostNetwork: s },

  // api/tasks.go
  TaskState: {
    State: s,
    Failed: b,
    Restarts: i,
    LastRestart: t,
    StartedAt: t,
    FinishedAt: t,
    Events: list(st('TaskEvent')),
  },
  TaskEvent: {
    Type: s,
    Time: i,
    DisplayMessage: s,
    Details: map(s),
    Message: s,
    FailsTask: b,
    RestartReason: s,
    SetupError: s,
    DriverError: s,
    DriverMessage: s,
    ExitCode: i,
    Signal: i,
    KillReason: s,
    KillTimeout: i,
    KillError: s,
    StartDelay: i,
    DownloadError: s,
    ValidationError: s,
    DiskLimit: i,
    FailedSibling: s,
    VaultError: s,
    TaskSignalReason: s,
    TaskSignal: s,
    GenericSource: s,
  },

  // api/nodes.go
  Node: {
    ID: s,
    Datacenter: s,
    Name: s,
    HTTPAddr: s,
    TLSEnabled: b,
    Attributes: map(s),
    Resources: ptr(st('Resources')),
    Reserved: ptr(st('Resources')),
    NodeResources: ptr(st('NodeResources')),
    ReservedResources: ptr(st('NodeReservedResources')),
    Links: map(s),
    Meta: map(s),
    NodeClass: s,
    NodePool: { type: s, later: true },
    CgroupParent: s,
    Drain: b,
    DrainStrategy: ptr(st('DrainStrategy')),
    SchedulingEligibility: s,
    Status: s,
    StatusDescription: s,
    StatusUpdatedAt: i,
    Events: list('any'),
    Drivers: map(st('DriverInfo')),
    HostVolumes: map('any'),
    HostNetworks: map('any'),
    CSIControllerPlugins: map('any'),
    CSINodePlugins: map('any'),
    LastDrain: ptr('any'),
    CreateIndex: i,
    ModifyIndex: i,
  },
  NodeListStub: {
    Address: s,
    ID: s,
    Attributes: { type: map(s), optional: true },
    Datacenter: s,
    Name: s,
    NodeClass: s,
    NodePool: { type: s, later: true },
    Version: s,
    Drain: b,
    SchedulingEligibility: s,
    Status: s,
    StatusDescription: s,
    Drivers: map(st('DriverInfo')),
    NodeResources: { type: ptr(st('NodeResources')), optional: true },
    ReservedResources: { type: ptr(st('NodeReservedResources')), optional: true },
    LastDrain: ptr('any'),
    CreateIndex: i,
    ModifyIndex: i,
  },
  DriverInfo: { Attributes: map(s), Detected: b, Healthy: b, HealthDescription: s, UpdateTime: t },
  NodeResources: {
    Cpu: st('NodeCpuResources'),
    Memory: st('NodeMemoryResources'),
    Disk: st('NodeDiskResources'),
    Networks: list(st('NetworkResource')),
    Devices: list('any'),
    NodeNetworks: list('any'),
    MinDynamicPort: i,
    MaxDynamicPort: i,
  },
  NodeCpuResources: { CpuShares: i, TotalCpuCores: i, ReservableCpuCores: list(i) },
  NodeMemoryResources: { MemoryMB: i },
  NodeDiskResources: { DiskMB: i },
  NodeReservedResources: {
    Cpu: st('NodeReservedCpuResources'),
    Memory: st('NodeReservedMemoryResources'),
    Disk: st('NodeReservedDiskResources'),
    Networks: st('NodeReservedNetworkResources'),
  },
  NodeReservedCpuResources: { CpuShares: i },
  NodeReservedMemoryResources: { MemoryMB: i },
  NodeReservedDiskResources: { DiskMB: i },
  NodeReservedNetworkResources: { ReservedHostPorts: s },
  DrainStrategy: { DrainSpec: st('DrainSpec'), ForceDeadline: t, StartedAt: t },
  DrainSpec: { Deadline: i, IgnoreSystemJobs: b },

  // api/deployments.go
  Deployment: {
    ID: s,
    Namespace: s,
    JobID: s,
    JobVersion: i,
    JobModifyIndex: i,
    JobSpecModifyIndex: i,
    JobCreateIndex: i,
    IsMultiregion: b,
    TaskGroups: map(st('DeploymentState')),
    Status: s,
    StatusDescription: s,
    EvalPriority: { type: i, later: true },
    CreateIndex: i,
    ModifyIndex: i,
    CreateTime: { type: i, later: true },
    ModifyTime: { type: i, later: true },
  },
  DeploymentState: {
    PlacedCanaries: list(s),
    AutoRevert: b,
    AutoPromote: b,
    ProgressDeadline: i,
    RequireProgressBy: t,
    Promoted: b,
    DesiredCanaries: i,
    DesiredTotal: i,
    PlacedAllocs: i,
    HealthyAllocs: i,
    UnhealthyAllocs: i,
  },

  // api/evaluations.go
  Evaluation: {
    ID: s,
    Priority: i,
    Type: s,
    TriggeredBy: s,
    Namespace: { type: s, later: true },
    JobID: s,
    JobModifyIndex: i,
    NodeID: s,
    NodeModifyIndex: i,
    DeploymentID: s,
    Status: s,
    StatusDescription: s,
    Wait: i,
    WaitUntil: { type: t, later: true },
    NextEval: s,
    PreviousEval: s,
    BlockedEval: s,
    RelatedEvals: { type: list('any'), later: true },
    FailedTGAllocs: map(st('AllocationMetric')),
    ClassEligibility: map(b),
    EscapedComputedClass: b,
    QuotaLimitReached: { type: s, later: true },
    AnnotatePlan: b,
    QueuedAllocations: map(i),
    SnapshotIndex: i,
    CreateIndex: i,
    ModifyIndex: i,
    CreateTime: { type: i, later: true },
    ModifyTime: { type: i, later: true },
  },

  // api/services.go
  ServiceRegistration: {
    ID: s,
    ServiceName: s,
    Namespace: s,
    NodeID: s,
    Datacenter: s,
    JobID: s,
    AllocID: s,
    Tags: list(s),
    Address: s,
    Port: i,
    CreateIndex: i,
    ModifyIndex: i,
  },
  ServiceRegistrationListStub: { Namespace: s, Services: list(st('ServiceRegistrationStub')) },
  ServiceRegistrationStub: { ServiceName: s, Tags: list(s) },
};

function fieldOf(f: Field | Shape): Field {
  return typeof f === 'object' && 'type' in f ? f : { type: f };
}

/**
 * Every way `value` differs from struct `name`: a missing field, an extra one, a wrong JSON
 * type, recursively. Empty when it matches.
 */
export function shapeErrors(value: unknown, name: string, path = name): string[] {
  const struct = NOMAD_API[name];
  if (!struct) return [`${path}: no struct ${name} in the fixture`];
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [`${path}: expected a ${name} object, got ${JSON.stringify(value)}`];
  const obj = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(obj))
    if (!(key in struct)) errors.push(`${path}.${key}: not a field of ${name}`);
  for (const [key, raw] of Object.entries(struct)) {
    const field = fieldOf(raw);
    if (!(key in obj)) {
      if (!field.optional) errors.push(`${path}.${key}: missing`);
      continue;
    }
    errors.push(...typeErrors(obj[key], field.type, `${path}.${key}`));
  }
  return errors;
}

function typeErrors(value: unknown, shape: Shape, path: string): string[] {
  if (typeof shape === 'string') {
    const ok =
      shape === 'any'
        ? value !== undefined
        : shape === 'string'
          ? typeof value === 'string'
          : shape === 'int'
            ? Number.isInteger(value)
            : shape === 'number'
              ? typeof value === 'number'
              : shape === 'bool'
                ? typeof value === 'boolean'
                : typeof value === 'string' && !Number.isNaN(Date.parse(value));
    return ok ? [] : [`${path}: expected ${shape}, got ${JSON.stringify(value)}`];
  }
  if ('struct' in shape) return shapeErrors(value, shape.struct, path);
  // Go encodes nil slices, maps and pointers as null.
  if (value === null) return [];
  if ('ptr' in shape) return typeErrors(value, shape.ptr, path);
  if ('list' in shape) {
    if (!Array.isArray(value)) return [`${path}: expected a list, got ${JSON.stringify(value)}`];
    return value.flatMap((v, n) => typeErrors(v, shape.list, `${path}[${n}]`));
  }
  if (typeof value !== 'object' || Array.isArray(value))
    return [`${path}: expected a map, got ${JSON.stringify(value)}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    typeErrors(v, shape.map, `${path}[${k}]`),
  );
}

/**
 * Nomad's API JSON (as `drover server` answers it, src/server/nomad/) mapped back to drover's
 * state records, so a command through a server prints with the very views a command on the
 * state uses. Only what the views read is filled; what the API does not carry (drover's event
 * log, driver handles, a version's source and origin) stays empty. Pure.
 */
import { jobKey } from '../../state/job-key.js';
import type { NormalizedJob } from '../../generated/normalized-job.js';
import { encodeStoredJob } from '../../jobspec/stored.js';
import { fromNomadJob } from '../../server/nomad/job-json.js';
import type {
  Allocation,
  ClientStatus,
  Deployment,
  DeploymentStatus,
  DesiredStatus,
  JobState,
  JobVersion,
  StateSnapshot,
  TaskState,
} from '../../state/types.js';
import { UserError } from '../with-session.js';

export type Json = Record<string, unknown>;

export function emptySnapshot(): StateSnapshot {
  return {
    format_version: 1,
    lineage: '',
    serial: 0,
    nodes: {},
    jobs: {},
    allocations: {},
    deployments: {},
    events: [],
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Nomad's int64 Unix nanoseconds as drover's RFC 3339 timestamp. */
export function timestampOfNanos(ns: unknown): string {
  return new Date(Math.round(num(ns) / 1_000_000)).toISOString();
}

/** A Go time.Time as drover's timestamp; undefined for Go's zero time. */
function timestampOf(goTime: unknown): string | undefined {
  if (typeof goTime !== 'string' || goTime === '' || goTime.startsWith('0001-01-01'))
    return undefined;
  return new Date(Date.parse(goTime)).toISOString();
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}

/** What fromNomadJob refuses in a job to register but a job read back carries. */
const READ_ONLY_LAUNCH_FIELDS = [
  'Stop',
  'ParentID',
  'Dispatched',
  'Payload',
  'DispatchIdempotencyToken',
] as const;

/** The drover job of a Nomad job the server sent. */
export function normalizedJobOf(nomadJob: Json): NormalizedJob {
  const definition: Json = { ...nomadJob };
  for (const f of READ_ONLY_LAUNCH_FIELDS) delete definition[f];
  const read = fromNomadJob(definition);
  if (!read.ok)
    throw new UserError(
      `the server sent job "${str(nomadJob.ID)}" in a form this drover does not read: ${read.diagnostics
        .map((d) => d.summary)
        .join('; ')}`,
    );
  return read.job;
}

/** One version of a job as the state records it, from the Nomad job of that version. */
export function jobVersionOf(nomadJob: Json): JobVersion {
  const parent = str(nomadJob.ParentID);
  const status = str(nomadJob.Status);
  return {
    version: num(nomadJob.Version),
    submitted_at: timestampOfNanos(nomadJob.SubmitTime),
    source: '',
    filename: '',
    submitted: {},
    ...encodeStoredJob(normalizedJobOf(nomadJob)),
    stable: nomadJob.Stable === true,
    status: status === 'running' || status === 'dead' ? status : 'pending',
    ...(parent
      ? { launch: { parent, kind: nomadJob.Dispatched === true ? 'dispatch' : 'periodic' } }
      : {}),
  };
}

/** A job's state record from the Nomad jobs of its versions (any order). */
export function jobStateOf(nomadJobs: readonly Json[]): JobState {
  const versions = nomadJobs.map(jobVersionOf).sort((a, b) => a.version - b.version);
  const latest = nomadJobs.find((j) => num(j.Version) === versions[versions.length - 1]?.version);
  return { versions, stopped: latest?.Stop === true };
}

function taskStateOf(json: Json): TaskState {
  const terminated = list(json.Events).find((e) => e.Type === 'Terminated');
  const message = str(obj(terminated?.Details).message);
  const started = timestampOf(json.StartedAt);
  const finished = timestampOf(json.FinishedAt);
  const state = str(json.State);
  return {
    state: state === 'running' || state === 'dead' ? state : 'pending',
    failed: json.Failed === true,
    restarts: num(json.Restarts),
    ...(started ? { started_at: started } : {}),
    ...(finished ? { finished_at: finished } : {}),
    ...(terminated ? { exit_code: num(terminated.ExitCode) } : {}),
    ...(message ? { message } : {}),
  };
}

/** The allocation index from its name, `job.group[3]`. */
function indexOfName(name: string): number {
  const m = /\[(\d+)\]$/.exec(name);
  return m ? Number(m[1]) : 0;
}

/** An allocation from a full api.Allocation or an AllocationListStub. */
export function allocationOf(json: Json): Allocation {
  const deployment = obj(json.DeploymentStatus);
  const healthy = deployment.Healthy;
  const healthAt = timestampOf(deployment.Timestamp);
  const tracker = list(obj(json.RescheduleTracker).Events);
  const ports = list(obj(obj(json.AllocatedResources).Shared).Ports);
  const description = str(json.ClientDescription);
  const optional = (key: string, value: string) => (value ? { [key]: value } : {});
  const name = str(json.Name);
  return {
    id: str(json.ID),
    job: jobKey(str(json.Namespace), str(json.JobID)),
    version: typeof json.JobVersion === 'number' ? json.JobVersion : num(obj(json.Job).Version),
    group: str(json.TaskGroup),
    index: indexOfName(name),
    node: str(json.NodeName) || str(json.NodeID),
    name,
    desired_status: str(json.DesiredStatus) as DesiredStatus,
    client_status: str(json.ClientStatus) as ClientStatus,
    ...(description ? { client_description: description } : {}),
    ...optional('deployment_id', str(json.DeploymentID)),
    ...(deployment.Canary === true ? { canary: true } : {}),
    ...optional('previous_allocation', str(json.PreviousAllocation)),
    ...optional('next_allocation', str(json.NextAllocation)),
    ...(tracker.length
      ? {
          reschedule_tracker: {
            // Nomad's tracker does not carry the delay drover waited.
            events: tracker.map((e) => ({
              time: timestampOfNanos(e.RescheduleTime),
              prev_alloc: str(e.PrevAllocID),
              prev_node: str(e.PrevNodeID),
              delay_ms: 0,
            })),
          },
        }
      : {}),
    ...(typeof healthy === 'boolean'
      ? { health: { healthy, timestamp: healthAt ?? ZERO_TIME } }
      : {}),
    task_states: Object.fromEntries(
      Object.entries(obj(json.TaskStates)).map(([t, s]) => [t, taskStateOf(obj(s))]),
    ),
    driver_handles: {},
    ports: ports.map((p) => ({
      label: str(p.Label),
      value: num(p.Value),
      ...(num(p.To) ? { to: num(p.To) } : {}),
      host_ip: str(p.HostIP),
    })),
    created_at: timestampOfNanos(json.CreateTime),
    modified_at: timestampOfNanos(json.ModifyTime),
  };
}

/** A deployment from api.Deployment. */
export function deploymentOf(json: Json): Deployment {
  return {
    id: str(json.ID),
    job: jobKey(str(json.Namespace), str(json.JobID)),
    version: num(json.JobVersion),
    status: str(json.Status) as DeploymentStatus,
    status_description: str(json.StatusDescription),
    groups: Object.fromEntries(
      Object.entries(obj(json.TaskGroups)).map(([g, raw]) => {
        const s = obj(raw);
        return [
          g,
          {
            desired_total: num(s.DesiredTotal),
            desired_canaries: num(s.DesiredCanaries),
            placed_canaries: list(s.PlacedCanaries).map(String),
            placed: num(s.PlacedAllocs),
            healthy: num(s.HealthyAllocs),
            unhealthy: num(s.UnhealthyAllocs),
            promoted: s.Promoted === true,
            auto_revert: s.AutoRevert === true,
            ...(typeof s.RequireProgressBy === 'string' && timestampOf(s.RequireProgressBy)
              ? { progress_deadline: timestampOf(s.RequireProgressBy)! }
              : {}),
          },
        ];
      }),
    ),
    created_at: timestampOfNanos(json.CreateTime),
  };
}

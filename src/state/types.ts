/**
 * The state snapshot's types, written by hand to match `schemas/state.schema.json` until
 * `npm run gen:types` generates `src/generated/state.ts`; then this file should re-export those.
 * Names follow the schema's `title`s so the swap is mechanical.
 */

/** An RFC 3339 date and time. */
export type Timestamp = string;

export interface StateSnapshot {
  format_version: 1;
  /** Fixed when the state is created. */
  lineage: string;
  /** Incremented by one on every write. */
  serial: number;
  nodes: { [name: string]: NodeState };
  jobs: { [id: string]: JobState };
  allocations: { [id: string]: Allocation };
  deployments: { [id: string]: Deployment };
  /** Append-only, oldest first. */
  events: StateEvent[];
}

export interface NodeState {
  name: string;
  inventory: NodeInventory;
  fingerprint?: NodeFingerprint;
  eligibility: 'eligible' | 'ineligible';
  drain?: boolean;
  host_key?: PinnedHostKey;
}

/** The node's `node` block of drover.hcl; the configuration schema owns its full shape. */
export interface NodeInventory {
  transport: string;
  address?: string;
  port?: number;
  user?: string;
  identity?: string;
  datacenter?: string;
  class?: string;
  meta?: { [key: string]: string };
  [key: string]: unknown;
}

export interface NodeFingerprint {
  fingerprinted_at: Timestamp;
  /** Constraint attributes without the `attr.` prefix, e.g. `kernel.name`. */
  attributes: { [key: string]: string };
  resources: NodeResources;
  drivers: { [driver: string]: DriverFingerprint };
}

export interface NodeResources {
  /** MHz. */
  cpu: number;
  cores?: number;
  /** MB. */
  memory: number;
  /** MB free. */
  disk?: number;
}

export interface DriverFingerprint {
  detected: boolean;
  healthy: boolean;
  description?: string;
  attributes?: { [key: string]: string };
}

export interface PinnedHostKey {
  algorithm: string;
  /** Base64 public key blob. */
  key: string;
  fingerprint: string;
  pinned_at: Timestamp;
}

export interface JobState {
  /** Oldest first. */
  versions: JobVersion[];
  stopped: boolean;
  purged?: boolean;
}

export interface JobVersion {
  version: number;
  submitted_at: Timestamp;
  source: string;
  filename: string;
  /** The decoded job as written (the jobspec schema's shape). */
  submitted: { [key: string]: unknown };
  /** The decoded job with defaults applied. */
  job: { [key: string]: unknown };
  stable: boolean;
  status: 'pending' | 'running' | 'dead';
}

export type DesiredStatus = 'run' | 'stop' | 'evict';
export type ClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost';

export interface Allocation {
  id: string;
  job: string;
  version: number;
  group: string;
  index: number;
  node: string;
  /** `<job>.<group>[<index>]`. */
  name: string;
  desired_status: DesiredStatus;
  client_status: ClientStatus;
  deployment_id?: string;
  canary?: boolean;
  health?: AllocationHealth;
  task_states: { [task: string]: TaskState };
  driver_handles: { [task: string]: DriverHandle };
  ports: AllocatedPort[];
  created_at: Timestamp;
  modified_at: Timestamp;
}

export interface AllocationHealth {
  healthy: boolean;
  timestamp: Timestamp;
}

export interface TaskState {
  state: 'pending' | 'running' | 'dead';
  failed: boolean;
  restarts: number;
  started_at?: Timestamp;
  finished_at?: Timestamp;
  exit_code?: number;
  message?: string;
}

/** Free-form per driver; only `driver` is common. */
export interface DriverHandle {
  driver: string;
  [key: string]: unknown;
}

export interface AllocatedPort {
  label: string;
  /** Host port. */
  value: number;
  /** Port inside the task's network namespace, when mapped. */
  to?: number;
  host_ip: string;
}

export type DeploymentStatus =
  | 'running'
  | 'paused'
  | 'successful'
  | 'failed'
  | 'cancelled'
  | 'blocked'
  | 'pending'
  | 'unblocking';

export interface Deployment {
  id: string;
  job: string;
  version: number;
  status: DeploymentStatus;
  status_description: string;
  groups: { [group: string]: DeploymentGroupState };
  created_at: Timestamp;
  modified_at?: Timestamp;
}

export interface DeploymentGroupState {
  desired_total: number;
  desired_canaries: number;
  /** Ids of the canary allocations placed so far. */
  placed_canaries: string[];
  placed: number;
  healthy: number;
  unhealthy: number;
  promoted: boolean;
  auto_revert: boolean;
  /** When the group must have made progress by; absent without a deadline. */
  progress_deadline?: Timestamp;
}

export interface StateEvent {
  /** 1 for the first event, then +1. */
  seq: number;
  time: Timestamp;
  /** `user@host`. */
  who: string;
  /** A short kind, e.g. `job.submit`. */
  what: string;
  job?: string;
  alloc?: string;
  /** A human sentence. */
  detail: string;
}

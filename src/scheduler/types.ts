/**
 * The scheduler's public data model. Everything under `src/scheduler/` is pure: these values go
 * in, these values come out, nothing is read from disk or the clock, and randomness comes from a
 * seed the caller gives.
 *
 * Two stages, as in Nomad:
 * 1. `reconcile` compares the desired job with the job's recorded allocations and sorts them into
 *    buckets (place, stop, in-place update, destructive update, migrate, lost, ignore).
 * 2. `place` finds a node for every allocation to create: feasibility, then ranking, sampling
 *    about log2(N) nodes per placement.
 */
import type { NormalizedJob as Job, NormalizedTask as Task } from '../generated/normalized-job.js';
import type { AllocatedPort, Allocation, Deployment } from '../state/types.js';
import type { RescheduleDecision } from './reschedule.js';

// ---------------------------------------------------------------------------------------------
// Reconcile

/** How replacing one version of a task with another must be done (a driver decides). */
export type UpdateClass = 'none' | 'in-place' | 'destructive';

/**
 * Decides how a task change is applied; drivers own this (`Driver.classifyChange`). Called only
 * for tasks present in both versions; the scheduler itself decides group-level changes
 * (networks, ephemeral disk, volumes, affinities, spreads, meta, resources) as Nomad's
 * `tasksUpdated` does.
 */
export type ClassifyTask = (group: string, prior: Task, next: Task) => UpdateClass;

/** The health of the nodes the job's allocations sit on. */
export interface NodeSets {
  /** Reachable and taking new work. */
  up: ReadonlySet<string>;
  /** Unreachable: their allocations are lost and replaced elsewhere. */
  down: ReadonlySet<string>;
  /** Being drained: their allocations migrate elsewhere (`migrate` stanza). */
  draining: ReadonlySet<string>;
  /** Reachable but taking no new work: their allocations stay. */
  ineligible: ReadonlySet<string>;
  /** Draining nodes whose drain leaves system jobs' allocations in place (`-ignore-system`). */
  drainKeepsSystem?: ReadonlySet<string>;
}

export interface ReconcileInput {
  /** The job's id; needed when `job` is "stopped". */
  jobId: string;
  /** The desired job with Nomad's defaults filled in, or "stopped" to stop every allocation. */
  job: Job | 'stopped';
  /** The version number `job` is (or will be) recorded as. */
  version: number;
  /** Earlier versions of the job by number, to tell what changed for an allocation. */
  priorJob: (version: number) => Job | undefined;
  /** Every allocation recorded for the job, whatever its status. */
  allocations: readonly Allocation[];
  /**
   * Node health. A node named by an allocation but in none of the sets is unknown (removed from
   * the inventory): its allocations are lost, as in Nomad for a garbage-collected node.
   */
  nodes: NodeSets;
  classify: ClassifyTask;
  /**
   * The job's latest deployment, if any: its canaries (`placed_canaries`) and whether a group was
   * promoted. Unpromoted canaries of a deployment for another version, or of a failed one, stop.
   */
  deployment?: Deployment;
  /**
   * The time of the plan (ms since the epoch), against which reschedule delays are measured.
   * Absent: every delay counts as passed (attempts still apply).
   */
  now?: number;
  /**
   * Allocations whose tasks drifted from what was applied (changed by hand), with why: they are
   * replaced (`drift-replace.ts`). Absent: none.
   */
  drifted?: ReadonlyMap<string, string>;
}

/** Which reschedule a placement is (`reason` "failed"), for the replacement's tracker. */
export interface RescheduleAttempt {
  /** 1 for the first within the policy's interval (or ever, when unlimited). */
  attempt: number;
  /** The attempts the policy allows; absent when unlimited. */
  attempts?: number;
  /** The delay waited after the failure. */
  delayMs: number;
}

/** A failed allocation the plan does not replace yet (`later`) or at all (`exhausted`). */
export interface RescheduleWaiting {
  alloc: Allocation;
  decision: Exclude<RescheduleDecision, { kind: 'now' }>;
}

/** Why an allocation is created. */
export type PlaceReason =
  /** To reach the group's count (a new job, a count raised, a finished service alloc). */
  | 'new'
  /** Replaces an allocation on a down node or whose client status is lost. */
  | 'lost'
  /** Replaces a failed allocation, as the group's reschedule policy allows. */
  | 'failed'
  /** Replaces an allocation on a draining node. */
  | 'migrate'
  /** Replaces an allocation whose job change cannot be applied in place. */
  | 'destructive'
  /** A canary of a destructive update (`update { canary = N }`). */
  | 'canary';

/** An allocation to create; `place` finds its node. */
export interface PlaceRequest {
  group: string;
  /** `<job>.<group>[<index>]`. */
  name: string;
  index: number;
  reason: PlaceReason;
  canary: boolean;
  /** The allocation this one replaces, which `stop` lists too. */
  replaces?: string;
  /** The node of the replaced allocation: penalised for `failed`, preferred when the disk is sticky. */
  previousNode?: string;
  /** A reschedule of a failed allocation of the same version: which attempt. */
  reschedule?: RescheduleAttempt;
  /**
   * System and sysbatch jobs: the one node this allocation is for. Only that node is checked;
   * when it cannot take the allocation, no other node is tried.
   */
  node?: string;
}

/** Why an allocation is stopped. */
export type StopReason =
  | 'count-reduced'
  | 'job-stopped'
  | 'group-removed'
  /** On a down node or lost by its client; replaced when the count needs it. */
  | 'lost'
  /** Failed (or, for a service, finished) and replaced. */
  | 'failed'
  | 'migrate'
  | 'destructive-update'
  /** Replaced by a canary of the same name once the canaries are promoted. */
  | 'canary-replaced'
  /** An unpromoted canary of an older or failed deployment. */
  | 'canary-cancelled';

export interface StopRequest {
  alloc: Allocation;
  reason: StopReason;
  /** A human sentence, e.g. "alloc is lost since its node is down". */
  description: string;
  /** The client status to record with the stop ("lost" for lost allocations). */
  clientStatus?: 'lost';
}

export interface InplaceUpdate {
  alloc: Allocation;
  /** Tasks whose driver said "in-place"; empty when only the recorded job version changes. */
  tasks: string[];
}

/** An allocation replaced by a new one: its stop is in `stop`, its replacement in `place`. */
export interface Replacement {
  alloc: Allocation;
  /** The name of the replacing placement (the same name: the index is kept). */
  name: string;
  /** Why the change is destructive, e.g. "task web: destructive change" or "ephemeral disk". */
  because?: string;
}

/** The counts `nomad job plan` prints in a task group header. */
export interface DesiredCounts {
  create: number;
  destroy: number;
  in_place_update: number;
  create_destroy_update: number;
  migrate: number;
  canary: number;
  ignore: number;
}

export interface GroupReconcile {
  group: string;
  /** The desired count (0 when the job stops or the group is gone). */
  count: number;
  /**
   * Every allocation to create, canaries first. The whole rollout is listed: for a canary
   * update, the other destructive replacements follow the canaries and wait for promotion.
   */
  place: PlaceRequest[];
  /** Every allocation to stop, with why (replaced ones included). */
  stop: StopRequest[];
  inplaceUpdate: InplaceUpdate[];
  /** Allocations replaced because of a destructive job change. */
  destructiveUpdate: Replacement[];
  /** Allocations on draining nodes, replaced elsewhere. */
  migrate: Replacement[];
  /** Allocations lost (down node or lost client); replaced when the count needs them. */
  lost: Allocation[];
  /** Failed (or finished service) allocations replaced now. */
  rescheduled: Replacement[];
  /** Failed allocations not replaced now: their delay has not passed, or no attempts are left. */
  waiting: RescheduleWaiting[];
  /** Allocations left as they are. */
  ignore: Allocation[];
  /** Canaries this deployment wants in all (`update.canary`), 0 without a canary phase. */
  canaries: number;
  counts: DesiredCounts;
  /** Remarks worth showing with the plan, e.g. that system jobs are placed like service jobs. */
  notes: string[];
}

export interface ReconcileResult {
  jobId: string;
  version: number;
  stopped: boolean;
  /** One entry per group of the job, in job order, then groups that are gone, by name. */
  groups: GroupReconcile[];
  /** The sum over groups. */
  counts: DesiredCounts;
}

// ---------------------------------------------------------------------------------------------
// Cluster

export interface NodeResourceAmounts {
  /** MHz. */
  cpu: number;
  /** MB. */
  memory: number;
  /** Whole cores (0 or absent: cores cannot be reserved on this node). */
  cores?: number;
  /** MB; absent when unknown (disk is then not checked). */
  disk?: number;
}

export interface ClusterNode {
  /** The node's name (`node "web-1"` in drover.hcl); `${node.unique.name}`. */
  name: string;
  /** `${node.unique.id}`; defaults to the name. */
  id?: string;
  datacenter: string;
  /** `${node.class}`; "" when unset. */
  class?: string;
  /** `${node.pool}`; "default" when unset. */
  node_pool?: string;
  /** Fingerprinted attributes without the `attr.` prefix, e.g. `kernel.name`, `unique.hostname`. */
  attributes: Readonly<Record<string, string>>;
  meta: Readonly<Record<string, string>>;
  /** Task drivers detected and healthy on the node. */
  drivers: readonly string[];
  resources: NodeResourceAmounts;
  /** Kept back for the host itself; host `ports` are never handed out. */
  reserved?: { cpu?: number; memory?: number; disk?: number; cores?: number; ports?: number[] };
  /** Takes new placements: false for ineligible, draining and down nodes. */
  eligible: boolean;
  /** The IP address ports are bound on (AllocatedPort.host_ip); "0.0.0.0" when unset. */
  address?: string;
  /** Host volumes by name (drover.hcl `host_volume`): whether each is read-only. */
  hostVolumes?: Readonly<Record<string, { read_only: boolean }>>;
}

/** What an existing allocation uses on its node. */
export interface ClusterAllocation {
  id: string;
  node: string;
  job: string;
  group: string;
  /** MHz, cores' share included. */
  cpu: number;
  memory: number;
  disk: number;
  cores: number;
  /** Host ports in use. */
  ports: readonly number[];
}

export interface Cluster {
  nodes: readonly ClusterNode[];
  /** The allocations that hold resources (desired run, not finished). */
  allocations: readonly ClusterAllocation[];
}

// ---------------------------------------------------------------------------------------------
// Placement

/** One allocation to place; usually a `PlaceRequest` of `reconcile` plus its job. */
export interface PlacementRequest extends PlaceRequest {
  /** The job (with defaults) the allocation runs. */
  job: Job;
}

export type SchedulerAlgorithm = 'binpack' | 'spread';

export interface PlaceOptions {
  /** Seeds the node shuffle and dynamic port choice: the same seed gives the same placements. */
  seed: number;
  /** `binpack` (default) fills the fullest nodes first; `spread` the emptiest. */
  algorithm?: SchedulerAlgorithm;
  /** Allocations being stopped by this plan: their resources and ports count as free. */
  freed?: ReadonlySet<string>;
  /** Score every feasible node instead of sampling (a reference for tests and benchmarks). */
  fullScan?: boolean;
  /** Dynamic ports are picked from this range; Nomad's default 20000–32000. */
  dynamicPorts?: { min: number; max: number };
}

/** Where an allocation goes. */
export interface Placement {
  job: string;
  group: string;
  name: string;
  index: number;
  node: string;
  ports: AllocatedPort[];
  /** What the allocation reserves on the node. */
  resources: { cpu: number; memory: number; disk: number; cores: number };
  /** The normalised score the node won with (mean of the score components). */
  score: number;
  reason: PlaceReason;
  canary: boolean;
  replaces?: string;
  reschedule?: RescheduleAttempt;
}

/** Why the placements of one group failed, in Nomad's `AllocMetric` terms. */
export interface PlacementMetrics {
  /** Nodes visited by the feasibility checks. */
  nodesEvaluated: number;
  /** Visited nodes rejected by a constraint, a missing driver, distinct_* (see the maps). */
  nodesFiltered: number;
  /** Feasible nodes without room (see `dimensionExhausted`). */
  nodesExhausted: number;
  /** Nodes of the job's datacenters and node pool that take work. */
  nodesAvailable: number;
  /** The same, per datacenter. */
  nodesAvailableByDatacenter: Record<string, number>;
  /** Nodes never considered: in another datacenter, another node pool, or not eligible. */
  nodesExcluded: { datacenter: number; nodePool: number; ineligible: number };
  /** Filtered nodes per constraint, e.g. `${attr.kernel.name} = linux`, `distinct_hosts`. */
  constraintFiltered: Record<string, number>;
  /** Filtered nodes per missing driver. */
  driverMissing: Record<string, number>;
  /** Exhausted nodes per dimension: cpu, memory, disk, cores, `network: …`. */
  dimensionExhausted: Record<string, number>;
}

export interface PlacementFailure {
  job: string;
  group: string;
  /** How many allocations of the group could not be placed. */
  failed: number;
  /** Their names. */
  names: string[];
  /** The metrics of the first failed attempt (later ones are not retried, as in Nomad). */
  metrics: PlacementMetrics;
  /** One line, e.g. "2 nodes filtered by constraint ${attr.kernel.name} = linux, 1 node exhausted memory". */
  reason: string;
}

/** A node a pinned request (system jobs) could not use because the job cannot run there. */
export interface FilteredNode {
  group: string;
  node: string;
  /** e.g. "missing driver docker", "constraint ${attr.kernel.name} = linux not met". */
  reason: string;
  metrics: PlacementMetrics;
}

export interface PlaceResult {
  placements: Placement[];
  /**
   * Failed placements. For pinned requests only nodes that are feasible but lack room
   * (Nomad's "exhausted"), merged per group; infeasible nodes go to `filtered`.
   */
  failures: PlacementFailure[];
  /** Pinned requests whose node is infeasible for the job (constraint, driver): not failures. */
  filtered?: FilteredNode[];
  /** Work done, summed over placements: nodes visited, and nodes that got a score. */
  stats: { nodesEvaluated: number; nodesScored: number };
}

/**
 * What an apply does, per job and group, in the executor's terms: a plan (its JSON form is the
 * planfile) converts to this one to one, and the executor needs nothing else to decide what to
 * do (state only tells it how: handles, addresses).
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { JobLaunch, RolloutStep } from '../generated/plan.js';
import type { AllocatedPort, VersionOrigin } from '../state/types.js';

export interface PlacementStep {
  allocId: string;
  /** `<job>.<group>[<index>]` */
  name: string;
  index: number;
  node: string;
  ports: AllocatedPort[];
  /** The allocation this one replaces (a destructive update, or a lost/failed allocation). */
  replaces?: string;
  canary: boolean;
  /** A reschedule of the failed allocation it replaces: which attempt, after what delay. */
  reschedule?: { attempt: number; attempts?: number; delayMs: number };
}

export interface StopStep {
  allocId: string;
  reason: string;
}

export interface GroupSteps {
  name: string;
  /** Absent for a group the planned job no longer has: its allocations only stop. */
  group: Group | undefined;
  stops: StopStep[];
  /** Allocations updated in place: they move to the new version without a restart. */
  inplace: string[];
  /** The allocations the rollout starts, by id. */
  placements: ReadonlyMap<string, PlacementStep>;
  /** The plan's rollout of this group, run in order. */
  rollout: readonly RolloutStep[];
}

export interface JobSteps {
  jobId: string;
  /** The version the job's allocations run after this apply. */
  version: number;
  /** Present when this apply records a new version of the job. */
  newVersion?: {
    job: Job;
    submitted: Record<string, unknown>;
    source: string;
    filename: string;
    /** Pointers into `job` of values derived from sensitive variables. */
    sensitive?: string[];
    /** How this version came to be. */
    origin?: VersionOrigin;
  };
  /** A child of a periodic or parameterized job: its parent and a dispatch's payload. */
  launch?: JobLaunch;
  /** The job the placements run; absent when the job is stopped. */
  job: Job | undefined;
  /** The job is being stopped (every allocation stops); `purge` also forgets it. */
  stop?: { purge: boolean };
  /** The deployment the rollout runs as, new or resumed; absent: no deployment. */
  deployment?: { id: string; resumed: boolean };
  groups: GroupSteps[];
  /** Directories of old stopped allocations to remove once the job's steps ran, per node. */
  collect?: { node: string; allocIds: string[] }[];
}

/**
 * Which part of a plan an executed action belongs to, so a stream of progress events can be
 * laid beside the plan: `rollout` steps are numbered from 1 within their group, as printed.
 */
export type PlanStepRef =
  | { part: 'changes' | 'retry_stops' }
  | { part: 'stops' | 'inplace' | 'job'; job: string; group?: string }
  | { part: 'rollout'; job: string; group: string; index: number; kind: RolloutStep['kind'] }
  | { part: 'revert'; job: string };

/**
 * What an apply does, per job and group, in the executor's terms. A plan (its JSON form is the
 * planfile) converts to this; the executor needs nothing else.
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { AllocatedPort } from '../state/types.js';

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
}

export interface StopStep {
  allocId: string;
  reason: string;
}

export interface GroupSteps {
  name: string;
  group: Group;
  stops: StopStep[];
  /** Allocations updated in place: they move to the new version without a restart. */
  inplace: string[];
  placements: PlacementStep[];
}

export interface JobSteps {
  jobId: string;
  /** The version the job's allocations run after this apply. */
  version: number;
  /** Present when this apply records a new version of the job. */
  newVersion?: { job: Job; submitted: Record<string, unknown>; source: string; filename: string };
  /** The defaulted job the placements run (the new version's, or the current one's). */
  job: Job;
  /** The job is being stopped (every allocation stops); `purge` also forgets it. */
  stop?: { purge: boolean };
  groups: GroupSteps[];
}

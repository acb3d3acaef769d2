/** Hand-made state for the controller's pure unit tests. */
import { emptyState } from '../../../src/state/snapshot.js';
import type {
  Allocation,
  Deployment,
  JobVersion,
  StateSnapshot,
} from '../../../src/state/types.js';

export const T0 = Date.parse('2026-12-07T12:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export function version(
  job: Record<string, unknown>,
  submittedAt: number,
  extra: Partial<JobVersion> = {},
): JobVersion {
  return {
    version: 0,
    submitted_at: iso(submittedAt),
    source: '',
    filename: 'job.nomad.hcl',
    submitted: {},
    job: { type: 'service', group: [], ...job },
    job_format: 2,
    stable: true,
    ...extra,
  } as JobVersion;
}

export function alloc(id: string, over: Partial<Allocation> & Pick<Allocation, 'job'>): Allocation {
  return {
    id,
    version: 0,
    group: 'g',
    index: 0,
    node: 'n1',
    name: `${over.job}.g[0]`,
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: {},
    ports: [],
    created_at: iso(T0),
    modified_at: iso(T0),
    ...over,
  };
}

export function deployment(id: string, job: string, at: number, status: string): Deployment {
  return {
    id,
    job,
    version: 0,
    status,
    groups: {},
    created_at: iso(at),
    modified_at: iso(at),
  } as unknown as Deployment;
}

type LooseJobs = Record<string, { versions: readonly JobVersion[]; stopped?: boolean }>;

/** A state with the given parts; jobs need only their versions (not stopped unless said). */
export function stateWith(
  parts: Omit<Partial<StateSnapshot>, 'jobs'> & { jobs?: LooseJobs },
): StateSnapshot {
  const jobs = Object.fromEntries(
    Object.entries(parts.jobs ?? {}).map(([id, j]) => [
      id,
      { ...j, stopped: j.stopped ?? false, versions: [...j.versions] },
    ]),
  );
  return { ...emptyState('test'), ...parts, jobs };
}

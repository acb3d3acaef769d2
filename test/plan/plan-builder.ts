/**
 * Builds Plan objects for tests from jobspec text and hand-written scheduler decisions: the jobs
 * go through loadJobSource and diffJobs like the real pipeline; placements, stops and rollouts
 * are written by the test (the scheduler is not part of these tests).
 */
import { createHash } from 'node:crypto';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../../src/generated/normalized-job.js';
import type {
  GroupPlan,
  JobPlan,
  Placement,
  PlacementFailure,
  Plan,
  PlannedPort,
  PlannedStop,
  PlanWarning,
  Rollout,
  RolloutGroup,
  RolloutStep,
  UpdateCounts,
} from '../../src/generated/plan.js';
import { formatMs } from '../../src/jobspec/duration.js';
import { defaultUpdateStrategy } from '../../src/jobspec/normalize.js';
import { loadJobSource, type LoadedJob } from '../../src/jobspec/load.js';
import { diffJobs, type DiffOptions } from '../../src/plan/diff.js';
import { sealPlan } from '../../src/plan/hash.js';

export const LINEAGE = '6f1c2a4e-8d3b-4c7a-9e5f-0b1d2c3e4f50';
export const CREATED_AT = '2026-01-01T00:00:00.000Z';
export const DROVER_VERSION = '0.0.0-test';

/** Loads a jobspec; a test fixture with errors fails the test with its diagnostics. */
export function loadJob(source: string, filename = 'job.hcl'): LoadedJob {
  const diags = new Diagnostics();
  const job = loadJobSource(
    source,
    filename,
    { inputs: { vars: [], varFiles: [], env: {} } },
    diags,
  );
  if (!job) {
    const text = diags.items.map((d) => `${d.summary}: ${d.detail ?? ''}`).join('\n');
    throw new Error(`fixture ${filename} does not load:\n${text}`);
  }
  return job;
}

/** A stable allocation id (UUID-shaped) from a seed, so golden files do not change. */
export function allocId(...seed: Array<string | number>): string {
  const h = createHash('sha256').update(seed.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function counts(c: Partial<UpdateCounts> = {}): UpdateCounts {
  return {
    create: 0,
    destroy: 0,
    in_place_update: 0,
    create_destroy_update: 0,
    migrate: 0,
    canary: 0,
    ignore: 0,
    ...c,
  };
}

export function allocName(job: string, group: string, index: number): string {
  return `${job}.${group}[${index}]`;
}

export function placement(
  job: string,
  group: string,
  index: number,
  opts: {
    version: number;
    node?: string;
    ports?: PlannedPort[];
    replaces?: string;
    canary?: boolean;
  },
): Placement {
  return {
    alloc_id: allocId(job, group, index, opts.version, opts.canary ? 'canary' : ''),
    name: allocName(job, group, index),
    index,
    node: opts.node ?? 'local',
    ports: opts.ports ?? [],
    ...(opts.replaces !== undefined ? { replaces: opts.replaces } : {}),
    canary: opts.canary ?? false,
  };
}

/** The id of the allocation of an earlier version (as placement() would have made it). */
export function existing(job: string, group: string, index: number, version: number): string {
  return allocId(job, group, index, version, '');
}

export function stop(
  job: string,
  group: string,
  index: number,
  version: number,
  reason: string,
  node = 'local',
): PlannedStop {
  return {
    alloc_id: existing(job, group, index, version),
    name: allocName(job, group, index),
    node,
    reason,
  };
}

export function groupPlan(
  name: string,
  parts: {
    counts: Partial<UpdateCounts>;
    placements?: Placement[];
    stops?: PlannedStop[];
    inplace?: string[];
    failures?: PlacementFailure | null;
  },
): GroupPlan {
  return {
    name,
    counts: counts(parts.counts),
    placements: parts.placements ?? [],
    stops: parts.stops ?? [],
    inplace: parts.inplace ?? [],
    failures: parts.failures ?? null,
  };
}

/**
 * The rollout of one group as the deployment watcher would run it: canaries first (then their
 * health gate and promotion), then batches of max_parallel, each gated by min_healthy_time, with
 * stagger between batches.
 */
export function groupRollout(
  group: Group,
  replacements: ReadonlyArray<{ alloc: string; replaces: string }>,
  canaries: ReadonlyArray<{ alloc: string; replaces: string }> = [],
): RolloutGroup {
  const u = group.update ?? defaultUpdateStrategy();
  const maxParallel = u.max_parallel;
  const healthy = u.min_healthy_time;
  const stagger = u.stagger;
  const steps: RolloutStep[] = [];
  const gate = (): RolloutStep => ({
    kind: 'gate',
    allocs: [],
    replaces: [],
    gate: `min_healthy_time ${formatMs(healthy)}`,
    min_duration_ms: healthy,
  });
  if (canaries.length > 0) {
    steps.push({
      kind: 'canary',
      allocs: canaries.map((c) => c.alloc),
      replaces: [],
      min_duration_ms: 0,
    });
    steps.push(gate());
    steps.push({
      kind: 'promote',
      allocs: [],
      replaces: canaries.map((c) => c.replaces),
      gate: u.auto_promote ? 'auto_promote' : 'promotion',
      min_duration_ms: 0,
    });
  }
  for (let i = 0; i < replacements.length; i += maxParallel) {
    const batch = replacements.slice(i, i + maxParallel);
    if (i > 0 && stagger > 0)
      steps.push({
        kind: 'stagger',
        allocs: [],
        replaces: [],
        gate: `stagger ${formatMs(stagger)}`,
        min_duration_ms: stagger,
      });
    steps.push({
      kind: 'batch',
      allocs: batch.map((b) => b.alloc),
      replaces: batch.map((b) => b.replaces),
      min_duration_ms: 0,
    });
    steps.push(gate());
  }
  return {
    name: group.name,
    steps,
    min_duration_ms: steps.reduce((n, s) => n + s.min_duration_ms, 0),
  };
}

export function rollout(groups: RolloutGroup[]): Rollout {
  return { groups, min_duration_ms: Math.max(0, ...groups.map((g) => g.min_duration_ms)) };
}

export interface JobPlanInput {
  /** The job as submitted now; undefined when the job is stopped. */
  next?: LoadedJob;
  /** The recorded job; undefined for a new job. */
  prior?: Job;
  priorVersion?: number;
  groups: GroupPlan[];
  rollout?: Rollout | null;
  diff?: DiffOptions;
}

export function jobPlan(input: JobPlanInput): JobPlan {
  const { next, prior } = input;
  const diff = diffJobs(prior, next?.job, input.diff);
  const id = diff.id;
  const fromVersion = prior ? (input.priorVersion ?? 0) : null;
  const touches = input.groups.some((g) => {
    const c = g.counts;
    return c.create + c.destroy + c.in_place_update + c.create_destroy_update + c.canary > 0;
  });
  const type: JobPlan['type'] = !next
    ? 'destroy'
    : !prior
      ? 'create'
      : diff.type !== 'None' || touches
        ? 'update'
        : 'none';
  const toVersion =
    type === 'destroy'
      ? null
      : fromVersion === null
        ? 0
        : diff.type === 'None'
          ? fromVersion
          : fromVersion + 1;
  return {
    id,
    type,
    from_version: fromVersion,
    to_version: toVersion,
    new_version: toVersion !== null && toVersion !== fromVersion,
    purge: false,
    deployment: null,
    diff,
    groups: input.groups,
    rollout: input.rollout ?? null,
    payload:
      next && type !== 'none'
        ? {
            filename: next.filename,
            source: next.source,
            submitted: next.submitted,
            job: next.job as unknown as Record<string, unknown>,
          }
        : null,
  };
}

export function plan(
  jobs: JobPlan[],
  opts: { serial: number; warnings?: PlanWarning[] } = { serial: 0 },
): Plan {
  return sealPlan({
    format_version: 2,
    drover_version: DROVER_VERSION,
    created_at: CREATED_AT,
    state: { lineage: LINEAGE, serial: opts.serial },
    changes: [],
    retry_stops: [],
    jobs: [...jobs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    warnings: opts.warnings ?? [],
  });
}

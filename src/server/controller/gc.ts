/**
 * What garbage collection removes from state, as Nomad's core scheduler keeps and drops
 * (`nomad/core_sched.go`: jobGC, allocGCEligible, deploymentGC):
 * - allocations stopped by drover (desired status not `run`), confirmed stopped on their host,
 *   last changed longer ago than the threshold; a batch job's finished allocations of its current
 *   version stay while the job does (the reconciler counts them: without them it would run them
 *   again), and an allocation that still runs never goes;
 * - deployments that ended longer ago than the threshold, except each job's latest;
 * - children of periodic and parameterized jobs whose allocations all ended and that were last
 *   touched longer ago than the threshold, with their allocations and deployments; the latest
 *   periodic child of each parent stays (the next launch time is derived from it).
 * Job versions are never removed. Pure.
 */
import type { Garbage } from '../../ops/builders.js';
import { childrenOf, launchOf } from '../../ops/launch.js';
import { isActiveDeployment } from '../../plan/deployments.js';
import { stopPending } from '../../plan/pending-stops.js';
import type { Allocation, StateSnapshot } from '../../state/types.js';

const ended = (a: Allocation): boolean =>
  !stopPending(a) &&
  (a.desired_status !== 'run' ||
    a.client_status === 'complete' ||
    a.client_status === 'failed' ||
    a.client_status === 'lost');

const time = (t: string | undefined): number => (t ? Date.parse(t) : NaN);

export function selectGarbage(state: StateSnapshot, now: number, thresholdMs: number): Garbage {
  const before = now - thresholdMs;
  const old = (t: string | undefined) => time(t) < before;
  const jobs = collectableChildren(state, old);
  const goneJobs = new Set(jobs);
  const allocations: string[] = [];
  for (const a of Object.values(state.allocations)) {
    if (goneJobs.has(a.job)) {
      allocations.push(a.id);
      continue;
    }
    if (!ended(a) || a.desired_status === 'run' || !old(a.modified_at)) continue;
    if (countsForBatch(state, a)) continue;
    allocations.push(a.id);
  }
  const latest = new Map<string, string>();
  for (const d of Object.values(state.deployments)) {
    const cur = latest.get(d.job);
    if (!cur || state.deployments[cur]!.created_at < d.created_at) latest.set(d.job, d.id);
  }
  const deployments = Object.values(state.deployments)
    .filter(
      (d) =>
        goneJobs.has(d.job) ||
        (!isActiveDeployment(d) && latest.get(d.job) !== d.id && old(d.modified_at)),
    )
    .map((d) => d.id);
  return described(
    { allocations: allocations.sort(), deployments: deployments.sort(), jobs: jobs.sort() },
    thresholdMs,
  );
}

/** The selection with its description (`removed 2 stopped allocations (older than 4 h)`). */
export function described(g: Omit<Garbage, 'description'>, thresholdMs: number): Garbage {
  const n = (ids: readonly string[], one: string) =>
    ids.length ? `${ids.length} ${one}${ids.length === 1 ? '' : 's'}` : '';
  const parts = [
    n(g.jobs, 'finished child job'),
    n(g.allocations, 'stopped allocation'),
    n(g.deployments, 'ended deployment'),
  ].filter(Boolean);
  return {
    ...g,
    description: `removed ${parts.join(', ')} (older than ${formatThreshold(thresholdMs)})`,
  };
}

/** A stopped allocation of a live batch job's current version that ran to completion: the reconciler counts it. */
function countsForBatch(state: StateSnapshot, a: Allocation): boolean {
  const js = state.jobs[a.job];
  const v = js?.versions[js.versions.length - 1];
  if (!js || !v || js.stopped || a.client_status !== 'complete' || a.version !== v.version)
    return false;
  const type = (v.job as { type?: unknown }).type;
  return type === 'batch' || type === 'sysbatch';
}

export function isEmpty(g: Garbage): boolean {
  return g.allocations.length + g.deployments.length + g.jobs.length === 0;
}

/** Children of periodic and parameterized jobs that ended long enough ago, but each parent's latest periodic child. */
function collectableChildren(
  state: StateSnapshot,
  old: (t: string | undefined) => boolean,
): string[] {
  const out: string[] = [];
  const parents = new Set(
    Object.keys(state.jobs).flatMap((id) => {
      const p = launchOf(state, id)?.parent;
      return p ? [p] : [];
    }),
  );
  for (const parent of parents) {
    const children = childrenOf(state, parent);
    const periodic = children.filter((c) => launchOf(state, c)?.kind === 'periodic');
    const keep = periodic[periodic.length - 1];
    for (const child of children) {
      if (child === keep) continue;
      const js = state.jobs[child]!;
      const allocs = Object.values(state.allocations).filter((a) => a.job === child);
      if (!allocs.every(ended)) continue;
      if (Object.values(state.deployments).some((d) => d.job === child && isActiveDeployment(d)))
        continue;
      const touched = [
        ...js.versions.map((v) => v.submitted_at),
        ...allocs.map((a) => a.modified_at),
      ];
      if (touched.every((t) => old(t))) out.push(child);
    }
  }
  return out;
}

function formatThreshold(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

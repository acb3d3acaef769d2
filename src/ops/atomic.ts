/**
 * All-or-nothing applies (`apply -atomic`, `stack { atomic = true }`): once a job's deployment
 * failed and no later job started, every job this apply changed is put back as it was before
 * it. A job that ran a version then runs that version's job again, as a new version, the way
 * `drover rollback` makes one (so the next plan of the unchanged files is a sticky rollback);
 * a job that did not run before (new, or stopped) is stopped. Planned, then run, like any plan.
 */
import { applyJob, inStep, type ApplyContext, type JobOutcome } from '../deploy/apply.js';
import { planToSteps } from '../deploy/from-plan.js';
import type { Plan } from '../generated/plan.js';
import type { DesiredJob } from '../plan/compute.js';
import type { StateSnapshot } from '../state/types.js';
import type { EngineContext } from './context.js';
import type { Observed } from './observe.js';
import { makePlan, recordedDesired } from './plan.js';

export interface AtomicRevert {
  job: string;
  /** The version run again (as a new version); null: the job did not run before and is stopped. */
  toVersion: number | null;
  outcome: JobOutcome;
}

export interface AtomicResult {
  /** The job whose deployment failed. */
  failed: string;
  reverted: AtomicRevert[];
}

/**
 * Puts `jobs` (those this apply changed, in the order they were applied) back as they were in
 * `before`, the last first.
 */
export async function revertApply(
  ctx: EngineContext,
  before: StateSnapshot,
  jobs: readonly string[],
  failed: string,
  apply: ApplyContext,
): Promise<AtomicResult> {
  const state = apply.recorder.state;
  const reason = `atomic apply: ${failed} failed`;
  const targets = [...jobs].reverse().map((id) => ({ id, to: versionBefore(before, id) }));
  // A job the apply purged has no recorded versions left to run again.
  const gone = new Set(targets.filter((t) => t.to !== null && !state.jobs[t.id]).map((t) => t.id));
  const desired = targets.flatMap(({ id, to }): DesiredJob[] => {
    if (gone.has(id)) return [];
    if (to === null) return [{ kind: 'stop', id, purge: false }];
    const versions = state.jobs[id]!.versions;
    return [
      {
        ...recordedDesired(state, id, to),
        skipCanary: true,
        origin: {
          kind: 'rollback',
          source_version: to,
          reverted_from: versions[versions.length - 1]!.version,
          reason,
        },
      },
    ];
  });
  const observed: Observed = { stored: state, state, drift: [], down: [] };
  const plan: Plan = makePlan(ctx, observed, desired);
  const steps = new Map(planToSteps(plan, ctx.nodes).map((s) => [s.jobId, s]));
  const reverted: AtomicRevert[] = [];
  for (const { id, to } of targets) {
    const tagged = inStep(apply, { part: 'revert', job: id });
    tagged.progress({
      kind: 'job',
      job: id,
      status: 'reverting',
      detail: to === null ? `stopping it (${reason})` : `back to job version ${to} (${reason})`,
    });
    if (gone.has(id)) {
      const description = 'the apply purged it, and its recorded versions with it';
      reverted.push({
        job: id,
        toVersion: to,
        outcome: { ok: false, result: 'failed', description, failures: [] },
      });
      continue;
    }
    const s = steps.get(id);
    // No steps: the job already runs what it ran before (its auto_revert put it back).
    const outcome: JobOutcome = s
      ? await applyJob(s, tagged)
      : { ok: true, result: 'none', failures: [] };
    reverted.push({ job: id, toVersion: to, outcome });
  }
  return { failed, reverted };
}

/** The version a job ran before the apply; null when it ran none (new, or stopped). */
function versionBefore(before: StateSnapshot, id: string): number | null {
  const job = before.jobs[id];
  const latest = job?.versions[job.versions.length - 1];
  return !job || job.stopped || !latest ? null : latest.version;
}

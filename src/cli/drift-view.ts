/**
 * Drift at the command line: `drover drift` and `plan -refresh-only` (`runDrift`: exit 2 when
 * something drifted, with or without -detailed-exitcode, 0 when nothing did), and what plan and
 * apply use to replace drifted allocations (`observeForPlan`, `driftedOf`, `printPlanDrift`).
 */
import { detectDrift } from '../ops/drift.js';
import { observe, type Observed } from '../ops/index.js';
import type { DesiredJob } from '../plan/compute.js';
import { driftedAllocations, driftJson, renderDriftText, type DriftReport } from '../plan/drift.js';
import { printJson, type Output } from './output.js';
import type { Session } from './session.js';
import { withSession } from './with-session.js';

/** What a plan observed, with the drift of the jobs it plans (none with -refresh=false). */
export type PlanObserved = Observed & { driftReport?: DriftReport };

/**
 * Observes as plans do and, when the hosts are looked at, looks for drift in the allocations of
 * the desired jobs, so the plan replaces what drifted.
 */
export async function observeForPlan(
  session: Session,
  refresh: boolean,
  desired: readonly DesiredJob[],
): Promise<PlanObserved> {
  const observed = await observe(session, refresh);
  return refresh ? withDrift(session, observed, desired) : observed;
}

/** The observation with the drift of the allocations of the desired jobs. */
export async function withDrift(
  session: Session,
  observed: Observed,
  desired: readonly DesiredJob[],
): Promise<PlanObserved> {
  const jobs = new Set(desired.filter((d) => d.kind === 'run').map((d) => d.id));
  if (jobs.size === 0) return observed;
  return { ...observed, driftReport: await detectDrift(session, observed, jobs) };
}

/** The drifted allocations of an observation, with why: `makePlan`'s `drifted`. */
export function driftedOf(observed: PlanObserved): Map<string, string> {
  return observed.driftReport
    ? driftedAllocations(observed.driftReport)
    : new Map<string, string>();
}

/** The drift a plan found, above the plan (text only: JSON plans carry it in their stops). */
export function printPlanDrift(o: Output, observed: PlanObserved): void {
  const r = observed.driftReport;
  if (!r || (r.drifted.length === 0 && r.unchecked.length === 0)) return;
  o.out(o.style.bold('Drift from what was applied:'));
  // Above a plan, the tasks not checked are one line per reason (drover drift lists each).
  const unchecked = new Map<string, number>();
  for (const u of r.unchecked) unchecked.set(u.why, (unchecked.get(u.why) ?? 0) + 1);
  for (const [why, n] of unchecked) o.out(`  Warning: ${why} (${n} task${n === 1 ? '' : 's'})`);
  const lines = renderDriftText({ ...r, unchecked: [] });
  for (const line of lines.slice(0, -1)) if (line) o.out(`  ${line}`);
  o.out('');
}

/**
 * The drift of the jobs in `paths` (every recorded job when none), printed; sets the exit code.
 * `loadJobs` reads the job files (printing their diagnostics): their ids, or undefined on errors.
 */
export async function runDrift(
  o: Output,
  paths: string[],
  opts: { config?: string; refresh?: string },
  loadJobs: (paths: string[]) => Set<string> | undefined,
): Promise<void> {
  let jobs: Set<string> | undefined;
  if (paths.length > 0) {
    jobs = loadJobs(paths);
    if (!jobs) {
      process.exitCode = 1;
      return;
    }
  }
  if (opts.refresh === 'false') {
    o.err('drift looks at the hosts: -refresh=false leaves nothing to compare');
    process.exitCode = 1;
    return;
  }
  await withSession(o, opts, async (session) => {
    const observed = await observe(session, true);
    const report = await detectDrift(session, observed, jobs);
    if (o.json) printJson(o, driftJson(report));
    else {
      for (const d of observed.down) o.err(`Warning: node "${d.node}" did not answer: ${d.reason}`);
      for (const line of renderDriftText(report)) o.out(line);
    }
    process.exitCode = report.drifted.length > 0 ? 2 : 0;
  });
}

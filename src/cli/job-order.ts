/**
 * The CLI's side of job ordering (plan/order): the order of the job files being planned,
 * checked against the recorded state (a job may wait for one that is not in the plan but is
 * recorded and healthy), and the desired jobs put in it. Errors stop the plan: with code frames
 * for people, as one error for -json.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import type { PlanOrderEntry } from '../generated/plan.js';
import type { ApplyResult } from '../ops/execute.js';
import type { AtomicResult, AtomicRevert } from '../ops/atomic.js';
import type { DesiredJob } from '../plan/compute.js';
import { orderJobs, recordedReadiness, type OrderInput } from '../plan/order.js';
import type { StateSnapshot } from '../state/types.js';
import { printDiagnostics, type Output } from './output.js';
import { UserError } from './with-session.js';

export interface OrderedDesired {
  desired: DesiredJob[];
  order?: PlanOrderEntry[];
}

/** The desired jobs in the order they declare; throws a UserError when it has errors. */
export function orderDesired(
  o: Output,
  desired: readonly DesiredJob[],
  ordering: readonly OrderInput[],
  sources: Map<string, string>,
  state: StateSnapshot,
): OrderedDesired {
  const { order, diagnostics } = orderJobs(ordering, recordedReadiness(state));
  if (diagnostics.length > 0) throw orderError(o, diagnostics, sources);
  if (!order) return { desired: [...desired] };
  const position = new Map(order.map((e, i) => [e.job, i]));
  // Jobs are planned (and placed) in the order they start; jobs without an entry keep theirs.
  const at = (d: DesiredJob) => position.get(d.id) ?? Number.MAX_SAFE_INTEGER;
  return { desired: [...desired].sort((a, b) => at(a) - at(b)), order };
}

function orderError(
  o: Output,
  diagnostics: readonly Diagnostic[],
  sources: Map<string, string>,
): UserError {
  const n = diagnostics.length;
  if (!o.json) {
    printDiagnostics(o, diagnostics, sources);
    return new UserError(
      `the order of the jobs (drover.after, drover.wave) has ${n} error${n === 1 ? '' : 's'}, shown above: nothing was planned or changed`,
    );
  }
  return new UserError(
    diagnostics
      .map((d) => {
        const where = d.range
          ? `${d.range.filename}:${d.range.start.line}:${d.range.start.column}: `
          : '';
        return `${where}${d.summary}: ${d.detail ?? ''}`.trim();
      })
      .join('\n'),
  );
}

/** The jobs an ordered or atomic apply did not start, and what an atomic apply put back. */
export function printOrderSummary(o: Output, result: ApplyResult): void {
  for (const r of result.outcomes)
    if (r.outcome.result === 'not-started')
      o.err(`${r.job}: not started: ${r.outcome.description ?? ''}`);
  const atomic = result.atomic;
  if (!atomic) return;
  const lines = atomic.reverted.map((r) => `  ${r.job}: ${describeRevert(r)}`);
  o.err(
    `\nThe apply is atomic and ${atomic.failed} failed, so what it changed was put back:\n${lines.join('\n')}\nWhat tasks did meanwhile (data written, a batch job that ran, a hook's effects) is not undone.`,
  );
}

function describeRevert(r: AtomicRevert): string {
  const what =
    r.toVersion === null ? 'stopped (it did not run before)' : `back to job version ${r.toVersion}`;
  if (r.outcome.ok)
    return r.outcome.result === 'none' && r.toVersion !== null
      ? `${what} (nothing left to change)`
      : what;
  return `NOT put back: ${what} failed${r.outcome.description ? `: ${r.outcome.description}` : ''}`;
}

/** The `atomic` member of apply's JSON result. */
export function atomicJson(atomic: AtomicResult) {
  return {
    failed: atomic.failed,
    reverted: atomic.reverted.map((r) => ({
      id: r.job,
      to_version: r.toVersion,
      result: r.outcome.result,
      ok: r.outcome.ok,
      description: r.outcome.description ?? null,
    })),
  };
}

/**
 * Sticky rollbacks: after `drover rollback` or an auto-revert, the repository usually still
 * holds the jobspec that was rolled back, and applying it again would silently roll forward to
 * the version that just failed. A plan of a job whose latest version came from a rollback or
 * an auto-revert, with a jobspec equal (normalized) to the version it reverted from, is
 * refused unless the user says `-roll-forward`; a changed jobspec plans as usual. Pure.
 */
import { decodeStoredJob } from '../jobspec/stored.js';
import type { StateSnapshot, VersionOrigin } from '../state/types.js';
import { deepEqual, type DesiredJob } from './compute.js';

export interface StickyRollback {
  job: string;
  /** Where the desired jobspec was read from. */
  filename: string;
  /** The version the jobspec equals: the one rolled back from. */
  revertedFrom: number;
  /** The version now current, which the rollback or auto-revert recorded. */
  current: number;
  /** The version whose job the rollback submitted again. */
  sourceVersion?: number;
  kind: Extract<VersionOrigin['kind'], 'rollback' | 'auto-revert'>;
  at: string;
  actor?: string;
  reason?: string;
}

/** The desired jobs that would roll forward to a version rolled back since. */
export function stickyRollbacks(
  state: StateSnapshot,
  desired: readonly DesiredJob[],
): StickyRollback[] {
  const out: StickyRollback[] = [];
  for (const d of desired) {
    if (d.kind !== 'run') continue;
    const recorded = state.jobs[d.id];
    // A stopped job is started again on purpose, whatever it was before.
    if (!recorded || recorded.stopped) continue;
    const latest = recorded.versions[recorded.versions.length - 1];
    const origin = latest?.origin;
    if (!latest || !origin || (origin.kind !== 'rollback' && origin.kind !== 'auto-revert'))
      continue;
    const from = recorded.versions.find((v) => v.version === origin.reverted_from);
    if (!from || !deepEqual(decodeStoredJob(from), d.job)) continue;
    out.push({
      job: d.id,
      filename: d.filename,
      revertedFrom: from.version,
      current: latest.version,
      ...(origin.source_version !== undefined ? { sourceVersion: origin.source_version } : {}),
      kind: origin.kind,
      at: latest.submitted_at,
      ...(latest.actor ? { actor: latest.actor } : {}),
      ...(origin.reason ? { reason: origin.reason } : {}),
    });
  }
  return out;
}

/** One sentence per job: which, which version, when, by whom, why. */
export function describeSticky(s: StickyRollback): string {
  const back = s.sourceVersion !== undefined ? ` to version ${s.sourceVersion}` : '';
  const what =
    s.kind === 'rollback'
      ? `was rolled back${back} (now version ${s.current})`
      : `failed its deployment and was auto-reverted${back} (now version ${s.current})`;
  const who = s.actor ? ` by ${s.actor}` : '';
  const why = s.reason ? `: ${s.reason}` : '';
  return `job "${s.job}" in ${s.filename} is version ${s.revertedFrom}, which ${what} at ${s.at}${who}${why}`;
}

/** The plan error for jobs that would roll forward, with the way out. */
export function stickyRefusal(sticky: readonly StickyRollback[]): string {
  const lines = sticky.map((s) => `  ${describeSticky(s)}`);
  return (
    `refusing to roll forward to ${sticky.length === 1 ? 'a version' : 'versions'} rolled back since:\n${lines.join('\n')}\n` +
    'Change the jobspec (fix what failed), or plan again with -roll-forward to apply it anyway.'
  );
}

/**
 * The CLI side of prune (see plan/prune): which of the paths given are directories, the
 * `-prune` flag and `stack { prune }`, and the stop requests and notes a plan of them gets.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import type { DroverConfig } from '../config/types.js';
import type { DesiredJob } from '../plan/compute.js';
import { decidePrune, describePrune, PRUNE_META } from '../plan/prune.js';
import type { StateSnapshot } from '../state/types.js';
import { UserError } from './with-session.js';
import { configRelative } from './audit-trail.js';
import { nodeFileAccess } from '../io/node-files.js';

export interface PruneFlag {
  /** `-prune=false`: this plan stops no job whose file left its directory. */
  prune?: string;
}

/** The `-prune` option of plan and apply. */
export const PRUNE_OPTION = [
  '--prune <bool>',
  'stop the jobs recorded from files of the planned directories that are gone or no longer define them (true|false; default: stack { prune } of drover.hcl, else true)',
] as const;

/**
 * The plan's desired jobs followed by the stops prune adds (last: apply runs jobs in plan
 * order), and a warning per job left running by its opt-out.
 */
export function withPrune(
  desired: readonly DesiredJob[],
  paths: readonly string[],
  opts: PruneFlag & { config?: string },
  config: DroverConfig,
  state: StateSnapshot,
): { desired: DesiredJob[]; warnings: Diagnostic[] } {
  if (!pruneEnabled(opts, config)) return { desired: [...desired], warnings: [] };
  const decision = decidePrune({
    state,
    // Relative to drover.hcl's directory, as job origins are recorded (fileOrigin).
    dirs: paths
      .filter((p) => nodeFileAccess.stat(p) === 'dir')
      .map((p) => configRelative(p, opts.config) || '.'),
    loadedFiles: desired.flatMap((d) =>
      d.kind === 'run' && d.origin?.kind === 'file' && d.origin.file ? [d.origin.file] : [],
    ),
    loadedJobs: new Set(desired.map((d) => d.id)),
  });
  return {
    desired: [
      ...desired,
      ...decision.stop.map((s): DesiredJob => ({
        kind: 'stop',
        id: s.job,
        purge: false,
        prune: { file: s.file, reason: s.reason },
      })),
    ],
    warnings: decision.kept.map((k) => ({
      severity: 'warning',
      summary: `job "${k.job}" is left running: ${describePrune(k)}`,
      detail: `It is not pruned because of ${k.why}. To stop it: drover stop ${k.job}; to let prune stop it, remove its meta "${PRUNE_META}".`,
    })),
  };
}

function pruneEnabled(opts: PruneFlag, config: DroverConfig): boolean {
  if (opts.prune === undefined) return config.prune !== false;
  if (opts.prune === 'true') return true;
  if (opts.prune === 'false') return false;
  throw new UserError(`-prune takes true or false, not "${opts.prune}"`);
}

/**
 * Prune: which recorded jobs a plan of a directory stops because their jobspec left it. Pure:
 * the recorded state, the directories planned and what was loaded from them come in; the jobs
 * to stop (in the order apply stops them) and the jobs left running by their opt-out come out.
 *
 * A job belongs to a directory through the file its last file-applied version was read from
 * (`origin.file`, relative to the directory of drover.hcl): rollbacks, auto-reverts and scales
 * keep that membership; a job launched by `job dispatch` or a periodic job, or recorded by a
 * drover that kept no origin, belongs to no directory and is never pruned.
 */
import { posix } from 'node:path';
import type { JobPrune } from '../generated/plan.js';
import type { JobState, StateSnapshot } from '../state/types.js';
import { decodeStoredJob } from '../jobspec/stored.js';

/** The job meta key that keeps a job out of prune: `meta { "drover.prune" = "false" }`. */
export const PRUNE_META = 'drover.prune';

export interface PruneInputs {
  /** The recorded state (not the refreshed one: membership is what was recorded). */
  state: StateSnapshot;
  /**
   * The directories the plan reads, relative to drover.hcl's directory, as job origins are
   * (`jobs`, `.`, `../other`). A plan of files only passes none: nothing is pruned.
   */
  dirs: readonly string[];
  /** The job files the plan loaded, relative to drover.hcl's directory. */
  loadedFiles: readonly string[];
  /** The ids of the jobs the plan applies. */
  loadedJobs: ReadonlySet<string>;
}

/** A recorded job whose file left a planned directory. */
export interface PruneCandidate extends JobPrune {
  job: string;
}

export interface KeptJob extends PruneCandidate {
  /** Why it is left running, in words. */
  why: string;
}

export interface PruneDecision {
  /** The jobs to stop, in the order apply stops them (last, the reverse of file order). */
  stop: PruneCandidate[];
  /** The jobs that would be stopped but opted out. */
  kept: KeptJob[];
}

export function decidePrune(inputs: PruneInputs): PruneDecision {
  const dirs = new Set(inputs.dirs.map(normalize));
  const loaded = new Set(inputs.loadedFiles.map(normalize));
  const candidates: Array<PruneCandidate & { recorded: JobState }> = [];
  if (dirs.size === 0) return { stop: [], kept: [] };
  for (const [id, recorded] of Object.entries(inputs.state.jobs)) {
    if (recorded.stopped || recorded.purged || inputs.loadedJobs.has(id)) continue;
    const file = recordedFile(recorded);
    if (file === undefined || !dirs.has(posix.dirname(file))) continue;
    candidates.push({
      job: id,
      file,
      reason: loaded.has(file) ? 'job-not-in-file' : 'file-removed',
      recorded,
    });
  }
  // A directory is applied in file order, so it is taken down in the reverse of it.
  candidates.sort((a, b) => compare(b.file, a.file) || compare(b.job, a.job));
  const stop: PruneCandidate[] = [];
  const kept: KeptJob[] = [];
  for (const { recorded, ...c } of candidates) {
    const optOut = optedOut(recorded);
    if (optOut) kept.push({ ...c, why: optOut });
    else stop.push(c);
  }
  return { stop, kept };
}

/**
 * The file a recorded job was last applied from, relative to drover.hcl's directory; undefined
 * when it does not belong to a directory (launched, or recorded without an origin).
 */
export function recordedFile(recorded: JobState): string | undefined {
  for (let i = recorded.versions.length - 1; i >= 0; i--) {
    const origin = recorded.versions[i]!.origin;
    if (!origin) return undefined;
    switch (origin.kind) {
      case 'file':
        return origin.file === undefined ? undefined : normalize(origin.file);
      case 'rollback':
      case 'auto-revert':
      case 'scale':
        continue; // versions made from the file's: it still belongs where that came from
      case 'dispatch':
      case 'periodic':
        return undefined;
    }
  }
  return undefined;
}

/** Why the job's latest version keeps it out of prune, or undefined. */
function optedOut(recorded: JobState): string | undefined {
  const latest = recorded.versions[recorded.versions.length - 1];
  if (!latest) return undefined;
  const value = decodeStoredJob(latest).meta?.[PRUNE_META];
  return value !== undefined && value.trim().toLowerCase() === 'false'
    ? `its meta "${PRUNE_META}" = "false"`
    : undefined;
}

/** One spelling per path: `./jobs/` and `jobs` are the same directory. */
function normalize(path: string): string {
  const p = posix.normalize(path.replaceAll('\\', '/'));
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Why a job is pruned, in words: `jobs/web.nomad.hcl was removed`. */
export function describePrune(p: JobPrune): string {
  return p.reason === 'file-removed' ? `${p.file} was removed` : `${p.file} no longer defines it`;
}

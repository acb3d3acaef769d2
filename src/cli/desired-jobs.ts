/**
 * The job files a plan reads, as desired jobs (each in its namespace, with its order), and how
 * a planfile is told from a job file: shared by the direct and the remote (`-address`) paths.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from '../diag/diagnostic.js';
import { ALL_NAMESPACES, DEFAULT_NAMESPACE, jobKey, keyOfJob } from '../state/job-key.js';
import type { NormalizedJob } from '../generated/normalized-job.js';
import { selectedNamespace, type NamespaceFlag } from './namespace.js';
import { loadJobFiles } from '../jobspec/load.js';
import type { DesiredJob } from '../plan/compute.js';
import { jobLoadOptions, type JobInputOptions } from './common.js';
import { jsonDiagnostics, printDiagnostics, printJson, type Output } from './output.js';
import { fileOrigin } from './audit-trail.js';
import { AFTER_KEY, afterList, type OrderInput } from '../plan/order.js';
import type { PruneFlag } from './prune.js';

export interface PlanOptions extends JobInputOptions, PruneFlag {
  config?: string;
  refresh?: string;
  out?: string;
  detailedExitcode?: boolean;
  verbose?: boolean;
  autoApprove?: boolean;
  lockTimeout?: string;
  detach?: boolean;
  /** Plan job files equal to a version rolled back since (see plan/sticky). */
  rollForward?: boolean;
  /** Recorded in the audit trail (and as a rollback's reason). */
  message?: string;
  /** Compare what runs with what was applied instead of planning (`drover drift`). */
  refreshOnly?: boolean;
  /** All or nothing: see ops/atomic (also `stack { atomic = true }`). */
  atomic?: boolean;
}

export interface LoadedDesired {
  desired: DesiredJob[];
  diagnostics: Diagnostic[];
  /** What each job declares about its order (plan/order), with where it was written. */
  ordering: OrderInput[];
  /** The job files' text, for code frames. */
  sources: Map<string, string>;
}

/** Loads job files into desired jobs; prints diagnostics; undefined on errors. */
export function loadDesired(
  o: Output,
  paths: string[],
  opts: JobInputOptions & { config?: string },
): LoadedDesired | undefined {
  const { jobs, diagnostics, sources } = loadJobFiles(paths, jobLoadOptions(opts));
  // What Nomad accepts but drover would not run as written stops a plan (validate only warns).
  const items = diagnostics.items.map((d): Diagnostic =>
    d.refusedByPlan ? { ...d, severity: 'error' } : d,
  );
  if (items.some((d) => d.severity === 'error')) {
    if (o.json) printJson(o, jsonDiagnostics(items));
    else printDiagnostics(o, items, sources);
    return undefined;
  }
  if (!o.json) printDiagnostics(o, items, sources);
  const placed = jobs.map((j) => inSelectedNamespace(j, opts));
  return {
    desired: placed.map((j) => ({
      kind: 'run',
      id: keyOfJob(j.job),
      job: j.job,
      submitted: j.submitted,
      source: j.source,
      filename: j.filename,
      ...(j.sensitive.length ? { sensitive: j.sensitive } : {}),
      origin: fileOrigin(j.filename, opts.config),
    })),
    diagnostics: items,
    ordering: placed.map((j) => ({
      id: keyOfJob(j.job),
      meta: afterInNamespace(j.job),
      ranges: j.ranges,
    })),
    sources,
  };
}

/** `drover.after` names jobs of the job's own namespace: the order works on their keys. */
function afterInNamespace(job: NormalizedJob): NormalizedJob['meta'] {
  const after = job.meta?.[AFTER_KEY];
  if (after === undefined || !job.namespace || job.namespace === DEFAULT_NAMESPACE) return job.meta;
  const keys = afterList(after).map((name) => jobKey(job.namespace, name));
  return { ...job.meta, [AFTER_KEY]: keys.join(',') };
}

/** A jobspec that names no namespace runs in `-namespace`, as with Nomad's `job run -namespace`. */
function inSelectedNamespace<T extends { job: NormalizedJob; submitted: unknown }>(
  loaded: T,
  opts: NamespaceFlag,
): T {
  const selected = selectedNamespace(opts);
  const written = (loaded.submitted as { namespace?: unknown }).namespace;
  if (written !== undefined || selected === ALL_NAMESPACES || selected === loaded.job.namespace)
    return loaded;
  return { ...loaded, job: { ...loaded.job, namespace: selected } };
}

export function isPlanfile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    const head = readFileSync(path, 'utf8').slice(0, 64).trimStart();
    return head.startsWith('{');
  } catch {
    return false;
  }
}

/**
 * What loading one job file found, as plain data (it crosses worker threads: see
 * cli/commands/validate-workers.ts), and the in-order tally of many files' reports that adds
 * what only the whole set shows: a job id defined twice. Imports nothing of the pipeline, so a
 * thread that only collects reports does not load the parser.
 */
import { Diagnostics, type Diagnostic } from '../diag/diagnostic.js';
import type { SourceRange } from '../diag/range.js';

export interface JobFileReport {
  file: string;
  /** The file's text; absent when it could not be read. */
  source?: string;
  diagnostics: Diagnostic[];
  /** The job's id and where its name is, when the file loaded without errors. */
  job?: { id: string; nameRange: SourceRange };
}

/** Adds files' reports in file order, reporting a job id that an earlier file already defined. */
export class JobFileTally {
  private readonly ids = new Map<string, string>();

  /** Diagnostics of all files so far; may start with some (finding the files, say). */
  constructor(readonly diagnostics: Diagnostics = new Diagnostics()) {}

  /** Adds one file's report; returns whether the file has diagnostics, a duplicate's included. */
  add(report: JobFileReport): boolean {
    const before = this.diagnostics.items.length;
    this.diagnostics.extend(report.diagnostics);
    const job = report.job;
    if (job) {
      const first = this.ids.get(job.id);
      if (first)
        this.diagnostics.error(
          'Duplicate job',
          job.nameRange,
          `A job with id "${job.id}" is also defined in ${first}. Job ids must be unique.`,
        );
      else this.ids.set(job.id, report.file);
    }
    return this.diagnostics.items.length > before;
  }
}

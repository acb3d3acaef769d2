/**
 * `validate`'s work on one file, the same on the main thread and in a worker: load it with the
 * CLI's inputs (the real file system, the drivers' config rules) and report it as plain data.
 */
import { loadJobFile } from '../../jobspec/load.js';
import { completeFileAccess } from '../../hcl/files.js';
import type { JobFileReport } from '../../jobspec/file-reports.js';
import { jobLoadOptions } from '../common.js';
import type { JobInputOptions } from '../job-input-options.js';

/** A function that loads one job file and reports on it. */
export function jobFileReporter(options: JobInputOptions): (file: string) => JobFileReport {
  const opts = jobLoadOptions(options);
  const files = completeFileAccess(opts.files ?? {});
  return (file) => loadJobFile(file, files, opts).report;
}

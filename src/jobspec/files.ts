/** Finds the job files named on the command line: files as given, directories scanned. */
import { join } from 'node:path';
import type { Diagnostics } from '../diag/diagnostic.js';
import type { FileAccess } from '../hcl/files.js';

const JOB_FILE = /\.(nomad|nomad\.hcl|hcl)$/;
/** Files in a job directory that are not jobs: drover's own config and variable files. */
const NOT_JOBS = /(^drover\.hcl$|\.vars\.hcl$|\.auto\.vars\.hcl$)/;

/**
 * Expands paths into job files: a file is taken as it is; a directory yields its `*.hcl`,
 * `*.nomad` and `*.nomad.hcl` files (not recursively), minus `drover.hcl` and `*.vars.hcl`.
 */
export function findJobFiles(
  paths: readonly string[],
  files: FileAccess,
  diags: Diagnostics,
  opts: { includeAll?: boolean } = {},
): string[] {
  const out: string[] = [];
  const empty: string[] = [];
  for (const p of paths) {
    const kind = files.stat(p);
    if (kind === undefined) {
      diags.error('No such file or directory', undefined, `Cannot read "${p}".`);
      continue;
    }
    if (kind === 'dir') {
      const found = jobFilesIn(p, files, opts.includeAll ?? false);
      if (found.length === 0) empty.push(p);
      out.push(...found);
    } else out.push(p);
  }
  // An empty directory among others is worth a warning; no job files at all is an error.
  for (const p of empty) {
    const say = out.length === 0 ? diags.error.bind(diags) : diags.warning.bind(diags);
    say(
      'No job files found',
      undefined,
      `The directory "${p}" holds no *.hcl, *.nomad or *.nomad.hcl job files.`,
    );
  }
  return [...new Set(out)];
}

/** The job files of one directory, sorted by name. */
function jobFilesIn(dir: string, files: FileAccess, includeAll: boolean): string[] {
  const wanted = (f: string): boolean => JOB_FILE.test(f) && (includeAll || !NOT_JOBS.test(f));
  if (files.listDirKinds)
    return files
      .listDirKinds(dir)
      .filter(([f, kind]) => kind === 'file' && wanted(f))
      .map(([f]) => f)
      .sort()
      .map((f) => join(dir, f));
  return files
    .listDir(dir)
    .filter(wanted)
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => files.stat(f) === 'file');
}

import type { Command } from 'commander';
import { loadJobFiles } from '../../jobspec/load.js';
import { redactAtPointers } from '../../jobspec/sensitive.js';
import { addJobInputOptions, jobLoadOptions, type JobInputOptions } from '../common.js';
import { printDiagnostics, printJson, jsonDiagnostics, type Output } from '../output.js';

export function registerJob(program: Command, io: (json: boolean) => Output): Command {
  const job = program
    .command('job')
    .description(
      'inspect jobs and their history; launch children of periodic and parameterized jobs',
    );
  addJobInputOptions(
    job
      .command('inspect')
      .description("print the normalized job: Nomad's defaults filled in, durations in ms")
      .argument('<file>', 'a job file'),
  ).action((file: string, opts: JobInputOptions) => {
    const o = io(Boolean(opts.json));
    const { jobs, diagnostics, sources } = loadJobFiles([file], jobLoadOptions(opts));
    const loaded = jobs[0];
    if (diagnostics.hasErrors || !loaded) {
      if (o.json) printJson(o, jsonDiagnostics(diagnostics.items));
      else printDiagnostics(o, diagnostics.items, sources);
      process.exitCode = 1;
      return;
    }
    if (!o.json) printDiagnostics(o, diagnostics.items, sources);
    const shown = redactAtPointers(loaded.job, loaded.sensitive);
    printJson(
      o,
      o.json ? { job: shown, diagnostics: jsonDiagnostics(diagnostics.items).diagnostics } : shown,
    );
    process.exitCode = 0;
  });
  return job;
}

import type { Command } from 'commander';
import { loadJobFiles } from '../../jobspec/load.js';
import { addJobInputOptions, variableInputs, type JobInputOptions } from '../common.js';
import { jsonDiagnostics, printDiagnostics, printJson, type Output } from '../output.js';

export function registerValidate(program: Command, io: (json: boolean) => Output): void {
  addJobInputOptions(
    program
      .command('validate')
      .description('check jobspecs for syntax, schema and semantic errors')
      .argument('<paths...>', 'job files or directories of them'),
  ).action((paths: string[], opts: JobInputOptions) => {
    const o = io(Boolean(opts.json));
    const { jobs, diagnostics, sources } = loadJobFiles(paths, { inputs: variableInputs(opts) });
    if (o.json) printJson(o, jsonDiagnostics(diagnostics.items));
    else {
      printDiagnostics(o, diagnostics.items, sources);
      if (!diagnostics.hasErrors)
        o.out(
          `Success! ${jobs.length} job${jobs.length === 1 ? '' : 's'} valid: ${jobs.map((j) => j.job.id).join(', ')}.`,
        );
      else
        o.err(
          `${diagnostics.errorCount} error${diagnostics.errorCount === 1 ? '' : 's'}, ${diagnostics.warningCount} warning${diagnostics.warningCount === 1 ? '' : 's'}.`,
        );
    }
    process.exitCode = diagnostics.hasErrors ? 1 : 0;
  });
}

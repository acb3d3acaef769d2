/**
 * The options of every command that reads jobspecs. Apart from common.ts so that `validate`,
 * which hands its files to worker threads, loads no driver module on its own thread.
 */
import type { Command } from 'commander';
import { collect } from './args.js';
import type { VariableInputs } from '../hcl/variables.js';

/** Options shared by every command that reads jobspecs. */
export interface JobInputOptions {
  json?: boolean;
  var?: string[];
  varFile?: string[];
}

export function addJobInputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print machine-readable JSON')
    .option('--var <key=value>', 'set a variable of the jobspec (repeatable)', collect, [])
    .option(
      '--var-file <file>',
      'read variables from an HCL or JSON file (repeatable)',
      collect,
      [],
    );
}

export function variableInputs(o: JobInputOptions): VariableInputs {
  // Jobspecs read only NOMAD_VAR_* from the environment: keep just those, once for every file.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith('NOMAD_VAR_')),
  );
  return { vars: o.var ?? [], varFiles: o.varFile ?? [], env };
}

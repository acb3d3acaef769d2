import type { Command } from 'commander';
import { collect } from './args.js';
import type { VariableInputs } from '../hcl/variables.js';
import { nodeFileAccess } from '../io/node-files.js';
import type { LoadOptions } from '../jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';

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

/**
 * How the CLI loads jobspecs: from the real file system, with the drivers' config rules. The
 * jobspec layer imports neither (docs/architecture.md, "Dependency rules"); this edge wires them.
 */
export function jobLoadOptions(o: JobInputOptions): LoadOptions {
  return { inputs: variableInputs(o), files: nodeFileAccess, drivers: driverConfigCheck };
}

import type { NamespaceFlag } from './namespace.js';
import type { Command } from 'commander';
import { collect } from './args.js';
import type { VariableInputs } from '../hcl/variables.js';
import { nodeFileAccess } from '../io/node-files.js';
import { durationNanos } from '../jobspec/duration.js';
import type { LoadOptions } from '../jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';

/** Options shared by every command that reads jobspecs. */
export interface JobInputOptions extends NamespaceFlag {
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

/** `--lock-timeout`, for the commands that take the state lock once. */
export const LOCK_TIMEOUT_OPTION = [
  '--lock-timeout <duration>',
  'how long to wait for the state lock (e.g. 30s)',
  '0s',
] as const;

/** `--lock-timeout` in milliseconds (0: do not wait). */
export function lockTimeoutMs(opts: { lockTimeout?: string }): number {
  return (durationNanos(opts.lockTimeout ?? '0s') ?? 0) / 1e6;
}

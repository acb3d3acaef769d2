/** drover's command line: parses arguments, runs a command, sets the exit code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../paths.js';
import { normalizeArgs } from './args.js';
import { registerFmt } from './commands/fmt.js';
import { registerJob } from './commands/job.js';
import { registerValidate } from './commands/validate.js';
import { registerApply, registerPlan } from './commands/plan.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerLaunchCommands } from './commands/launch.js';
import { registerAllocCommands } from './commands/alloc.js';
import { registerStateCommands } from './commands/state.js';
import { registerDeploymentCommands } from './commands/deployment.js';
import { registerNodeCommands } from './commands/node.js';
import { processOutput, type Output } from './output.js';

export function buildProgram(): Command {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  const program = new Command('drover')
    .description("Nomad's job language with Terraform's workflow, no agent on the hosts.")
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run drover --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Global, before or after the command (`drover plan -no-color jobs/`), as in Terraform.
    .option('--no-color', 'print no ANSI colour codes (NO_COLOR=1 does the same)')
    .exitOverride();
  // Commands make their output once they have parsed, so the flag is known by then.
  const output = (json: boolean): Output =>
    processOutput(json, { noColor: program.opts<{ color: boolean }>().color === false });
  registerValidate(program, output);
  registerFmt(program, output);
  registerPlan(program, output);
  registerApply(program, output);
  const jobCmd = registerJob(program, output);
  registerJobCommands(program, jobCmd, output);
  registerLaunchCommands(jobCmd, output);
  registerAllocCommands(program, output);
  registerStateCommands(program, output);
  registerDeploymentCommands(program, output);
  registerNodeCommands(program, output);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(normalizeArgs(argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander but successes to the user.
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.exitCode === 0
        ? 0
        : 1;
    }
    process.stderr.write(`drover: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

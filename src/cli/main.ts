/** drover's command line: parses arguments, runs a command, sets the exit code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../paths.js';
import { normalizeArgs } from './args.js';
import { selectedNamespace } from './namespace.js';
import { processOutput, type Output } from './output.js';
import { refuseUnservedCommands } from './remote/gate.js';

type Register = (program: Command, output: (json: boolean) => Output) => void;

/**
 * Commands that need only their own module. `drover validate` and `drover fmt` load just that
 * (the parser, the jobspec layer, the drivers' config checks), not the engine, state backends
 * (pg) and providers that every other command's module imports: start-up is about half as long.
 * Every other command line, help and `--version` included, loads every command.
 */
const STANDALONE: Readonly<Record<string, () => Promise<Register>>> = {
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  fmt: async () => (await import('./commands/fmt.js')).registerFmt,
};

/** The program with the commands `argv` needs (every command when `argv` is not given). */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  const program = new Command('drover')
    .description("Nomad's job language with Terraform's workflow, no agent on the hosts.")
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run drover --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    // Global, before or after the command (`drover plan -no-color jobs/`), as in Terraform.
    .option('--no-color', 'print no ANSI colour codes (NO_COLOR=1 does the same)')
    // Global too: with an address, commands work through that server (src/cli/remote/).
    .option(
      '--address <url>',
      'work through this drover server instead of the state directly (default: DROVER_ADDR)',
    )
    .option('--token <secret>', 'the ACL token for the server (default: DROVER_TOKEN)')
    .option(
      '--ca-cert <file>',
      "the CA that signed the server's certificate (default: DROVER_CACERT)",
    )
    .option(
      '--client-cert <file>',
      'a client certificate for a server that verifies clients (default: DROVER_CLIENT_CERT)',
    )
    .option('--client-key <file>', "the client certificate's key (default: DROVER_CLIENT_KEY)")
    .option(
      '--namespace <name>',
      'the namespace jobs are looked up in, or * for every namespace in listings (DROVER_NAMESPACE; default "default")',
    )
    .exitOverride();
  // Each command reads `opts.namespace`: the flag (before or after the command) or the variable.
  program.hook('preAction', (_program, command) => {
    command.setOptionValue('namespace', selectedNamespace(command.optsWithGlobals()));
  });
  // Commands make their output once they have parsed, so the flag is known by then.
  const output = (json: boolean): Output =>
    processOutput(json, { noColor: program.opts<{ color: boolean }>().color === false });
  const name = argv?.find((arg) => !arg.startsWith('-'));
  const standalone = name !== undefined && Object.hasOwn(STANDALONE, name) && STANDALONE[name];
  refuseUnservedCommands(program, output);
  if (standalone) (await standalone())(program, output);
  else (await import('./commands/index.js')).registerAllCommands(program, output);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = normalizeArgs(argv);
  const program = await buildProgram(args);
  try {
    await program.parseAsync(args, { from: 'user' });
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

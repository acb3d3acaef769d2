/**
 * What every `drover acl …` command shares: `-json`, the call to the server (its address, token
 * and TLS flags are global) with errors as every command prints them, and `key = value` rows.
 */
import type { Command } from 'commander';
import { apiClientOptions, createApiClient, type ApiClient, type ApiFlags } from '../api-client.js';
import type { Output } from '../output.js';
import { reportError } from '../with-session.js';

export interface Flags extends ApiFlags {
  json?: boolean;
}

export type Io = (json: boolean) => Output;

/** `-json` on a command; the server flags are the program's (main.ts), global to every command. */
export function serverCommand(cmd: Command): Command {
  return cmd.option('--json', 'print machine-readable JSON');
}

/**
 * Runs a command against the server (http://127.0.0.1:4646 when no address is given): errors
 * as every command prints them, exit code 1.
 */
export async function run(
  io: Io,
  cmd: Command,
  fn: (api: ApiClient, o: Output) => Promise<void>,
): Promise<void> {
  const flags = cmd.optsWithGlobals<Flags>();
  const o = io(Boolean(flags.json));
  try {
    await fn(createApiClient(apiClientOptions(flags, process.env)), o);
    process.exitCode = 0;
  } catch (err) {
    reportError(o, err);
  }
}

export function kv(o: Output, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) o.out(`${k.padEnd(width)} = ${v}`);
}

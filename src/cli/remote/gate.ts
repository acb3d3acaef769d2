/**
 * Which commands work through a server. With `-address` or DROVER_ADDR, a command either goes
 * through the server (SERVED: its action takes the remote path), needs neither state nor hosts
 * (LOCAL: the address does not concern it), or is refused before it runs: never does a command
 * given an address silently work on the state directly.
 */
import { CommanderError, type Command } from 'commander';
import type { Output } from '../output.js';

// main.ts loads this module for every command line, `validate` and `fmt` included: it imports
// nothing of the engine (see main.ts, STANDALONE).

/** Whether `cmd` was given a server: `-address` or DROVER_ADDR. */
export function addressGiven(cmd: Command, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(cmd.optsWithGlobals<{ address?: string }>().address || env['DROVER_ADDR']);
}

/** Commands with a remote path (README, "Using the CLI with a server", lists the same). */
export const SERVED = new Set([
  'status',
  'alloc status',
  'logs',
  'plan',
  'apply',
  'stop',
  'scale',
  'rollback',
  'job dispatch',
  'job periodic force',
  'promote',
  'deployment status',
  'deployment fail',
  'node eligibility',
  'node drain',
  'node status',
  'job history',
  'audit',
  'approve',
  'var put',
  'var get',
  'var list',
  'var purge',
]);

/** Commands that read only local files, or are the server or its API client themselves. */
const LOCAL = ['validate', 'fmt', 'job inspect', 'server', 'acl'];

/** `alloc status` for the command object of `drover alloc status`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function isLocal(path: string): boolean {
  return LOCAL.some((p) => path === p || path.startsWith(`${p} `));
}

/** The refusal of a command that has no way through a server. */
export function notThroughServer(path: string): string {
  return `drover ${path} does not work through a server (-address or DROVER_ADDR): run it where the state is, without an address`;
}

/** Refuses, before its action, a command given an address that cannot go through a server. */
export function refuseUnservedCommands(program: Command, output: (json: boolean) => Output): void {
  program.hook('preAction', (_program, action) => {
    if (!addressGiven(action)) return;
    const path = commandPath(action);
    if (SERVED.has(path) || isLocal(path)) return;
    const o = output(Boolean(action.opts<{ json?: boolean }>().json));
    if (o.json) o.out(JSON.stringify({ error: notThroughServer(path) }, null, 2));
    else o.err(`${o.errStyle.error('error')}: ${notThroughServer(path)}`);
    throw new CommanderError(1, 'drover.notThroughServer', notThroughServer(path));
  });
}

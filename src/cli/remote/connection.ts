/**
 * Whether a command works through a running `drover server` (`-address` or DROVER_ADDR given)
 * or on the state directly (neither: the default), and how a command through a server reports
 * what went wrong: one line, exit code 1, as every command does.
 */
import type { Command } from 'commander';
import {
  apiClientOptions,
  createApiClient,
  type ApiClient,
  type ApiClientOptions,
  type ApiFlags,
} from '../api-client.js';
import type { Output } from '../output.js';
import { reportError } from '../with-session.js';
import { addressGiven } from './gate.js';

/** The server `cmd` is to work through; undefined when neither -address nor DROVER_ADDR is given. */
export function remoteTarget(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env,
): ApiClientOptions | undefined {
  if (!addressGiven(cmd, env)) return undefined;
  return apiClientOptions(cmd.optsWithGlobals<ApiFlags>(), env);
}

/** Runs `fn` against the server: an error (unreachable, TLS, 403, a refusal) is one line, exit 1. */
export async function runRemote(
  o: Output,
  target: ApiClientOptions,
  fn: (api: ApiClient) => Promise<void>,
): Promise<void> {
  try {
    await fn(createApiClient(target));
    if (process.exitCode === undefined) process.exitCode = 0;
  } catch (err) {
    reportError(o, err);
  }
}

/** A query string with the namespace (and whatever else is given), for Nomad's read routes. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** A path segment of an id (a launched child's id holds a `/`). */
export function seg(id: string): string {
  return encodeURIComponent(id);
}

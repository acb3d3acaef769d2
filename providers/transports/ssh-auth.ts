/**
 * Which credentials the ssh transport offers, in order: the node's `identity` file, else the
 * agent at SSH_AUTH_SOCK, else the user's default keys (~/.ssh/id_ed25519, id_ecdsa, id_rsa).
 * Keys are read and parsed here so that a bad key file is a clear message, not a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyAuthMethod } from 'ssh2';

export const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

export interface AuthSources {
  /** The node's `identity`; `~/` is the user's home. */
  identity?: string;
  /** SSH_AUTH_SOCK. */
  agentSocket?: string;
  home: string;
}

export interface AuthPlan {
  methods: AnyAuthMethod[];
  /** What each method is, in order, for "authentication failed (tried …)". */
  tried: string[];
  /** Keys that exist but could not be used, with why. */
  skipped: string[];
}

/** `~` and `~/x` relative to `home`; other paths unchanged. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** The credentials to offer, as ssh2 auth methods for `username`. */
export async function planAuth(sources: AuthSources, username: string): Promise<AuthPlan> {
  const plan: AuthPlan = { methods: [], tried: [], skipped: [] };
  if (sources.identity !== undefined) {
    const path = expandHome(sources.identity, sources.home);
    const key = await readKey(path);
    if (typeof key === 'string') {
      // An identity that was asked for and cannot be used is an error of its own.
      throw new Error(`identity ${path}: ${key}`);
    }
    addKey(plan, username, path, key);
    return plan;
  }
  if (sources.agentSocket) {
    plan.methods.push({ type: 'agent', username, agent: sources.agentSocket });
    plan.tried.push(`agent ${sources.agentSocket}`);
    return plan;
  }
  for (const file of DEFAULT_KEY_FILES) {
    const path = join(sources.home, '.ssh', file);
    const key = await readKey(path);
    if (key === MISSING) continue;
    if (typeof key === 'string') plan.skipped.push(`${path} (${key})`);
    else addKey(plan, username, path, key);
  }
  return plan;
}

function addKey(plan: AuthPlan, username: string, path: string, key: Buffer): void {
  plan.methods.push({ type: 'publickey', username, key });
  plan.tried.push(`publickey ${path}`);
}

const MISSING = 'no such file';

/** The key file's bytes once they parse as a private key; otherwise why not. */
async function readKey(path: string): Promise<Buffer | string> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? MISSING : `cannot read it (${code ?? String(e)})`;
  }
  const { default: ssh2 } = await import('ssh2');
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    return /encrypted|passphrase/i.test(parsed.message)
      ? 'it is encrypted; load it into ssh-agent instead'
      : `not a private key (${parsed.message})`;
  }
  return parsed.isPrivateKey() ? data : 'not a private key';
}

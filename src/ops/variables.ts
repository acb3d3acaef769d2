/**
 * `drover var put` and `var purge`: one locked, compare-and-swap state write each (like `node
 * trust`), not a plan: a Variable changes no workload until a template reads it at apply.
 */
import { currentActor } from '../audit/identity.js';
import type { VariableMeta } from '../template/context.js';
import type { Keyring } from '../state/variables-keyring.js';
import { KeyringError } from '../state/variables-keyring.js';
import { purgeVariable, putVariable } from '../state/variables.js';
import type { EngineContext } from './context.js';
import { withStateLock } from './lock.js';

export interface WriteVariableRequest {
  path: string;
  items: Readonly<Record<string, string>>;
  checkIndex?: number;
  force?: boolean;
  lockTimeoutMs?: number;
  /** Who writes, for the event log (default: this process's user@host; the server's: the token's actor). */
  who?: string;
}

/** Seals the items with the keyring's active key and writes the Variable under the lock. */
export async function writeVariable(
  ctx: EngineContext,
  keyring: Keyring,
  req: WriteVariableRequest,
): Promise<{ meta: VariableMeta; created: boolean }> {
  const key = keyring.active;
  if (!key) throw new KeyringError(`${keyring.where} has no key to seal Variables with`);
  return withStateLock(ctx, 'var put', req.lockTimeoutMs ?? 0, async () => {
    const state = await ctx.store.read();
    const r = putVariable(state, {
      path: req.path,
      items: req.items,
      ...(req.checkIndex !== undefined ? { checkIndex: req.checkIndex } : {}),
      force: Boolean(req.force),
      key,
      now: new Date(ctx.clock.now()),
      who: req.who ?? currentActor(),
    });
    await ctx.store.write(r.state, state.serial);
    return { meta: r.meta, created: r.created };
  });
}

/** Removes the Variable under the lock; a path that holds none is left as it is. */
export async function removeVariable(
  ctx: EngineContext,
  req: { path: string; checkIndex?: number; lockTimeoutMs?: number; who?: string },
): Promise<VariableMeta | undefined> {
  return withStateLock(ctx, 'var purge', req.lockTimeoutMs ?? 0, async () => {
    const state = await ctx.store.read();
    const r = purgeVariable(state, {
      path: req.path,
      ...(req.checkIndex !== undefined ? { checkIndex: req.checkIndex } : {}),
      now: new Date(ctx.clock.now()),
      who: req.who ?? currentActor(),
    });
    if (r.state !== state) await ctx.store.write(r.state, state.serial);
    return r.purged;
  });
}

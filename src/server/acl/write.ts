/**
 * How an ACL endpoint changes the state: on the leader, under the state lock, the change
 * computed from the state read under it, written with its audit record (who acted, never a
 * secret). ACL writes touch no host, so they do not observe the fleet as job writes do.
 */
import { withStateLock } from '../../ops/lock.js';
import { appendAudit } from '../../state/audit.js';
import type { StateSnapshot } from '../../state/types.js';
import { indexOf } from '../context.js';
import { NotLeaderError, type Actor, type ServerContext } from '../types.js';

/** How long a write waits for a CLI that holds the state lock (as the server's other writes). */
const LOCK_TIMEOUT_MS = 60_000;

export interface AclChange<T> {
  state: StateSnapshot;
  result: T;
  /** The audit record's sentence: what changed, naming tokens by name and accessor id. */
  detail: string;
}

/** Runs `change` on the state under the lock and writes what it returns; the result and the new index. */
export async function aclWrite<T>(
  ctx: ServerContext,
  actor: Actor,
  operation: string,
  change: (state: StateSnapshot) => AclChange<T>,
): Promise<{ result: T; index: number }> {
  if (!ctx.leadership().isLeader)
    throw new NotLeaderError(`${operation}: this server is not the leader`);
  const engine = ctx.engine;
  return withStateLock(engine, operation, LOCK_TIMEOUT_MS, async () => {
    const started = engine.clock.now();
    const state = await engine.store.read();
    const next = change(state);
    const by = actor.accessorId ? `${actor.name} (accessor ${actor.accessorId})` : actor.name;
    const written = await engine.store.write(
      appendAudit(next.state, {
        time: new Date(started).toISOString(),
        duration_ms: Math.max(0, engine.clock.now() - started),
        actor: actor.name,
        operation,
        jobs: [],
        result: 'ok',
        exit_code: 0,
        detail: `${next.detail} by ${by}`,
      }),
      state.serial,
    );
    ctx.log.info(`${operation}: ${next.detail}`, { operation, actor: actor.name });
    // The next request (the new token's first) must see this write, not the cached state.
    await ctx.wrote?.();
    // The change index of this write, as X-Nomad-Index reports the state after it.
    return { result: next.result, index: indexOf(written) };
  });
}

/** Running an operation under the state lock, as every change to a fleet does. */
import { newLockInfo } from '../state/store.js';
import type { EngineContext } from './context.js';

export async function withStateLock<T>(
  ctx: EngineContext,
  operation: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await ctx.store.lock(newLockInfo(operation), { timeoutMs });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * `drover node trust`: forgets a node's pinned SSH host key so the next connection pins the key
 * it is shown. It changes no workload, so it is not a plan: one locked state write.
 */
import type { EngineContext } from './context.js';
import { OperationError } from './context.js';
import { withStateLock } from './lock.js';

export async function forgetHostKey(
  ctx: EngineContext,
  node: string,
  timeoutMs = 0,
): Promise<void> {
  await withStateLock(ctx, 'node trust', timeoutMs, async () => {
    const state = await ctx.store.read();
    const n = state.nodes[node];
    if (!n) throw new OperationError(`no node "${node}" in state (run drover node status first)`);
    const { host_key: _forgotten, ...rest } = n;
    await ctx.store.write({ ...state, nodes: { ...state.nodes, [node]: rest } }, state.serial);
  });
}

/**
 * Refresh: before planning, look at what really runs on the hosts and fold it into the state
 * the plan is computed from (in memory; the next apply records it). An allocation whose
 * container was removed by hand becomes `lost`, one whose task died `failed` (or `complete`
 * when it exited 0), and the plan replaces them.
 */
import type { Driver, NodeSpec, TaskStatus, Transport } from '../../providers/types.js';
import type { ClientStatus, DriverHandle, StateSnapshot } from '../state/types.js';
import { allocHandles } from './alloc-tasks.js';

export interface Drift {
  allocId: string;
  name: string;
  node: string;
  from: ClientStatus;
  to: ClientStatus;
  reason: string;
}

export interface RefreshContext {
  driver(name: string): Driver | undefined;
  transport(node: NodeSpec): Transport;
  nodes: ReadonlyMap<string, NodeSpec>;
  /** Hosts looked at in parallel at most. */
  parallelism?: number;
}

export async function refreshState(
  state: StateSnapshot,
  ctx: RefreshContext,
): Promise<{ state: StateSnapshot; drift: Drift[] }> {
  const live = Object.values(state.allocations).filter(
    (a) =>
      a.desired_status === 'run' &&
      (a.client_status === 'running' || a.client_status === 'pending'),
  );
  const drift: Drift[] = [];
  /** Handles of tasks started by an apply killed before it recorded them, by allocation. */
  const recoveredHandles = new Map<string, Record<string, DriverHandle>>();
  const observed = await mapBounded(live, ctx.parallelism ?? 8, async (a) => {
    const node = ctx.nodes.get(a.node);
    if (!node)
      return { to: 'lost' as const, reason: `node "${a.node}" is no longer in the inventory` };
    const transport = ctx.transport(node);
    let found: Awaited<ReturnType<typeof allocHandles>>;
    try {
      found = await allocHandles(state, a, node, transport, (n) => ctx.driver(n));
    } catch (err) {
      return {
        to: 'lost' as const,
        reason: `node "${a.node}" did not answer: ${(err as Error).message}`,
      };
    }
    const tasks = Object.entries(found.handles);
    if (tasks.length === 0)
      return { to: 'lost' as const, reason: 'it never started (an apply was interrupted)' };
    if (found.recovered.length) recoveredHandles.set(a.id, found.handles);
    for (const [task, handle] of tasks) {
      let st: TaskStatus;
      try {
        const d = ctx.driver(handle.driver);
        if (!d)
          return { to: 'lost' as const, reason: `driver "${handle.driver}" is not available` };
        st = await d.inspect(handle, transport);
      } catch (err) {
        return {
          to: 'lost' as const,
          reason: `node "${a.node}" did not answer: ${(err as Error).message}`,
        };
      }
      if (st.state === 'missing')
        return { to: 'lost' as const, reason: `task "${task}" is gone from the host` };
      if (st.state === 'dead')
        return st.failed || (st.exitCode ?? 0) !== 0
          ? {
              to: 'failed' as const,
              reason: `task "${task}" exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}`,
            }
          : { to: 'complete' as const, reason: `task "${task}" finished` };
    }
    // Every task runs: an allocation left pending by an interrupted apply is running.
    return a.client_status === 'pending'
      ? { to: 'running' as const, reason: 'its tasks are running' }
      : undefined;
  });
  let allocations = state.allocations;
  live.forEach((a, i) => {
    const handles = recoveredHandles.get(a.id);
    if (handles) allocations = { ...allocations, [a.id]: { ...a, driver_handles: handles } };
    const o = observed[i];
    if (!o || o.to === a.client_status) return;
    drift.push({
      allocId: a.id,
      name: a.name,
      node: a.node,
      from: a.client_status,
      to: o.to,
      reason: o.reason,
    });
    allocations = { ...allocations, [a.id]: { ...allocations[a.id]!, client_status: o.to } };
  });
  return { state: allocations === state.allocations ? state : { ...state, allocations }, drift };
}

/** Maps with at most `limit` promises in flight, keeping order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Refresh: before planning, look at what really runs on the hosts and fold it into the state
 * the plan is computed from (in memory; the next apply records it). An allocation whose
 * container was removed by hand becomes `lost`, one whose task died `failed` (or `complete`
 * when it exited 0), and the plan replaces them.
 */
import type { Driver, NodeSpec, TaskStatus, Transport } from '../../providers/types.js';
import type { ClientStatus, DriverHandle, StateSnapshot, TaskState } from '../state/types.js';
import { allocHandles, recordedGroup, taskStateOf as taskState } from './alloc-tasks.js';
import { hookOf, judgeAlloc, runsToCompletion } from './lifecycle.js';

export interface Drift {
  allocId: string;
  name: string;
  node: string;
  from: ClientStatus;
  to: ClientStatus;
  /** Why, with the driver's own words when it gave some. */
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
  /** Tasks started by an apply killed before it recorded them: handles and states, by allocation. */
  const recoveredTasks = new Map<
    string,
    { handles: Record<string, DriverHandle>; states: Record<string, TaskState> }
  >();
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
    const states: Record<string, TaskState> = {};
    if (found.recovered.length) recoveredTasks.set(a.id, { handles: found.handles, states });
    const spec = recordedGroup(state, a);
    const hooks = new Map(spec.tasks.map((t) => [t.name, hookOf(t)]));
    // Killed between one task's start and the next: the allocation never ran whole (and its
    // main tasks never start after a prestart that an interrupted apply left: it is replaced).
    // Poststop tasks run only when the allocation stops: not started is their normal state.
    const missing = found.missing.filter((t) => hooks.get(t) !== 'poststop');
    if (missing.length)
      return {
        to: 'lost' as const,
        reason: `task "${missing[0]}" never started (an apply was interrupted)`,
      };
    const statuses = new Map<string, TaskStatus>();
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
      if (found.recovered.includes(task) && st.state !== 'missing')
        states[task] = taskState(st, st.state);
      // A task found but not running (a container created, never started) would stay so.
      if (st.state === 'pending' && found.recovered.includes(task))
        return {
          to: 'lost' as const,
          reason: `task "${task}" did not get to run (an apply was interrupted)`,
        };
      statuses.set(task, st);
    }
    const verdict = judgeAlloc(spec.tasks, statuses, {
      batch: runsToCompletion(spec.job?.type),
    });
    // How the tasks that ended did: reschedule delays count from then, `alloc status` shows it.
    const ended = Object.fromEntries(
      [...statuses].flatMap(([t, st]) => (st.state === 'dead' ? [[t, taskState(st, 'dead')]] : [])),
    );
    switch (verdict.state) {
      case 'failed': {
        const { task, status: st } = verdict;
        // drover did not stop it (its desired status is run): someone or something else did.
        return st.state === 'missing'
          ? {
              to: 'lost' as const,
              reason: `task "${task}" was stopped outside drover`,
              ...(st.message ? { detail: st.message } : {}),
            }
          : {
              to: 'failed' as const,
              reason: `task "${task}" exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}`,
              ended,
            };
      }
      case 'complete':
        return {
          to: 'complete' as const,
          reason: verdict.task ? `task "${verdict.task}" finished` : 'its tasks finished',
          ended,
        };
      case 'running':
        // Every task runs: an allocation left pending by an interrupted apply is running.
        return a.client_status === 'pending'
          ? { to: 'running' as const, reason: 'its tasks are running' }
          : undefined;
      case 'pending':
        return undefined;
    }
  });
  let allocations = state.allocations;
  live.forEach((a, i) => {
    const r = recoveredTasks.get(a.id);
    if (r)
      allocations = {
        ...allocations,
        [a.id]: {
          ...a,
          driver_handles: r.handles,
          task_states: { ...a.task_states, ...r.states },
        },
      };
    const o = observed[i];
    if (!o || o.to === a.client_status) return;
    drift.push({
      allocId: a.id,
      name: a.name,
      node: a.node,
      from: a.client_status,
      to: o.to,
      reason: 'detail' in o && o.detail ? `${o.reason}: ${o.detail}` : o.reason,
    });
    const prior = allocations[a.id]!;
    allocations = {
      ...allocations,
      [a.id]: {
        ...prior,
        client_status: o.to,
        client_description: o.reason,
        ...('ended' in o ? { task_states: { ...prior.task_states, ...o.ended } } : {}),
      },
    };
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

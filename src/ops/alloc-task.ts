/**
 * Reaching one task of an allocation, as `drover logs`, `drover exec` and the server's logs
 * endpoint do: the task (the one asked for, or the first main task that was started), its driver
 * handle, its node and its driver, from the recorded state.
 */
import type { Readable } from 'node:stream';
import type { LogOptions } from '../../providers/types.js';
import { recordedTasks } from '../deploy/alloc-tasks.js';
import { hookOf } from '../deploy/lifecycle.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import { OperationError, type EngineContext } from './context.js';

/** The allocation has no such task (or none was started). */
export class NoSuchTaskError extends OperationError {}

export function allocTask(
  engine: Pick<EngineContext, 'nodes' | 'drivers'>,
  state: StateSnapshot,
  alloc: Allocation,
  task: string | undefined,
) {
  // Without a task named, the first main task: a prestart hook starts first but is seldom what is asked.
  const main = [...recordedTasks(state, alloc).values()].find(
    (t) => !hookOf(t) && alloc.driver_handles[t.name],
  );
  const { handle, task: taskName } = taskHandle(alloc, task ?? main?.name);
  const node = engine.nodes.get(alloc.node);
  const driver = engine.drivers.get(handle.driver);
  if (!node || !driver)
    throw new OperationError(
      `allocation ${alloc.id.slice(0, 8)} is on node "${alloc.node}", which is not in the inventory`,
    );
  return { handle, taskName, node, driver, alloc };
}

export type AllocTask = ReturnType<typeof allocTask>;

/** The task's log (stdout, or stderr) through its driver over its node's transport. */
export function taskLogs(
  engine: Pick<EngineContext, 'transport'>,
  at: AllocTask,
  opts: LogOptions,
): Readable {
  return at.driver.logs(at.handle, engine.transport(at.node), opts);
}

function taskHandle(alloc: Allocation, task: string | undefined) {
  const names = Object.keys(alloc.driver_handles);
  const name = task ?? names[0];
  const handle = name === undefined ? undefined : alloc.driver_handles[name];
  if (!name || !handle)
    throw new NoSuchTaskError(
      task
        ? `allocation ${alloc.id.slice(0, 8)} has no task "${task}" (tasks: ${names.join(', ') || 'none'})`
        : `allocation ${alloc.id.slice(0, 8)} has no started task`,
    );
  return { handle, task: name };
}

/**
 * Task lifecycle inside one allocation, as Nomad's client runs it
 * (`client/allocrunner/tasklifecycle/`, `alloc_runner.go`, `allochealth/tracker.go`): which
 * tasks start in which phase, and what the allocation's tasks, as their drivers report them,
 * say about the allocation. Pure: task specs and statuses in, phases and verdicts out.
 *
 * Phases: prestart tasks first (ephemeral ones must exit 0, sidecars must be running), then the
 * main tasks (no `lifecycle` block), then poststart tasks once every main task runs; poststop
 * tasks run once the main tasks have stopped.
 */
import type { NormalizedTask as Task } from '../generated/normalized-job.js';
import type { TaskStatus } from '../../providers/types.js';

export type Hook = 'prestart' | 'poststart' | 'poststop';

/** The tasks of a group by the phase they start in, each in the group's order. */
export interface Phases<T = Task> {
  /** Started first, together: ephemeral ones run to completion, sidecars keep running. */
  prestart: T[];
  /** Tasks without a lifecycle block; they start once every prestart task is done or running. */
  main: T[];
  /** Started once every main task runs. */
  poststart: T[];
  /** Run after the main tasks stopped: when the allocation is stopped, or a batch one completed. */
  poststop: T[];
}

type Lifecycled = Pick<Task, 'name'> & Partial<Pick<Task, 'lifecycle'>>;

/** Batch work runs to completion; service and system tasks run until stopped. */
export function runsToCompletion(jobType: string | undefined): boolean {
  return jobType === 'batch' || jobType === 'sysbatch';
}

export function hookOf(task: Lifecycled): Hook | undefined {
  const hook = task.lifecycle?.hook;
  return hook === 'prestart' || hook === 'poststart' || hook === 'poststop' ? hook : undefined;
}

/** A hook that runs once and ends (Nomad: "ephemeral"): a prestart or poststart task without sidecar. */
export function isEphemeralHook(task: Lifecycled): boolean {
  const hook = hookOf(task);
  return (hook === 'prestart' || hook === 'poststart') && task.lifecycle?.sidecar !== true;
}

/** A hook kept running beside the main tasks. */
export function isSidecar(task: Lifecycled): boolean {
  const hook = hookOf(task);
  return (hook === 'prestart' || hook === 'poststart') && task.lifecycle?.sidecar === true;
}

export function phasesOf<T extends Lifecycled>(tasks: readonly T[]): Phases<T> {
  const phases: Phases<T> = { prestart: [], main: [], poststart: [], poststop: [] };
  for (const t of tasks) phases[hookOf(t) ?? 'main'].push(t);
  return phases;
}

/** How a task reads in progress output: `prestart task "migrate"`, `task "web"`. */
export function taskLabel(task: Lifecycled): string {
  const hook = hookOf(task);
  const kind = hook ? `${hook}${task.lifecycle?.sidecar ? ' sidecar' : ''} task` : 'task';
  return `${kind} "${task.name}"`;
}

/**
 * The order an allocation's tasks are stopped in (`alloc_runner.go` killTasks): the leader
 * first, then the other tasks that are not sidecars, then the sidecars, so a log shipper
 * outlives what it ships. Poststop tasks are not in it: they run after all of these stopped.
 */
export function stopOrder<T extends Lifecycled & { leader?: boolean | undefined }>(
  tasks: readonly T[],
): T[][] {
  const running = tasks.filter((t) => hookOf(t) !== 'poststop');
  const leader = running.filter((t) => t.leader === true);
  const rest = running.filter((t) => t.leader !== true && !isSidecar(t));
  const sidecars = running.filter((t) => t.leader !== true && isSidecar(t));
  return [leader, rest, sidecars].filter((wave) => wave.length > 0);
}

// ---------------------------------------------------------------------------------------------
// What the tasks say about the allocation

export type AllocVerdict =
  /** Tasks are still starting (or, for batch work, still working). */
  | { state: 'pending' }
  /** Every task that must run is running; ephemeral hooks are done or running. */
  | { state: 'running' }
  /**
   * Batch: every task that is not a sidecar ended with exit 0. Service: `task`, which must
   * keep running (a main task or a sidecar), ended with exit 0.
   */
  | { state: 'complete'; task?: string; status?: TaskStatus }
  /** `task` failed (after its restarts), or is gone from its host. */
  | { state: 'failed'; task: string; status: TaskStatus };

export interface JudgeOptions {
  /** Batch work (batch, sysbatch): main tasks run to completion instead of running on. */
  batch: boolean;
}

/**
 * Judges an allocation from its tasks' statuses (absent: not started, as poststop tasks of a
 * running allocation). Nomad's rules for hooks: an ephemeral hook's exit 0 is success, never a
 * failure, and a completed one counts for nothing in health; poststop tasks are not expected to
 * run while the allocation does; a failed task of any kind fails the allocation.
 */
export function judgeAlloc(
  tasks: readonly Lifecycled[],
  statuses: ReadonlyMap<string, TaskStatus>,
  opts: JudgeOptions,
): AllocVerdict {
  let starting = false;
  let working = false;
  let ended: { task: string; status: TaskStatus } | undefined;
  // A task the job no longer describes (its version is gone) counts as a main task.
  const named = new Set(tasks.map((t) => t.name));
  const unknown = [...statuses.keys()].filter((n) => !named.has(n)).map((name) => ({ name }));
  for (const t of [...tasks, ...unknown]) {
    const st = statuses.get(t.name);
    const hook = hookOf(t);
    if (!st) {
      // Not started: poststop tasks wait for the stop; anything else is still to come.
      if (hook !== 'poststop') starting = true;
      continue;
    }
    if (st.state === 'missing') {
      if (hook === 'poststop') continue; // removed once it ran
      return { state: 'failed', task: t.name, status: st };
    }
    if (st.state === 'dead') {
      if (st.failed || (st.exitCode ?? 0) !== 0)
        return { state: 'failed', task: t.name, status: st };
      if (hook === 'poststop' || isEphemeralHook(t) || opts.batch) continue;
      ended ??= { task: t.name, status: st };
      continue;
    }
    if (hook === 'poststop') continue;
    if (st.state === 'pending') starting = true;
    // Batch work is done when what is not a sidecar has ended; an ephemeral hook may still run.
    if (opts.batch && !isSidecar(t)) working = true;
  }
  if (ended) return { state: 'complete', ...ended };
  if (opts.batch) return starting || working ? { state: 'pending' } : { state: 'complete' };
  return starting ? { state: 'pending' } : { state: 'running' };
}

/**
 * Where a prestart phase stands: `done` when every ephemeral prestart task exited 0 and every
 * sidecar runs, `failed` naming the task, else `waiting`.
 */
export function prestartProgress(
  prestart: readonly Lifecycled[],
  statuses: ReadonlyMap<string, TaskStatus>,
):
  | { state: 'waiting'; completed: string[] }
  | { state: 'done'; completed: string[] }
  | { state: 'failed'; task: string; status: TaskStatus; completed: string[] } {
  const completed: string[] = [];
  let waiting = false;
  for (const t of prestart) {
    const st = statuses.get(t.name);
    if (!st || st.state === 'pending') {
      waiting = true;
      continue;
    }
    if (st.state === 'missing') return { state: 'failed', task: t.name, status: st, completed };
    if (st.state === 'dead') {
      // A sidecar that ended, even with 0, is not there for the main tasks to run beside.
      if (st.failed || (st.exitCode ?? 0) !== 0 || isSidecar(t))
        return { state: 'failed', task: t.name, status: st, completed };
      completed.push(t.name);
      continue;
    }
    if (!isSidecar(t)) waiting = true; // an ephemeral one still running
  }
  return waiting ? { state: 'waiting', completed } : { state: 'done', completed };
}

/**
 * The tasks of a recorded allocation and their handles, including tasks whose handle never
 * reached state: drover records an allocation before starting its tasks and each handle after,
 * so a drover killed in between leaves a task only its driver can find again (`recover`).
 */
import { hostJobName, jobIdentity } from '../state/job-key.js';
import {
  taskInstanceName,
  type Driver,
  type NodeSpec,
  type TaskStatus,
  type Transport,
} from '../../providers/types.js';
import { ALLOC_ROOT_ATTRIBUTE } from '../../providers/transports/node-fingerprint.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import { recordedJob } from '../scheduler/from-state.js';
import type { Allocation, DriverHandle, StateSnapshot, TaskState } from '../state/types.js';

/**
 * Where an allocation's directory is on its node's host: `<alloc_root>/<alloc-id>`, under the
 * root the node's fingerprint chose (recorded in state, so every command agrees), else the
 * configured one.
 */
export function allocDirOf(s: StateSnapshot, node: NodeSpec, allocId: string): string {
  const chosen = s.nodes[node.name]?.fingerprint?.attributes[ALLOC_ROOT_ATTRIBUTE];
  return `${chosen ?? node.alloc_root}/${allocId}`;
}

/** The tasks of the job version an allocation runs, by name. */
export function recordedTasks(s: StateSnapshot, a: Allocation): Map<string, Task> {
  return new Map(recordedGroup(s, a).tasks.map((t) => [t.name, t]));
}

/** The job version and group an allocation runs, as recorded (absent when that version is gone). */
export function recordedGroup(
  s: StateSnapshot,
  a: Allocation,
): { job: Job | undefined; group: Group | undefined; tasks: Task[] } {
  const job = recordedJob(s, a.job, a.version);
  const group = job?.group.find((g) => g.name === a.group);
  return { job, group, tasks: group?.task ?? [] };
}

/**
 * Every task handle of an allocation: the recorded ones, plus those its drivers find on the host
 * for tasks without one. `recovered` names the handles that were not in state, `missing` the
 * tasks with neither a handle nor anything on the host (never started).
 */
export async function allocHandles(
  s: StateSnapshot,
  a: Allocation,
  node: NodeSpec,
  transport: Transport,
  driver: (name: string) => Driver | undefined,
): Promise<{ handles: Record<string, DriverHandle>; recovered: string[]; missing: string[] }> {
  const handles = { ...a.driver_handles };
  const recovered: string[] = [];
  const missing: string[] = [];
  for (const [name, task] of recordedTasks(s, a)) {
    if (handles[name] || !task.driver) continue;
    const found = await driver(task.driver)?.recover(
      {
        allocId: a.id,
        task: name,
        name: taskInstanceName(hostJobName(jobIdentity(s, a.job)), a.group, name, a.id),
        allocDir: allocDirOf(s, node, a.id),
      },
      transport,
    );
    if (found) {
      handles[name] = found;
      recovered.push(name);
    } else missing.push(name);
  }
  return { handles, recovered, missing };
}

/** What state records of a task, as its driver reports it. */
export function taskStateOf(st: TaskStatus, state: TaskState['state']): TaskState {
  return {
    state,
    failed: st.failed,
    restarts: st.restarts,
    ...(st.startedAt ? { started_at: st.startedAt } : {}),
    ...(st.finishedAt ? { finished_at: st.finishedAt } : {}),
    ...(st.exitCode !== undefined ? { exit_code: st.exitCode } : {}),
    ...(st.message ? { message: st.message } : {}),
  };
}

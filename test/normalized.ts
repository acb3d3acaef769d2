/**
 * Tests write jobs, groups and tasks as a jobspec would (the `Job` type); drover works on them
 * normalized. These wrap what a test wrote the way load.ts does.
 */
import type { Group, Job, Task } from '../src/generated/jobspec.js';
import type { NormalizedGroup, NormalizedTask } from '../src/generated/normalized-job.js';
import { normalizeJob } from '../src/jobspec/normalize.js';

export { normalizeJob };

/** A group as written, normalized inside a job of the given type. */
export function normalizeGroup(group: Group, type: Job['type'] = 'service'): NormalizedGroup {
  return normalizeJob({ id: 'test', type, group: [group] }).group[0]!;
}

/** A task as written, normalized inside a group of a job of the given type. */
export function normalizeTask(task: Task, type: Job['type'] = 'service'): NormalizedTask {
  return normalizeGroup({ name: 'test', task: [task] }, type).task[0]!;
}

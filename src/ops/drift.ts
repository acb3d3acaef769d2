/**
 * Looking for drift: every task of every allocation that should be running is looked at by its
 * driver (`Driver.inspectTask`), beside the task as applied: the allocation's recorded job
 * version made into the very context apply starts it from (`taskContext`). The comparison is
 * `plan/drift.ts`; a driver without `inspectTask` is reported as not checked, never skipped
 * silently. Plans feed the result to the scheduler, which replaces the drifted allocations.
 */
import { placementOf, taskContext } from '../deploy/apply.js';
import { hookOf, isEphemeralHook, runsToCompletion } from '../deploy/lifecycle.js';
import { mapBounded } from '../deploy/refresh.js';
import { SENSITIVE_TEXT } from '../jobspec/sensitive.js';
import {
  compareTask,
  driftReason,
  redactFields,
  type DriftReport,
  type TaskDrift,
  type UncheckedTask,
} from '../plan/drift.js';
import { redactorFor } from '../plan/redact.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import type { Allocation, JobVersion, StateSnapshot } from '../state/types.js';
import type { NormalizedJob as Job, NormalizedTask as Task } from '../generated/normalized-job.js';
import type { TaskObservation } from '../jobspec/task-view.js';
import type { EngineContext } from './context.js';
import { nodeFacts, type Observed } from './observe.js';

/** The tasks compared: one per (allocation, task) with a driver that can look. */
interface TaskResult {
  drift?: TaskDrift;
  unchecked?: UncheckedTask;
  checked: boolean;
}

/**
 * Drift of the allocations of `jobs` (every job when undefined) that should be running: recorded
 * running and not found ended by refresh (one refresh found lost, its container gone or
 * recreated by hand, is looked at too). Those on nodes that did not answer are not checked.
 */
export async function detectDrift(
  ctx: EngineContext,
  observed: Observed,
  jobs?: ReadonlySet<string>,
): Promise<DriftReport> {
  const down = new Map(observed.down.map((d) => [d.node, d.reason]));
  const live = Object.values(observed.stored.allocations).filter((a) => {
    const now = observed.state.allocations[a.id];
    return (
      (!jobs || jobs.has(a.job)) &&
      a.desired_status === 'run' &&
      a.client_status === 'running' &&
      now?.client_status !== 'complete' &&
      now?.client_status !== 'failed' &&
      ctx.nodes.has(a.node)
    );
  });
  const applied = appliedVersions(observed.state);
  const perAlloc = await mapBounded(live, 8, (a) =>
    down.has(a.node)
      ? Promise.resolve(unreachable(a, down.get(a.node)!))
      : allocDrift(ctx, observed.state, a, applied(a)),
  );
  const results = perAlloc.flat();
  return {
    checked: results.filter((r) => r.checked).length,
    drifted: results.flatMap((r) => (r.drift ? [r.drift] : [])),
    unchecked: results.flatMap((r) => (r.unchecked ? [r.unchecked] : [])),
  };
}

/** An allocation on a node that did not answer: not checked, and said so. */
function unreachable(a: Allocation, reason: string): TaskResult[] {
  return [
    {
      checked: false,
      unchecked: {
        alloc_id: a.id,
        alloc_name: a.name,
        task: Object.keys(a.driver_handles).join(', ') || '-',
        node: a.node,
        why: `drift not checked: node "${a.node}" did not answer (${reason})`,
      },
    },
  ];
}

/** A job version as drift compares with it: decoded, and what of it is sensitive. */
interface AppliedVersion {
  version: JobVersion;
  job: Job;
  isSensitive: (text: string) => boolean;
}

/**
 * The applied version of an allocation's job, decoded and scanned for sensitive values once per
 * version, however many allocations run it.
 */
function appliedVersions(state: StateSnapshot): (a: Allocation) => AppliedVersion | undefined {
  const seen = new Map<string, AppliedVersion | undefined>();
  return (a) => {
    const key = `${a.job}\0${a.version}`;
    if (!seen.has(key)) seen.set(key, appliedVersion(state, a.job, a.version));
    return seen.get(key);
  };
}

function appliedVersion(
  state: StateSnapshot,
  jobId: string,
  number: number,
): AppliedVersion | undefined {
  const version = state.jobs[jobId]?.versions.find((v) => v.version === number);
  if (!version) return undefined;
  const redactor = redactorFor([{ job: version.job, sensitive: version.sensitive }]);
  return {
    version,
    job: decodeStoredJob(version),
    isSensitive: (text) =>
      redactor.value(text) === SENSITIVE_TEXT || redactor.value(unquote(text)) === SENSITIVE_TEXT,
  };
}

async function allocDrift(
  ctx: EngineContext,
  state: StateSnapshot,
  a: Allocation,
  applied: AppliedVersion | undefined,
): Promise<TaskResult[]> {
  const group = applied?.job.group.find((g) => g.name === a.group);
  const node = ctx.nodes.get(a.node);
  if (!applied || !group || !node) return [];
  const { version, job, isSensitive } = applied;
  const transport = ctx.transport(node);
  const out: TaskResult[] = [];
  for (const task of group.task) {
    // Tasks that end by design (prestart and poststart hooks, batch work) or have not started
    // (poststop) have nothing running to compare.
    if (isEphemeralHook(task) || hookOf(task) === 'poststop' || runsToCompletion(job.type))
      continue;
    const handle = a.driver_handles[task.name];
    if (!handle) continue;
    const unchecked = (why: string): TaskResult => ({
      checked: false,
      unchecked: { alloc_id: a.id, alloc_name: a.name, task: task.name, node: a.node, why },
    });
    const driver = ctx.drivers.get(handle.driver);
    if (!driver?.inspectTask) {
      out.push(unchecked(`drift not checked for driver ${handle.driver}`));
      continue;
    }
    const tctx = taskContext(
      placementOf(a),
      group,
      task,
      {
        jobId: a.job,
        version: a.version,
        job,
        ...(version.launch ? { launch: version.launch } : {}),
      },
      node,
      transport,
      driver,
      { state, facts: (n) => nodeFacts(state, ctx.nodes.get(n.name)!) },
    );
    try {
      const obs = withoutTemplateEnv(await driver.inspectTask(handle, tctx), task);
      const fields = compareTask(obs);
      out.push({
        checked: true,
        ...(fields.length
          ? {
              drift: {
                alloc_id: a.id,
                alloc_name: a.name,
                job: a.job,
                group: a.group,
                task: task.name,
                node: a.node,
                driver: handle.driver,
                fields: redactFields(fields, isSensitive),
                reason: driftReason(obs.kind, fields),
              },
            }
          : {}),
      });
    } catch (err) {
      out.push(unchecked(`drift not checked: ${(err as Error).message}`));
    }
  }
  return out;
}

/**
 * A task with `template { env = true }` gets variables rendered at start, which its context does
 * not hold (and may override its own): its environment is not compared rather than misread.
 */
function withoutTemplateEnv(obs: TaskObservation, task: Task): TaskObservation {
  if (!(task.template ?? []).some((t) => t.env)) return obs;
  const { env: _a, ...applied } = obs.applied;
  return { ...obs, applied };
}

function unquote(text: string): string {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : text;
  } catch {
    return text;
  }
}

/**
 * Acting on the template changes a plan lists for allocations it keeps (Nomad's template hook
 * on a re-render): each task's templates are rendered again and the changed files rewritten,
 * then, after a random wait up to the largest `splay`, the task is restarted (stop, start again
 * in the same allocation directory: restart wins over the other modes, as in Nomad), signalled
 * (each distinct change_signal once), or its change scripts run (`driver.exec`; a failure with
 * `fail_on_error` kills the task); `noop` rewrites the file only. New hashes and an event per
 * task are recorded. A failure fails the task's allocation with a message naming the template.
 */
import { PassThrough } from 'node:stream';
import type { Driver, Transport } from '../../providers/types.js';
import type { NormalizedTask as Task } from '../generated/normalized-job.js';
import { recordedGroup } from './alloc-tasks.js';
import type { Allocation, TaskState } from '../state/types.js';
import {
  placementOf,
  taskContext,
  updateAlloc,
  withTemplateHashes,
  type ApplyContext,
} from './apply.js';
import type { TemplateChange } from './template-plan.js';
import {
  renderTaskTemplates,
  templateEnv,
  templateHashes,
  templateLabel,
  writeTemplates,
} from './templates.js';

/** Applies every listed change, task by task; failures are recorded and returned, not thrown. */
export async function applyTemplateChanges(
  jobId: string,
  changes: readonly TemplateChange[],
  ctx: ApplyContext,
): Promise<{ allocId: string; name: string; reason: string }[]> {
  const byTask = new Map<string, TemplateChange[]>();
  for (const c of changes) {
    const key = `${c.alloc_id}\u0000${c.task}`;
    byTask.set(key, [...(byTask.get(key) ?? []), c]);
  }
  const failures: { allocId: string; name: string; reason: string }[] = [];
  for (const list of byTask.values()) {
    const first = list[0]!;
    try {
      const done = await applyToTask(jobId, first.alloc_id, first.task, list, ctx);
      ctx.progress({
        kind: 'alloc',
        alloc: first.alloc_id,
        name: first.alloc_name,
        node: first.node,
        status: 'running',
        detail: done,
      });
    } catch (err) {
      const reason = `task "${first.task}": ${(err as Error).message}`;
      failures.push({ allocId: first.alloc_id, name: first.alloc_name, reason });
      await ctx.recorder.record(
        (s) => updateAlloc(s, first.alloc_id, { client_status: 'failed' }),
        {
          what: 'alloc.failed',
          job: jobId,
          alloc: first.alloc_id,
          detail: reason,
        },
      );
      ctx.progress({
        kind: 'alloc',
        alloc: first.alloc_id,
        name: first.alloc_name,
        node: first.node,
        status: 'failed',
        detail: reason,
      });
    }
  }
  return failures;
}

/** Re-renders one task's templates and acts on the changes; what was done, in words. */
async function applyToTask(
  jobId: string,
  allocId: string,
  taskName: string,
  changes: readonly TemplateChange[],
  ctx: ApplyContext,
): Promise<string> {
  const alloc = ctx.recorder.state.allocations[allocId];
  if (!alloc) throw new Error('the allocation is no longer in state');
  const node = ctx.nodes.get(alloc.node);
  if (!node) throw new Error(`node "${alloc.node}" is not in the inventory`);
  const { job, group } = recordedGroup(ctx.recorder.state, alloc);
  const task = group?.task.find((t) => t.name === taskName);
  if (!job || !group || !task) throw new Error('its job version is no longer in state');
  const driver = ctx.driver(task.driver);
  const handle = alloc.driver_handles[taskName];
  if (!driver || !handle)
    throw new Error(`driver "${task.driver}" or the task's handle is missing`);
  const transport = ctx.transport(node);
  const tctx = taskContext(
    placementOf(alloc),
    group,
    task,
    { jobId: alloc.job, version: alloc.version, job },
    node,
    transport,
    driver,
    { state: ctx.recorder.state, facts: (n) => ctx.facts(n) },
  );
  const rendered = await renderTaskTemplates(tctx, ctx.templateReaders?.(ctx.recorder.state) ?? {});
  const recorded = alloc.template_hashes?.[taskName] ?? {};
  await writeTemplates(
    tctx,
    rendered.filter((r) => recorded[r.destination] !== r.sha256),
  );
  const splay = Math.max(0, ...changes.map((c) => c.splay_ms));
  if (splay > 0) await ctx.clock.sleep(Math.floor(Math.random() * splay));
  const labels = changes.map((c) => templateLabel(c)).join(', ');
  const did = await act(changes, task, driver, handle, transport, {
    restart: () => driver.start({ ...tctx, env: { ...tctx.env, ...templateEnv(rendered) } }),
    ctx,
  });
  const hashes = templateHashes(rendered);
  await ctx.recorder.record(
    (s) =>
      updateAlloc(s, allocId, (a) => ({
        ...withTemplateHashes(a, taskName, hashes),
        ...(did.handle
          ? {
              driver_handles: { ...a.driver_handles, [taskName]: did.handle },
              task_states: { ...a.task_states, [taskName]: restarted(a, taskName, ctx) },
            }
          : {}),
      })),
    {
      what: 'alloc.template',
      job: jobId,
      alloc: allocId,
      detail: `${labels} changed: ${did.words}`,
    },
  );
  return `${labels} changed: ${did.words}`;
}

/** What a change_mode did, and the task's new handle when it was restarted. */
interface Acted {
  words: string;
  handle?: Allocation['driver_handles'][string];
}

async function act(
  changes: readonly TemplateChange[],
  task: Task,
  driver: Driver,
  handle: Allocation['driver_handles'][string],
  transport: Transport,
  how: { restart: () => Promise<Allocation['driver_handles'][string]>; ctx: ApplyContext },
): Promise<Acted> {
  if (changes.some((c) => c.change_mode === 'restart')) {
    await driver.stop(handle, transport, { killTimeoutMs: task.kill_timeout });
    return { words: `restarted task "${task.name}"`, handle: await how.restart() };
  }
  const words: string[] = [];
  const signals = new Set(
    changes.filter((c) => c.change_mode === 'signal').map((c) => c.change_signal ?? ''),
  );
  for (const sig of signals) {
    await driver.signal(handle, transport, sig);
    words.push(`sent ${sig} to task "${task.name}"`);
  }
  for (const c of changes.filter((x) => x.change_mode === 'script')) {
    const t = (task.template ?? []).find((x) => x.destination === c.destination);
    const script = t?.change_script;
    if (!script?.command) continue;
    const ok = await runChangeScript(driver, handle, transport, script, how.ctx);
    if (ok === true) words.push(`ran ${script.command} in task "${task.name}"`);
    else if (script.fail_on_error) {
      await driver.stop(handle, transport, { killTimeoutMs: task.kill_timeout });
      throw new Error(
        `${templateLabel(c)}: change script ${script.command} failed (${ok}); the task was killed (fail_on_error)`,
      );
    } else words.push(`change script ${script.command} failed (${ok})`);
  }
  return { words: words.length ? words.join(', ') : 'the file only (change_mode "noop")' };
}

/** Runs a change script inside the task within its timeout: true, or why it failed. */
async function runChangeScript(
  driver: Driver,
  handle: Allocation['driver_handles'][string],
  transport: Transport,
  script: NonNullable<NonNullable<Task['template']>[number]['change_script']>,
  ctx: ApplyContext,
): Promise<true | string> {
  const out = new PassThrough();
  const err = new PassThrough();
  out.resume();
  let stderr = '';
  err.on('data', (b: Buffer) => (stderr += b.toString()));
  const timeout = ctx.clock
    .sleep(script.timeout)
    .then(() => `timed out after ${script.timeout} ms`);
  const run = driver
    .exec(handle, transport, [script.command!, ...script.args], { stdout: out, stderr: err })
    .then((code) =>
      code === 0 ? true : `exit code ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
    )
    .catch((e: Error) => e.message);
  return Promise.race([run, timeout]);
}

function restarted(a: Allocation, task: string, ctx: ApplyContext): TaskState {
  const prior = a.task_states[task];
  return {
    state: 'running',
    failed: false,
    restarts: (prior?.restarts ?? 0) + 1,
    started_at: new Date(ctx.clock.now()).toISOString(),
  };
}

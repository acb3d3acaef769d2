/**
 * Writes a dispatched job's payload where its task asked for it (`dispatch_payload { file }`, in
 * the task's `local/` directory), before the task starts: Nomad's client dispatch hook. Process
 * tasks see the directory as it is; container tasks see it mounted at /local.
 */
import { posix } from 'node:path';
import type { TaskContext } from '../../providers/types.js';
import type { JobLaunch } from '../generated/plan.js';

/**
 * The host path of the payload file of a task (in its local/ directory), or undefined when the
 * task takes none. Like Nomad it may point elsewhere in the allocation directory, never above it.
 */
export function payloadPath(ctx: Pick<TaskContext, 'allocDir' | 'task'>): string | undefined {
  const file = ctx.task.dispatch_payload?.file;
  if (!file) return undefined;
  const path = posix.join(ctx.allocDir, ctx.task.name, 'local', file);
  if (!path.startsWith(`${ctx.allocDir}/`))
    throw new Error(
      `dispatch_payload file ${JSON.stringify(file)} escapes the allocation directory`,
    );
  return path;
}

export async function writeDispatchPayload(
  ctx: TaskContext,
  launch: JobLaunch | undefined,
): Promise<void> {
  if (!launch?.payload) return;
  const path = payloadPath(ctx);
  if (!path) return;
  const shell = ctx.transport.shell;
  if (!shell)
    throw new Error(
      `node ${ctx.node.name} has no shell (docker transport), so drover cannot write the dispatch payload to ${path}: not built yet; use the ssh or local transport for dispatched jobs with a payload`,
    );
  await shell.upload(path, Buffer.from(launch.payload, 'base64'), 0o644);
}

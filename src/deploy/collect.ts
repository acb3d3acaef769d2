/**
 * Allocation garbage collection, as the plan lists it (`collect`): removes the directories of a
 * job's older stopped allocations from their hosts and records them collected. An allocation
 * that is not (or no longer) confirmed stopped keeps its directory: a stop that did not reach
 * its host, or anything that would run again. Host errors are recorded, not thrown; the next
 * plan lists what is left.
 */
import { removeAllocDirs } from '../../providers/alloc-dirs.js';
import { stopPending } from '../plan/pending-stops.js';
import { allocDirOf } from './alloc-tasks.js';
import { updateAlloc, type ApplyContext } from './apply.js';
import type { JobSteps } from './steps.js';

export async function collectAllocs(steps: JobSteps, ctx: ApplyContext): Promise<void> {
  for (const { node: name, allocIds } of steps.collect ?? []) {
    const node = ctx.nodes.get(name);
    const s = ctx.recorder.state;
    const ids = allocIds.filter((id) => {
      const a = s.allocations[id];
      return a && a.desired_status === 'stop' && !stopPending(a) && !a.collected;
    });
    if (!node || ids.length === 0) continue;
    const transport = ctx.transport(node);
    const mark = (x: typeof s) =>
      ids.reduce((acc, id) => updateAlloc(acc, id, { collected: true }), x);
    if (!transport.shell) {
      // No shell, no directories of drover's on that host (mock and docker-only nodes).
      await ctx.recorder.record(mark);
      continue;
    }
    const detail = `removed the directories of ${ids.length} old allocation${ids.length === 1 ? '' : 's'} on node ${name}`;
    try {
      await removeAllocDirs(
        transport,
        ids.map((id) => allocDirOf(s, node, id)),
      );
    } catch (err) {
      await ctx.recorder.record((x) => x, {
        what: 'alloc.collect-failed',
        job: steps.jobId,
        detail: `${(err as Error).message}; the next apply tries again`,
      });
      continue;
    }
    await ctx.recorder.record(mark, { what: 'alloc.collect', job: steps.jobId, detail });
  }
}

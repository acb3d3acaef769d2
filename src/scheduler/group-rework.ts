/**
 * What the passes after reconcile share when they turn allocations reconcile kept (or updated
 * in place) into destructive replacements: in-place checks (inplace-check) and drift repair
 * (drift-replace).
 */
import { emptyCounts } from './reconcile.js';
import type { DesiredCounts, GroupReconcile, ReconcileResult } from './types.js';
import type { Allocation } from '../state/types.js';

/** A copy of a group's result whose lists a pass may push to. */
export function copyGroup(g: GroupReconcile, patch: Partial<GroupReconcile>): GroupReconcile {
  return {
    ...g,
    destructiveUpdate: [...g.destructiveUpdate],
    stop: [...g.stop],
    place: [...g.place],
    counts: { ...g.counts },
    ...patch,
  };
}

/** `alloc` replaced: stopped, and placed again under its name and index. */
export function replaceInGroup(
  out: GroupReconcile,
  alloc: Allocation,
  because: string,
  stopDescription: string,
): void {
  out.destructiveUpdate.push({ alloc, name: alloc.name, because });
  out.stop.push({ alloc, reason: 'destructive-update', description: stopDescription });
  out.place.push({
    group: out.group,
    name: alloc.name,
    index: alloc.index,
    reason: 'destructive',
    canary: false,
    replaces: alloc.id,
    previousNode: alloc.node,
  });
  out.counts.create_destroy_update++;
}

/** The result with these groups, its counts summed again. */
export function withGroups(result: ReconcileResult, groups: GroupReconcile[]): ReconcileResult {
  const counts = emptyCounts();
  for (const g of groups)
    for (const k of Object.keys(counts) as (keyof DesiredCounts)[]) counts[k] += g.counts[k];
  return { ...result, groups, counts };
}

/**
 * Drift repaired: an allocation whose tasks no longer run as applied (changed by hand on the
 * host) is replaced like a destructive update: stopped, and a new allocation of the same name
 * placed. Reconcile would keep it (same version) or update it in place; this pass, given the
 * drifted allocations and why, turns those into replacements. Allocations reconcile already
 * replaces, stops or finds lost are left to it.
 */
import { copyGroup, replaceInGroup, withGroups } from './group-rework.js';
import type { GroupReconcile, ReconcileResult } from './types.js';

export function replaceDrifted(
  result: ReconcileResult,
  drifted: ReadonlyMap<string, string> | undefined,
): ReconcileResult {
  if (!drifted?.size) return result;
  let changed = false;
  const groups = result.groups.map((g): GroupReconcile => {
    const kept = g.ignore.filter((a) => drifted.has(a.id) && a.desired_status === 'run');
    const updated = g.inplaceUpdate.filter((u) => drifted.has(u.alloc.id));
    if (kept.length === 0 && updated.length === 0) return g;
    changed = true;
    const out = copyGroup(g, {
      ignore: g.ignore.filter((a) => !kept.includes(a)),
      inplaceUpdate: g.inplaceUpdate.filter((u) => !updated.includes(u)),
    });
    for (const a of [...kept, ...updated.map((u) => u.alloc)]) {
      const because = drifted.get(a.id)!;
      replaceInGroup(out, a, because, because);
    }
    out.counts.ignore -= kept.length;
    out.counts.in_place_update -= updated.length;
    return out;
  });
  return changed ? withGroups(result, groups) : result;
}

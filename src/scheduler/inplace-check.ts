/**
 * An in-place update keeps an allocation on its node, so the node must still suit the new job:
 * Nomad re-runs the feasibility checks on that one node (scheduler/util.go inplaceUpdate) and
 * turns the update destructive when they fail — e.g. after a constraint was added that the
 * node does not meet. Reconcile cannot see nodes; this pass, given the cluster, can.
 */
import type { NormalizedJob as Job } from '../generated/normalized-job.js';
import { globMatch, type PreparedCluster } from './cluster.js';
import { compileGroup, firstFailingCheck } from './group-plan.js';
import { copyGroup, replaceInGroup, withGroups } from './group-rework.js';
import { STOP_DESCRIPTIONS } from './reconcile.js';
import type { GroupReconcile, InplaceUpdate, ReconcileResult } from './types.js';

export function recheckInPlace(
  result: ReconcileResult,
  job: Job,
  pc: PreparedCluster,
): ReconcileResult {
  let changed = false;
  const groups = result.groups.map((g) => {
    const moved = unsuitable(g, job, pc);
    if (moved.length === 0) return g;
    changed = true;
    const out = copyGroup(g, {
      inplaceUpdate: g.inplaceUpdate.filter((u) => !moved.some((m) => m.update === u)),
    });
    for (const { update, why } of moved) {
      replaceInGroup(
        out,
        update.alloc,
        `node ${update.alloc.node}: ${why}`,
        STOP_DESCRIPTIONS['destructive-update'],
      );
      out.counts.in_place_update--;
    }
    return out;
  });
  return changed ? withGroups(result, groups) : result;
}

/** The in-place updates of a group whose node no longer suits the job, with why. */
function unsuitable(
  g: GroupReconcile,
  job: Job,
  pc: PreparedCluster,
): { update: InplaceUpdate; why: string }[] {
  if (g.inplaceUpdate.length === 0 || !job.group.some((x) => x.name === g.group)) return [];
  const plan = compileGroup(
    pc,
    job,
    g.group,
    { onNode: new Int32Array(pc.nodes.length), distinct: new Map() },
    new Set(),
  );
  const checks = [...plan.classChecks, ...plan.nodeChecks];
  const datacenters = job.datacenters;
  const pool = job.node_pool;
  const out: { update: InplaceUpdate; why: string }[] = [];
  for (const update of g.inplaceUpdate) {
    const i = pc.indexOf.get(update.alloc.node);
    // A node the cluster does not know is reconcile's business (the allocation is lost).
    if (i === undefined) continue;
    const f = pc.facts[i]!;
    let why: string | undefined;
    if (!datacenters.some((d) => globMatch(d, f.datacenter)))
      why = `datacenter ${f.datacenter} is not one of the job's`;
    else if (pool !== 'all' && f.pool !== pool) why = `node pool ${f.pool} is not ${pool}`;
    else {
      const r = firstFailingCheck(checks, pc, i);
      if (r >= 0)
        why =
          plan.reasons.kinds[r] === 'driver'
            ? `missing driver ${plan.reasons.texts[r]}`
            : `constraint ${plan.reasons.texts[r]} not met`;
    }
    if (why) out.push({ update, why });
  }
  return out;
}

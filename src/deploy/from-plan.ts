/** Turns a plan (as computed, or read back from a planfile) into the executor's steps. */
import { decodeStoredJob } from '../jobspec/stored.js';
import type { JobPlan, Plan } from '../generated/plan.js';
import type { NodeSpec } from '../../providers/types.js';
import type { GroupSteps, JobSteps, PlacementStep } from './steps.js';
import type { VersionOrigin } from '../state/types.js';
import { changedJobs } from '../plan/changed-jobs.js';

/** The steps of every job the plan changes, in the plan's order; reads nothing but the plan. */
export function planToSteps(plan: Plan, nodes: ReadonlyMap<string, NodeSpec>): JobSteps[] {
  return changedJobs(plan).map((j) => jobSteps(j, nodes));
}

function jobSteps(j: JobPlan, nodes: ReadonlyMap<string, NodeSpec>): JobSteps {
  const job = j.payload ? decodeStoredJob(j.payload) : undefined;
  const rollouts = new Map((j.rollout?.groups ?? []).map((g) => [g.name, g.steps]));
  const groups: GroupSteps[] = j.groups.map((g) => {
    // Allocations a placement replaces are stopped by the rollout step that starts it, and
    // those canaries replace by the promote step.
    const replaced = new Set([
      ...g.placements.flatMap((p) => (p.replaces ? [p.replaces] : [])),
      ...(rollouts.get(g.name) ?? []).flatMap((s) => s.replaces),
    ]);
    return {
      name: g.name,
      group: job?.group.find((x) => x.name === g.name),
      stops: g.stops
        .filter((s) => !replaced.has(s.alloc_id))
        .map((s) => ({ allocId: s.alloc_id, reason: s.reason })),
      inplace: g.inplace,
      // Batch reschedules are started only by the rollout's reschedule step, if needed.
      placements: new Map(
        [...g.placements, ...(g.reschedules ?? [])].map((p): [string, PlacementStep] => [
          p.alloc_id,
          {
            allocId: p.alloc_id,
            name: p.name,
            index: p.index,
            node: p.node,
            ports: p.ports.map((port) => ({ ...port, host_ip: bindAddress(nodes.get(p.node)) })),
            ...(p.replaces ? { replaces: p.replaces } : {}),
            canary: p.canary,
            ...(p.reschedule
              ? {
                  reschedule: {
                    attempt: p.reschedule.attempt,
                    delayMs: p.reschedule.delay_ms,
                    ...(p.reschedule.attempts !== undefined
                      ? { attempts: p.reschedule.attempts }
                      : {}),
                  },
                }
              : {}),
          },
        ]),
      ),
      rollout: rollouts.get(g.name) ?? [],
    };
  });
  return {
    jobId: j.id,
    version: j.to_version ?? j.from_version ?? 0,
    ...(j.new_version && j.payload && job
      ? {
          newVersion: {
            job,
            submitted: j.payload.submitted,
            source: j.payload.source,
            filename: j.payload.filename,
            ...(j.payload.sensitive?.length ? { sensitive: j.payload.sensitive } : {}),
            ...(j.payload.origin ? { origin: j.payload.origin as VersionOrigin } : {}),
          },
        }
      : {}),
    job,
    ...(j.payload?.launch ? { launch: j.payload.launch } : {}),
    ...(j.type === 'destroy' ? { stop: { purge: j.purge } } : {}),
    ...(j.deployment ? { deployment: j.deployment } : {}),
    ...(j.collect?.length
      ? { collect: j.collect.map((c) => ({ node: c.node, allocIds: c.alloc_ids })) }
      : {}),
    groups,
  };
}

/** Where a node's published ports listen: loopback for the local node, every interface elsewhere. */
export function bindAddress(node: NodeSpec | undefined): string {
  return !node || node.transport === 'local' ? '127.0.0.1' : '0.0.0.0';
}

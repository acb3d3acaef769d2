/** Turns a plan (as computed, or read back from a planfile) into the executor's steps. */
import type { NormalizedGroup } from '../generated/normalized-job.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import type { JobPlan, Plan } from '../generated/plan.js';
import type { NodeSpec } from '../../providers/types.js';
import type { StateSnapshot } from '../state/types.js';
import type { GroupSteps, JobSteps } from './steps.js';

export function planToSteps(
  plan: Plan,
  state: StateSnapshot,
  nodes: ReadonlyMap<string, NodeSpec>,
): JobSteps[] {
  return plan.jobs.filter((j) => j.type !== 'none').map((j) => jobSteps(j, state, nodes));
}

function jobSteps(
  j: JobPlan,
  state: StateSnapshot,
  nodes: ReadonlyMap<string, NodeSpec>,
): JobSteps {
  const recorded = state.jobs[j.id];
  const latest = recorded?.versions[recorded.versions.length - 1];
  const stored = j.payload ?? latest;
  if (!stored) throw new Error(`the plan for job "${j.id}" has no job and none is recorded`);
  const job = decodeStoredJob(stored);
  const isNew =
    j.payload !== null &&
    (latest === undefined || j.to_version !== latest.version || recorded!.stopped);
  const groups: GroupSteps[] = j.groups.map((g) => {
    const replaced = new Set(g.placements.flatMap((p) => (p.replaces ? [p.replaces] : [])));
    const group = job.group.find((x) => x.name === g.name) ?? removedGroup(j.id, g.name, state);
    return {
      name: g.name,
      group,
      // Allocations being replaced stop right before their replacement starts, batch by batch.
      stops: g.stops
        .filter((s) => !replaced.has(s.alloc_id))
        .map((s) => ({ allocId: s.alloc_id, reason: s.reason })),
      inplace: g.inplace,
      placements: g.placements.map((p) => ({
        allocId: p.alloc_id,
        name: p.name,
        index: p.index,
        node: p.node,
        ports: p.ports.map((port) => ({ ...port, host_ip: bindAddress(nodes.get(p.node)) })),
        ...(p.replaces ? { replaces: p.replaces } : {}),
        canary: p.canary,
      })),
    };
  });
  return {
    jobId: j.id,
    version: j.to_version ?? latest?.version ?? 0,
    ...(isNew && j.payload
      ? {
          newVersion: {
            job,
            submitted: j.payload.submitted,
            source: j.payload.source,
            filename: j.payload.filename,
          },
        }
      : {}),
    job,
    ...(j.type === 'destroy' ? { stop: { purge: false } } : {}),
    groups,
  };
}

/**
 * A group the planned job no longer has (its allocations only stop): as its newest recorded
 * version had it, desiring no allocations.
 */
function removedGroup(jobId: string, name: string, state: StateSnapshot): NormalizedGroup {
  const versions = state.jobs[jobId]?.versions ?? [];
  for (let i = versions.length - 1; i >= 0; i--) {
    const group = decodeStoredJob(versions[i]!).group.find((x) => x.name === name);
    if (group) return { ...group, count: 0 };
  }
  throw new Error(`the plan stops group "${name}" of job "${jobId}", which no version has`);
}

/** Where a node's published ports listen: loopback for the local node, every interface elsewhere. */
function bindAddress(node: NodeSpec | undefined): string {
  return !node || node.transport === 'local' ? '127.0.0.1' : '0.0.0.0';
}

/**
 * Builders of the operations that change a fleet besides applying job files: each reads the
 * observed state and the request and returns a plan (state changes it carries are in effect in
 * the state the plan is computed against, and recorded only when the plan is executed).
 */
import {
  ALL_NAMESPACES,
  DEFAULT_NAMESPACE,
  jobKey,
  missingJobMessage,
  splitJobKey,
} from '../state/job-key.js';
import type { NormalizedJob } from '../generated/normalized-job.js';
import type { Plan, PlanWarning, StateChange } from '../generated/plan.js';
import { cloneValue } from '../hcl/value.js';
import type { DesiredJob } from '../plan/compute.js';
import { isActiveDeployment } from '../plan/deployments.js';
import type { Deployment, JobState, StateSnapshot } from '../state/types.js';
import { OperationError, type EngineContext } from './context.js';
import type { Observed } from './observe.js';
import { makePlan, recordedDesired } from './plan.js';

export function requireJob(state: StateSnapshot, key: string): JobState {
  const job = state.jobs[key];
  if (!job || job.versions.length === 0) {
    const { namespace, id } = splitJobKey(key);
    throw new OperationError(missingJobMessage(state, namespace, id));
  }
  return job;
}

/**
 * The state key of job `id` in `namespace`, as a command or endpoint names it; an error that
 * says where else the id exists when it is not there ("it exists in: prod").
 */
export function resolveJobKey(state: StateSnapshot, namespace: string, id: string): string {
  const key = jobKey(namespace === ALL_NAMESPACES ? DEFAULT_NAMESPACE : namespace, id);
  requireJob(state, key);
  return key;
}

export function latestDeployment(state: StateSnapshot, job: string): Deployment | undefined {
  return Object.values(state.deployments)
    .filter((d) => d.job === job)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))[0];
}

/** `drover stop JOB [-purge]`. */
export function planStop(ctx: EngineContext, observed: Observed, id: string, purge: boolean): Plan {
  requireJob(observed.stored, id);
  return makePlan(ctx, observed, [{ kind: 'stop', id, purge }]);
}

/** `drover scale JOB GROUP COUNT`: a new version with the group's count changed. */
export function planScale(
  ctx: EngineContext,
  observed: Observed,
  id: string,
  groupName: string,
  count: number,
): Plan {
  if (!Number.isInteger(count) || count < 0)
    throw new OperationError(`count must be a whole number ≥ 0, got "${count}"`);
  requireJob(observed.stored, id);
  const current = recordedDesired(observed.stored, id);
  const job: NormalizedJob = structuredClone(current.job);
  const group = job.group.find((g) => g.name === groupName);
  if (!group) throw new OperationError(`job "${id}" has no group "${groupName}"`);
  group.count = count;
  const submitted = cloneValue(current.submitted);
  const written = (submitted.group as { name: string; count?: number }[] | undefined)?.find(
    (g) => g.name === groupName,
  );
  if (written) written.count = count;
  return makePlan(ctx, observed, [
    {
      ...current,
      job,
      submitted,
      origin: { kind: 'scale', detail: `group "${groupName}" count ${count}` },
    },
  ]);
}

/** `drover rollback JOB [VERSION]`: an earlier version again, without a canary phase. */
export function planRollback(
  ctx: EngineContext,
  observed: Observed,
  id: string,
  version?: number,
  reason?: string,
): Plan {
  const job = requireJob(observed.stored, id);
  const current = job.versions[job.versions.length - 1]!;
  const target =
    version !== undefined
      ? job.versions.find((v) => v.version === version)
      : [...job.versions].reverse().find((v) => v.stable && v.version !== current.version);
  if (!target)
    throw new OperationError(
      version !== undefined
        ? `job "${id}" has no version ${version} (it has ${job.versions.map((v) => v.version).join(', ')})`
        : `job "${id}" has no earlier stable version to roll back to`,
    );
  // A rollback skips the canary phase: the version it returns to was healthy (nomad#10882).
  return makePlan(ctx, observed, [
    {
      ...recordedDesired(observed.stored, id, target.version),
      skipCanary: true,
      origin: {
        kind: 'rollback',
        source_version: target.version,
        reverted_from: current.version,
        ...(reason ? { reason } : {}),
      },
    },
  ]);
}

/** `drover promote JOB [-group G]`: canaries promoted, then the rest of the rollout. */
export function planPromote(
  ctx: EngineContext,
  observed: Observed,
  id: string,
  only?: string,
): Plan {
  const d = latestDeployment(observed.stored, id);
  if (!d || !isActiveDeployment(d))
    throw new OperationError(`job "${id}" has no deployment in progress`);
  const groups = Object.entries(d.groups)
    .filter(([name, g]) => g.desired_canaries > 0 && !g.promoted && (!only || only === name))
    .map(([name]) => name);
  if (groups.length === 0)
    throw new OperationError(
      only
        ? `group "${only}" has no canaries waiting for promotion`
        : `deployment ${d.id.slice(0, 8)} has no canaries waiting for promotion`,
    );
  const change: StateChange = { kind: 'promote', job: id, deployment: d.id, groups };
  return makePlan(
    ctx,
    withChanges(ctx, observed, [change]),
    [recordedDesired(observed.stored, id)],
    {
      changes: [change],
    },
  );
}

/** `drover deployment fail JOB`: the deployment failed; with auto_revert, the stable version again. */
export function planFail(ctx: EngineContext, observed: Observed, id: string): Plan {
  const d = latestDeployment(observed.stored, id);
  if (!d || !isActiveDeployment(d))
    throw new OperationError(`job "${id}" has no deployment in progress`);
  const change: StateChange = {
    kind: 'fail',
    job: id,
    deployment: d.id,
    description: 'Deployment marked as failed by the user',
  };
  const job = requireJob(observed.stored, id);
  const latest = recordedDesired(observed.stored, id);
  const reverts = latest.job.group.some((g) => g.update?.auto_revert);
  const stable = [...job.versions].reverse().find((v) => v.stable && v.version !== d.version);
  const note: PlanWarning | undefined = !reverts
    ? {
        summary: 'nothing is rolled back',
        detail: `Job "${id}" has no auto_revert: its allocations stay as they are.`,
        job: id,
      }
    : !stable
      ? {
          summary: 'nothing is rolled back',
          detail: `Job "${id}" has no earlier stable version to roll back to.`,
          job: id,
        }
      : undefined;
  const desired: DesiredJob[] =
    reverts && stable
      ? [
          {
            ...recordedDesired(observed.stored, id, stable.version),
            skipCanary: true,
            origin: {
              kind: 'auto-revert',
              source_version: stable.version,
              reverted_from: d.version,
              reason: change.description!,
            },
          },
        ]
      : [];
  const plan = makePlan(ctx, withChanges(ctx, observed, [change]), desired, { changes: [change] });
  return note ? { ...plan, warnings: [...plan.warnings, note] } : plan;
}

/**
 * `drover node drain NODE` (and `-disable`): the node drains and its allocations move; those of
 * system jobs stop, or stay with `ignoreSystemJobs` (Nomad's `-ignore-system`).
 */
export function planDrain(
  ctx: EngineContext,
  observed: Observed,
  node: string,
  enable: boolean,
  opts: { ignoreSystemJobs?: boolean } = {},
): Plan {
  requireNode(observed, node);
  const change: StateChange = enable
    ? {
        kind: 'node',
        node,
        eligibility: 'ineligible',
        drain: true,
        ...(opts.ignoreSystemJobs ? { ignore_system_jobs: true } : {}),
      }
    : { kind: 'node', node, eligibility: 'eligible', drain: false };
  const next = withChanges(ctx, observed, [change]);
  const jobs = enable
    ? [
        ...new Set(
          Object.values(next.state.allocations)
            .filter((a) => a.node === node && a.desired_status === 'run')
            .map((a) => a.job),
        ),
      ].filter((id) => next.state.jobs[id] && !next.state.jobs[id].stopped)
    : [];
  return makePlan(
    ctx,
    next,
    jobs.map((id) => recordedDesired(next.state, id)),
    { changes: [change] },
  );
}

/** `drover node eligibility NODE -enable|-disable`. */
export function planEligibility(
  ctx: EngineContext,
  observed: Observed,
  node: string,
  eligible: boolean,
): Plan {
  requireNode(observed, node);
  const change: StateChange = {
    kind: 'node',
    node,
    eligibility: eligible ? 'eligible' : 'ineligible',
  };
  return makePlan(ctx, withChanges(ctx, observed, [change]), [], { changes: [change] });
}

function requireNode(observed: Observed, node: string): void {
  if (!observed.stored.nodes[node] && !observed.state.nodes[node])
    throw new OperationError(
      `no node "${node}" in state (nodes: ${Object.keys(observed.state.nodes).join(', ') || 'none'})`,
    );
}

/** What drover server's garbage collection removes from state (see server/controller/gc). */
export interface Garbage {
  allocations: string[];
  deployments: string[];
  jobs: string[];
  /** Why, as the plan and the event say it. */
  description: string;
}

/** The server's garbage collection: old terminal objects leave state, nothing on the hosts changes. */
export function planCollectGarbage(ctx: EngineContext, observed: Observed, garbage: Garbage): Plan {
  const change: StateChange = {
    kind: 'gc',
    allocations: garbage.allocations,
    deployments: garbage.deployments,
    jobs: garbage.jobs,
    description: garbage.description,
  };
  return makePlan(ctx, withChanges(ctx, observed, [change]), [], { changes: [change] });
}

/** The observation with the changes in effect (in memory), for the plan that carries them. */
function withChanges(
  ctx: EngineContext,
  observed: Observed,
  changes: readonly StateChange[],
): Observed {
  const at = new Date(ctx.clock.now()).toISOString();
  let state = observed.state;
  for (const c of changes) state = applyChange(state, c, at);
  return { ...observed, state };
}

/** One state change as a pure state transition; `at` stamps what it modifies. */
export function applyChange(s: StateSnapshot, c: StateChange, at: string): StateSnapshot {
  switch (c.kind) {
    case 'node': {
      const n = s.nodes[c.node!];
      if (!n) return s;
      const next = {
        ...n,
        ...(c.eligibility ? { eligibility: c.eligibility } : {}),
        ...(c.drain !== undefined ? { drain: c.drain } : {}),
      };
      if (next.drain === false) delete next.drain;
      if (c.drain !== undefined) {
        if (c.drain && c.ignore_system_jobs) next.drain_ignore_system_jobs = true;
        else delete next.drain_ignore_system_jobs;
      }
      return { ...s, nodes: { ...s.nodes, [c.node!]: next } };
    }
    case 'promote': {
      const d = s.deployments[c.deployment!];
      if (!d) return s;
      const groups = { ...d.groups };
      for (const g of c.groups ?? []) if (groups[g]) groups[g] = { ...groups[g], promoted: true };
      return {
        ...s,
        deployments: { ...s.deployments, [d.id]: { ...d, groups, modified_at: at } },
      };
    }
    case 'gc': {
      const drop = <T>(from: Record<string, T>, ids: readonly string[] = []) => {
        const out = { ...from };
        for (const id of ids) delete out[id];
        return out;
      };
      return {
        ...s,
        allocations: drop(s.allocations, c.allocations),
        deployments: drop(s.deployments, c.deployments),
        jobs: drop(s.jobs, c.jobs),
      };
    }
    case 'fail': {
      const d = s.deployments[c.deployment!];
      if (!d) return s;
      return {
        ...s,
        deployments: {
          ...s.deployments,
          [d.id]: {
            ...d,
            status: 'failed',
            status_description: c.description ?? 'Deployment marked as failed',
            modified_at: at,
          },
        },
      };
    }
  }
}

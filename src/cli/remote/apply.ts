/**
 * `drover plan FILES` and `drover apply FILES` through a server, as Nomad's `job plan` and
 * `job run`: each job is read here (variables and var files are local) and sent as Nomad's job
 * JSON to `PUT /v1/job/:id/plan`; the answer is shown with drover's plan view (the job's diff
 * against the server's version, each group's counts, what cannot be placed). After approval the
 * job is registered with `EnforceIndex` and the plan's `JobModifyIndex`, so a job changed on the
 * server in between is refused as stale instead of overwritten. The server runs the rollout;
 * apply waits for its deployment unless `-detach`.
 */
import type { Command } from 'commander';
import type { Plan, JobPlan, GroupPlan, PlanWarning } from '../../generated/plan.js';
import type { NormalizedJob } from '../../generated/normalized-job.js';
import { diffJobs } from '../../plan/diff.js';
import { redactJobDiff, redactorFor } from '../../plan/redact.js';
import { renderPlanText } from '../../plan/render-text.js';
import { toNomadJob } from '../../server/nomad/job-json.js';
import { ApiResponseError, type ApiClient } from '../api-client.js';
import { printJson, type Output } from '../output.js';
import { UserError } from '../with-session.js';
import { approve } from '../views.js';
import { isPlanfile, loadDesired, type PlanOptions } from '../desired-jobs.js';
import type { DesiredJob } from '../../plan/compute.js';
import { query, seg } from './connection.js';
import { normalizedJobOf, type Json } from './snapshot.js';
import { namespaceOf } from './status.js';

type RunJob = Extract<DesiredJob, { kind: 'run' }>;

/** A job as the server planned it. */
export interface ServerPlan {
  desired: RunJob;
  nomadJob: Json;
  /** The JobModifyIndex the plan was made against (0: no such job yet). */
  jobModifyIndex: number;
  plan: JobPlan;
  warnings: string;
}

/** Options that have no meaning through a server: refused rather than ignored. */
const LOCAL_ONLY_OPTIONS: [keyof PlanOptions, string][] = [
  ['out', '-out (a saved plan is applied on the state directly)'],
  ['prune', '-prune'],
  ['atomic', '-atomic'],
  ['refreshOnly', '-refresh-only (drover drift)'],
  ['message', '-message (the API has no field for it)'],
];

function refuseLocalOptions(opts: PlanOptions): void {
  for (const [key, name] of LOCAL_ONLY_OPTIONS)
    if (opts[key] !== undefined && opts[key] !== false)
      throw new UserError(`${name} does not work through a server (-address or DROVER_ADDR)`);
}

/** Nomad's job JSON of a job read here: what `nomad job run` sends. */
function nomadJobOf(job: NormalizedJob, namespace: string): Json {
  return toNomadJob(job, {
    namespace,
    version: 0,
    stable: false,
    status: 'pending',
    stop: false,
    submitTime: 0,
    createIndex: 0,
    modifyIndex: 0,
    jobModifyIndex: 0,
  });
}

/** The server's current version of a job; undefined when it has none. */
async function serverJob(api: ApiClient, id: string, namespace: string): Promise<Json | undefined> {
  try {
    return await api.request<Json>('GET', `/v1/job/${seg(id)}${query({ namespace })}`);
  } catch (err) {
    if (err instanceof ApiResponseError && err.status === 404) return undefined;
    throw err;
  }
}

function counts(u: Json): GroupPlan['counts'] {
  const n = (k: string) => (typeof u[k] === 'number' ? u[k] : 0);
  return {
    create: n('Place'),
    destroy: n('Stop'),
    in_place_update: n('InPlaceUpdate'),
    create_destroy_update: n('DestructiveUpdate'),
    migrate: n('Migrate'),
    canary: n('Canary'),
    ignore: n('Ignore'),
  };
}

/** The server's FailedTGAllocs of a group as drover's placement failure. */
function failureOf(f: Json | undefined): GroupPlan['failures'] {
  if (!f) return null;
  const n = (k: string) => (typeof f[k] === 'number' ? f[k] : 0);
  const map = (k: string) =>
    f[k] && typeof f[k] === 'object' ? (f[k] as Record<string, number>) : {};
  return {
    count: n('CoalescedFailures') + 1,
    reason: 'no node of the server can take it',
    metrics: {
      nodes_evaluated: n('NodesEvaluated'),
      nodes_filtered: n('NodesFiltered'),
      constraint_filtered: map('ConstraintFiltered'),
      nodes_exhausted: n('NodesExhausted'),
      dimension_exhausted: map('DimensionExhausted'),
    },
  };
}

/** The server's plan answer as one job of drover's plan (no allocation-level detail: the API has none). */
function jobPlanOf(desired: RunJob, prior: Json | undefined, answer: Json): JobPlan {
  const priorJob = prior ? normalizedJobOf(prior) : undefined;
  const redactor = redactorFor(
    [{ job: desired.job, sensitive: desired.sensitive }, priorJob && { job: priorJob }],
    true,
  );
  const diff = redactJobDiff(diffJobs(priorJob, desired.job), redactor);
  const updates = (answer.Annotations as Json | undefined)?.DesiredTGUpdates as Json | undefined;
  const failed = (answer.FailedTGAllocs ?? {}) as Record<string, Json>;
  const groups: GroupPlan[] = Object.entries(updates ?? {}).map(([name, u]) => ({
    name,
    counts: counts(u as Json),
    placements: [],
    stops: [],
    inplace: [],
    failures: failureOf(failed[name]),
  }));
  const stopped = prior?.Stop === true;
  const moves = groups.some(
    (g) =>
      g.counts.create + g.counts.destroy + g.counts.create_destroy_update + g.counts.canary > 0,
  );
  const priorVersion = typeof prior?.Version === 'number' ? prior.Version : null;
  const newVersion = !prior || diff.type !== 'None' || stopped;
  return {
    id: desired.id,
    type: !prior ? 'create' : newVersion || moves ? 'update' : 'none',
    from_version: priorVersion,
    to_version: newVersion ? (priorVersion === null ? 0 : priorVersion + 1) : priorVersion,
    diff,
    groups,
    rollout: null,
    payload: null,
    purge: false,
    new_version: newVersion,
    deployment: null,
  };
}

async function planOnServer(
  api: ApiClient,
  desired: RunJob,
  namespace: string,
): Promise<ServerPlan> {
  const nomadJob = nomadJobOf(desired.job, namespace);
  const prior = await serverJob(api, desired.id, namespace);
  const answer = await api.request<Json>(
    'PUT',
    `/v1/job/${seg(desired.id)}/plan${query({ namespace })}`,
    { Job: nomadJob, Diff: true },
  );
  return {
    desired,
    nomadJob,
    jobModifyIndex: typeof answer.JobModifyIndex === 'number' ? answer.JobModifyIndex : 0,
    plan: jobPlanOf(desired, prior, answer),
    warnings: typeof answer.Warnings === 'string' ? answer.Warnings : '',
  };
}

/** The jobs' plans as one drover plan, for the plan view and `-json`. */
function combined(plans: readonly ServerPlan[], warnings: PlanWarning[]): Plan {
  return {
    format_version: 2,
    drover_version: '',
    created_at: new Date().toISOString(),
    state: { lineage: '', serial: 0 },
    hash: '',
    changes: [],
    retry_stops: [],
    jobs: plans.map((p) => p.plan),
    warnings,
  };
}

function warningsOf(plans: readonly ServerPlan[]): PlanWarning[] {
  return plans
    .filter((p) => p.warnings)
    .map((p) => ({ summary: 'the server warns', detail: p.warnings, job: p.desired.id }));
}

function showPlan(o: Output, api: ApiClient, plans: readonly ServerPlan[]): Plan {
  const plan = combined(plans, warningsOf(plans));
  if (o.json) return plan;
  // The server keeps no plan to apply later: its hash line says where it was made instead.
  const text = renderPlanText(plan, { color: o.style }).replace(
    /^Plan hash: .*$/m,
    `Planned by the drover server at ${api.address}.`,
  );
  o.out(text.trimEnd());
  return plan;
}

/** Loads and plans `paths` on the server; undefined (diagnostics printed) when they do not load. */
export async function planFiles(
  api: ApiClient,
  o: Output,
  paths: string[],
  opts: PlanOptions,
  cmd: Command,
): Promise<{ plans: ServerPlan[]; plan: Plan } | undefined> {
  refuseLocalOptions(opts);
  if (paths.length === 1 && isPlanfile(paths[0]!))
    throw new UserError(
      `${paths[0]} is a saved plan, and a saved plan is applied on the state directly: run drover apply ${paths[0]} without an address`,
    );
  const loaded = loadDesired(o, paths, opts);
  if (!loaded) return undefined;
  const namespace = namespaceOf(cmd);
  const plans: ServerPlan[] = [];
  for (const d of loaded.desired)
    if (d.kind === 'run') plans.push(await planOnServer(api, d, namespace));
  return { plans, plan: showPlan(o, api, plans) };
}

function hasChanges(plan: Plan): boolean {
  return plan.jobs.some((j) => j.type !== 'none');
}

export async function remotePlan(
  api: ApiClient,
  o: Output,
  paths: string[],
  opts: PlanOptions,
  cmd: Command,
): Promise<void> {
  const got = await planFiles(api, o, paths, opts, cmd);
  if (!got) return void (process.exitCode = 1);
  if (o.json) printJson(o, got.plan);
  process.exitCode = opts.detailedExitcode && hasChanges(got.plan) ? 2 : 0;
}

/** Asks "yes?" unless `-auto-approve`; throws when there is no terminal to ask on. */
export async function approved(o: Output, opts: { autoApprove?: boolean }): Promise<boolean> {
  if (opts.autoApprove) return true;
  const ok = await approve(o, 'Do you want to perform these actions?');
  if (ok === 'no-tty')
    throw new UserError(
      'No terminal to ask for approval, so nothing was changed. Review the plan and run again with -auto-approve.',
    );
  if (!ok) {
    o.err('Apply cancelled: nothing was changed.');
    process.exitCode = 1;
  }
  return ok;
}

export async function remoteApply(
  api: ApiClient,
  o: Output,
  paths: string[],
  opts: PlanOptions,
  cmd: Command,
): Promise<void> {
  const got = await planFiles(api, o, paths, opts, cmd);
  if (!got) return void (process.exitCode = 1);
  const line = (value: unknown) => o.out(JSON.stringify(value));
  if (o.json) line({ type: 'plan', plan: got.plan });
  const changed = got.plans.filter((p) => p.plan.type !== 'none');
  if (changed.length === 0) {
    if (o.json) line({ type: 'result', applied: false, exit_code: 0, jobs: [] });
    process.exitCode = 0;
    return;
  }
  if (!(await approved(o, opts))) return;
  const namespace = namespaceOf(cmd);
  const results: JobResult[] = [];
  for (const p of changed) {
    const version = await registerPlanned(api, p, namespace);
    if (!o.json) o.out(`${p.desired.id}: registered version ${version} on the server.`);
    results.push(
      opts.detach
        ? { id: p.desired.id, result: 'detached', deployment_id: null, description: null }
        : await awaitRollout(api, o, p.desired.id, version, namespace),
    );
  }
  const failed = results.some((r) => r.result === 'failed');
  process.exitCode = failed ? 1 : 0;
  if (o.json) line({ type: 'result', applied: true, exit_code: process.exitCode, jobs: results });
  else if (!failed)
    o.out(
      o.style.bold(
        opts.detach ? '\nApply started; the server carries the rollout on.' : '\nApply complete.',
      ),
    );
}

/**
 * Registers a planned job, refused as stale (the server's 500 "Enforcing job modify index …")
 * when the job changed since the plan; the version the server recorded.
 */
export async function registerPlanned(
  api: ApiClient,
  p: ServerPlan,
  namespace: string,
): Promise<number> {
  const reply = await api.request<Json>(
    'PUT',
    `/v1/job/${seg(p.desired.id)}${query({ namespace })}`,
    {
      Job: p.nomadJob,
      EnforceIndex: true,
      JobModifyIndex: p.jobModifyIndex,
      Submission: {
        Source: p.desired.source,
        Format: p.desired.filename.endsWith('.json') ? 'json' : 'hcl2',
      },
    },
  );
  // A job's JobModifyIndex is its version + 1 (src/server/nomad/common.ts).
  return Number(reply.JobModifyIndex ?? 1) - 1;
}

interface JobResult {
  id: string;
  result: string;
  deployment_id: string | null;
  description: string | null;
}

const ROLLOUT_POLL_MS = 500;
/** How long a job without a deployment (batch, system…) is given to show one before apply returns. */
const NO_DEPLOYMENT_GRACE_MS = 3_000;

/** Waits for the deployment of `version` to end, and says how it ended. */
async function awaitRollout(
  api: ApiClient,
  o: Output,
  id: string,
  version: number,
  namespace: string,
): Promise<JobResult> {
  const started = Date.now();
  for (;;) {
    const d = await api.request<Json | null>(
      'GET',
      `/v1/job/${seg(id)}/deployment${query({ namespace })}`,
    );
    const mine = d && d.JobVersion === version ? d : undefined;
    if (!mine && Date.now() - started > NO_DEPLOYMENT_GRACE_MS)
      return { id, result: 'registered', deployment_id: null, description: null };
    const waiting = mine?.Status === 'running' && /promotion/.test(String(mine.StatusDescription));
    if (mine && (waiting || (mine.Status !== 'running' && mine.Status !== 'pending'))) {
      const status = waiting ? 'awaiting-promotion' : String(mine.Status);
      const description = typeof mine.StatusDescription === 'string' ? mine.StatusDescription : '';
      const ok = status === 'successful' || waiting;
      if (!ok && !o.json)
        o.err(`${o.errStyle.error('error')}: ${id}: deployment ${status}: ${description}`);
      return {
        id,
        result: status === 'successful' ? 'deployed' : waiting ? status : 'failed',
        deployment_id: String(mine.ID),
        description,
      };
    }
    await new Promise((r) => setTimeout(r, ROLLOUT_POLL_MS));
  }
}

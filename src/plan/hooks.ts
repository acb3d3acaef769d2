/**
 * Which of drover.hcl's hooks an apply of a plan runs, as the plan lists them (so a reviewer
 * sees them and a planfile carries them), and what each one is told in its environment. Pure.
 */
import type { Plan, PlanHook } from '../generated/plan.js';
import { formatDuration } from '../jobspec/duration.js';
import { canonicalJson, sealPlan } from './hash.js';
import { changedJobs } from './changed-jobs.js';

export type HookKind = PlanHook['kind'];

/**
 * A hook of drover.hcl as config/hooks gives it: a plan's hook whose `jobs`, if any, is the
 * filter written in the file rather than the jobs of a plan.
 */
export type HookSpec = PlanHook;

/** The kinds that run once per job. */
export function isJobHook(kind: HookKind): boolean {
  return kind === 'pre-job' || kind === 'post-job';
}

/** The order kinds run in within an apply; the plan lists them in it. */
export const HOOK_KINDS: readonly HookKind[] = [
  'pre-apply',
  'pre-job',
  'post-job',
  'on-failure',
  'post-apply',
];

/** What an apply ended as, for DROVER_RESULT: the audit trail's words. */
export type HookResultWord = 'ok' | 'failed' | 'reverted';

/**
 * The hooks an apply of `plan` runs: none when it changes no job; per-job hooks with the jobs
 * they run for, dropped when their filter names none of the plan's.
 */
export function planHooks(plan: Plan, hooks: readonly HookSpec[]): PlanHook[] {
  const changed = changedJobs(plan).map((j) => j.id);
  if (changed.length === 0) return [];
  const out: PlanHook[] = [];
  for (const kind of HOOK_KINDS)
    for (const h of hooks) {
      if (h.kind !== kind) continue;
      const base: PlanHook = { kind, command: h.command, timeout_ms: h.timeout_ms };
      if (!isJobHook(kind)) {
        out.push(base);
        continue;
      }
      const jobs = h.jobs ? changed.filter((id) => h.jobs!.includes(id)) : changed;
      if (jobs.length) out.push({ ...base, jobs });
    }
  return out;
}

/** The plan listing the hooks an apply of it runs (resealed: its hash covers them). */
export function withPlanHooks(plan: Plan, hooks: readonly HookSpec[]): Plan {
  const listed = planHooks(plan, hooks);
  const { hash: _old, hooks: _none, ...rest } = plan;
  return sealPlan(listed.length ? { ...rest, hooks: listed } : rest);
}

/**
 * Why a saved plan's hooks are not those drover.hcl gives it now (it would run other commands
 * than the ones reviewed), or undefined when they are the same.
 */
export function staleHooks(plan: Plan, hooks: readonly HookSpec[]): string | undefined {
  const now = planHooks(plan, hooks);
  const saved = plan.hooks ?? [];
  if (canonicalJson(now) === canonicalJson(saved)) return undefined;
  const list = (hs: readonly PlanHook[]) =>
    hs.length ? hs.map((h) => describeHook(h)).join('; ') : 'none';
  return `plan is stale: drover.hcl's hooks changed since the plan was made (the plan runs: ${list(saved)}. drover.hcl now gives: ${list(now)}). Make a new plan.`;
}

/**
 * How a hook is named in output and in the audit trail: `pre-job api (./smoke.sh --fast)`, the
 * command cut short after 40 characters.
 */
export function hookName(h: Pick<PlanHook, 'kind' | 'command'>, job?: string): string {
  const command = h.command.map(shellWord).join(' ');
  const short = command.length > 40 ? `${command.slice(0, 39)}…` : command;
  return `${h.kind}${job !== undefined ? ` ${job}` : ''} (${short})`;
}

/** The facts of one run of a hook that its environment carries. */
export interface HookFacts {
  kind: HookKind;
  plan: Plan;
  operation: string;
  actor: string;
  /** post-job, post-apply, on-failure. */
  result?: HookResultWord;
  /** pre-job, post-job. */
  job?: string;
}

/**
 * The `DROVER_*` variables a hook gets (over the caller's environment): versions as
 * `job=from->to`, an empty side for a job created or destroyed.
 */
export function hookEnvironment(f: HookFacts): Record<string, string> {
  const jobs = changedJobs(f.plan);
  const version = (v: number | null) => (v === null ? '' : String(v));
  const env: Record<string, string> = {
    DROVER_HOOK: f.kind,
    DROVER_OPERATION: f.operation,
    DROVER_PLAN_HASH: f.plan.hash,
    DROVER_JOBS: jobs.map((j) => j.id).join(','),
    DROVER_VERSIONS: jobs
      .map((j) => `${j.id}=${version(j.from_version)}->${version(j.to_version)}`)
      .join(','),
    DROVER_ACTOR: f.actor,
  };
  if (f.result !== undefined) env.DROVER_RESULT = f.result;
  if (f.job !== undefined) {
    env.DROVER_JOB = f.job;
    const j = jobs.find((x) => x.id === f.job);
    env.DROVER_JOB_VERSION = j ? version(j.to_version) : '';
  }
  return env;
}

/** The plan text's list of hooks, in the order they run. */
export function renderPlanHooks(hooks: readonly PlanHook[] | undefined): string[] {
  if (!hooks?.length) return [];
  const width = Math.max(...hooks.map((h) => h.kind.length));
  return [
    "Hooks (run on this machine in drover.hcl's directory, while the state lock is held):",
    ...hooks.map((h) => `  ${describeHook(h, width)}`),
  ];
}

/** `pre-job  ./smoke.sh  for api, web  (timeout 5m0s)`. */
function describeHook(h: PlanHook, width = 0): string {
  return (
    `${h.kind.padEnd(width)}  ${h.command.map(shellWord).join(' ')}` +
    (h.jobs ? `  for ${h.jobs.join(', ')}` : '') +
    `  (timeout ${formatDuration(h.timeout_ms * 1e6)})`
  );
}

/** An argument as a reader would type it: quoted when it holds anything but plain characters. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

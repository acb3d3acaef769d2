/**
 * The hooks of one apply: runs the ones its plan lists, at their moments (pre-apply, per job,
 * on-failure, post-apply), under the lock the caller holds, each with the `DROVER_*` facts of the
 * apply; and keeps what each one did for the audit trail. The plan decides which hooks run (a
 * planfile runs the ones it was reviewed with); drover.hcl's directory is where they run.
 */
import { dirname } from 'node:path';
import { resultOf } from '../audit/record.js';
import type { DroverConfig } from '../config/types.js';
import type { Plan, PlanHook } from '../generated/plan.js';
import type { AuditHook } from '../state/types.js';
import {
  hookEnvironment,
  hookName,
  staleHooks,
  withPlanHooks,
  type HookKind,
  type HookResultWord,
  type HookSpec,
} from '../plan/hooks.js';
import { OperationError } from './context.js';
import { exitCodeOf, type ApplyResult, type JobHooks, type JobResult } from './execute.js';
import { runHookCommand, type HookRunOutcome } from './hook-runner.js';

export interface ApplyHooksContext {
  plan: Plan;
  /** The operation (apply, rollback, stop, …): DROVER_OPERATION. */
  operation: string;
  /** Who runs it: DROVER_ACTOR. */
  actor: string;
  /** drover.hcl's directory. */
  cwd: string;
  /** The environment the hooks inherit (drover's own). */
  env: NodeJS.ProcessEnv;
  /** A line of a hook's output, as it comes. */
  onLine?: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** A hook has ended. */
  onDone?: (record: AuditHook) => void;
  /** For tests: how long a timed-out hook's group gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

/** Where hooks run: drover.hcl's directory (the working directory for the embedded default). */
export function hookDirectory(config: Pick<DroverConfig, 'file'>): string {
  return config.file ? dirname(config.file) : process.cwd();
}

export class ApplyHooks {
  /** Every hook run so far, in the order they ran. */
  readonly records: AuditHook[] = [];

  constructor(private readonly ctx: ApplyHooksContext) {}

  /** Whether the plan lists any hook. */
  get any(): boolean {
    return (this.ctx.plan.hooks ?? []).length > 0;
  }

  /** Runs the pre-apply hooks in order; the first that fails ends them and is returned. */
  async preApply(): Promise<AuditHook | undefined> {
    for (const h of this.listed('pre-apply')) {
      const r = await this.run(h, {});
      if (r.result !== 'ok') return r;
    }
    return undefined;
  }

  /** Runs the on-failure hooks (the apply failed, or a pre-apply hook stopped it). */
  async onFailure(result: Exclude<HookResultWord, 'ok'> = 'failed'): Promise<void> {
    for (const h of this.listed('on-failure')) await this.run(h, { result });
  }

  /** After the apply: on-failure when it did not end ok, then post-apply, whatever the result. */
  async finish(result: HookResultWord): Promise<void> {
    if (result !== 'ok') await this.onFailure(result);
    for (const h of this.listed('post-apply')) await this.run(h, { result });
  }

  /** The post hooks (post-job, post-apply, on-failure) that failed: reported, nothing undone. */
  failedAfter(): AuditHook[] {
    return this.records.filter((r) => r.kind !== 'pre-apply' && r.kind !== 'pre-job' && !isOk(r));
  }

  /** What the executor calls around each job's rollout. */
  jobHooks(): JobHooks {
    return {
      before: async (job) => {
        for (const h of this.listed('pre-job', job)) {
          const r = await this.run(h, { job });
          if (!isOk(r)) return `${describeHookFailure(r)}; the job was not changed`;
        }
        return undefined;
      },
      after: async (r) => {
        for (const h of this.listed('post-job', r.job))
          await this.run(h, { job: r.job, result: jobResultWord(r) });
      },
    };
  }

  private listed(kind: HookKind, job?: string): PlanHook[] {
    return (this.ctx.plan.hooks ?? []).filter(
      (h) => h.kind === kind && (job === undefined || (h.jobs ?? []).includes(job)),
    );
  }

  private async run(
    h: PlanHook,
    facts: { job?: string; result?: HookResultWord },
  ): Promise<AuditHook> {
    const name = hookName(h, facts.job);
    const env = {
      ...this.ctx.env,
      ...hookEnvironment({
        kind: h.kind,
        plan: this.ctx.plan,
        operation: this.ctx.operation,
        actor: this.ctx.actor,
        ...facts,
      }),
    };
    const outcome = await runHookCommand({
      command: h.command,
      cwd: this.ctx.cwd,
      env,
      timeoutMs: h.timeout_ms,
      onLine: (line, stream) => this.ctx.onLine?.(name, line, stream),
      ...(this.ctx.killGraceMs !== undefined ? { killGraceMs: this.ctx.killGraceMs } : {}),
    });
    const record = auditHook(name, h, facts.job, outcome);
    this.records.push(record);
    this.ctx.onDone?.(record);
    return record;
  }
}

function auditHook(
  name: string,
  h: PlanHook,
  job: string | undefined,
  o: HookRunOutcome,
): AuditHook {
  return {
    name,
    kind: h.kind,
    ...(job !== undefined ? { job } : {}),
    command: [...h.command],
    result: o.result,
    exit_code: o.exitCode,
    duration_ms: o.durationMs,
    output: o.output,
    ...(o.truncatedBytes ? { output_truncated: o.truncatedBytes } : {}),
    ...(o.error ? { error: o.error } : {}),
  };
}

function isOk(r: AuditHook): boolean {
  return r.result === 'ok';
}

/** `pre-apply hook pre-apply (./x.sh) exited with code 3` and the like. */
export function describeHookFailure(r: AuditHook): string {
  const how =
    r.result === 'timeout'
      ? (r.error ?? 'timed out')
      : r.exit_code !== null && r.exit_code !== undefined
        ? `exited with code ${r.exit_code}`
        : `failed${r.error ? `: ${r.error}` : ''}`;
  return `hook ${r.name} ${how}`;
}

/** A job's end in DROVER_RESULT's words. */
function jobResultWord(r: JobResult): HookResultWord {
  if (r.revert && 'outcome' in r.revert && r.revert.outcome.ok) return 'reverted';
  return r.outcome.ok ? 'ok' : 'failed';
}

/**
 * A new plan with the hooks an apply of it runs; a saved plan as it is, refused (stale) when
 * drover.hcl's hooks are no longer the ones it lists: it would run commands no one reviewed.
 */
export function planWithHooks(hooks: readonly HookSpec[], plan: Plan, saved: boolean): Plan {
  if (!saved) return withPlanHooks(plan, hooks);
  const stale = staleHooks(plan, hooks);
  if (stale) throw new OperationError(stale);
  return plan;
}

/** A pre-apply hook failed, so the apply stopped before any change (on-failure ran). */
export class PreApplyHookFailed extends OperationError {
  constructor(readonly hook: AuditHook) {
    super(`${describeHookFailure(hook)}: nothing was changed.`);
  }
}

export interface HookedApply {
  result: ApplyResult;
  /** What the apply itself ended as (exit code), before post hooks. */
  applied: number;
  /** The exit code once post hooks ran (see exitCodeAfterHooks). */
  code: number;
}

/**
 * An apply with its hooks, as every front end runs it under the lock it holds: pre-apply (the
 * first failure runs on-failure and throws PreApplyHookFailed: nothing changed), `execute` with
 * the per-job hooks, then on-failure (when it did not end ok) and post-apply, whatever the
 * result. An error of `execute` runs on-failure and post-apply, then is thrown again. The
 * hooks' records (`hooks.records`) are the caller's to put in the audit trail.
 */
export async function applyWithHooks(
  hooks: ApplyHooks,
  execute: (jobHooks: JobHooks | undefined) => Promise<ApplyResult>,
  exitCode: (result: ApplyResult) => number = exitCodeOf,
): Promise<HookedApply> {
  const failed = await hooks.preApply();
  if (failed) {
    await hooks.onFailure();
    throw new PreApplyHookFailed(failed);
  }
  let result: ApplyResult;
  try {
    result = await execute(hooks.any ? hooks.jobHooks() : undefined);
  } catch (err) {
    await hooks.finish('failed');
    throw err;
  }
  const applied = exitCode(result);
  await hooks.finish(resultOf(applied));
  return { result, applied, code: exitCodeAfterHooks(applied, hooks.failedAfter()) };
}

/**
 * The exit code once post hooks ran. A post hook that failed changes nothing already done, so
 * the codes that say what happened to deployments (3, 4) stay; a success (0, and 5: canaries
 * wait) becomes 1, an error: 4 would claim a deployment failed, which state contradicts.
 */
export function exitCodeAfterHooks(code: number, failedAfter: readonly AuditHook[]): number {
  if (failedAfter.length === 0) return code;
  return code === 0 || code === 5 ? 1 : code;
}

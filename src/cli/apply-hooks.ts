/**
 * The CLI's side of hooks: the plan lists drover.hcl's hooks (a saved plan must still match
 * them), hook output streams live to stderr prefixed with the hook's name, each ended hook is
 * a JSON line with `-json`, and what a failing hook means for the apply and its exit code.
 */
import { dirname } from 'node:path';
import { currentIdentity } from '../audit/identity.js';
import type { DroverConfig } from '../config/types.js';
import type { Plan } from '../generated/plan.js';
import { ApplyHooks, describeHookFailure } from '../ops/hooks.js';
import { staleHooks, withPlanHooks } from '../plan/hooks.js';
import type { AuditHook } from '../state/types.js';
import type { OperationAudit } from './audit-trail.js';
import type { Output } from './output.js';
import { UserError } from './with-session.js';

/**
 * A new plan with the hooks an apply of it runs; a saved plan as it is, refused (stale) when
 * drover.hcl's hooks are no longer the ones it lists.
 */
export function planWithHooks(config: DroverConfig, plan: Plan, saved: boolean): Plan {
  const hooks = config.hooks ?? [];
  if (!saved) return withPlanHooks(plan, hooks);
  const stale = staleHooks(plan, hooks);
  if (stale) throw new UserError(stale);
  return plan;
}

/** The hooks of an apply of `plan`, run in drover.hcl's directory, printing as they go. */
export function cliApplyHooks(
  o: Output,
  config: DroverConfig,
  plan: Plan,
  operation: string,
  opts: { jsonLine: (value: unknown) => void; beforeOutput?: () => void },
): ApplyHooks {
  return new ApplyHooks({
    plan,
    operation,
    actor: currentIdentity().actor,
    cwd: config.file ? dirname(config.file) : process.cwd(),
    env: process.env,
    onLine: (name, line) => {
      opts.beforeOutput?.();
      o.err(`${o.errStyle.dim(`[${name}]`)} ${line}`);
    },
    onDone: (r) => {
      if (o.json) opts.jsonLine({ type: 'hook', ...r });
      else if (r.result !== 'ok') o.err(`${o.errStyle.error('error')}: ${describeHookFailure(r)}`);
    },
  });
}

/**
 * Runs the pre-apply hooks; when one fails, runs on-failure, records the failed operation and
 * throws: nothing was changed.
 */
export async function runPreApply(hooks: ApplyHooks, audit: OperationAudit): Promise<void> {
  const failed = await hooks.preApply();
  if (!failed) return;
  await hooks.onFailure();
  const err = new UserError(`${describeHookFailure(failed)}: nothing was changed.`);
  await audit.failed(err, hooks.records);
  throw err;
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

/** Says which post hooks failed and that nothing was undone. */
export function printPostHookFailures(o: Output, failedAfter: readonly AuditHook[]): void {
  if (failedAfter.length === 0 || o.json) return;
  o.err(
    `${failedAfter.length === 1 ? 'A hook' : `${failedAfter.length} hooks`} failed after the changes were made (${failedAfter.map((r) => r.name).join(', ')}); nothing was undone.`,
  );
}

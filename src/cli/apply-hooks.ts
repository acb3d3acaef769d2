/**
 * The CLI's side of hooks (ops/hooks runs them, as for the server): hook output streams live to
 * stderr prefixed with the hook's name, each ended hook is a JSON line with `-json`, and the
 * post hooks that failed are said after the apply's summary.
 */
import { currentIdentity } from '../audit/identity.js';
import type { DroverConfig } from '../config/types.js';
import type { Plan } from '../generated/plan.js';
import { ApplyHooks, describeHookFailure, hookDirectory } from '../ops/hooks.js';
import type { AuditHook } from '../state/types.js';
import type { Output } from './output.js';

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
    cwd: hookDirectory(config),
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

/** Says which post hooks failed and that nothing was undone. */
export function printPostHookFailures(o: Output, failedAfter: readonly AuditHook[]): void {
  if (failedAfter.length === 0 || o.json) return;
  o.err(
    `${failedAfter.length === 1 ? 'A hook' : `${failedAfter.length} hooks`} failed after the changes were made (${failedAfter.map((r) => r.name).join(', ')}); nothing was undone.`,
  );
}

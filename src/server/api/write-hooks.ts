/**
 * drover.hcl's hooks around a write through the API: the hooks ops/hooks runs for the CLI's
 * apply, run by the server in drover.hcl's directory with the server's environment. Each line of
 * a hook's output and each hook's end are lines of the server's log (the audit record keeps the
 * output too, as for the CLI).
 */
import type { Plan } from '../../generated/plan.js';
import { ApplyHooks, describeHookFailure, hookDirectory } from '../../ops/hooks.js';
import type { ApiRequest } from '../types.js';

export function serverApplyHooks(req: ApiRequest, plan: Plan, operation: string): ApplyHooks {
  const { log, engine } = req.server;
  const actor = req.identity.actor.name;
  return new ApplyHooks({
    plan,
    operation,
    actor,
    cwd: hookDirectory(engine.config),
    env: process.env,
    onLine: (name, line, stream) =>
      log.info(`[${name}] ${line}`, { operation, actor, hook: name, stream }),
    onDone: (r) => {
      const fields = { operation, actor, hook: r.name, result: r.result, exit_code: r.exit_code };
      if (r.result === 'ok') log.info(`${operation}: hook ${r.name} ended ok`, fields);
      else log.warn(`${operation}: ${describeHookFailure(r)}`, fields);
    },
  });
}

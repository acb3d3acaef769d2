/**
 * drover.hcl's `hook` blocks: what the file says (already schema-checked) → the hooks drover
 * runs, with their timeouts in milliseconds; and the checks the schema cannot express.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile, HookConfig } from '../generated/config.js';
import type { PlanHook } from '../generated/plan.js';
import { durationNanos } from '../jobspec/duration.js';
import { pointer, type RangeIndex } from '../jobspec/ranges.js';

/**
 * A hook as drover runs it, in the plan's shape (the plan lists it); `jobs` is the filter
 * written in the file.
 */
export type HookSpec = PlanHook;

export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60 * 1000;

/** The kinds that run once per job. */
function isJobHook(kind: HookConfig['kind']): boolean {
  return kind === 'pre-job' || kind === 'post-job';
}

/** The file's hook blocks in file order, timeouts filled. */
export function hookSpecs(written: readonly HookConfig[] | undefined): HookSpec[] {
  return (written ?? []).map((h) => ({
    kind: h.kind,
    command: h.command,
    timeout_ms:
      h.timeout === undefined
        ? DEFAULT_HOOK_TIMEOUT_MS
        : Math.round((durationNanos(h.timeout) ?? 0) / 1e6),
    ...(h.jobs !== undefined && isJobHook(h.kind) ? { jobs: h.jobs } : {}),
  }));
}

export function checkHookRules(file: ConfigFile, ranges: RangeIndex, diags: Diagnostics): void {
  (file.hook ?? []).forEach((h, i) => {
    const at = (...path: (string | number)[]) => pointer('hook', i, ...path);
    if (h.jobs !== undefined && !isJobHook(h.kind))
      diags.error(
        'Unsupported argument',
        ranges.nameRange(at('jobs')),
        `"jobs" filters per-job hooks ("pre-job", "post-job"); a "${h.kind}" hook runs once per apply.`,
      );
    if (h.command[0] === '')
      diags.error(
        'Invalid hook command',
        ranges.valueRange(at('command')),
        'The first element of "command" is the program to run; it cannot be empty.',
      );
    if (h.timeout !== undefined && !((durationNanos(h.timeout) ?? 0) > 0))
      diags.error(
        'Invalid hook timeout',
        ranges.valueRange(at('timeout')),
        `The timeout must be a positive duration such as "30s" or "5m", not ${JSON.stringify(h.timeout)}.`,
      );
  });
}

/**
 * Checks every task's `config` block with its driver's own rules, so that `drover validate`,
 * `plan` and `apply` report `config { image = 42 }` at its line instead of the host failing
 * at start. A driver drover does not have is only a warning: Nomad validates jobs without knowing
 * the drivers, and placement then fails with "missing driver" (no node has it).
 *
 * The rules belong to the drivers (`providers/`), which sit above this layer: the edge that loads
 * jobs (the CLI) passes them in as a `DriverConfigCheck`, so `jobspec/` imports no provider.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { Job } from '../generated/jobspec.js';
import { pointer, type RangeIndex } from './ranges.js';
import { didYouMean } from './suggest.js';

/** A problem with a task's `config`, at a JSON pointer inside that config. */
export interface ConfigProblem {
  pointer: string;
  summary: string;
  detail: string;
  severity?: 'error' | 'warning';
}

/** The drivers' config rules, as the jobspec layer is given them. */
export interface DriverConfigCheck {
  /** The task drivers drover has, sorted. */
  knownDrivers(): string[];
  /** The problems of a task's `config` for its driver; undefined when there is no such driver. */
  checkDriverConfig(driver: string, config: Record<string, unknown>): ConfigProblem[] | undefined;
}

/** Reports each task's driver config problems at the attribute or block they are about. */
export function checkDriverConfigs(
  job: Job,
  ranges: RangeIndex,
  drivers: DriverConfigCheck,
  diags: Diagnostics,
): void {
  (job.group ?? []).forEach((g, i) =>
    (g.task ?? []).forEach((t, j) => {
      // A missing driver is reported by the rules ("Missing task driver").
      if (!t.driver) return;
      const problems = drivers.checkDriverConfig(t.driver, t.config ?? {});
      if (problems?.length === 0) return;
      const tp = pointer('group', i, 'task', j);
      if (!problems) {
        const known = drivers.knownDrivers();
        diags.warning(
          'Unknown task driver',
          ranges.valueRange(`${tp}/driver`),
          `drover has no driver "${t.driver}", so no node can run task "${t.name}" and planning it fails with "missing driver"; drover's drivers are ${known.map((d) => `"${d}"`).join(', ')}.${didYouMean(t.driver, known)}`,
        );
        return;
      }
      for (const p of problems) {
        const at = `${tp}/config${p.pointer}`;
        // An unknown key is underlined by its name, any other problem by its value; a pointer
        // with no range of its own (a missing argument) falls back to the config block, then
        // the task.
        const range =
          p.summary === 'Unsupported argument' ? ranges.nameRange(at) : ranges.valueRange(at);
        if (p.severity === 'warning') diags.warning(p.summary, range, p.detail);
        else diags.error(p.summary, range, p.detail);
      }
    }),
  );
}

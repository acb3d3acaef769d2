/** `drover drift [PATHS...]`: what runs compared with what was applied (see `drift-view.ts`). */
import type { Command } from 'commander';
import { addJobInputOptions } from '../common.js';
import { runDrift } from '../drift-view.js';
import type { Output } from '../output.js';
import { addStateOptions, jobIdsOf, type PlanOptions } from './plan.js';

export function registerDrift(program: Command, io: (json: boolean) => Output): void {
  addStateOptions(
    addJobInputOptions(
      program
        .command('drift')
        .description(
          'compare what runs with what was applied (same as plan -refresh-only); exit 2 on drift',
        )
        .argument('[paths...]', 'job files or directories of them (default: every job)'),
    ),
  )
    .option('--detailed-exitcode', 'accepted for plan -refresh-only; drift exits 2 either way')
    .action((paths: string[], opts: PlanOptions) => {
      const o = io(Boolean(opts.json));
      return runDrift(o, paths, opts, (p) => jobIdsOf(o, p, opts));
    });
}

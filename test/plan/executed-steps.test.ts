/**
 * "A rollout's executed steps equal the plan's", on every golden case with a rollout: each
 * allocation started or stopped appears under the plan step that names it, steps run in the
 * plan's order per group, and nothing runs that the plan does not name. The checker itself is
 * tested on a run that departs from its plan.
 */
import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import { caseNames, runCase } from './golden-support.js';
import { executionProblems } from './executed-steps.js';

describe('executed steps equal the plan', () => {
  const names = caseNames();

  for (const name of names) {
    it(name, async () => {
      const { plan, events, executed } = await runCase(name);
      if (!executed) {
        expect(events).toEqual([]);
        return;
      }
      expect(executionProblems(plan, events)).toEqual([]);
    });
  }

  it('names what departs from the plan', async () => {
    const { plan, events } = await runCase('window-rollout');
    const steps = plan.jobs[0]!.rollout!.groups[0]!.steps;
    const [first, second] = steps[0]!.allocs;
    const [oldFirst] = steps[0]!.replaces;
    const alloc = (e: ProgressEvent) => (e.kind === 'alloc' ? e.alloc : '');

    // A replacement started before its old allocation stopped (start new; stop old).
    const stopOld = events.filter((e) => alloc(e) === oldFirst);
    const swapped = [
      ...events.filter((e) => alloc(e) === first),
      ...stopOld,
      ...events.filter((e) => alloc(e) !== first && alloc(e) !== oldFirst),
    ];
    expect(executionProblems(plan, swapped)).toContain(
      `web/web step 1 started ${first} before ${oldFirst} stopped`,
    );

    // An allocation the plan does not place, and one started with no step.
    const stray: ProgressEvent = {
      kind: 'alloc',
      alloc: '00000000-0000-4000-8000-000000000000',
      name: 'web.web[9]',
      node: 'n1',
      status: 'starting',
      step: { part: 'rollout', job: 'web', group: 'web', index: 1, kind: 'window' },
    };
    const { step: _untag, ...untagged } = events.find((e) => alloc(e) === second)!;
    const problems = executionProblems(plan, [...events, stray, untagged]);
    expect(problems).toContain(
      'web.web[9] 00000000 starting under web/web step 1 (window): the step does not start it',
    );
    expect(problems.some((p) => p.includes('the event names no plan step'))).toBe(true);

    // A step that never ran.
    const cut = events.filter((e) => alloc(e) !== steps[0]!.allocs[4]);
    expect(executionProblems(plan, cut)).toContain(
      `web/web step 1 did not start ${steps[0]!.allocs[4]}`,
    );
  });
});

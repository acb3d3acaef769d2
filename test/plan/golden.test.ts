/**
 * Golden plans and apply progress: each case of test/golden/ (see golden-support.ts) is planned
 * by the real operations layer and executed on mock hosts with a virtual clock, then compared
 * with plan.txt and plan.json (what `drover plan` and `plan -json` print), and, when the plan
 * changes something, apply.txt and apply.jsonl (the progress lines of `drover apply` without a
 * terminal, and of `apply -json`).
 * `UPDATE_GOLDEN=1 npx vitest run test/plan/golden.test.ts` rewrites the expected files.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/cli/views.js';
import type { Output } from '../../src/cli/output.js';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import { parsePlanfile } from '../../src/plan/planfile.js';
import { checkPlanSchema, renderPlanJson } from '../../src/plan/render-json.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { caseNames, GOLDEN, runCase } from './golden-support.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

function compare(dir: string, name: string, actual: string | undefined): void {
  const path = join(dir, name);
  if (UPDATE) {
    if (actual === undefined) rmSync(path, { force: true });
    else writeFileSync(path, actual);
    return;
  }
  const expected = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (actual === undefined) {
    expect(expected, `${path} should not exist: the plan changes nothing`).toBeUndefined();
    return;
  }
  expect(
    expected,
    `${path} is missing; run UPDATE_GOLDEN=1 npx vitest run test/plan/golden.test.ts`,
  ).toBeDefined();
  expect(actual).toBe(expected);
}

/** The lines `drover apply` prints for progress when stdout is not a terminal. */
function progressText(events: readonly ProgressEvent[]): string {
  const lines: string[] = [];
  const plain = (s: string) => s;
  const o: Output = {
    out: (t) => lines.push(t),
    err: (t) => lines.push(t),
    json: false,
    stdoutIsTTY: false,
    style: { error: plain, warning: plain, bold: plain, dim: plain },
    errStyle: { error: plain, warning: plain, bold: plain, dim: plain },
  };
  const view = new ProgressView(o);
  for (const ev of events) view.onEvent(ev);
  return lines.map((l) => `${l}\n`).join('');
}

/** The progress lines `drover apply -json` prints. */
function progressJsonl(events: readonly ProgressEvent[]): string {
  return events.map((ev) => `${JSON.stringify({ type: 'progress', ...ev })}\n`).join('');
}

describe('golden plans and apply progress', () => {
  const names = caseNames();

  it('has the cases the plan format is reviewed on', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'new-job',
        'count-up',
        'count-down',
        'env-change',
        'image-change',
        'job-stopped',
        'no-change',
        'placement-failure',
        'service-change',
        'canary-rollout',
        'canary-auto-promote',
        'window-rollout',
        'system-stagger',
        'drain',
        'promote',
        'purge',
        'resumed-deployment',
        'killed-alloc',
        'multi-group',
      ]),
    );
  });

  for (const name of names) {
    it(name, async () => {
      const dir = join(GOLDEN, name);
      const { plan, events, executed } = await runCase(name);

      const json = renderPlanJson(plan);
      const checked = checkPlanSchema(JSON.parse(json));
      expect('problems' in checked ? checked.problems : []).toEqual([]);
      // What plan -json prints is a valid planfile: it reads back with its hash intact.
      expect(parsePlanfile(json, 'plan.json')).toEqual({ plan });

      compare(dir, 'plan.txt', renderPlanText(plan));
      compare(dir, 'plan.json', json);
      compare(dir, 'apply.txt', executed ? progressText(events) : undefined);
      compare(dir, 'apply.jsonl', executed ? progressJsonl(events) : undefined);
    });
  }
});

/**
 * One apply's hooks (ops/hooks) on real commands: which run at each moment, in which order, with
 * which result, what a failing pre hook means, and the records kept for the audit trail.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobPlan, Plan, PlanHook } from '../../src/generated/plan.js';
import { sealPlan } from '../../src/plan/hash.js';
import { ApplyHooks } from '../../src/ops/hooks.js';
import type { JobResult } from '../../src/ops/execute.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-apply-hooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hook that appends `kind job result` to log.txt, then exits with `code`. */
function logs(kind: PlanHook['kind'], code = 0, jobs?: string[]): PlanHook {
  return {
    kind,
    command: [
      'sh',
      '-c',
      `echo "$DROVER_HOOK $DROVER_JOB $DROVER_RESULT" >> log.txt; exit ${code}`,
    ],
    timeout_ms: 10_000,
    ...(jobs ? { jobs } : {}),
  };
}

function hooksOf(hooks: PlanHook[]) {
  const plan = sealPlan({
    format_version: 1,
    drover_version: '0.0.0-test',
    created_at: '2026-01-01T00:00:00.000Z',
    state: { lineage: 'l', serial: 1 },
    changes: [],
    retry_stops: [],
    hooks,
    jobs: [{ id: 'api', type: 'update', from_version: 1, to_version: 2 } as unknown as JobPlan],
    warnings: [],
  } as unknown as Omit<Plan, 'hash'>);
  rmSync(join(dir, 'log.txt'), { force: true });
  const lines: string[] = [];
  const h = new ApplyHooks({
    plan,
    operation: 'apply',
    actor: 'tester',
    cwd: dir,
    env: { PATH: process.env.PATH },
    onLine: (name, line) => lines.push(`${name}: ${line}`),
  });
  const log = () => {
    try {
      return readFileSync(join(dir, 'log.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').trim()); // unset variables leave spaces
    } catch {
      return [];
    }
  };
  return { h, log, lines };
}

const ok = (job: string): JobResult => ({
  job,
  outcome: { ok: true, result: 'successful', failures: [] },
});

describe('ApplyHooks', () => {
  it('stops pre-apply hooks at the first that fails and returns it', async () => {
    const { h, log } = hooksOf([logs('pre-apply'), logs('pre-apply', 4), logs('pre-apply')]);
    const failed = await h.preApply();
    expect(failed).toMatchObject({ kind: 'pre-apply', result: 'failed', exit_code: 4 });
    expect(log()).toEqual(['pre-apply', 'pre-apply']);
    expect(h.records).toHaveLength(2);
  });

  it('runs on-failure before post-apply when the apply did not end ok, post-apply alone when it did', async () => {
    const failedRun = hooksOf([logs('post-apply'), logs('on-failure')]);
    await failedRun.h.finish('reverted');
    expect(failedRun.log()).toEqual(['on-failure reverted', 'post-apply reverted']);
    const okRun = hooksOf([logs('post-apply'), logs('on-failure')]);
    await okRun.h.finish('ok');
    expect(okRun.log()).toEqual(['post-apply ok']);
  });

  it('gives the executor the reason a job must not start, and runs post-job with its result', async () => {
    const { h, log, lines } = hooksOf([
      logs('pre-job', 0, ['api']),
      logs('pre-job', 6, ['api']),
      logs('post-job', 0, ['api']),
    ]);
    const jobs = h.jobHooks();
    expect(await jobs.before('web')).toBeUndefined(); // no hook for web
    expect(await jobs.before('api')).toMatch(
      /^hook pre-job api \(sh -c .*\) exited with code 6; the job was not changed$/,
    );
    await jobs.after(ok('api'));
    await jobs.after({
      job: 'api',
      outcome: { ok: false, result: 'failed', failures: [] },
      revert: { toVersion: 1, outcome: { ok: true, result: 'successful', failures: [] } },
    });
    expect(log()).toEqual([
      'pre-job api',
      'pre-job api',
      'post-job api ok',
      'post-job api reverted',
    ]);
    expect(lines).toEqual([]); // the commands write to the file, not to their output
  });

  it('counts only failed hooks after the changes as failedAfter', async () => {
    const { h } = hooksOf([
      logs('pre-job', 1, ['api']),
      logs('post-job', 2, ['api']),
      logs('post-apply', 3),
    ]);
    await h.jobHooks().before('api');
    await h.jobHooks().after(ok('api'));
    await h.finish('ok');
    expect(h.failedAfter().map((r) => [r.kind, r.exit_code])).toEqual([
      ['post-job', 2],
      ['post-apply', 3],
    ]);
    expect(h.records.map((r) => r.name)).toEqual([
      expect.stringMatching(/^pre-job api \(/),
      expect.stringMatching(/^post-job api \(/),
      expect.stringMatching(/^post-apply \(/),
    ]);
  });
});

/** Which hooks a plan lists, their environment, the text, and stale planfiles. */
import { describe, expect, it } from 'vitest';
import type { JobPlan, Plan } from '../../src/generated/plan.js';
import { planHash, sealPlan } from '../../src/plan/hash.js';
import {
  hookEnvironment,
  hookName,
  planHooks,
  renderPlanHooks,
  staleHooks,
  withPlanHooks,
  type HookSpec,
} from '../../src/plan/hooks.js';
import { renderPlanText } from '../../src/plan/render-text.js';

/** Only what hooks read of a job's plan. */
function job(id: string, type: string, from: number | null, to: number | null): JobPlan {
  return { id, type, from_version: from, to_version: to, groups: [] } as unknown as JobPlan;
}

function plan(jobs: JobPlan[]): Plan {
  return sealPlan({
    format_version: 1,
    drover_version: '0.0.0-test',
    created_at: '2026-01-01T00:00:00.000Z',
    state: { lineage: 'l', serial: 3 },
    changes: [],
    retry_stops: [],
    jobs,
    warnings: [],
  } as unknown as Omit<Plan, 'hash'>);
}

const HOOKS: HookSpec[] = [
  { kind: 'post-apply', command: ['./notify.sh'], timeout_ms: 300_000 },
  { kind: 'pre-job', command: ['./smoke.sh', 'a b'], timeout_ms: 1000, jobs: ['api', 'gone'] },
  { kind: 'pre-apply', command: ['./migrate.sh', '--fast'], timeout_ms: 300_000 },
  { kind: 'post-job', command: ['./each.sh'], timeout_ms: 5000 },
  { kind: 'on-failure', command: ['./page.sh'], timeout_ms: 60_000 },
  { kind: 'pre-apply', command: ['./second.sh'], timeout_ms: 300_000 },
  { kind: 'pre-job', command: ['./db-only.sh'], timeout_ms: 1000, jobs: ['db'] },
];

const changed = plan([
  job('api', 'update', 2, 3),
  job('cache', 'none', 1, 1),
  job('web', 'create', null, 0),
]);

describe('planHooks', () => {
  it('lists hooks in the order of their kinds, then of the file; per-job hooks with their jobs', () => {
    expect(planHooks(changed, HOOKS)).toEqual([
      { kind: 'pre-apply', command: ['./migrate.sh', '--fast'], timeout_ms: 300_000 },
      { kind: 'pre-apply', command: ['./second.sh'], timeout_ms: 300_000 },
      { kind: 'pre-job', command: ['./smoke.sh', 'a b'], timeout_ms: 1000, jobs: ['api'] },
      { kind: 'post-job', command: ['./each.sh'], timeout_ms: 5000, jobs: ['api', 'web'] },
      { kind: 'on-failure', command: ['./page.sh'], timeout_ms: 60_000 },
      { kind: 'post-apply', command: ['./notify.sh'], timeout_ms: 300_000 },
    ]);
  });

  it('lists none for a plan that changes no job', () => {
    expect(planHooks(plan([job('cache', 'none', 1, 1)]), HOOKS)).toEqual([]);
    const same = plan([job('cache', 'none', 1, 1)]);
    expect(withPlanHooks(same, HOOKS)).toEqual(same);
  });

  it('reseals the plan: its hash covers the hooks', () => {
    const hooked = withPlanHooks(changed, HOOKS);
    expect(hooked.hooks).toHaveLength(6);
    expect(hooked.hash).not.toBe(changed.hash);
    expect(hooked.hash).toBe(planHash(hooked));
    expect(withPlanHooks(hooked, HOOKS)).toEqual(hooked);
  });
});

describe('staleHooks', () => {
  const hooked = withPlanHooks(changed, HOOKS);
  it('accepts a planfile whose hooks drover.hcl still gives', () => {
    expect(staleHooks(hooked, HOOKS)).toBeUndefined();
    expect(staleHooks(changed, [])).toBeUndefined();
  });

  it('calls a planfile stale when a hook was added, removed or changed since', () => {
    expect(staleHooks(changed, HOOKS)).toMatch(/^plan is stale: drover.hcl's hooks changed/);
    expect(staleHooks(hooked, [])).toMatch(/drover.hcl now gives: none\)/);
    const longer = HOOKS.map((h) => (h.kind === 'on-failure' ? { ...h, timeout_ms: 61_000 } : h));
    expect(staleHooks(hooked, longer)).toMatch(/on-failure {2}\.\/page\.sh {2}\(timeout 1m1s\)/);
  });
});

describe('hookEnvironment', () => {
  it('carries the apply: kind, operation, plan hash, changed jobs and versions, actor', () => {
    expect(
      hookEnvironment({ kind: 'pre-apply', plan: changed, operation: 'apply', actor: 'ci-bot' }),
    ).toEqual({
      DROVER_HOOK: 'pre-apply',
      DROVER_OPERATION: 'apply',
      DROVER_PLAN_HASH: changed.hash,
      DROVER_JOBS: 'api,web',
      DROVER_VERSIONS: 'api=2->3,web=->0',
      DROVER_ACTOR: 'ci-bot',
    });
  });

  it('adds the result and, for per-job hooks, the job and its new version', () => {
    const env = hookEnvironment({
      kind: 'post-job',
      plan: changed,
      operation: 'apply',
      actor: 'a',
      job: 'api',
      result: 'reverted',
    });
    expect(env).toMatchObject({
      DROVER_RESULT: 'reverted',
      DROVER_JOB: 'api',
      DROVER_JOB_VERSION: '3',
    });
    const gone = plan([job('old', 'destroy', 4, null)]);
    expect(
      hookEnvironment({ kind: 'pre-job', plan: gone, operation: 'stop', actor: 'a', job: 'old' }),
    ).toMatchObject({ DROVER_VERSIONS: 'old=4->', DROVER_JOB_VERSION: '' });
  });
});

describe('rendering', () => {
  it('names a hook by kind, job and command, cut short', () => {
    expect(hookName(HOOKS[1]!, 'api')).toBe('pre-job api (./smoke.sh "a b")');
    expect(hookName({ kind: 'post-apply', command: ['sh', '-c', 'x'.repeat(60)] })).toBe(
      `post-apply (sh -c ${'x'.repeat(33)}…)`,
    );
  });

  it('lists the hooks in the plan text, before the jobs', () => {
    // Only the hooks: these hand-made jobs have no diff to render.
    const text = renderPlanText({ ...withPlanHooks(changed, HOOKS), jobs: [] });
    expect(renderPlanHooks(withPlanHooks(changed, HOOKS).hooks)).toEqual([
      "Hooks (run on this machine in drover.hcl's directory, while the state lock is held):",
      '  pre-apply   ./migrate.sh --fast  (timeout 5m0s)',
      '  pre-apply   ./second.sh  (timeout 5m0s)',
      '  pre-job     ./smoke.sh "a b"  for api  (timeout 1s)',
      '  post-job    ./each.sh  for api, web  (timeout 5s)',
      '  on-failure  ./page.sh  (timeout 1m0s)',
      '  post-apply  ./notify.sh  (timeout 5m0s)',
    ]);
    expect(text).toContain('  pre-apply   ./migrate.sh --fast  (timeout 5m0s)\n');
  });
});

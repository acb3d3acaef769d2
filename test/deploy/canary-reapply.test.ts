/**
 * Re-applying an unchanged job whose canaries await `drover promote` (mock driver, virtual
 * clock): nothing changes, and the apply says again that it awaits promotion (exit 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planPromote } from '../../src/ops/index.js';
import { allocsOf, deploymentsOf, running, webJob, World } from './deployment-support.js';

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
});

const canary = {
  max_parallel: 1,
  canary: 1,
  min_healthy_time: '10s',
  healthy_deadline: '1m',
  progress_deadline: '5m',
};

describe('canaries awaiting promotion', () => {
  it('a re-apply of the same job changes nothing and awaits promotion again; promote then finishes', async () => {
    const w = await World.create();
    worlds.push(w);
    expect((await w.apply([webJob({ count: 3, update: canary })])).outcomes[0]!.result).toBe(
      'successful',
    );
    const v2 = webJob({ count: 3, update: canary, release: 'v2' });
    const first = await w.apply([v2]);
    expect(first.outcomes[0]!.result).toBe('awaiting-promotion');
    const before = await w.read();
    const allocs = (s: typeof before) =>
      allocsOf(s, 'web').map((a) => [a.id, a.version, a.desired_status, a.client_status]);
    const handles = (await w.runningOnHost()).map((t) => t.id).sort();

    const again = await w.apply([v2]);

    expect(again.outcomes[0]).toMatchObject({
      ok: true,
      result: 'awaiting-promotion',
      deploymentId: first.outcomes[0]!.deploymentId,
      description: 'Deployment is running but requires manual promotion (group "app")',
    });
    // The plan resumes the deployment and waits at the promotion, which stops the old three.
    const plan = again.plan!.jobs[0]!;
    expect(plan.deployment).toEqual({ id: first.outcomes[0]!.deploymentId, resumed: true });
    const steps = plan.rollout!.groups[0]!.steps;
    expect(steps.map((s) => s.kind)).toEqual(['promote', 'window']);
    expect(steps[0]!.replaces).toHaveLength(1);
    const after = await w.read();
    expect(allocs(after)).toEqual(allocs(before));
    expect((await w.runningOnHost()).map((t) => t.id).sort()).toEqual(handles);
    expect(deploymentsOf(after, 'web').at(-1)).toMatchObject({
      status: 'running',
      groups: {
        app: {
          promoted: false,
          placed_canaries:
            before.deployments[first.outcomes[0]!.deploymentId!]!.groups.app!.placed_canaries,
        },
      },
    });

    const promoted = await w.operate((ctx, observed) => planPromote(ctx, observed, 'web'));
    expect(promoted.outcomes[0]!.result).toBe('successful');
    expect(running(await w.read(), 'web').map((a) => a.version)).toEqual([1, 1, 1]);
  });
});

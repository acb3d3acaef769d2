/**
 * The writes that act on allocations, nodes and deployments, on a real ServerContext (the local
 * node, the mock driver): alloc stop replaces the allocation, node eligibility and drain, canary
 * promotion and deployment fail; pause is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes as allocRoutes } from '../../../src/server/api/alloc-writes.js';
import { routes as deploymentRoutes } from '../../../src/server/api/deployment-writes.js';
import { routes as jobRoutes } from '../../../src/server/api/job-writes.js';
import { nodeId, routes as nodeRoutes } from '../../../src/server/api/node-writes.js';
import { latestDeployment } from '../../../src/ops/index.js';
import { call, mockJob, refusal, startServer, type TestServer } from './support.js';

/** A job whose updates place one canary and wait for promotion. */
function canaryJob(id: string, marker: string) {
  const job = mockJob(id, 2, { Env: { MARKER: marker } });
  return { ...job, Update: { ...job.Update, Canary: 1, AutoPromote: false, AutoRevert: false } };
}

describe('allocation, node and deployment writes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  const state = () => t.session.store.read();
  const running = async (job: string) =>
    Object.values((await state()).allocations).filter(
      (a) => a.job === job && a.desired_status === 'run',
    );

  it('stops an allocation, which is replaced', async () => {
    await call(t.server, jobRoutes, 'PUT', '/v1/jobs', { body: { Job: mockJob('svc', 1) } });
    const [before] = await running('svc');
    await call(t.server, allocRoutes, 'POST', `/v1/allocation/${before!.id}/stop`, { as: 'dave' });
    const s = await state();
    expect(s.allocations[before!.id]!.desired_status).toBe('stop');
    const now = await running('svc');
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(before!.id);
    expect(s.audit!.at(-1)).toMatchObject({ actor: 'dave', operation: 'alloc stop' });
    const missing = await refusal(
      call(
        t.server,
        allocRoutes,
        'POST',
        '/v1/allocation/00000000-0000-0000-0000-000000000000/stop',
      ),
    );
    expect(missing).toMatchObject({ status: 404, message: 'alloc not found' });
  });

  it('sets a node ineligible by its id, drains it and cancels the drain', async () => {
    const id = nodeId('local');
    const reply = await call(t.server, nodeRoutes, 'POST', `/v1/node/${id}/eligibility`, {
      body: { NodeID: id, Eligibility: 'ineligible' },
    });
    expect((await state()).nodes.local!.eligibility).toBe('ineligible');
    expect(reply.json).toMatchObject({ EvalIDs: null, NodeModifyIndex: reply.index });
    const bad = await refusal(
      call(t.server, nodeRoutes, 'POST', '/v1/node/local/eligibility', {
        body: { Eligibility: 'maybe' },
      }),
    );
    expect(bad.message).toBe('invalid scheduling eligibility "maybe"');
    await call(t.server, nodeRoutes, 'POST', '/v1/node/local/drain', {
      body: { DrainSpec: { Deadline: 3600e9, IgnoreSystemJobs: false } },
    });
    let node = (await state()).nodes.local!;
    expect(node).toMatchObject({ drain: true, eligibility: 'ineligible' });
    const keep = await refusal(
      call(t.server, nodeRoutes, 'POST', '/v1/node/local/drain', {
        body: { DrainSpec: null, MarkEligible: false },
      }),
    );
    expect(keep.message).toContain('MarkEligible = false');
    await call(t.server, nodeRoutes, 'POST', '/v1/node/local/drain', {
      body: { DrainSpec: null, MarkEligible: true },
    });
    node = (await state()).nodes.local!;
    expect(node.drain).toBeUndefined();
    expect(node.eligibility).toBe('eligible');
    const unknown = await refusal(
      call(t.server, nodeRoutes, 'POST', '/v1/node/nowhere/eligibility', {
        body: { Eligibility: 'eligible' },
      }),
    );
    expect(unknown.status).toBe(404);
  });

  it('promotes canaries, fails a deployment, and refuses to pause one', async () => {
    await call(t.server, jobRoutes, 'PUT', '/v1/jobs', { body: { Job: canaryJob('cn', 'a') } });
    await call(t.server, jobRoutes, 'PUT', '/v1/jobs', { body: { Job: canaryJob('cn', 'b') } });
    let d = latestDeployment(await state(), 'cn')!;
    expect(d.groups.g).toMatchObject({ desired_canaries: 1, promoted: false });
    const paused = await refusal(
      call(t.server, deploymentRoutes, 'POST', `/v1/deployment/pause/${d.id}`, {
        body: { Pause: true },
      }),
    );
    expect(paused).toMatchObject({ status: 400 });
    expect(paused.message).toContain('drover does not pause deployments');
    const reply = await call(t.server, deploymentRoutes, 'POST', `/v1/deployment/promote/${d.id}`, {
      body: { DeploymentID: d.id, All: true },
      as: 'erin',
    });
    expect(reply.json).toMatchObject({
      DeploymentModifyIndex: reply.index,
      RevertedJobVersion: null,
    });
    d = (await state()).deployments[d.id]!;
    expect(d.groups.g!.promoted).toBe(true);
    // A new canary deployment, failed by hand: without auto_revert nothing is rolled back.
    await call(t.server, jobRoutes, 'PUT', '/v1/jobs', { body: { Job: canaryJob('cn', 'c') } });
    const next = latestDeployment(await state(), 'cn')!;
    expect(next.id).not.toBe(d.id);
    const failed = await call(t.server, deploymentRoutes, 'POST', `/v1/deployment/fail/${next.id}`);
    expect((await state()).deployments[next.id]!.status).toBe('failed');
    expect(failed.json).toMatchObject({ RevertedJobVersion: null });
    const again = await refusal(
      call(t.server, deploymentRoutes, 'POST', `/v1/deployment/fail/${next.id}`),
    );
    expect(again.message).toContain('not running');
  });
});

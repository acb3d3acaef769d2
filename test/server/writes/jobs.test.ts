/**
 * The job writes called on a real ServerContext (local state, the local node, the mock driver):
 * register with the request's actor recorded, EnforceIndex check-and-set with Nomad's texts,
 * plan without side effects, scale, revert, stop and purge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../src/server/api/job-writes.js';
import { evaluationId } from '../../../src/server/nomad/ids.js';
import { indexOf } from '../../../src/server/context.js';
import { call, mockJob, refusal, startServer, type TestServer } from './support.js';

type Reply = Record<string, unknown>;

describe('job writes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  const state = () => t.session.store.read();
  const register = (job: unknown, extra: Record<string, unknown> = {}, as = 'alice') =>
    call(t.server, routes, 'PUT', '/v1/jobs', { body: { Job: job, ...extra }, as });

  it('registers a job through the plan → execute path, recorded with the request actor', async () => {
    const reply = await register(mockJob('api', 2));
    const json = reply.json as Reply;
    const s = await state();
    const versions = s.jobs.api!.versions;
    expect(versions).toHaveLength(1);
    expect(versions[0]!.actor).toBe('alice');
    expect(versions[0]!.filename).toBe('api/api.nomad.json');
    expect(json).toMatchObject({
      EvalID: evaluationId('api', versions[0]!.version),
      JobModifyIndex: versions[0]!.version + 1,
      Warnings: '',
    });
    expect(json.EvalCreateIndex).toBe(json.Index);
    expect(reply.index).toBe(indexOf(s));
    const allocs = Object.values(s.allocations).filter((a) => a.job === 'api');
    expect(allocs).toHaveLength(2);
    expect(allocs.every((a) => a.desired_status === 'run')).toBe(true);
    // Events and the audit trail name who acted, not the server's process user.
    const audit = s.audit!.at(-1)!;
    expect(audit).toMatchObject({ actor: 'alice', operation: 'register', result: 'ok' });
    const events = s.events.filter((e) => e.job === 'api');
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.who === 'alice')).toBe(true);
  });

  it('registers the same job again without a new version', async () => {
    const before = await state();
    const reply = await register(mockJob('api', 2));
    const after = await state();
    expect(after.jobs.api!.versions).toHaveLength(before.jobs.api!.versions.length);
    expect((reply.json as Reply).JobModifyIndex).toBe(after.jobs.api!.versions.at(-1)!.version + 1);
  });

  it("enforces the job modify index with Nomad's error texts", async () => {
    const current = ((await state()).jobs.api!.versions.at(-1)!.version ?? 0) + 1;
    const exists = await refusal(
      register(mockJob('api', 3), { EnforceIndex: true, JobModifyIndex: 0 }),
    );
    expect(exists.message).toBe('Enforcing job modify index 0: job already exists');
    const stale = await refusal(
      register(mockJob('api', 3), { EnforceIndex: true, JobModifyIndex: current + 7 }),
    );
    expect(stale.message).toBe(
      `Enforcing job modify index ${current + 7}: job exists with conflicting job modify index: ${current}`,
    );
    const missing = await refusal(
      register(mockJob('nope'), { EnforceIndex: true, JobModifyIndex: 4 }),
    );
    expect(missing.message).toBe('Enforcing job modify index 4: job does not exist');
    expect((await state()).jobs.nope).toBeUndefined();
    // The right index is accepted and moves it.
    const ok = await register(mockJob('api', 3), { EnforceIndex: true, JobModifyIndex: current });
    expect((ok.json as Reply).JobModifyIndex).toBe(current + 1);
    const fresh = await register(mockJob('fresh'), { EnforceIndex: true, JobModifyIndex: 0 });
    expect((fresh.json as Reply).JobModifyIndex).toBe(1);
  });

  it('refuses a job whose ID is not the one in the path, and a bad job with its field', async () => {
    const mismatch = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/other', { body: { Job: mockJob('api') } }),
    );
    expect(mismatch).toMatchObject({ status: 400, message: 'Job ID does not match name' });
    const bad = await refusal(
      register(mockJob('api', 1, { Resources: { CPU: 10, MemoryMB: -5 } })),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^Job\.TaskGroups\[0\]\.Tasks\[0\]\.Resources\.MemoryMB: /);
    const none = await refusal(register(undefined));
    expect(none).toMatchObject({ status: 400, message: 'Job must be specified' });
  });

  it('keeps the recorded counts with PreserveCounts', async () => {
    const before = await state();
    await register(mockJob('api', 9), { PreserveCounts: true });
    const after = await state();
    expect(after.jobs.api!.versions).toEqual(before.jobs.api!.versions);
    expect(after.jobs.api!.versions.at(-1)!.job).toMatchObject({ group: [{ count: 3 }] });
  });

  it('plans without side effects', async () => {
    const before = await state();
    const reply = await call(t.server, routes, 'PUT', '/v1/job/api/plan', {
      body: { Job: mockJob('api', 5), Diff: false },
    });
    const json = reply.json as Reply;
    expect(json).toMatchObject({
      JobModifyIndex: before.jobs.api!.versions.at(-1)!.version + 1,
      Diff: null,
      FailedTGAllocs: null,
      NextPeriodicLaunch: '0001-01-01T00:00:00Z',
      Annotations: {
        DesiredTGUpdates: {
          g: {
            Place: 2,
            Stop: 0,
            Ignore: 0,
            InPlaceUpdate: 3,
            DestructiveUpdate: 0,
            Canary: 0,
            Migrate: 0,
          },
        },
      },
    });
    const after = await state();
    expect(after.serial).toBe(before.serial);
    expect(after.jobs.api!.versions).toEqual(before.jobs.api!.versions);
  });

  it('scales a group, within its scaling policy, with EnforceIndex', async () => {
    const index = (await state()).jobs.api!.versions.at(-1)!.version + 1;
    const stale = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/api/scale', {
        body: { Count: 1, Target: { Group: 'g' }, EnforceIndex: true, JobModifyIndex: index + 1 },
      }),
    );
    expect(stale.message).toBe(
      `Enforcing job modify index ${index + 1}: job exists with conflicting job modify index: ${index}`,
    );
    const reply = await call(t.server, routes, 'PUT', '/v1/job/api/scale', {
      body: {
        EnforceIndex: true,
        JobModifyIndex: index,
        Count: 1,
        Target: { Group: 'g' },
        Message: 'autoscaler',
        Meta: { reason: 'low load' },
      },
      as: 'autoscaler',
    });
    const s = await state();
    const latest = s.jobs.api!.versions.at(-1)!;
    expect(latest.origin).toMatchObject({ kind: 'scale' });
    expect(latest.actor).toBe('autoscaler');
    expect((reply.json as Reply).JobModifyIndex).toBe(latest.version + 1);
    expect(s.audit!.at(-1)).toMatchObject({
      actor: 'autoscaler',
      operation: 'scale',
      message: 'autoscaler; meta {"reason":"low load"}',
    });
    const running = Object.values(s.allocations).filter(
      (a) => a.job === 'api' && a.desired_status === 'run',
    );
    expect(running).toHaveLength(1);
    const noGroup = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/api/scale', {
        body: { Count: 1, Target: { Group: 'x' } },
      }),
    );
    expect(noGroup.message).toBe('task group "x" specified for scaling does not exist in job');
    const missing = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/ghost/scale', {
        body: { Count: 1, Target: { Group: 'g' } },
      }),
    );
    expect(missing).toMatchObject({ status: 404, message: 'job not found' });
  });

  it('reverts to an earlier version, honouring EnforcePriorVersion', async () => {
    const current = (await state()).jobs.api!.versions.at(-1)!.version;
    const wrong = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/api/revert', {
        body: { JobID: 'api', JobVersion: 0, EnforcePriorVersion: current + 1 },
      }),
    );
    expect(wrong.message).toBe(
      `Current job has version ${current}; enforcing version ${current + 1}`,
    );
    await call(t.server, routes, 'PUT', '/v1/job/api/revert', {
      body: { JobID: 'api', JobVersion: 0, EnforcePriorVersion: current },
    });
    const latest = (await state()).jobs.api!.versions.at(-1)!;
    expect(latest.origin).toMatchObject({ kind: 'rollback', source_version: 0 });
    expect(latest.job).toMatchObject({ group: [{ count: 2 }] });
  });

  it('stops a job, then purges it', async () => {
    const stop = await call(t.server, routes, 'DELETE', '/v1/job/api');
    let s = await state();
    expect(s.jobs.api!.stopped).toBe(true);
    expect(
      Object.values(s.allocations).filter((a) => a.job === 'api' && a.desired_status === 'run'),
    ).toEqual([]);
    expect((stop.json as Reply).EvalID).toBe(
      evaluationId('api', s.jobs.api!.versions.at(-1)!.version),
    );
    const stopped = await refusal(
      call(t.server, routes, 'DELETE', '/v1/job/api', { query: { purge: 'true' } }),
    );
    expect(stopped.message).toContain('is already stopped');
    await call(t.server, routes, 'DELETE', '/v1/job/fresh', { query: { purge: 'true' } });
    s = await state();
    expect(s.jobs.fresh).toBeUndefined();
    expect(Object.values(s.allocations).filter((a) => a.job === 'fresh')).toEqual([]);
    const gone = await refusal(call(t.server, routes, 'DELETE', '/v1/job/fresh'));
    expect(gone).toMatchObject({ status: 404, message: 'job not found' });
  });

  it('refuses a job in another region or with an invalid namespace name', async () => {
    const other = await refusal(register({ ...mockJob('ns'), Namespace: 'a/b' }));
    expect(other.status).toBe(400);
    expect(other.message).toContain('Invalid namespace name: Namespace "a/b"');
    const region = await refusal(register({ ...mockJob('eu'), Region: 'eu' }));
    expect(region.message).toContain('job region "eu" is not this server\'s region "global"');
  });
});

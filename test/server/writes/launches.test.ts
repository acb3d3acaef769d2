/**
 * Dispatch and periodic force on a real ServerContext (mock driver): Nomad's dispatch rules
 * refuse bad meta and payloads, a dispatch launches a child with its parent recorded, the same
 * idempotency token answers the same child, and a forced periodic launch starts one now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../src/server/api/job-writes.js';
import { evaluationId } from '../../../src/server/nomad/ids.js';
import { call, refusal, startServer, type TestServer } from './support.js';

type Reply = Record<string, unknown>;

function batchJob(id: string, extra: Record<string, unknown>) {
  return {
    ID: id,
    Type: 'batch',
    TaskGroups: [
      {
        Name: 'g',
        Tasks: [
          {
            Name: 't',
            Driver: 'mock',
            Config: { run_for: '50ms' },
            Resources: { CPU: 10, MemoryMB: 10 },
            DispatchPayload: extra.ParameterizedJob ? { File: 'request.json' } : null,
          },
        ],
      },
    ],
    ...extra,
  };
}

describe('dispatch and periodic force', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
    for (const job of [
      batchJob('resize', {
        ParameterizedJob: {
          Payload: 'required',
          MetaRequired: ['image'],
          MetaOptional: ['quality'],
        },
      }),
      batchJob('nightly', { Periodic: { Spec: '0 3 * * *', SpecType: 'cron', Enabled: true } }),
    ])
      await call(t.server, routes, 'PUT', '/v1/jobs', { body: { Job: job } });
  });
  afterAll(() => t.close());

  const dispatch = (body: unknown) =>
    call(t.server, routes, 'PUT', '/v1/job/resize/dispatch', { body, as: 'bob' });
  const payload = Buffer.from('{"w":100}').toString('base64');

  it("refuses a dispatch by Nomad's rules", async () => {
    const unpermitted = await refusal(
      dispatch({ Payload: payload, Meta: { image: 'a.png', colour: 'red' } }),
    );
    expect(unpermitted.status).toBe(400);
    expect(unpermitted.message).toMatch(
      /^Dispatch request included unpermitted metadata keys: colour/,
    );
    const missingMeta = await refusal(dispatch({ Payload: payload, Meta: { quality: '80' } }));
    expect(missingMeta.message).toBe('Dispatch did not provide required meta keys: image');
    const noPayload = await refusal(dispatch({ Meta: { image: 'a.png' } }));
    expect(noPayload.message).toBe('Payload is not provided but required by parameterized job');
    const notBase64 = await refusal(dispatch({ Payload: '%%%', Meta: { image: 'a.png' } }));
    expect(notBase64.message).toBe('Payload must be base64-encoded');
    const notParameterized = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/nightly/dispatch', { body: {} }),
    );
    expect(notParameterized.message).toContain('is not a parameterized job');
    expect(Object.keys((await t.session.store.read()).jobs).sort()).toEqual(['nightly', 'resize']);
  });

  it('dispatches a child with its payload and meta, once per idempotency token', async () => {
    const body = { Payload: payload, Meta: { image: 'a.png' }, IdempotencyToken: 'tok-1' };
    const reply = await dispatch(body);
    const json = reply.json as Reply;
    const child = json.DispatchedJobID as string;
    expect(child).toMatch(/^resize\/dispatch-\d+-[0-9a-f]{8}$/);
    const s = await t.session.store.read();
    const version = s.jobs[child]!.versions[0]!;
    expect(version.launch).toMatchObject({
      parent: 'resize',
      kind: 'dispatch',
      payload,
      idempotency_token: 'tok-1',
    });
    expect(version.actor).toBe('bob');
    expect(json).toMatchObject({
      EvalID: evaluationId(child, version.version),
      Index: reply.index,
    });
    const again = await dispatch(body);
    expect((again.json as Reply).DispatchedJobID).toBe(child);
    expect(
      Object.keys((await t.session.store.read()).jobs).filter((j) => j.startsWith('resize/')),
    ).toEqual([child]);
  });

  it('forces a periodic launch now', async () => {
    const reply = await call(t.server, routes, 'PUT', '/v1/job/nightly/periodic/force', {
      as: 'carol',
    });
    const s = await t.session.store.read();
    const children = Object.keys(s.jobs).filter((j) => j.startsWith('nightly/periodic-'));
    expect(children).toHaveLength(1);
    expect(s.jobs[children[0]!]!.versions[0]).toMatchObject({
      launch: { parent: 'nightly', kind: 'periodic' },
      actor: 'carol',
    });
    expect((reply.json as Reply).EvalID).toBe(evaluationId(children[0]!, 0));
    const notPeriodic = await refusal(
      call(t.server, routes, 'PUT', '/v1/job/resize/periodic/force'),
    );
    expect(notPeriodic.message).toContain('is not periodic');
  });
});

/**
 * Namespaces through the API on a real ServerContext: the same job id in two namespaces is two
 * jobs; `?namespace=` selects (`*`: every one the token may read); a token of one namespace can
 * neither read nor write another's job of the same id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes as agentRoutes } from '../../../src/server/api/agent.js';
import { routes as allocRoutes } from '../../../src/server/api/allocations.js';
import { routes as allocWriteRoutes } from '../../../src/server/api/alloc-writes.js';
import { routes as writeRoutes } from '../../../src/server/api/job-writes.js';
import { routes as readRoutes } from '../../../src/server/api/jobs-read.js';
import type { Identity } from '../../../src/server/types.js';
import { call, mockJob, refusal, startServer, type Call, type TestServer } from './support.js';

type Json = Record<string, unknown>;
const routes = [...writeRoutes, ...readRoutes, ...allocRoutes, ...allocWriteRoutes, ...agentRoutes];

/** A token whose policies grant everything in `namespace` and nothing elsewhere. */
function tokenOf(namespace: string): Identity {
  return {
    actor: { name: `${namespace}-dev` },
    management: false,
    allows: (access, ns) =>
      access.kind === 'namespace' && (ns === namespace || (ns === '*' && namespace !== '')),
  };
}

describe('namespaces in the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  const state = () => t.session.store.read();
  const get = async (path: string, c: Call = {}) =>
    (await call(t.server, routes, 'GET', path, c)).json as Json | Json[];

  it('registers one id in three namespaces: from the payload, the query, or default', async () => {
    await call(t.server, routes, 'PUT', '/v1/jobs', { body: { Job: mockJob('web') } });
    await call(t.server, routes, 'PUT', '/v1/jobs', {
      body: { Job: { ...mockJob('web', 2), Namespace: 'prod' } },
    });
    await call(t.server, routes, 'PUT', '/v1/jobs', {
      body: { Job: mockJob('web', 3) },
      namespace: 'dev',
    });
    const s = await state();
    expect(Object.keys(s.jobs).sort()).toEqual(['dev/web', 'prod/web', 'web']);
    const running = (key: string) =>
      Object.values(s.allocations).filter((a) => a.job === key && a.desired_status === 'run')
        .length;
    expect([running('web'), running('prod/web'), running('dev/web')]).toEqual([1, 2, 3]);
  });

  it('reads each job in its namespace, with Nomad’s ID and Namespace', async () => {
    const prod = (await get('/v1/job/web', { namespace: 'prod' })) as Json;
    expect([prod.ID, prod.Namespace]).toEqual(['web', 'prod']);
    expect((prod.TaskGroups as Json[])[0]!.Count).toBe(2);
    const dflt = (await get('/v1/job/web')) as Json;
    expect([dflt.ID, dflt.Namespace]).toEqual(['web', 'default']);
    const missing = await refusal(
      call(t.server, routes, 'GET', '/v1/job/web', { namespace: 'qa' }),
    );
    expect(missing.status).toBe(404);
  });

  it('lists one namespace, or every one with *', async () => {
    const prod = (await get('/v1/jobs', { namespace: 'prod' })) as Json[];
    expect(prod.map((j) => [j.Namespace, j.ID])).toEqual([['prod', 'web']]);
    const every = (await get('/v1/jobs', { namespace: '*' })) as Json[];
    expect(every.map((j) => j.Namespace).sort()).toEqual(['default', 'dev', 'prod']);
    const allocs = (await get('/v1/allocations', { namespace: 'dev' })) as Json[];
    expect(allocs).toHaveLength(3);
    expect(allocs.every((a) => a.Namespace === 'dev' && a.JobID === 'web')).toBe(true);
    const names = ((await get('/v1/namespaces')) as Json[]).map((n) => n.Name);
    expect(names).toEqual(['default', 'dev', 'prod']);
    expect(((await get('/v1/namespace/prod')) as Json).Name).toBe('prod');
    const none = await refusal(call(t.server, routes, 'GET', '/v1/namespace/qa'));
    expect(none.status).toBe(404);
  });

  it('stops the job of one namespace and leaves the others', async () => {
    await call(t.server, routes, 'DELETE', '/v1/job/web', { namespace: 'dev' });
    const s = await state();
    expect(s.jobs['dev/web']!.stopped).toBe(true);
    expect(s.jobs['prod/web']!.stopped).toBe(false);
    expect(s.jobs.web!.stopped).toBe(false);
    const prodRunning = Object.values(s.allocations).filter(
      (a) => a.job === 'prod/web' && a.desired_status === 'run',
    );
    expect(prodRunning).toHaveLength(2);
  });

  it("refuses a token of one namespace on another's job of the same id", async () => {
    const dev = tokenOf('dev');
    // Write: the payload's namespace decides, whatever the query says.
    const write = await refusal(
      call(t.server, routes, 'PUT', '/v1/jobs', {
        body: { Job: { ...mockJob('web', 5), Namespace: 'prod' } },
        namespace: 'dev',
        identity: dev,
      }),
    );
    expect(write.status).toBe(403);
    expect((await state()).jobs['prod/web']!.versions).toHaveLength(1);
    // Read: `*` lists only dev's; another namespace's allocation, read by its id, is refused.
    const every = (await get('/v1/jobs', { namespace: '*', identity: dev })) as Json[];
    expect(every.map((j) => j.Namespace)).toEqual(['dev']);
    const prodAlloc = Object.values((await state()).allocations).find((a) => a.job === 'prod/web')!;
    const read = await refusal(
      call(t.server, routes, 'GET', `/v1/allocation/${prodAlloc.id}`, {
        namespace: '*',
        identity: dev,
      }),
    );
    expect(read.status).toBe(403);
    // Naming its namespace changes nothing: the token is what refuses it.
    const named = await refusal(
      call(t.server, routes, 'GET', `/v1/allocation/${prodAlloc.id}`, {
        namespace: 'prod',
        identity: dev,
      }),
    );
    expect(named.status).toBe(403);
    // As Nomad, an id finds its object whatever `?namespace=` says (the UI links by id alone).
    const allowed = (await get(`/v1/allocation/${prodAlloc.id}`)) as Json;
    expect([allowed.Namespace, allowed.JobID]).toEqual(['prod', 'web']);
    // Stopping it from dev is refused, and it keeps running.
    const stop = await refusal(
      call(t.server, routes, 'POST', `/v1/allocation/${prodAlloc.id}/stop`, {
        namespace: '*',
        identity: dev,
      }),
    );
    expect(stop.status).toBe(403);
    expect((await state()).allocations[prodAlloc.id]!.desired_status).toBe('run');
    // Its own namespace works.
    const own = (await get('/v1/job/web', { namespace: 'dev', identity: dev })) as Json;
    expect(own.Namespace).toBe('dev');
  });
});

/**
 * Per-object indexes through the real HTTP layer, on a local state written the way a CLI beside
 * the server writes it: objects report the index of the write that made or last changed them,
 * and a blocking query answers with (and waits on) the index of what it reads, so a write to
 * another job neither moves its X-Nomad-Index nor wakes it.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeJob } from '../../../src/jobspec/normalize.js';
import { encodeStoredJob } from '../../../src/jobspec/stored.js';
import { createServer } from '../../../src/server/http.js';
import { allRoutes } from '../../../src/server/api/index.js';
import type { Allocation, StateSnapshot } from '../../../src/state/types.js';
import { sampleState } from '../../state/sample.js';
import { listenOnLoopback, testServerContext, type TestServerContext } from './support.js';

type Json = Record<string, unknown>;

let t: TestServerContext;
let server: Server;
let base: string;
let closeServer: () => Promise<void>;

/** One write to the store, as `drover` beside the server makes it. */
async function write(change: (s: StateSnapshot) => StateSnapshot): Promise<void> {
  const s = await t.session.store.read();
  await t.session.store.write(change(s), s.serial);
}

const withAlloc = (s: StateSnapshot, id: string, change: Partial<Allocation>): StateSnapshot => ({
  ...s,
  allocations: { ...s.allocations, [id]: { ...s.allocations[id]!, ...change } },
});

async function get(path: string): Promise<{ index: number; json: unknown; ms: number }> {
  const started = performance.now();
  const r = await fetch(`${base}${path}`);
  expect(r.status).toBe(200);
  return {
    index: Number(r.headers.get('x-nomad-index')),
    json: await r.json(),
    ms: performance.now() - started,
  };
}

beforeAll(async () => {
  t = await testServerContext();
  // Two jobs, each with an allocation: web (the sample's) and api.
  await write((s) => {
    const sample = sampleState(s);
    const web = sample.jobs.web!;
    const api = {
      ...web,
      versions: [
        {
          ...web.versions[0]!,
          ...encodeStoredJob(normalizeJob({ id: 'api', type: 'service', group: [] })),
        },
      ],
    };
    const b1: Allocation = { ...sample.allocations.a1!, id: 'b1', job: 'api', name: 'api.web[0]' };
    const { deployment_id: _d, ...b1NoDeployment } = b1;
    return {
      ...sample,
      jobs: { ...sample.jobs, api },
      allocations: { ...sample.allocations, b1: b1NoDeployment },
    };
  });
  server = createServer({ context: t.context, routes: allRoutes() });
  ({ base, close: closeServer } = await listenOnLoopback(server));
});

afterAll(async () => {
  await closeServer();
  await t.close();
});

describe('per-object indexes', () => {
  it("a write to one job moves neither another job's allocations index nor its objects'", async () => {
    const before = await get('/v1/job/web/allocations');
    const stateBefore = (await t.context.current()).index;
    expect(before.index).toBeGreaterThanOrEqual(1);
    await write((s) => withAlloc(s, 'b1', { client_status: 'failed' }));
    await write((s) => withAlloc(s, 'b1', { client_description: 'task "server" failed' }));
    const after = await get('/v1/job/web/allocations');
    expect((await t.context.current()).index).toBe(stateBefore + 2);
    expect(after.index).toBe(before.index);
    expect(after.json).toEqual(before.json);
    // The other job's answers moved, to the index of the last write.
    const api = await get('/v1/job/api/allocations');
    expect(api.index).toBe(stateBefore + 2);
    expect((api.json as Json[])[0]!.ModifyIndex).toBe(stateBefore + 2);
    // A list of a whole table answers with the state's index (see README).
    expect((await get('/v1/allocations')).index).toBe(stateBefore + 2);
  });

  it("a blocking query on a job's allocations waits through other jobs' writes, and returns within 50 ms of its own", async () => {
    const { index } = await get('/v1/job/web/allocations');
    const started = performance.now();
    const waiting = get(`/v1/job/web/allocations?index=${index}&wait=20s`);
    let settled = false;
    void waiting.then(() => (settled = true));
    await write((s) => withAlloc(s, 'b1', { client_description: 'unrelated' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);

    const a1Before = (await get('/v1/allocation/a1')).json as Json;
    await write((s) => withAlloc(s, 'a1', { client_status: 'complete' }));
    const changedAt = performance.now();
    const answer = await waiting;
    const afterChange = performance.now() - changedAt;
    expect(afterChange).toBeLessThan(50);
    expect(performance.now() - started).toBeGreaterThan(300);
    const stateIndex = (await t.context.current()).index;
    expect(answer.index).toBe(stateIndex);
    const a1 = (answer.json as Json[]).find((s) => s.ID === 'a1')!;
    expect(a1.ClientStatus).toBe('complete');
    // CreateIndex stays, ModifyIndex grows.
    expect(a1.CreateIndex).toBe(a1Before.CreateIndex);
    expect(a1.ModifyIndex).toBe(stateIndex);
    expect(a1.ModifyIndex as number).toBeGreaterThan(a1Before.ModifyIndex as number);
  });

  it('single objects answer with their own ModifyIndex; AllocModifyIndex moves only with the server', async () => {
    const a = await get('/v1/allocation/a1');
    const alloc = a.json as Json;
    expect(a.index).toBe(alloc.ModifyIndex);
    await write((s) => withAlloc(s, 'a1', { client_description: 'the client says so' }));
    const client = (await get('/v1/allocation/a1')).json as Json;
    expect(client.ModifyIndex as number).toBeGreaterThan(alloc.ModifyIndex as number);
    expect(client.AllocModifyIndex).toBe(alloc.AllocModifyIndex);
    await write((s) => withAlloc(s, 'a1', { desired_status: 'stop' }));
    const server = await get('/v1/allocation/a1');
    const stopped = server.json as Json;
    expect(stopped.AllocModifyIndex).toBe(stopped.ModifyIndex);
    expect(server.index).toBe(stopped.ModifyIndex);

    const job = await get('/v1/job/web');
    expect(job.index).toBe((job.json as Json).ModifyIndex);
    expect((job.json as Json).CreateIndex as number).toBeLessThan(job.index);
    const node = await get('/v1/node/local');
    expect(node.index).toBe((node.json as Json).ModifyIndex);
    const dep = await get('/v1/deployment/d1');
    expect(dep.index).toBe((dep.json as Json).ModifyIndex);
    expect((dep.json as Json).CreateIndex).toBe((dep.json as Json).ModifyIndex);

    // A blocking query on the job wakes at once once its index is older than the job's.
    const again = await get(`/v1/job/web?index=${job.index - 1}&wait=20s`);
    expect(again.ms).toBeLessThan(1_000);
    // ... and on timeout answers with the unchanged index.
    const timeout = await get(`/v1/job/web?index=${job.index}&wait=200ms`);
    expect(timeout.index).toBe(job.index);
    expect(timeout.ms).toBeGreaterThanOrEqual(190);
  });
});

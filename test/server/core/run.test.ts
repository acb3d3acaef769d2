/**
 * startServer in-process on a real local state: the write path as the leader (under the state
 * lock, fenced), and a graceful stop that lets a running write finish, ends blocking queries,
 * refuses new connections and gives the server lock up.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/run.js';
import { serverLockPath } from '../../../src/server/lease.js';
import type { Route } from '../../../src/server/types.js';
import { testServerContext, type TestServerContext } from './support.js';

let t: TestServerContext;
let server: RunningServer;
const wrote: string[] = [];

const slowWrite: Route = {
  method: 'PUT',
  path: '/v1/test/write',
  access: { kind: 'public' },
  async handler(req) {
    const serial = await req.server.write(req.identity.actor, 'test write', async (engine) => {
      await new Promise((r) => setTimeout(r, 500));
      const s = await engine.store.read();
      const out = await engine.store.write(s, s.serial);
      wrote.push(`serial ${out.serial}`);
      return out.serial;
    });
    return { json: { serial } };
  },
};
const blocking: Route = {
  method: 'GET',
  path: '/v1/test/block',
  access: { kind: 'public' },
  blocking: true,
  handler: () => Promise.resolve({ json: 'released' }),
};

beforeAll(async () => {
  t = await testServerContext({ feed: false });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  server = await startServer({
    settings: t.context.settings,
    engine: t.session,
    log: quiet,
    routes: [slowWrite, blocking],
  });
});
afterAll(() => t.close());

describe('a running server', () => {
  it('writes as the leader under the state lock', async () => {
    const r = await fetch(`${server.url}/v1/test/write`, { method: 'POST' });
    expect(r.status).toBe(200);
    const { serial } = (await r.json()) as { serial: number };
    expect(Number(r.headers.get('x-nomad-index'))).toBeGreaterThanOrEqual(1);
    expect((await t.session.store.read()).serial).toBe(serial);
    expect(await t.session.store.currentLock()).toBeUndefined();
  });

  it('stops gracefully: a running write finishes, blocking queries end, the lock is given up', async () => {
    const index = Number((await fetch(`${server.url}/v1/test/block`)).headers.get('x-nomad-index'));
    const block = fetch(`${server.url}/v1/test/block?index=${index + 100}&wait=60s`).then((r) =>
      r.text(),
    );
    const write = fetch(`${server.url}/v1/test/write`, { method: 'PUT' }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
    await new Promise((r) => setTimeout(r, 150)); // the write is running
    const before = wrote.length;
    const stopping = Date.now();
    await server.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(wrote.length).toBe(before + 1);
    expect((await write).status).toBe(200);
    expect(await block).toBe('"released"');
    await expect(fetch(`${server.url}/v1/test/block`)).rejects.toThrow();
    expect(existsSync(serverLockPath(t.session.config.state.path))).toBe(false);
    expect(server.election.leadership().isLeader).toBe(false);
  });
});

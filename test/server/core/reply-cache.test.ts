/**
 * Answers of `cached` routes kept per state index, over a real HTTP server and ServerContext:
 * one computation per (index, route and query, view), dropped when a write moves the index,
 * gzipped for clients that take it; and the cache's byte bound.
 */
import { request } from 'node:http';
import type { Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../../src/server/http.js';
import { ReplyCache, requestKey, shouldGzip } from '../../../src/server/reply-cache.js';
import { ApiError, type Access, type Authorizer, type Route } from '../../../src/server/types.js';
import { listenOnLoopback, testServerContext, type TestServerContext } from './support.js';

let t: TestServerContext;
let server: Server;
let base: string;
let closeServer: () => Promise<void>;
const calls: string[] = [];

/** The answer names who asked and at which index, padded past gzip's threshold. */
const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/list',
    access: { kind: 'public' },
    blocking: true,
    cached: true,
    async handler(req) {
      const { index } = await req.server.current();
      const who = req.identity.actor.accessorId ?? req.identity.actor.name;
      calls.push(`${who}@${index}?${req.query.toString()}`);
      // Held a moment so that concurrent requests overlap.
      await new Promise((r) => setTimeout(r, 20));
      if (req.query.get('fail') === 'yes') throw new ApiError(400, 'bad filter');
      return { json: { who, index, items: Array.from({ length: 200 }, (_, i) => `item-${i}`) } };
    },
  },
];

/** Tokens "m1" and "m2" are management; others are their own accessor. */
const authorizer: Authorizer = {
  identify(secret) {
    const management = secret === 'm1' || secret === 'm2';
    return Promise.resolve({
      actor: { name: secret ?? 'anonymous', ...(secret ? { accessorId: `acc-${secret}` } : {}) },
      management,
      allows: (a: Access) => management || a.kind === 'public',
    });
  },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await testServerContext();
  await t.bump();
  server = createServer({ context: t.context, routes, authorizer });
  ({ base, close: closeServer } = await listenOnLoopback(server));
});

afterAll(async () => {
  await closeServer();
  await t.close();
});

describe('cached answers', () => {
  it('computes an answer once per index, route and query, and again after a write', async () => {
    calls.length = 0;
    const a = await get('/v1/list?x=1');
    const b = await get('/v1/list?x=1');
    expect(a.status).toBe(200);
    expect(b.body.equals(a.body)).toBe(true);
    expect(b.headers['x-nomad-index']).toBe(a.headers['x-nomad-index']);
    expect(calls).toHaveLength(1);
    // Another query is another answer; `index` and `wait` only say when to answer.
    await get('/v1/list?x=2');
    await get(`/v1/list?x=1&index=1&wait=1s`);
    expect(calls).toHaveLength(2);

    const index = await t.bump();
    const c = await get('/v1/list?x=1');
    expect(calls).toHaveLength(3);
    expect(JSON.parse(c.body.toString()).index).toBe(index);
    expect(c.headers['x-nomad-index']).toBe(String(index));
  });

  it('keeps one answer per view: management tokens share theirs, other tokens have their own', async () => {
    await t.bump();
    calls.length = 0;
    const m1 = await get('/v1/list', { 'X-Nomad-Token': 'm1' });
    const m2 = await get('/v1/list', { 'X-Nomad-Token': 'm2' });
    const u1 = await get('/v1/list', { 'X-Nomad-Token': 'u1' });
    const u2 = await get('/v1/list', { 'X-Nomad-Token': 'u2' });
    const anonymous = await get('/v1/list');
    expect(calls.map((c) => c.split('@')[0])).toEqual(['acc-m1', 'acc-u1', 'acc-u2', 'anonymous']);
    expect(m2.body.equals(m1.body)).toBe(true);
    expect(JSON.parse(u1.body.toString()).who).toBe('acc-u1');
    expect(JSON.parse(u2.body.toString()).who).toBe('acc-u2');
    expect(JSON.parse(anonymous.body.toString()).who).toBe('anonymous');
  });

  it('shares one computation between concurrent requests', async () => {
    const index = await t.bump();
    // The context learns of the write from the store's change feed: let it, so that every
    // request below reads the same index.
    while ((await t.context.current()).index < index) await new Promise((r) => setTimeout(r, 5));
    calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 8 }, () => get('/v1/list?y=1')));
    expect(calls).toHaveLength(1);
    for (const a of answers) expect(a.body.equals(answers[0]!.body)).toBe(true);
  });

  it('does not keep a failure', async () => {
    calls.length = 0;
    expect((await get('/v1/list?fail=yes')).status).toBe(400);
    expect((await get('/v1/list?fail=yes')).status).toBe(400);
    expect(calls).toHaveLength(2);
  });

  it('gzips for a client that accepts it, and only then', async () => {
    const plain = await get('/v1/list?z=1');
    const zipped = await get('/v1/list?z=1', { 'Accept-Encoding': 'gzip, deflate' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const refused = await get('/v1/list?z=1', { 'Accept-Encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });
});

describe('ReplyCache', () => {
  const reply = (size: number, index = 1) => ({
    status: 200,
    index,
    headers: {},
    body: Buffer.alloc(size),
  });

  it('drops the least recently used answers past its byte bound', async () => {
    const cache = new ReplyCache(250);
    let made = 0;
    const make = () => {
      made++;
      return Promise.resolve(reply(100));
    };
    await cache.answer(1, 'a', make);
    await cache.answer(1, 'b', make);
    await cache.answer(1, 'a', make); // a is now the most recently used
    await cache.answer(1, 'c', make); // 300 bytes: b goes
    expect(made).toBe(3);
    expect(cache.size()).toEqual({ entries: 2, bytes: 200 });
    await cache.answer(1, 'a', make);
    expect(made).toBe(3);
    await cache.answer(1, 'b', make);
    expect(made).toBe(4);
  });

  it('keeps only the newest index, and answers an older one without keeping it', async () => {
    const cache = new ReplyCache();
    await cache.answer(2, 'a', () => Promise.resolve(reply(10, 2)));
    await cache.answer(3, 'a', () => Promise.resolve(reply(20, 3)));
    expect(cache.size()).toEqual({ entries: 1, bytes: 20 });
    const old = await cache.answer(2, 'a', () => Promise.resolve(reply(30, 2)));
    expect(old.index).toBe(2);
    expect(cache.size()).toEqual({ entries: 1, bytes: 20 });
  });

  it('keys requests by path and query without index and wait, in any order', () => {
    const key = (q: string) => requestKey('/v1/jobs', new URLSearchParams(q));
    expect(key('b=2&a=1&index=5&wait=10s')).toBe(key('a=1&b=2'));
    expect(key('a=1')).not.toBe(key('a=2'));
  });

  it('gzips only what is accepted and large enough', () => {
    expect(shouldGzip('gzip', 10_000)).toBe(true);
    expect(shouldGzip('br, GZIP;q=0.5', 10_000)).toBe(true);
    expect(shouldGzip('identity', 10_000)).toBe(false);
    expect(shouldGzip(undefined, 10_000)).toBe(false);
    expect(shouldGzip('gzip', 100)).toBe(false);
  });
});

/**
 * The HTTP layer over a real ServerContext (local state in a temp dir): routing answers, the
 * X-Nomad-* headers, errors as plain text, tokens and access, the body limit, metrics, and
 * blocking queries released by a write to the store.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationError } from '../../../src/ops/context.js';
import { createServer } from '../../../src/server/http.js';
import {
  ApiError,
  NotLeaderError,
  type Access,
  type Authorizer,
  type Route,
} from '../../../src/server/types.js';
import { listenOnLoopback, testServerContext, type TestServerContext } from './support.js';

let t: TestServerContext;
let server: Server;
let base: string;
let closeServer: () => Promise<void>;
const seenTokens: (string | undefined)[] = [];

const route = (
  method: Route['method'],
  path: string,
  handler: Route['handler'],
  extra: Partial<Route> = {},
): Route => ({ method, path, access: { kind: 'public' }, handler, ...extra });

const routes: Route[] = [
  route('GET', '/v1/echo/:name', (req) =>
    Promise.resolve({ json: { name: req.params.name, namespace: req.namespace } }),
  ),
  route('POST', '/v1/echo', async (req) => ({ json: await req.json() })),
  route('GET', '/v1/fail/api', () => Promise.reject(new ApiError(404, 'job not found'))),
  route('GET', '/v1/fail/leader', () => Promise.reject(new NotLeaderError('not the leader'))),
  route('GET', '/v1/fail/user', () => Promise.reject(new OperationError('bad count'))),
  route('GET', '/v1/fail/bug', () => Promise.reject(new Error('something broke'))),
  route('GET', '/v1/secret', () => Promise.resolve({ json: 'ok' }), {
    access: { kind: 'management' },
  }),
  route(
    'GET',
    '/v1/blocking',
    async (req) => ({ json: { index: (await req.server.current()).index } }),
    { blocking: true },
  ),
];

/** Tokens "mgmt" are management; everyone else may only do public things. */
const authorizer: Authorizer = {
  identify(secret) {
    seenTokens.push(secret);
    if (secret === 'expired') return Promise.reject(new ApiError(403, 'ACL token expired'));
    const management = secret === 'mgmt';
    return Promise.resolve({
      actor: { name: secret ?? 'anonymous' },
      management,
      allows: (a: Access) => management || a.kind === 'public',
    });
  },
};

beforeAll(async () => {
  t = await testServerContext();
  // Serials 0 and 1 are both index 1 (never 0): start past them.
  await t.bump();
  await t.bump();
  server = createServer({ context: t.context, routes, authorizer, bodyLimit: 1024 });
  ({ base, close: closeServer } = await listenOnLoopback(server));
});

afterAll(async () => {
  await closeServer();
  await t.close();
});

describe('answers', () => {
  it('sends JSON with the X-Nomad headers; namespace defaults to default', async () => {
    const r = await fetch(`${base}/v1/echo/a%2Fb`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(Number(r.headers.get('x-nomad-index'))).toBeGreaterThanOrEqual(1);
    expect(r.headers.get('x-nomad-knownleader')).toBe('true');
    expect(r.headers.get('x-nomad-lastcontact')).toBe('0');
    expect(await r.json()).toEqual({ name: 'a/b', namespace: 'default' });
    const ns = await fetch(`${base}/v1/echo/x?namespace=*`);
    expect(await ns.json()).toEqual({ name: 'x', namespace: '*' });
  });

  it('reads a JSON body through PUT and POST alike', async () => {
    for (const method of ['PUT', 'POST']) {
      const r = await fetch(`${base}/v1/echo`, { method, body: '{"Job":{"ID":"x"}}' });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ Job: { ID: 'x' } });
    }
  });

  it('404 for unknown paths, 405 with Allow for another method', async () => {
    const unknown = await fetch(`${base}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^text\/plain/);
    const wrong = await fetch(`${base}/v1/echo/x`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('errors are plain text with the right status', () => {
  it.each([
    ['/v1/fail/api', 404, 'job not found'],
    ['/v1/fail/leader', 500, 'No cluster leader'],
    ['/v1/fail/user', 400, 'bad count'],
    ['/v1/fail/bug', 500, 'something broke'],
  ])('%s → %i', async (path, status, text) => {
    const r = await fetch(base + path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await r.text();
    expect(body.trim()).toBe(text);
    expect(body).not.toMatch(/\n\s+at /);
  });

  it('logs the stack of an unexpected error, not of a user error', () => {
    const bug = t.recorded.log.find((l) => l.message.includes('something broke'));
    expect(bug?.level).toBe('error');
    expect(String(bug?.fields?.stack)).toMatch(/\n\s+at /);
    expect(t.recorded.log.some((l) => l.message.includes('bad count'))).toBe(false);
  });

  it('400 for a body that is not JSON, 413 past the body limit', async () => {
    const bad = await fetch(`${base}/v1/echo`, { method: 'POST', body: '{"Job":' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/not JSON/);
    const big = await fetch(`${base}/v1/echo`, {
      method: 'POST',
      body: JSON.stringify('x'.repeat(2000)),
    });
    expect(big.status).toBe(413);
  });
});

describe('tokens and access', () => {
  it('takes the token from X-Nomad-Token or Authorization: Bearer', async () => {
    seenTokens.length = 0;
    await fetch(`${base}/v1/echo/x`, { headers: { 'X-Nomad-Token': 'one' } });
    await fetch(`${base}/v1/echo/x`, { headers: { Authorization: 'Bearer two' } });
    await fetch(`${base}/v1/echo/x`);
    expect(seenTokens).toEqual(['one', 'two', undefined]);
  });

  it('403 "Permission denied" before the handler runs; the authorizer may refuse a token', async () => {
    const anon = await fetch(`${base}/v1/secret`);
    expect(anon.status).toBe(403);
    expect((await anon.text()).trim()).toBe('Permission denied');
    const mgmt = await fetch(`${base}/v1/secret`, { headers: { 'X-Nomad-Token': 'mgmt' } });
    expect(mgmt.status).toBe(200);
    const expired = await fetch(`${base}/v1/secret`, { headers: { 'X-Nomad-Token': 'expired' } });
    expect(expired.status).toBe(403);
    expect((await expired.text()).trim()).toBe('ACL token expired');
  });

  it('counts every request by endpoint and code', () => {
    const counted = t.recorded.metrics.filter((m) => m.name === 'api.requests');
    expect(counted).toContainEqual({
      name: 'api.requests',
      labels: { endpoint: '/v1/secret', code: '403' },
    });
    expect(counted).toContainEqual({
      name: 'api.requests',
      labels: { endpoint: 'unknown', code: '404' },
    });
  });
});

describe('blocking queries', () => {
  it('without index answers at once', async () => {
    const r = await fetch(`${base}/v1/blocking`);
    expect(r.status).toBe(200);
  });

  it('holds until a write moves the index, and is released by it, long before its wait', async () => {
    const now = Number((await fetch(`${base}/v1/blocking`)).headers.get('x-nomad-index'));
    const started = Date.now();
    const pending = fetch(`${base}/v1/blocking?index=${now}&wait=10s`).then(async (r) => ({
      at: Date.now(),
      index: Number(r.headers.get('x-nomad-index')),
      body: (await r.json()) as { index: number },
    }));
    await new Promise((r) => setTimeout(r, 300));
    const wroteAt = Date.now();
    const written = await t.bump();
    const got = await pending;
    expect(got.at - started).toBeGreaterThanOrEqual(300);
    expect(got.index).toBe(written);
    expect(got.body.index).toBe(written);
    // Released by the write, not by the 10 s wait (the 50 ms goal is measured by npm run bench).
    expect(got.at - wroteAt).toBeLessThan(5_000);
  });

  it('answers with the unchanged index once the wait passes', async () => {
    const now = Number((await fetch(`${base}/v1/blocking`)).headers.get('x-nomad-index'));
    const started = Date.now();
    const r = await fetch(`${base}/v1/blocking?index=${now}&wait=200ms`);
    const took = Date.now() - started;
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('x-nomad-index'))).toBe(now);
    // 200 ms plus jitter of up to wait/16.
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(1000);
  });

  it('an index below the current one answers at once', async () => {
    const started = Date.now();
    const r = await fetch(`${base}/v1/blocking?index=1&wait=10s`);
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('400 for a wait or index that does not parse', async () => {
    expect((await fetch(`${base}/v1/blocking?index=1&wait=forever`)).status).toBe(400);
    expect((await fetch(`${base}/v1/blocking?index=-3`)).status).toBe(400);
  });
});

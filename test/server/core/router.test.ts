import { describe, expect, it } from 'vitest';
import { createRouter } from '../../../src/server/router.js';
import type { Route } from '../../../src/server/types.js';

const route = (method: Route['method'], path: string): Route => ({
  method,
  path,
  access: { kind: 'public' },
  handler: () => Promise.resolve({ json: path }),
});

const router = createRouter([
  route('GET', '/v1/jobs'),
  route('POST', '/v1/jobs'),
  route('PUT', '/v1/jobs/parse'),
  route('GET', '/v1/job/:id'),
  route('DELETE', '/v1/job/:id'),
  route('GET', '/v1/job/:id/allocations'),
  route('GET', '/v1/client/fs/logs/*'),
]);

describe('the router', () => {
  it('matches literal paths and takes :params URL-decoded', () => {
    const m = router.match('GET', '/v1/job/my%20job/allocations');
    expect(m).toMatchObject({ kind: 'found', params: { id: 'my job' } });
    expect(m.kind === 'found' && m.route.path).toBe('/v1/job/:id/allocations');
  });

  it('gives a final * the rest of the path', () => {
    const m = router.match('GET', '/v1/client/fs/logs/abc/def');
    expect(m).toMatchObject({ kind: 'found', params: { rest: 'abc/def' } });
  });

  it('treats PUT and POST alike', () => {
    expect(router.match('PUT', '/v1/jobs').kind).toBe('found');
    expect(router.match('POST', '/v1/jobs/parse').kind).toBe('found');
  });

  it('prefers the more literal route', () => {
    const m = router.match('POST', '/v1/jobs/parse');
    expect(m.kind === 'found' && m.route.path).toBe('/v1/jobs/parse');
  });

  it('says 405 with the allowed methods for a known path', () => {
    expect(router.match('PATCH', '/v1/job/x')).toEqual({
      kind: 'method',
      allowed: ['GET', 'DELETE'],
    });
  });

  it('finds nothing for unknown paths, extra segments and broken escapes', () => {
    expect(router.match('GET', '/v1/nope').kind).toBe('none');
    expect(router.match('GET', '/v1/job/x/allocations/y').kind).toBe('none');
    expect(router.match('GET', '/v1/job/%E0%A4%A').kind).toBe('none');
    expect(router.match('GET', '/v1/client/fs/logs').kind).toBe('none');
  });
});

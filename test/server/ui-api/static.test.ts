/**
 * The web UI served by the server at /ui/ from a directory holding an index.html and an asset
 * (the UI is built elsewhere): files with their types and cache headers, index.html for the UI's
 * own routes, `/` redirected, paths out of the directory refused, and a clear 404 when the UI was
 * not built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_BUILT } from '../../../src/server/api/ui-static.js';
import { startUiServer, type UiServer } from './harness.js';

const INDEX = '<!doctype html><title>drover</title><script src="/ui/assets/app-1a2b.js"></script>';
const ASSET = 'console.log("drover ui");';

/** A GET with the path sent exactly as written (fetch would normalize `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web UI at /ui/', () => {
  let ui: string;
  let t: UiServer;
  beforeAll(async () => {
    ui = mkdtempSync(join(tmpdir(), 'drover-ui-dist-'));
    mkdirSync(join(ui, 'assets'));
    writeFileSync(join(ui, 'index.html'), INDEX);
    writeFileSync(join(ui, 'assets', 'app-1a2b.js'), ASSET);
    // A file beside the UI's directory that no path may reach.
    writeFileSync(join(ui, '..', `${ui.split('/').pop()}-secret.txt`), 'TOP-SECRET-CONTENT');
    t = await startUiServer({ uiDir: ui });
  });
  afterAll(async () => {
    await t.close();
    rmSync(ui, { recursive: true, force: true });
    rmSync(`${ui}-secret.txt`, { force: true });
  });

  it('serves index.html without caching, and assets with long cache headers', async () => {
    const index = await t.request('GET', '/ui/');
    expect(index.status).toBe(200);
    expect(index.text).toBe(INDEX);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = await t.request('GET', '/ui/assets/app-1a2b.js');
    expect(asset.status).toBe(200);
    expect(asset.text).toBe(ASSET);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('max-age=31536000');
  });

  it("answers the UI's own routes with index.html, and redirects / and /ui", async () => {
    const route = await t.request('GET', '/ui/jobs/web/allocations?namespace=default');
    expect(route.status).toBe(200);
    expect(route.text).toBe(INDEX);
    for (const path of ['/', '/ui']) {
      const r = await t.request('GET', path);
      expect([path, r.status, r.headers.get('location')]).toEqual([path, 302, '/ui/']);
    }
    // The API is still the API.
    expect((await t.request('GET', '/v1/drover/plans')).status).toBe(200);
  });

  it('refuses paths out of its directory', async () => {
    const name = `${ui.split('/').pop()}-secret.txt`;
    for (const path of [
      `/ui/..%2f${name}`,
      `/ui/assets/..%2f..%2f${name}`,
      `/ui/%2e%2e/${name}`,
      `/ui/../${name}`,
      `/ui/..%5c${name}`,
    ]) {
      const r = await rawGet(t.url, path);
      expect(r.body).not.toContain('TOP-SECRET-CONTENT');
      expect([path, [400, 404, 200].includes(r.status)]).toEqual([path, true]);
      if (r.status === 200) expect(r.body).toBe(INDEX);
    }
    expect((await rawGet(t.url, `/ui/..%2f${name}`)).status).toBe(400);
  });
});

describe('the web UI when it was not built', () => {
  let t: UiServer;
  beforeAll(async () => {
    t = await startUiServer({ uiDir: join(tmpdir(), 'drover-no-such-ui-dir') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('says how to build it', async () => {
    const r = await t.request('GET', '/ui/');
    expect(r.status).toBe(404);
    expect(r.text.trim()).toBe(NOT_BUILT);
    expect((await t.request('GET', '/ui/jobs')).status).toBe(404);
  });
});

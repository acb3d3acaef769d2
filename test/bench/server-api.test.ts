/**
 * The pieces of bench/server-api.mjs: its generated state is one drover reads (schema-valid,
 * with the jobs, allocations and services it claims), and its load generator and event-stream
 * opener work against a real server context served over HTTP (the stream tests' wiring).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, openEventStreams, requestRate } from '../../bench/server-api/load.mjs';
import { generateState, writeProject } from '../../bench/server-api/state.mjs';
import { eventStreamRoutes } from '../../src/server/api/events.js';
import { routes as metricsRoutes } from '../../src/server/api/metrics.js';
import { registrations } from '../../src/state/services.js';
import { parseState } from '../../src/state/validate.js';
import { startStreamServer, type StreamServer } from '../server/stream/harness.js';

const dist = fileURLToPath(new URL('../../dist', import.meta.url));
let dir = '';
let server: StreamServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-bench-server-api-test-'));
  writeProject(dir, await generateState(dist, 20));
  server = await startStreamServer(dir, [...eventStreamRoutes(), ...metricsRoutes]);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server-api benchmark', () => {
  it('writes a state drover reads: jobs, a running allocation and a service each', async () => {
    const path = join(dir, 'state', 'state.json');
    const state = parseState(readFileSync(path, 'utf8'), path);
    expect(Object.keys(state.jobs)).toHaveLength(20);
    expect(
      Object.values(state.allocations).filter((a) => a.client_status === 'running'),
    ).toHaveLength(20);
    expect(registrations(state)).toHaveLength(20);
    // The server's own session reads the same file through drover.hcl.
    expect(Object.keys((await server.ctx.current()).state.jobs)).toHaveLength(20);
  });

  it('measures a request rate with keep-alive and requests in flight', async () => {
    const r = await requestRate(server.url, () => '/v1/metrics', {
      concurrency: 4,
      durationMs: 300,
    });
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.rps).toBeGreaterThan(0);
    const missing = requestRate(server.url, () => '/v1/nothing', {
      concurrency: 2,
      durationMs: 100,
    });
    await expect(missing).rejects.toThrow('/v1/nothing answered 404');
  });

  it('opens event streams that the server holds until they are closed', async () => {
    const open = await openEventStreams(server.url, 20);
    expect(server.hub.subscribers()).toBe(20);
    open.close();
    const deadline = Date.now() + 3_000;
    while (server.hub.subscribers() > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(server.hub.subscribers()).toBe(0);
    expect((await get(`${server.url}/v1/metrics`)).status).toBe(200);
  });
});

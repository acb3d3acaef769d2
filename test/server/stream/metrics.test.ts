/**
 * Metrics: what is recorded, go-metrics' JSON shape, the gauges computed from the state, and the
 * Prometheus text held to the exposition format's rules by a parser of them; then
 * `GET /v1/metrics` over HTTP on a real server context.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes as metricsRoutes } from '../../../src/server/api/metrics.js';
import { METRICS, createMetrics } from '../../../src/server/metrics/index.js';
import { emptyState } from '../../../src/state/snapshot.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { alloc, version } from './fixtures.js';
import { startStreamServer, type StreamServer } from './harness.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface ParsedFamily {
  type: string;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Prometheus' text format (0.0.4), strictly: `# HELP` / `# TYPE` at most once per family and
 * before its samples, a family's samples together, valid names, label values with only `\\`,
 * `\"` and `\n` escapes, float values, summaries as `_sum` and `_count`. Throws on a violation.
 */
function parsePrometheus(text: string): Map<string, ParsedFamily> {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, ParsedFamily>();
  const closed = new Set<string>();
  let current: string | undefined;
  const family = (name: string) => {
    if (current !== name) {
      if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
      if (current) closed.add(current);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: 'untyped', samples: [] }));
    return f;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      const f = family(name);
      if (kind === 'TYPE') {
        if (f.type !== 'untyped' || f.samples.length > 0)
          throw new Error(`TYPE of ${name} repeated or after its samples`);
        if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(rest))
          throw new Error(`bad type ${rest}`);
        f.type = rest;
      } else {
        if (f.help !== undefined) throw new Error(`HELP of ${name} repeated`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad HELP escape: ${rest}`);
        f.help = rest;
      }
      continue;
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line: ${line}`);
    const sample = parseSample(line);
    const base =
      [...families.entries()].find(
        ([n, f]) =>
          f.type === 'summary' && (sample.name === `${n}_sum` || sample.name === `${n}_count`),
      )?.[0] ?? sample.name;
    family(base).samples.push(sample);
  }
  return families;
}

function parseSample(line: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
  if (!m) throw new Error(`bad sample line: ${line}`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? '';
  while (rest !== '') {
    const l = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!l) throw new Error(`bad labels in: ${line}`);
    if (!LABEL_NAME.test(l[1]!) || l[1]!.startsWith('__')) throw new Error(`bad label ${l[1]}`);
    labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(l[0].length);
  }
  const raw = m[4]!;
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value: ${line}`);
  return { name: m[1]!, labels, value };
}

function stateWithObjects(): StateSnapshot {
  const s = emptyState('l');
  s.serial = 9;
  s.jobs.a = { versions: [version('a', 0)], stopped: false };
  s.jobs.b = { versions: [version('b', 0, { status: 'pending' })], stopped: false };
  s.jobs.c = { versions: [version('c', 0)], stopped: true };
  s.allocations = {
    // Job a runs (an allocation is not terminal), b has none (pending), c is stopped (dead).
    x: alloc('x', { job: 'a', client_status: 'running' }),
    y: alloc('y', { job: 'a', client_status: 'running' }),
    z: alloc('z', { job: 'a', client_status: 'failed' }),
  };
  s.nodes.n1 = { name: 'n1', inventory: { transport: 'local' }, eligibility: 'eligible' };
  s.nodes.n2 = {
    name: 'n2',
    inventory: { transport: 'local' },
    eligibility: 'eligible',
    drain: true,
  };
  return s;
}

describe('createMetrics', () => {
  const recorded = () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const m = createMetrics(() => now);
    const endpoint = { endpoint: '/v1/jobs', code: '200' };
    m.increment(METRICS.apiRequests, endpoint);
    m.increment(METRICS.apiRequests, endpoint);
    m.increment(METRICS.apiRequests, { endpoint: '/v1/jobs', code: '404' });
    for (const ms of [2, 4, 6]) m.sample(METRICS.apiRequestDuration, ms, endpoint);
    m.gauge(METRICS.sshConnections, 3);
    m.gauge(METRICS.sshConnections, 2);
    now += 10_000;
    return m;
  };

  it('answers go-metrics JSON: counters and samples aggregated, gauges at their last value', () => {
    const json = recorded().json() as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual([
      'Counters',
      'Gauges',
      'Points',
      'Samples',
      'Timestamp',
    ]);
    expect(json.Timestamp).toBe('2026-03-01 10:00:10 +0000 UTC');
    expect(json.Gauges).toEqual([{ Name: 'drover.ssh.connections', Value: 2, Labels: {} }]);
    expect(json.Counters).toEqual([
      {
        Name: 'drover.api.requests',
        Count: 2,
        Rate: 0.2,
        Sum: 2,
        Min: 1,
        Max: 1,
        Mean: 1,
        Stddev: 0,
        Labels: { endpoint: '/v1/jobs', code: '200' },
      },
      expect.objectContaining({ Count: 1, Labels: { endpoint: '/v1/jobs', code: '404' } }),
    ]);
    expect(json.Samples).toEqual([
      {
        Name: 'drover.api.request_duration',
        Count: 3,
        Rate: 1.2,
        Sum: 12,
        Min: 2,
        Max: 6,
        Mean: 4,
        Stddev: 2,
        Labels: { endpoint: '/v1/jobs', code: '200' },
      },
    ]);
  });

  it('counts jobs, allocations, deployments and nodes by status from the state', () => {
    const json = recorded().json(stateWithObjects()) as {
      Gauges: { Name: string; Value: number; Labels: Record<string, string> }[];
    };
    const gauge = (name: string, status: string) =>
      json.Gauges.find((g) => g.Name === `drover.${name}` && g.Labels.status === status)?.Value;
    expect(gauge(METRICS.jobs, 'running')).toBe(1);
    expect(gauge(METRICS.jobs, 'pending')).toBe(1);
    expect(gauge(METRICS.jobs, 'dead')).toBe(1);
    expect(gauge(METRICS.allocations, 'running')).toBe(2);
    expect(gauge(METRICS.allocations, 'failed')).toBe(1);
    expect(gauge(METRICS.allocations, 'lost')).toBe(0);
    expect(gauge(METRICS.deployments, 'running')).toBe(0);
    expect(gauge(METRICS.nodes, 'initializing')).toBe(1);
    expect(gauge(METRICS.nodes, 'draining')).toBe(1);
  });

  it('writes valid Prometheus text: HELP and TYPE per family, summaries as _sum and _count', () => {
    const m = recorded();
    // A label value with every character that needs escaping.
    m.increment(METRICS.apiRequests, { endpoint: 'a "quoted" \\ path\nnext', code: '500' });
    const families = parsePrometheus(m.prometheus(stateWithObjects()));
    const requests = families.get('drover_api_requests_total')!;
    expect(requests.type).toBe('counter');
    expect(requests.help).toBeTruthy();
    expect(requests.samples).toContainEqual({
      name: 'drover_api_requests_total',
      labels: { code: '200', endpoint: '/v1/jobs' },
      value: 2,
    });
    expect(requests.samples).toContainEqual({
      name: 'drover_api_requests_total',
      labels: { code: '500', endpoint: 'a "quoted" \\ path\nnext' },
      value: 1,
    });
    const duration = families.get('drover_api_request_duration')!;
    expect(duration.type).toBe('summary');
    expect(duration.samples.map((s) => [s.name, s.value])).toEqual([
      ['drover_api_request_duration_sum', 12],
      ['drover_api_request_duration_count', 3],
    ]);
    const allocations = families.get('drover_allocations')!;
    expect(allocations.type).toBe('gauge');
    expect(allocations.samples.find((s) => s.labels.status === 'running')?.value).toBe(2);
    // The change index is the serial + 1 (src/server/context.ts indexOf).
    expect(families.get('drover_state_index')?.samples[0]?.value).toBe(10);
  });

  it('the parser refuses what the format does not allow', () => {
    expect(() => parsePrometheus('x{a="b"c"} 1\n')).toThrow();
    expect(() => parsePrometheus('# TYPE x gauge\nx 1\n# TYPE x gauge\n')).toThrow();
    expect(() => parsePrometheus('x 1\ny 1\nx 2\n')).toThrow('not contiguous');
    expect(() => parsePrometheus('x{a="\\q"} 1\n')).toThrow();
    expect(() => parsePrometheus('x one\n')).toThrow();
  });
});

describe('GET /v1/metrics', () => {
  let dir = '';
  let server: StreamServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drover-metrics-'));
    writeFileSync(
      join(dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
    );
    server = await startStreamServer(dir, metricsRoutes);
    await server.mutate((s) => {
      s.jobs.web = { versions: [version('web', 0)], stopped: false };
      // Running: an allocation of it is not terminal.
      s.allocations.w1 = alloc('w1', { job: 'web', client_status: 'running' });
    });
    server.metrics.increment(METRICS.apiRequests, { endpoint: '/v1/jobs', code: '200' });
    server.metrics.sample(METRICS.reconcileDuration, 3.5);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers JSON by default, with the state gauges', async () => {
    const res = await fetch(`${server.url}/v1/metrics`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      Gauges: { Name: string; Value: number; Labels: Record<string, string> }[];
      Samples: { Name: string; Sum: number }[];
    };
    expect(
      body.Gauges.find((g) => g.Name === `drover.${METRICS.jobs}` && g.Labels.status === 'running')
        ?.Value,
    ).toBe(1);
    expect(body.Samples.find((s) => s.Name === `drover.${METRICS.reconcileDuration}`)?.Sum).toBe(
      3.5,
    );
  });

  it('answers Prometheus text with format=prometheus', async () => {
    const res = await fetch(`${server.url}/v1/metrics?format=prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheus(await res.text());
    expect(
      families.get('drover_jobs')?.samples.find((s) => s.labels.status === 'running')?.value,
    ).toBe(1);
    expect(families.get('drover_controller_reconcile_duration')?.type).toBe('summary');
    // The context's own record of the write made in beforeAll.
    const writes = families.get('drover_state_write_duration')!;
    expect(writes.type).toBe('summary');
    expect(writes.samples.find((s) => s.name.endsWith('_count'))?.value).toBeGreaterThanOrEqual(1);
    expect(families.get('drover_api_requests_total')?.samples[0]?.value).toBe(1);
  });

  it('refuses an unknown format', async () => {
    const res = await fetch(`${server.url}/v1/metrics?format=xml`);
    expect(res.status).toBe(400);
  });
});

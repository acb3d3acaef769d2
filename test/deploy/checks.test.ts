// Health checks: specs from real jobspecs, real HTTP/TCP servers on loopback reached through the
// local transport, script checks through a fake driver and the real raw_exec driver, and the
// watcher's logic on a fake clock.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { LocalTransport } from '../../providers/transports/local.js';
import type { Driver, ExecOptions, NodeSpec } from '../../providers/types.js';
import {
  allocCheckHealth,
  applyResult,
  checksOf,
  CheckWatcher,
  classifyHttpStatus,
  initialCheckState,
  runCheck,
  type CheckResult,
  type CheckSpec,
  type CheckStatus,
  type CheckTarget,
  type WatchClock,
} from '../../src/deploy/checks.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Group } from '../../src/generated/jobspec.js';
import type { NormalizedJob as Job } from '../../src/generated/normalized-job.js';
import { normalizeGroup, normalizeJob, normalizeTask } from '../normalized.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import type { Allocation, AllocatedPort, DriverHandle } from '../../src/state/types.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

function loadJob(src: string): Job {
  const d = new Diagnostics();
  const loaded = loadJobSource(src, 'job.hcl', { inputs: { vars: [], varFiles: [], env: {} } }, d);
  expect(d.items.map((x) => x.summary)).toEqual([]);
  return loaded!.job;
}

function alloc(
  ports: AllocatedPort[] = [],
  handles: Record<string, DriverHandle> = {},
): Allocation {
  return {
    id: '0123abcd-0000-4000-8000-000000000001',
    job: 'web',
    version: 0,
    group: 'g',
    index: 0,
    node: 'local',
    name: 'web.g[0]',
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: handles,
    ports,
    created_at: '2024-01-01T00:00:00Z',
    modified_at: '2024-01-01T00:00:00Z',
  };
}

function node(allocRoot = '/tmp/drover-checks'): NodeSpec {
  return { name: 'local', transport: 'local', datacenter: 'dc1', meta: {}, alloc_root: allocRoot };
}

const transport = new LocalTransport(node());

function target(over: Partial<CheckTarget> = {}): CheckTarget {
  return {
    job: normalizeJob({ id: 'web' }),
    group: normalizeGroup({ name: 'g' }),
    alloc: alloc(),
    transport,
    driver: () => undefined,
    ...over,
  };
}

function spec(over: Partial<CheckSpec> = {}): CheckSpec {
  const name = over.name ?? 'check';
  return {
    id: 'web/check',
    name,
    label: `check "${name}" (service "web")`,
    service: 'web',
    type: 'http',
    path: '/',
    method: 'GET',
    protocol: 'http',
    interval_ms: 10_000,
    timeout_ms: 2_000,
    success_before_passing: 0,
    failures_before_critical: 0,
    failures_before_warning: 0,
    on_update: 'require_healthy',
    provider: 'consul',
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// checksOf

describe('checksOf', () => {
  const job = loadJob(`
job "web" {
  group "g" {
    network {
      port "http" { to = 8080 }
      port "admin" {}
    }
    service {
      name = "front"
      port = "http"
      check {
        type     = "http"
        path     = "/health?deep=1"
        method   = "post"
        interval = "5s"
        timeout  = "1500ms"
        header { X-Token = ["a", "b"] }
        body = "ping \${NOMAD_ALLOC_ID}"
        success_before_passing   = 2
        failures_before_critical = 3
        check_restart {
          limit = 3
          grace = "20s"
        }
      }
      check {
        type = "tcp"
        port = "admin"
        interval = "10s"
        timeout = "2s"
      }
      check {
        name = "inside"
        type = "tcp"
        port = "8080"
        interval = "10s"
        timeout = "2s"
      }
      check {
        name = "rpc"
        type = "grpc"
        port = "9999"
        interval = "10s"
        timeout = "2s"
      }
      check {
        name    = "script"
        type    = "script"
        task    = "server"
        command = "/bin/check"
        args    = ["-port", "\${NOMAD_PORT_http}"]
        interval = "10s"
        timeout  = "3s"
        on_update = "ignore_warnings"
      }
    }
    task "server" {
      driver = "raw_exec"
      config { command = "/bin/server" }
      service {
        port = "admin"
        provider = "nomad"
        check {
          type = "http"
          path = "/"
          interval = "10s"
          timeout = "2s"
        }
        check_restart {
          limit = 2
          ignore_warnings = true
        }
      }
    }
  }
}
`);
  const group = job.group[0]!;
  // The validator rejects an unknown label; an allocation recorded under an older version may
  // still lack it.
  group.task[0]!.service![0]!.port = 'nope';
  const a = alloc([
    { label: 'http', value: 25001, to: 8080, host_ip: '127.0.0.1' },
    { label: 'admin', value: 25002, host_ip: '0.0.0.0' },
  ]);
  const specs = checksOf(job, group, a, (task) => ({
    env: { NOMAD_ALLOC_ID: a.id, ...(task ? { NOMAD_PORT_http: '8080' } : {}) },
    node: { attributes: {}, meta: {}, name: 'local', datacenter: 'dc1' },
  }));
  const byId = new Map(specs.map((s) => [s.id, s]));

  it('lists the group service checks, then the task service checks', () => {
    expect(specs.map((s) => s.id)).toEqual([
      'front/service: "front" check',
      'front/service: "front" check#2',
      'front/inside',
      'front/rpc',
      'front/script',
      'web-g-server/service: "web-g-server" check',
    ]);
  });

  it('resolves an http check fully', () => {
    expect(byId.get('front/service: "front" check')).toEqual({
      id: 'front/service: "front" check',
      name: 'service: "front" check',
      label: 'http check (service "front")',
      service: 'front',
      type: 'http',
      port: 25001,
      address: '127.0.0.1',
      protocol: 'http',
      path: '/health?deep=1',
      method: 'POST',
      header: { 'X-Token': ['a', 'b'] },
      body: `ping ${a.id}`,
      interval_ms: 5000,
      timeout_ms: 1500,
      success_before_passing: 2,
      failures_before_critical: 3,
      failures_before_warning: 3,
      on_update: 'require_healthy',
      provider: 'consul',
      check_restart: { limit: 3, grace_ms: 20_000, ignore_warnings: false },
    });
  });

  it.each([
    // id, port, address
    ['front/service: "front" check#2', 25002, undefined], // bound on every interface: loopback
    ['front/inside', 25001, '127.0.0.1'], // a number matching a port's `to` is its host port
    ['front/rpc', 9999, undefined], // any other number is a host port
    ['web-g-server/service: "web-g-server" check', undefined, undefined], // unknown label
  ])('resolves the port of %s', (id, port, address) => {
    const s = byId.get(id)!;
    expect(s.port).toBe(port);
    expect(s.address).toBe(address);
  });

  it('leaves out the checks of hooks that do not run beside the main tasks', () => {
    const hooked = loadJob(`
job "web" {
  group "g" {
    network {
      port "http" {}
    }
    service {
      name = "front"
      port = "http"
      check {
        name     = "migrate-script"
        type     = "script"
        task     = "migrate"
        command  = "/bin/true"
        interval = "10s"
        timeout  = "2s"
      }
      check {
        name     = "proxy-script"
        type     = "script"
        task     = "proxy"
        command  = "/bin/true"
        interval = "10s"
        timeout  = "2s"
      }
    }
    task "migrate" {
      lifecycle { hook = "prestart" }
      driver = "raw_exec"
      config { command = "/bin/migrate" }
      service {
        name = "migrate"
        port = "http"
        check {
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
    task "proxy" {
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
      driver = "raw_exec"
      config { command = "/bin/proxy" }
      service {
        name = "proxy"
        port = "http"
        check {
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
    task "server" {
      driver = "raw_exec"
      config { command = "/bin/server" }
    }
    task "cleanup" {
      lifecycle { hook = "poststop" }
      driver = "raw_exec"
      config { command = "/bin/cleanup" }
      service {
        name = "cleanup"
        port = "http"
        check {
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
`);
    const ids = checksOf(hooked, hooked.group[0]!, a).map((s) => s.id);
    expect(ids).toEqual(['front/proxy-script', 'proxy/service: "proxy" check']);
  });

  it('runs grpc checks as tcp connects', () => {
    expect(byId.get('front/rpc')!.type).toBe('tcp');
  });

  it('interpolates a script check with its task environment', () => {
    expect(byId.get('front/script')).toMatchObject({
      type: 'script',
      task: 'server',
      command: '/bin/check',
      args: ['-port', '8080'],
      timeout_ms: 3000,
      on_update: 'ignore_warnings',
    });
  });

  it('takes the service check_restart, provider and task for a task service', () => {
    expect(byId.get('web-g-server/service: "web-g-server" check')).toMatchObject({
      task: 'server',
      provider: 'nomad',
      check_restart: { limit: 2, grace_ms: 1000, ignore_warnings: true },
    });
  });

  it('numbers checks of the same service and name apart', () => {
    const g = {
      name: 'g',
      service: [
        {
          name: 's',
          port: 'http',
          check: [{ type: 'tcp' }, { type: 'tcp' }, { type: 'tcp', name: 'x' }],
        },
      ],
    } as Group;
    expect(checksOf(job, normalizeGroup(g), a).map((s) => s.id)).toEqual([
      's/service: "s" check',
      's/service: "s" check#2',
      's/x',
    ]);
    // Messages name them plainly: no name of their own is not quoted back.
    expect(checksOf(job, normalizeGroup(g), a).map((s) => s.label)).toEqual([
      'tcp check (service "s")',
      'tcp check #2 (service "s")',
      'check "x" (service "s")',
    ]);
  });

  it('leaves out check_restart with limit 0 and keeps strings as written without a scope', () => {
    const j = loadJob(`
job "x" {
  group "g" {
    service {
      port = "8080"
      check {
        type = "http"
        path = "/\${NOMAD_ALLOC_ID}"
        interval = "1s"
        timeout = "1s"
        check_restart { limit = 0 }
      }
    }
    task "t" {
      driver = "raw_exec"
      config { command = "x" }
    }
  }
}
`);
    const [s] = checksOf(j, j.group[0]!, alloc());
    expect(s!.check_restart).toBeUndefined();
    expect(s!.path).toBe('/${NOMAD_ALLOC_ID}');
    expect(s!.port).toBe(8080);
    expect(s!.service).toBe('x-g');
  });
});

// ---------------------------------------------------------------------------------------------
// http checks on a real server

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port: number;
const seen: Seen[] = [];
const hanging: IncomingMessage[] = [];

const routes: Record<string, RequestListener> = {
  '/ok': (_q, r) => r.end('fine'),
  '/fail': (_q, r) => {
    r.statusCode = 500;
    r.end('database down');
  },
  '/busy': (_q, r) => {
    r.statusCode = 429;
    r.end('slow down');
  },
  '/moved': (_q, r) => {
    r.statusCode = 302;
    r.setHeader('Location', '/fail');
    r.end();
  },
  '/big': (_q, r) => r.end('x'.repeat(100_000)),
  '/hang': (q) => void hanging.push(q),
  '/echo': (_q, r) => r.end('echoed'),
};

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const route = routes[(req.url ?? '').split('?')[0]!];
      if (route) route(req, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const q of hanging) q.socket.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

afterEach(() => {
  seen.length = 0;
});

describe('http checks', () => {
  it.each<[string, 'consul' | 'nomad', CheckStatus, RegExp]>([
    ['/ok', 'consul', 'passing', /^HTTP GET http:\/\/127\.0\.0\.1:\d+\/ok: 200 OK Output: fine$/],
    ['/fail', 'consul', 'critical', /: 500 Internal Server Error Output: database down$/],
    ['/busy', 'consul', 'warning', /: 429 Too Many Requests Output: slow down$/],
    ['/busy', 'nomad', 'critical', /: 429 Too Many Requests/],
    ['/missing', 'consul', 'critical', /: 404 Not Found$/],
  ])('GET %s (%s rules) is %s', async (path, provider, status, output) => {
    const r = await runCheck(spec({ port, path, provider }), target());
    expect(r.status).toBe(status);
    expect(r.output).toMatch(output);
  });

  it('does not follow a redirect, and counts the answer as passing', async () => {
    const r = await runCheck(spec({ port, path: '/moved' }), target());
    expect(r).toEqual({
      status: 'passing',
      output: `HTTP GET http://127.0.0.1:${port}/moved: 302 Found (redirect to /fail not followed)`,
    });
    expect(seen.map((s) => s.url)).toEqual(['/moved']);
  });

  it('sends the method, path with query, headers and body it is given', async () => {
    const r = await runCheck(
      spec({
        port,
        path: '/echo?deep=1',
        method: 'PUT',
        header: { 'X-Token': ['a', 'b'], Host: ['app.example'] },
        body: '{"ping":true}',
      }),
      target(),
    );
    expect(r.status).toBe('passing');
    expect(seen).toHaveLength(1);
    const s = seen[0]!;
    expect(s.method).toBe('PUT');
    expect(s.url).toBe('/echo?deep=1');
    expect(s.body).toBe('{"ping":true}');
    expect(s.headers['x-token']).toBe('a, b');
    expect(s.headers.host).toBe('app.example');
    expect(s.headers['user-agent']).toBe('drover health check');
    expect(s.headers['content-length']).toBe('13');
  });

  it('goes through the transport (as an SSH port forward would), never around it', async () => {
    const calls: [number, string | undefined][] = [];
    const forwarding = Object.assign(Object.create(transport) as LocalTransport, {
      // Port 1 on a far host, forwarded to the test server.
      connect: (p: number, host?: string) => {
        calls.push([p, host]);
        return transport.connect(port);
      },
      hostAddress: () => '10.9.8.7',
    });
    const http = await runCheck(spec({ port: 1, path: '/ok' }), target({ transport: forwarding }));
    const tcp = await runCheck(spec({ type: 'tcp', port: 1 }), target({ transport: forwarding }));
    expect(http.status).toBe('passing');
    expect(http.output).toMatch(/^HTTP GET http:\/\/10\.9\.8\.7:1\/ok: 200 OK/);
    expect(tcp).toEqual({ status: 'passing', output: 'TCP connect 10.9.8.7:1: Success' });
    expect(calls).toEqual([
      [1, undefined],
      [1, undefined],
    ]);
    expect(seen[0]!.headers.host).toBe('10.9.8.7:1');
  });

  it('connects to the address the spec names', async () => {
    const calls: (string | undefined)[] = [];
    const recording = Object.assign(Object.create(transport) as LocalTransport, {
      connect: (p: number, host?: string) => {
        calls.push(host);
        return transport.connect(p, host);
      },
    });
    const r = await runCheck(
      spec({ port, path: '/ok', address: '127.0.0.1' }),
      target({ transport: recording }),
    );
    expect(r.status).toBe('passing');
    expect(calls).toEqual(['127.0.0.1']);
  });

  it('sets Host to the address and port it checks', async () => {
    await runCheck(spec({ port, path: '/ok' }), target());
    expect(seen[0]!.headers.host).toBe(`127.0.0.1:${port}`);
  });

  it('keeps at most 4 KiB of a body as output', async () => {
    const r = await runCheck(spec({ port, path: '/big', provider: 'nomad' }), target());
    expect(r.status).toBe('passing');
    expect(r.output).toMatch(/Output: x{4096}$/);
  });

  it('is critical when the server does not answer within the timeout', async () => {
    const started = Date.now();
    const r = await runCheck(spec({ port, path: '/hang', timeout_ms: 300 }), target());
    expect(r).toEqual({ status: 'critical', output: 'timed out after 300ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(hanging.length).toBeGreaterThan(0);
  });

  it('is critical when nothing listens', async () => {
    const closed = await closedPort();
    const r = await runCheck(spec({ port: closed, path: '/' }), target());
    expect(r.status).toBe('critical');
    // Said plainly, the address once.
    expect(r.output).toBe(`connect 127.0.0.1:${closed}: connection refused`);
  });

  it('is critical without a port', async () => {
    const r = await runCheck(spec({ path: '/' }), target());
    expect(r).toEqual({ status: 'critical', output: 'no port to http check' });
  });

  it('is critical when cancelled', async () => {
    const ac = new AbortController();
    const pending = runCheck(spec({ port, path: '/hang', timeout_ms: 5_000 }), target(), ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect(await pending).toEqual({ status: 'critical', output: 'check cancelled' });
  });

  it.each<[number, 'consul' | 'nomad', CheckStatus]>([
    [200, 'consul', 'passing'],
    [204, 'consul', 'passing'],
    [301, 'consul', 'passing'],
    [399, 'nomad', 'passing'],
    [400, 'nomad', 'critical'],
    [429, 'consul', 'warning'],
    [429, 'nomad', 'critical'],
    [503, 'consul', 'critical'],
    [101, 'consul', 'critical'],
  ])('status %i under %s rules is %s', (code, provider, status) => {
    expect(classifyHttpStatus(code, provider)).toBe(status);
  });
});

describe('https checks', () => {
  let dir: string;
  let tlsServer: ReturnType<typeof createHttpsServer>;
  let tlsPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-checks-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tlsServer = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (_q, r) => r.end('secure'),
    );
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    tlsPort = (tlsServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    tlsServer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('speaks TLS over the stream when told to skip verification', async () => {
    const r = await runCheck(
      spec({ port: tlsPort, protocol: 'https', tls_skip_verify: true }),
      target(),
    );
    expect(r).toEqual({
      status: 'passing',
      output: `HTTP GET https://127.0.0.1:${tlsPort}/: 200 OK Output: secure`,
    });
  });

  it('refuses a certificate it cannot verify', async () => {
    const r = await runCheck(spec({ port: tlsPort, protocol: 'https' }), target());
    expect(r.status).toBe('critical');
    expect(r.output).toMatch(/self[- ]signed certificate/i);
  });
});

// ---------------------------------------------------------------------------------------------
// tcp checks

describe('tcp checks', () => {
  it('passes when the port accepts a connection', async () => {
    const tcp = createTcpServer((s) => s.end());
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const p = (tcp.address() as AddressInfo).port;
    try {
      const r = await runCheck(spec({ type: 'tcp', port: p }), target());
      expect(r).toEqual({ status: 'passing', output: `TCP connect 127.0.0.1:${p}: Success` });
    } finally {
      tcp.close();
    }
  });

  it('is critical on a closed port', async () => {
    const p = await closedPort();
    const r = await runCheck(spec({ type: 'tcp', port: p }), target());
    expect(r).toEqual({ status: 'critical', output: `connect 127.0.0.1:${p}: connection refused` });
  });
});

async function closedPort(): Promise<number> {
  const s = createTcpServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const p = (s.address() as AddressInfo).port;
  s.close();
  await once(s, 'close');
  return p;
}

// ---------------------------------------------------------------------------------------------
// script checks

/** A driver whose exec answers from a table: argv[0] → [exit code, output] or a hang. */
function fakeDriver(answers: Record<string, [number, string] | 'hang'>, exec = true): Driver {
  const calls: string[][] = [];
  return {
    name: 'fake',
    calls,
    capabilities: () => ({ exec, needsDocker: false, signal: false }),
    exec(_h: DriverHandle, _t: unknown, argv: readonly string[], opts: ExecOptions) {
      calls.push([...argv]);
      const a = answers[argv[0]!];
      if (a === 'hang') return new Promise<number>(() => undefined);
      opts.stdout.write(a![1]);
      return Promise.resolve(a![0]);
    },
  } as unknown as Driver;
}

describe('script checks', () => {
  const handles = { server: { driver: 'fake' } };
  const driver = fakeDriver({
    ok: [0, 'all good\n'],
    meh: [1, 'degraded'],
    bad: [2, 'broken'],
    worse: [127, 'not found'],
    slow: 'hang',
  });
  const scriptTarget = target({
    alloc: alloc([], handles),
    driver: (name) => (name === 'fake' ? driver : undefined),
  });

  it.each<[string, CheckStatus, string]>([
    ['ok', 'passing', 'all good'],
    ['meh', 'warning', 'degraded'],
    ['bad', 'critical', 'broken'],
    ['worse', 'critical', 'not found'],
  ])('exit of %s is %s', async (command, status, output) => {
    const r = await runCheck(
      spec({ type: 'script', task: 'server', command, args: ['-v'] }),
      scriptTarget,
    );
    expect(r).toEqual({ status, output });
    expect((driver as unknown as { calls: string[][] }).calls.at(-1)).toEqual([command, '-v']);
  });

  it('times out a script that hangs', async () => {
    const r = await runCheck(
      spec({ type: 'script', task: 'server', command: 'slow', timeout_ms: 100 }),
      scriptTarget,
    );
    expect(r).toEqual({ status: 'critical', output: 'timed out after 100ms' });
  });

  it.each<[string, Partial<CheckSpec>, CheckTarget, string]>([
    ['no task', { task: undefined }, scriptTarget, 'script check of a group service needs "task"'],
    ['no handle', { task: 'other' }, scriptTarget, 'task "other" is not running'],
    ['no driver', {}, target({ alloc: alloc([], handles) }), 'driver "fake" is not available'],
    [
      'no exec',
      {},
      target({ alloc: alloc([], handles), driver: () => fakeDriver({}, false) }),
      'driver "fake" cannot run script checks',
    ],
  ])('is critical with %s', async (_what, over, t, output) => {
    const r = await runCheck(spec({ type: 'script', task: 'server', command: 'ok', ...over }), t);
    expect(r).toEqual({ status: 'critical', output });
  });
});

describe('script checks in a real raw_exec task', () => {
  const driver = new RawExecDriver();
  let root: string;
  let local: LocalTransport;
  let handle: DriverHandle;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drover-checks-raw-'));
    local = new LocalTransport(node(root));
    const allocId = '0123abcd-0000-4000-8000-00000000c0de';
    handle = await driver.start({
      allocId,
      name: `web-g-server-${allocId.slice(0, 8)}`,
      jobId: 'web',
      jobVersion: 0,
      group: 'g',
      task: normalizeTask({
        name: 'server',
        driver: 'raw_exec',
        config: { command: 'sleep', args: ['60'] },
      }),
      allocIndex: 0,
      node: local.node,
      transport: local,
      ports: [],
      env: { NOMAD_TASK_NAME: 'server', HEALTH: 'degraded' },
      allocDir: join(root, allocId),
      labels: {},
      restart: { attempts: 0, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' },
    });
  });

  afterAll(async () => {
    await driver.stop(handle, local, { killTimeoutMs: 0, signal: 'SIGKILL' });
    await driver.destroy(handle, local);
    await rm(root, { recursive: true, force: true });
  });

  const realTarget = (): CheckTarget =>
    target({
      alloc: alloc([], { server: handle }),
      transport: local,
      driver: (name) => (name === 'raw_exec' ? driver : undefined),
    });

  it.each<[string, CheckStatus, string]>([
    ['echo "up as $NOMAD_TASK_NAME"', 'passing', 'up as server'],
    ['echo "$HEALTH" >&2; exit 1', 'warning', 'degraded'],
    ['exit 3', 'critical', ''],
  ])('runs `%s` in the task: %s', async (script, status, output) => {
    const r = await runCheck(
      spec({ type: 'script', task: 'server', command: '/bin/sh', args: ['-c', script] }),
      realTarget(),
    );
    expect(r).toEqual({ status, output });
  });
});

// ---------------------------------------------------------------------------------------------
// Results, thresholds and check_restart (pure)

function replay(s: CheckSpec, statuses: CheckStatus[], step = s.interval_ms, start = 0) {
  let state = initialCheckState(s, start);
  const trail: string[] = [];
  statuses.forEach((status, i) => {
    state = applyResult(s, state, { status, output: status }, start + (i + 1) * step);
    trail.push(state.status + (state.restart_due ? '!' : ''));
  });
  return { state, trail };
}

describe('thresholds', () => {
  it.each<[string, Partial<CheckSpec>, CheckStatus[], string[]]>([
    ['no thresholds', {}, ['critical', 'passing'], ['critical', 'passing']],
    [
      'success_before_passing = 3',
      { success_before_passing: 3 },
      ['passing', 'passing', 'critical', 'passing', 'passing', 'passing'],
      ['pending', 'pending', 'critical', 'critical', 'critical', 'passing'],
    ],
    [
      'a warning counts toward success_before_passing',
      { success_before_passing: 2 },
      ['warning', 'passing'],
      ['pending', 'passing'],
    ],
    [
      'failures_before_critical = 3',
      { failures_before_critical: 3, failures_before_warning: 3 },
      ['passing', 'critical', 'critical', 'passing', 'critical', 'critical', 'critical'],
      ['passing', 'passing', 'passing', 'passing', 'passing', 'passing', 'critical'],
    ],
    [
      'failures_before_warning below failures_before_critical',
      { failures_before_critical: 3, failures_before_warning: 1 },
      ['passing', 'critical', 'critical', 'critical'],
      ['passing', 'warning', 'warning', 'critical'],
    ],
  ])('%s', (_name, over, statuses, trail) => {
    expect(replay(spec(over), statuses).trail).toEqual(trail);
  });
});

describe('check_restart', () => {
  const restart = (over: Partial<CheckSpec['check_restart']> = {}) =>
    spec({
      interval_ms: 10_000,
      check_restart: { limit: 3, grace_ms: 15_000, ignore_warnings: false, ...over },
    });

  it.each<[string, CheckSpec, CheckStatus[], string[]]>([
    [
      // Results at 10 s (inside the 15 s grace), 20 s, 30 s, 40 s: the third counted one restarts.
      'restarts on the limit-th unhealthy result after the grace',
      restart(),
      ['critical', 'critical', 'critical', 'critical'],
      ['critical', 'critical', 'critical', 'critical!'],
    ],
    [
      'a passing result starts the count over',
      restart({ grace_ms: 0 }),
      ['critical', 'critical', 'passing', 'critical', 'critical', 'critical'],
      ['critical', 'critical', 'passing', 'critical', 'critical', 'critical!'],
    ],
    [
      'limit = 1 restarts on the first unhealthy result',
      restart({ limit: 1, grace_ms: 0 }),
      ['critical'],
      ['critical!'],
    ],
    [
      'warnings count unless ignored',
      restart({ limit: 2, grace_ms: 0 }),
      ['warning', 'warning'],
      ['warning', 'warning!'],
    ],
    [
      'ignore_warnings',
      restart({ limit: 2, grace_ms: 0, ignore_warnings: true }),
      ['warning', 'warning', 'warning'],
      ['warning', 'warning', 'warning'],
    ],
    [
      'the status after thresholds decides (failures_before_critical = 3)',
      spec({
        failures_before_critical: 3,
        failures_before_warning: 3,
        check_restart: { limit: 2, grace_ms: 0, ignore_warnings: false },
      }),
      ['passing', 'critical', 'critical', 'critical', 'critical'],
      ['passing', 'passing', 'passing', 'critical', 'critical!'],
    ],
  ])('%s', (_name, s, statuses, trail) => {
    expect(replay(s, statuses).trail).toEqual(trail);
  });

  it('never restarts without check_restart', () => {
    expect(replay(spec(), Array<CheckStatus>(10).fill('critical')).state.restart_due).toBe(false);
  });
});

describe('allocation check health', () => {
  const a = spec({ id: 'a', name: 'a' });
  const b = spec({ id: 'b', name: 'b', on_update: 'ignore_warnings' });
  const c = spec({ id: 'c', name: 'c', on_update: 'ignore' });
  const after = (s: CheckSpec, status: CheckStatus) =>
    applyResult(s, initialCheckState(s, 0), { status, output: `${status} out` }, 1);

  it.each<[string, [CheckSpec, CheckStatus | undefined][], string, string]>([
    ['no checks', [], 'healthy', 'no checks to pass'],
    [
      'a check not run yet',
      [[a, undefined]],
      'pending',
      'check "a" (service "web") has not run yet',
    ],
    [
      'all passing',
      [
        [a, 'passing'],
        [b, 'passing'],
      ],
      'healthy',
      'all 2 checks passing',
    ],
    [
      'a warning with ignore_warnings, a critical ignored check',
      [
        [a, 'passing'],
        [b, 'warning'],
        [c, 'critical'],
      ],
      'healthy',
      'all 2 checks passing',
    ],
    [
      'a warning otherwise',
      [
        [a, 'warning'],
        [b, 'passing'],
      ],
      'pending',
      'check "a" (service "web") is warning',
    ],
    [
      'a critical check',
      [
        [a, 'critical'],
        [b, 'passing'],
      ],
      'unhealthy',
      'check "a" (service "web") is critical: critical out',
    ],
    [
      'two critical checks, each named once',
      [
        [a, 'critical'],
        [spec({ id: 'd', name: 'd' }), 'critical'],
      ],
      'unhealthy',
      'check "a" (service "web") is critical: critical out; check "d" (service "web") is critical: critical out',
    ],
  ])('%s', (_name, checks, status, detail) => {
    const states = new Map(
      checks.flatMap(([s, st]) => (st ? [[s.id, after(s, st)] as const] : [])),
    );
    expect(
      allocCheckHealth(
        checks.map(([s]) => s),
        states,
      ),
    ).toEqual({ status, detail });
  });

  it('does not count an initial_status of critical as a failure', () => {
    const s = spec({ id: 'a', name: 'a', initial_status: 'critical', success_before_passing: 2 });
    const state = applyResult(s, initialCheckState(s, 0), { status: 'passing', output: '' }, 1);
    expect(state.status).toBe('critical');
    expect(allocCheckHealth([s], new Map([['a', state]]))).toEqual({
      status: 'pending',
      detail: 'check "a" (service "web") has not passed yet',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The watcher on a fake clock

class FakeClock implements WatchClock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private ids = 0;

  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimer(id: unknown): void {
    this.timers.delete(id as number);
  }
  pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in order and letting their work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.timers].sort((x, y) => x[1].at - y[1].at)[0];
      if (!next || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = end;
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

/** A run function answering from a script per check; records when each check ran. */
function scripted(answers: Record<string, CheckStatus[]>, clock: FakeClock) {
  const runs: [string, number][] = [];
  const run = (s: CheckSpec): Promise<CheckResult> => {
    runs.push([s.id, clock.now()]);
    const status = answers[s.id]?.shift() ?? 'passing';
    return Promise.resolve({ status, output: `${s.id} ${status}` });
  };
  return { run, runs };
}

describe('CheckWatcher', () => {
  it('runs each check now, then an interval after its last run, on its own timer', async () => {
    const clock = new FakeClock();
    const fast = spec({ id: 'fast', name: 'fast', interval_ms: 1_000 });
    const slow = spec({ id: 'slow', name: 'slow', interval_ms: 3_000 });
    const { run, runs } = scripted({}, clock);
    const w = new CheckWatcher([fast, slow], target(), { clock, run });
    w.start();
    await clock.advance(3_500);
    expect(runs).toEqual([
      ['fast', 0],
      ['slow', 0],
      ['fast', 1000],
      ['fast', 2000],
      ['fast', 3000],
      ['slow', 3000],
    ]);
    await w.stop();
    expect(clock.pending()).toBe(0);
    await clock.advance(10_000);
    expect(runs).toHaveLength(6);
  });

  it('never runs a check twice at once, and counts the interval from its end', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    let finish: (() => void) | undefined;
    const run = (): Promise<CheckResult> => {
      starts.push(clock.now());
      return new Promise((resolve) => {
        finish = () => resolve({ status: 'passing', output: '' });
      });
    };
    const w = new CheckWatcher([spec({ interval_ms: 1_000 })], target(), { clock, run });
    w.start();
    await clock.advance(5_000);
    expect(starts).toEqual([0]);
    finish!();
    await clock.advance(999);
    expect(starts).toEqual([0]);
    await clock.advance(1);
    expect(starts).toEqual([0, 6_000]);
    finish!();
    await w.stop();
  });

  it('is healthy after success_before_passing, unhealthy past failures_before_critical', async () => {
    const clock = new FakeClock();
    const s = spec({
      success_before_passing: 2,
      failures_before_critical: 2,
      failures_before_warning: 2,
    });
    const { run } = scripted({ [s.id]: ['passing', 'passing', 'critical', 'critical'] }, clock);
    const w = new CheckWatcher([s], target(), { clock, run });
    const trail: string[] = [];
    w.start();
    for (let i = 0; i < 4; i++) {
      await clock.advance(i === 0 ? 0 : 10_000);
      trail.push(`${w.health().status}@${w.health().since}`);
    }
    expect(trail).toEqual(['pending@0', 'healthy@10000', 'healthy@10000', 'unhealthy@30000']);
    expect(w.health().detail).toBe('check "check" (service "web") is critical: web/check critical');
    await w.stop();
  });

  it('asks for a restart after check_restart limit, per task, until told of it', async () => {
    const clock = new FakeClock();
    const restart = { limit: 2, grace_ms: 5_000, ignore_warnings: false };
    const a = spec({ id: 'a', name: 'a', task: 'api', check_restart: restart });
    const b = spec({ id: 'b', name: 'b', task: 'api', check_restart: restart });
    const g = spec({ id: 'g', name: 'g', check_restart: restart });
    const down = Array<CheckStatus>(10).fill('critical');
    const { run, runs } = scripted({ a: [...down], b: [...down], g: ['passing'] }, clock);
    const w = new CheckWatcher([a, b, g], target(), { clock, run });
    w.start();
    // 0 s: in the grace; 10 s: first counted failure; 20 s: the second — due.
    await clock.advance(10_000);
    expect(w.restartDue()).toEqual([]);
    await clock.advance(10_000);
    expect(w.restartDue()).toEqual([
      {
        task: 'api',
        checks: ['a', 'b'],
        reason: 'healthcheck: check "a" unhealthy; healthcheck: check "b" unhealthy',
      },
    ]);
    runs.length = 0;
    w.restarted('api');
    expect(w.restartDue()).toEqual([]);
    expect(w.state('a')).toMatchObject({ status: 'pending', results: 0, grace_until: 25_000 });
    expect(w.state('g')!.results).toBe(3);
    await clock.advance(0);
    expect(runs).toEqual([
      ['a', 20_000],
      ['b', 20_000],
    ]);
    await w.stop();
  });

  it('drops a result of a run that began before a restart', async () => {
    const clock = new FakeClock();
    let finish: ((r: CheckResult) => void) | undefined;
    const run = () => new Promise<CheckResult>((resolve) => (finish = resolve));
    const s = spec({ task: 'api' });
    const w = new CheckWatcher([s], target(), { clock, run });
    w.start();
    await clock.advance(0);
    w.restarted('api');
    finish!({ status: 'critical', output: 'old' });
    await settle();
    expect(w.state(s.id)!.results).toBe(0);
    await w.stop();
  });

  it('turns a run that throws into a critical result', async () => {
    const clock = new FakeClock();
    const run = () => Promise.reject(new Error('transport closed'));
    const w = new CheckWatcher([spec()], target(), { clock, run });
    await w.runDue();
    expect(w.state('web/check')).toMatchObject({ status: 'critical', output: 'transport closed' });
  });

  it('reaches healthy against a real server on real timers', async () => {
    const s = spec({ port, path: '/ok', interval_ms: 50, success_before_passing: 3 });
    const results: CheckStatus[] = [];
    const w = new CheckWatcher([s], target(), { onResult: (_s, _st, r) => results.push(r.status) });
    w.start();
    const deadline = Date.now() + 5_000;
    while (w.health().status !== 'healthy' && Date.now() < deadline) await sleep(20);
    await w.stop();
    expect(w.health().status).toBe('healthy');
    expect(results.slice(0, 3)).toEqual(['passing', 'passing', 'passing']);
    expect(seen.filter((x) => x.url === '/ok').length).toBe(results.length);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

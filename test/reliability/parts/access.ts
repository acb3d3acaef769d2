/**
 * Part `access` (issue 17 item 6): a real `drover server` with ACLs on and TLS with
 * verify_client. Every route of the API (enumerated from src/server/api at run time, so new
 * routes are covered) is tried without a token, with a revoked token, with a token of another
 * namespace and with a read-only token: none may be accepted beyond its policy, and the denied
 * writes leave the state as it was. TLS without a client certificate, with one of another CA and
 * plain HTTP are refused. Then an SSH host whose key changed is refused by every command that
 * connects to it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allRoutes } from '../../../src/server/api/index.js';
import type { Access, NamespaceCapability, Route } from '../../../src/server/types.js';
import { startServerProcess, type ServerProcess } from '../../server/core/process.js';
import { makeCa, makeCert } from '../../support/docker-tls.js';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';
import { hostKeyRow } from '../b-hostkey.js';

type Pair = { cert: string; key: string };

interface Tls {
  ca: string;
  client?: Pair;
}

/** One HTTPS request; resolves with the status as soon as the headers arrive (streams too). */
function call(
  url: string,
  method: string,
  tls: Tls,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      {
        method,
        ca: readFileSync(tls.ca),
        ...(tls.client
          ? { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) }
          : {}),
        headers: {
          ...(opts.token ? { 'X-Nomad-Token': opts.token } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        const done = (): void => resolve({ status: res.statusCode ?? 0, body: text });
        // An event stream or a followed log never ends: the status is what is judged.
        const early = setTimeout(() => {
          done();
          req.destroy();
        }, 1_500);
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          clearTimeout(early);
          done();
        });
        res.on('error', () => undefined);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Nomad's `read` namespace policy (nomad/acl/policy.go expandNamespacePolicy). */
const NAMESPACE_READ: ReadonlySet<string> = new Set<
  NamespaceCapability | 'parse-job' | 'csi-list-volume' | 'csi-read-volume' | 'read-scaling-policy'
>([
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
]);

interface Identity {
  name: string;
  token?: string;
  /** Whether its policy allows a route of this access in the default namespace. */
  allows(access: Access): boolean;
}

const onlyPublic = (a: Access): boolean => a.kind === 'public';

/** The route's path with every parameter filled in with a name that exists nowhere. */
function concrete(route: Route): string {
  return route.path
    .split('/')
    .map((seg) => (seg.startsWith(':') || seg === '*' ? 'relb-probe' : seg))
    .join('/');
}

function stateSerial(path: string): number {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { serial: number }).serial;
  } catch {
    return -1;
  }
}

const READONLY_RULES = `namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\nagent {\n  policy = "read"\n}\noperator {\n  policy = "read"\n}\n`;
const OTHER_NS_RULES = `namespace "other" {\n  policy = "write"\n}\n`;

async function routeRows(
  server: ServerProcess,
  tls: Tls,
  statePath: string,
  ctx: PartContext,
): Promise<ReliabilityRow[]> {
  const url = server.url;
  const boot = await call(`${url}/v1/acl/bootstrap`, 'POST', tls);
  if (boot.status !== 200) throw new Error(`bootstrap: ${boot.status} ${boot.body}`);
  const management = (JSON.parse(boot.body) as { SecretID: string }).SecretID;
  const token = async (
    name: string,
    rules: string,
  ): Promise<{ SecretID: string; AccessorID: string }> => {
    const p = await call(`${url}/v1/acl/policy/${name}`, 'POST', tls, {
      token: management,
      body: { Name: name, Rules: rules },
    });
    if (p.status !== 200) throw new Error(`policy ${name}: ${p.status} ${p.body}`);
    const t = await call(`${url}/v1/acl/token`, 'POST', tls, {
      token: management,
      body: { Name: name, Type: 'client', Policies: [name] },
    });
    if (t.status !== 200) throw new Error(`token ${name}: ${t.status} ${t.body}`);
    return JSON.parse(t.body) as { SecretID: string; AccessorID: string };
  };
  const readonly = await token('readonly', READONLY_RULES);
  const other = await token('otherns', OTHER_NS_RULES);
  const revoked = await token('revoked', READONLY_RULES);
  const del = await call(`${url}/v1/acl/token/${revoked.AccessorID}`, 'DELETE', tls, {
    token: management,
  });
  if (del.status !== 200) throw new Error(`revoke: ${del.status} ${del.body}`);

  const identities: Identity[] = [
    { name: 'no token', allows: onlyPublic },
    { name: 'revoked token', token: revoked.SecretID, allows: onlyPublic },
    { name: 'token of another namespace', token: other.SecretID, allows: onlyPublic },
    {
      name: 'read-only token',
      token: readonly.SecretID,
      allows: (a) =>
        a.kind === 'public' ||
        (a.kind === 'namespace' && NAMESPACE_READ.has(a.capability)) ||
        ((a.kind === 'node' || a.kind === 'agent' || a.kind === 'operator') && a.level === 'read'),
    },
  ];
  const routes = allRoutes();
  const rows: ReliabilityRow[] = [];
  for (const who of identities) {
    const before = stateSerial(statePath);
    const lost: string[] = [];
    let passed = 0;
    let denied = 0;
    for (const route of routes) {
      const path = concrete(route);
      const r = await call(`${url}${path}`, route.method, tls, {
        ...(who.token ? { token: who.token } : {}),
        // A write carries a body as clients send it (DELETE none).
        ...(route.method === 'POST' || route.method === 'PUT' ? { body: {} } : {}),
      }).catch((e: Error) => ({ status: 0, body: e.message }));
      const refused = r.status === 403 || r.status === 401;
      if (refused) denied++;
      if (who.allows(route.access) || refused) passed++;
      else lost.push(`${route.method} ${route.path} → ${r.status} ${r.body.slice(0, 60).trim()}`);
    }
    const after = stateSerial(statePath);
    if (after !== before) lost.unshift(`the state changed (serial ${before} → ${after})`);
    rows.push({
      test: `access: every API route (${routes.length}) with ${who.name}, ACLs on`,
      tries: routes.length,
      passed: after !== before ? 0 : passed,
      lost:
        lost.length === 0
          ? 'nothing (0 accepted beyond policy; state unchanged)'
          : lost.slice(0, 4).join('; ').slice(0, 400),
      figures: `${denied} refused (403), ${routes.length - denied} allowed by policy`,
    });
    ctx.log(`access: ${who.name}: ${passed}/${routes.length}`);
  }
  return rows;
}

async function tlsRow(server: ServerProcess, tls: Tls, stranger: Pair): Promise<ReliabilityRow> {
  const url = `${server.url}/v1/regions`;
  const outcome = (p: Promise<{ status: number }>): Promise<string> =>
    p.then(
      (r) => `answered ${r.status}`,
      () => 'refused',
    );
  const tries = {
    'no client certificate': await outcome(call(url, 'GET', { ca: tls.ca })),
    'a client certificate of another CA': await outcome(
      call(url, 'GET', { ca: tls.ca, client: stranger }),
    ),
    'plain HTTP': await outcome(fetch(url.replace('https:', 'http:'))),
  };
  const good = await outcome(call(url, 'GET', tls));
  const lost = Object.entries(tries)
    .filter(([, o]) => o !== 'refused' && !/answered 4\d\d/.test(o))
    .map(([what, o]) => `${what}: ${o}`);
  if (good !== 'answered 200') lost.push(`the CA's client certificate: ${good}`);
  return {
    test: 'access: TLS with verify_client: no client certificate, another CA, plain HTTP',
    tries: 3,
    passed: 3 - lost.length,
    lost:
      lost.length === 0 ? 'nothing (all refused; the CA-signed client gets 200)' : lost.join('; '),
  };
}

export const part: ReliabilityPart = {
  name: 'access',
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'drover-rel-access-'));
    const certs = join(dir, 'certs');
    mkdirSync(certs);
    const rows: ReliabilityRow[] = [];
    let server: ServerProcess | undefined;
    try {
      const ca = await makeCa(certs, 'ca');
      const serverCert = await makeCert(certs, ca, 'server', { ip: '127.0.0.1' });
      const client = await makeCert(certs, ca, 'client', {});
      const otherDir = join(dir, 'other');
      mkdirSync(otherDir);
      const stranger = await makeCert(otherDir, await makeCa(otherDir, 'other-ca'), 'stranger', {});
      const statePath = join(dir, 'state.json');
      writeFileSync(
        join(dir, 'drover.hcl'),
        `state {\n  backend = "local"\n  path    = "${statePath}"\n}\n` +
          `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
          `server {\n  acl {\n    enabled = true\n  }\n  tls {\n    cert = "${serverCert.cert}"\n    key = "${serverCert.key}"\n` +
          `    ca = "${ca.cert}"\n    verify_client = true\n  }\n}\n`,
      );
      server = await startServerProcess(dir);
      const tls = { ca: ca.cert, client };
      rows.push(...(await routeRows(server, tls, statePath, ctx)));
      rows.push(await tlsRow(server, tls, stranger));
    } finally {
      await server?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
    rows.push(await hostKeyRow(ctx));
    return rows;
  },
};

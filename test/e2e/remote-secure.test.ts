/**
 * The CLI through a `drover server` (a real child process) that serves HTTPS, verifies client
 * certificates and enforces ACLs: the TLS flags and their DROVER_* variables, a read-only token
 * that may look (`status`) but not change (`apply`: the server's 403 as one line), and a client
 * without its certificate told in one line that it cannot reach the server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../support/docker-tls.js';
import { startServerProcess, type ServerProcess } from '../server/core/process.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-remote-tls-'));
const certs = join(dir, 'certs');
let server: ServerProcess;
let tls: { ca: string; cert: string; key: string };
let management: string;
let readOnly: string;

const SECRET_LINE = /^Secret ID\s+= ([0-9a-f-]{36})$/m;

beforeAll(async () => {
  mkdirSync(certs);
  const ca = await makeCa(certs, 'ca');
  const serverCert = await makeCert(certs, ca, 'server', { ip: '127.0.0.1' });
  const client = await makeCert(certs, ca, 'client', {});
  tls = { ca: ca.cert, cert: client.cert, key: client.key };
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
      `server {\n  acl {\n    enabled = true\n  }\n  tls {\n    cert = "${serverCert.cert}"\n    key = "${serverCert.key}"\n` +
      `    ca = "${ca.cert}"\n    verify_client = true\n  }\n}\n`,
  );
  writeFileSync(join(dir, 'read.hcl'), 'namespace "default" {\n  policy = "read"\n}\n');
  writeFileSync(
    join(dir, 'web.nomad.hcl'),
    'job "web" {\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/sleep"\n        args = ["600"]\n      }\n    }\n  }\n}\n',
  );
  server = await startServerProcess(dir);
  const env = tlsEnv();
  const boot = await drover(dir, ['acl', 'bootstrap'], { env });
  expect(boot.code, boot.stderr).toBe(0);
  management = SECRET_LINE.exec(boot.stdout)![1]!;
  const withRoot = { ...env, DROVER_TOKEN: management };
  expect(
    (await drover(dir, ['acl', 'policy', 'apply', 'read', 'read.hcl'], { env: withRoot })).code,
  ).toBe(0);
  const token = await drover(dir, ['acl', 'token', 'create', '-policy', 'read'], { env: withRoot });
  readOnly = SECRET_LINE.exec(token.stdout)![1]!;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The server and the client's TLS files through DROVER_* variables. */
function tlsEnv(): Record<string, string> {
  return {
    DROVER_ADDR: server.url,
    DROVER_CACERT: tls.ca,
    DROVER_CLIENT_CERT: tls.cert,
    DROVER_CLIENT_KEY: tls.key,
  };
}

describe('the CLI through a server with TLS and ACLs', () => {
  it('reads with a read-only token from DROVER_TOKEN, and is refused a change in one line', async () => {
    const env = { ...tlsEnv(), DROVER_TOKEN: readOnly };
    const status = await drover(dir, ['status'], { env });
    expect([status.code, status.stdout, status.stderr]).toEqual([
      0,
      'No jobs in namespace "default".\n',
      '',
    ]);
    const apply = await drover(dir, ['apply', '-auto-approve', 'web.nomad.hcl'], { env });
    expect([apply.code, apply.stdout, apply.stderr]).toEqual([1, '', 'error: Permission denied\n']);
    const stop = await drover(dir, ['stop', '-auto-approve', 'web'], { env });
    expect([stop.code, stop.stderr]).toEqual([1, 'error: Permission denied\n']);
    // Without a token the server says who is missing.
    const { DROVER_TOKEN: _t, ...anonymous } = env;
    const denied = await drover(dir, ['status'], { env: anonymous });
    expect(denied.code).toBe(1);
    expect(denied.stderr.split('\n')).toHaveLength(2);
  }, 60_000);

  it('takes the address, token and TLS files as flags too', async () => {
    const flags = [
      '-address',
      server.url,
      '-ca-cert',
      tls.ca,
      '-client-cert',
      tls.cert,
      '-client-key',
      tls.key,
      '-token',
      management,
    ];
    const plan = await drover(dir, ['plan', ...flags, 'web.nomad.hcl']);
    expect([plan.code, plan.stderr]).toEqual([0, '']);
    expect(plan.stdout).toContain('+ Job: "web"');
    const status = await drover(dir, [...flags, 'status', '-json']);
    expect(JSON.parse(status.stdout)).toEqual({ jobs: [], drift: [] });
  }, 60_000);

  it('cannot connect without the client certificate, and says so in one line', async () => {
    const { DROVER_CLIENT_CERT: _c, DROVER_CLIENT_KEY: _k, ...noClient } = tlsEnv();
    const r = await drover(dir, ['status'], { env: { ...noClient, DROVER_TOKEN: readOnly } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^error: cannot reach the drover server at ${server.url}: .+\\n$`),
    );
  }, 30_000);
});

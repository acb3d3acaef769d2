/**
 * Follower write forwarding on two real `drover server` processes on one PostgreSQL state: a
 * write sent to the follower is done by the leader (with the caller's token) and its answer
 * relayed; with the leader gone, the follower answers Nomad's way (500 "No cluster leader")
 * until it leads itself, then writes on its own. With TLS (two servers on one local state) the
 * follower reaches the leader over HTTPS with the server's CA.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../../support/docker-tls.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { eventually, startServerProcess, type ServerProcess } from './process.js';

const TTL_MS = 4000;
const dir = mkdtempSync(join(tmpdir(), 'drover-server-forward-'));
let db: TestDatabase;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('drover_server_forward');
  writeFileSync(
    join(dir, 'drover.hcl'),
    `state {\n  backend = "postgres"\n  url = "${db.url}"\n}\n` +
      `server {\n  lease_ttl = "${TTL_MS / 1000}s"\n  acl {\n    enabled = true\n  }\n}\n`,
  );
});

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const policy = (name: string) =>
  JSON.stringify({ Name: name, Rules: 'namespace "default" { policy = "read" }' });

function putPolicy(s: ServerProcess, name: string, headers: Record<string, string>) {
  return fetch(`${s.url}/v1/acl/policy/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: policy(name),
  });
}

describe('a follower forwards writes to the leader', () => {
  it('relays the leader’s answers, then refuses without a leader, then writes itself', async () => {
    const a = await startServerProcess(dir, ['-name', 'a']);
    servers.push(a);
    const b = await startServerProcess(dir, ['-name', 'b']);
    servers.push(b);
    const aAddr = a.url.replace('http://', '');

    // Reads on the follower say truthfully that a leader is known.
    const read = await fetch(`${b.url}/v1/status/leader`);
    expect(await read.json()).toBe(aAddr);
    expect(read.headers.get('X-Nomad-KnownLeader')).toBe('true');

    // The bootstrap sent to b is done by a (its log names the write), answered through b.
    const boot = await fetch(`${b.url}/v1/acl/bootstrap`, { method: 'POST' });
    expect(boot.status).toBe(200);
    const token = (await boot.json()) as { SecretID: string; Type: string };
    expect(token.Type).toBe('management');
    expect(Number(boot.headers.get('X-Nomad-Index'))).toBeGreaterThan(0);
    await eventually(
      () => Promise.resolve(a.stderr().includes('acl bootstrap: bootstrapped ACLs')),
      2000,
      'the leader logs the bootstrap',
    );
    expect(b.stderr()).not.toContain('acl bootstrap: bootstrapped ACLs');
    // The leader's refusal comes back as it was given.
    const again = await fetch(`${b.url}/v1/acl/bootstrap`, { method: 'POST' });
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/bootstrap already done/i);

    // Both token headers travel with the body; no token is refused.
    expect((await putPolicy(b, 'one', { 'X-Nomad-Token': token.SecretID })).status).toBe(200);
    const bearer = await putPolicy(b, 'two', { Authorization: `Bearer ${token.SecretID}` });
    expect(bearer.status).toBe(200);
    expect((await putPolicy(b, 'three', {})).status).toBe(403);
    const list = await fetch(`${a.url}/v1/acl/policies`, {
      headers: { 'X-Nomad-Token': token.SecretID },
    });
    expect(((await list.json()) as { Name: string }[]).map((p) => p.Name).sort()).toEqual([
      'one',
      'two',
    ]);

    // The leader dies: until b leads, a write to b finds no leader, as on Nomad.
    await a.stop('SIGKILL');
    const orphan = await putPolicy(b, 'four', { 'X-Nomad-Token': token.SecretID });
    expect(orphan.status).toBe(500);
    expect(await orphan.text()).toBe('No cluster leader\n');
    expect(b.stderr()).toMatch(
      /forwarding POST \/v1\/acl\/policy\/four to the leader at \S+ failed/,
    );

    await eventually(
      async () => (await putPolicy(b, 'four', { 'X-Nomad-Token': token.SecretID })).status === 200,
      TTL_MS + 3000,
      'b writes once it leads',
    );
    expect(b.stderr()).toContain('acl policy apply: created policy "four"');
    expect(await b.stop('SIGTERM')).toBe(0);
  });
});

/** A POST over HTTPS trusting `ca`. */
function postTls(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: readFileSync(ca) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a follower forwards writes over HTTPS', () => {
  it('reaches the leader with the server’s CA', async () => {
    const tlsDir = join(dir, 'tls');
    const certs = join(tlsDir, 'certs');
    mkdirSync(certs, { recursive: true });
    const ca = await makeCa(certs, 'ca');
    const cert = await makeCert(certs, ca, 'server', { ip: '127.0.0.1' });
    writeFileSync(
      join(tlsDir, 'drover.hcl'),
      `server {\n  acl {\n    enabled = true\n  }\n  tls {\n    cert = "${cert.cert}"\n    key = "${cert.key}"\n` +
        `    ca = "${ca.cert}"\n  }\n}\n`,
    );
    const leader = await startServerProcess(tlsDir, ['-name', 'one']);
    servers.push(leader);
    const follower = await startServerProcess(tlsDir, ['-name', 'two']);
    servers.push(follower);
    expect(follower.url).toMatch(/^https:/);
    const boot = await postTls(`${follower.url}/v1/acl/bootstrap`, ca.cert);
    expect(boot.status).toBe(200);
    expect(JSON.parse(boot.body)).toMatchObject({ Type: 'management' });
    expect(leader.stderr()).toContain('acl bootstrap: bootstrapped ACLs');
    expect(follower.stderr()).not.toContain('acl bootstrap: bootstrapped ACLs');
  });
});

/**
 * The real `drover server` process on a local state: the listening line, the agent endpoints, a
 * blocking query released by `drover apply` run from the CLI beside it, a second server on the
 * same state as a follower that takes over when the leader stops, SIGTERM exiting 0, and a
 * server with ACLs enabled refusing to start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drover } from '../../e2e/cli.js';
import { eventually, startServerProcess, type ServerProcess } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-server-e2e-'));
const JOB = join(dir, 'once.nomad.hcl');
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
    `server {\n  name = "one"\n  lease_ttl = "2s"\n}\n`,
);
writeFileSync(
  JOB,
  `job "once" {\n  type = "batch"\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n` +
    `      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n`,
);

/** A JSON object as the tests look into it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let leader: ServerProcess;
const started: ServerProcess[] = [];

async function get(url: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const r = await fetch(url);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: r.status, headers: r.headers, body };
}

beforeAll(async () => {
  leader = await startServerProcess(dir);
  started.push(leader);
});

afterAll(async () => {
  for (const s of started) await s.stop('SIGKILL');
  await drover(dir, ['stop', '-auto-approve', '-purge', 'once']);
  rmSync(dir, { recursive: true, force: true });
});

describe('drover server on a local state', () => {
  it('prints one listening line on stdout and logs to stderr', () => {
    expect(leader.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(leader.stdout().trim().split('\n')).toHaveLength(1);
    expect(leader.stderr()).toContain('one is the leader');
  });

  it('answers the agent endpoints in Nomad shapes', async () => {
    const address = leader.url.replace('http://', '');
    const lead = await get(`${leader.url}/v1/status/leader`);
    expect(lead.body).toBe(address);
    expect(lead.headers.get('x-nomad-knownleader')).toBe('true');
    expect(Number(lead.headers.get('x-nomad-index'))).toBeGreaterThanOrEqual(1);
    expect((await get(`${leader.url}/v1/status/peers`)).body).toEqual([address]);
    const self = (await get(`${leader.url}/v1/agent/self`)).body as Json;
    expect(self.config).toMatchObject({
      Region: 'global',
      Datacenter: 'dc1',
      Version: { Version: expect.any(String) },
      ACL: { Enabled: false },
    });
    expect(self.member).toMatchObject({
      Name: 'one.global',
      Addr: '127.0.0.1',
      Port: Number(address.split(':')[1]),
      Status: 'alive',
      Tags: expect.objectContaining({ region: 'global', dc: 'dc1' }),
    });
    expect(self.stats).toBeTypeOf('object');
    expect((await get(`${leader.url}/v1/agent/health`)).body).toEqual({
      server: { ok: true, message: 'ok' },
    });
    const members = (await get(`${leader.url}/v1/agent/members`)).body as Json;
    expect(members).toMatchObject({ ServerName: 'one', ServerRegion: 'global', ServerDC: 'dc1' });
    expect(members.Members).toHaveLength(1);
    expect((await get(`${leader.url}/v1/regions`)).body).toEqual(['global']);
    const namespaces = (await get(`${leader.url}/v1/namespaces`)).body as Json[];
    expect(namespaces.map((n) => n.Name as string)).toEqual(['default']);
    expect(Object.keys(namespaces[0]!)).toEqual(
      expect.arrayContaining([
        'Name',
        'Description',
        'Quota',
        'Capabilities',
        'Meta',
        'CreateIndex',
        'ModifyIndex',
      ]),
    );
    expect((await get(`${leader.url}/v1/nothing`)).status).toBe(404);
  });

  it('releases a blocking query when drover apply writes the state beside it', async () => {
    const before = Number((await get(`${leader.url}/v1/namespaces`)).headers.get('x-nomad-index'));
    const t0 = Date.now();
    const blocked = fetch(`${leader.url}/v1/namespaces?index=${before}&wait=60s`).then((r) => ({
      at: Date.now(),
      index: Number(r.headers.get('x-nomad-index')),
    }));
    const apply = await drover(dir, ['apply', '-auto-approve', JOB]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const got = await blocked;
    expect(got.index).toBeGreaterThan(before);
    expect(got.at - t0).toBeLessThan(60_000);
  });

  it('a second server on the same state is a follower that knows the leader', async () => {
    const follower = await startServerProcess(dir, ['-name', 'two']);
    started.push(follower);
    expect(follower.stderr()).toContain('two is a follower');
    const address = leader.url.replace('http://', '');
    expect((await get(`${follower.url}/v1/status/leader`)).body).toBe(address);
    const self = (await get(`${follower.url}/v1/agent/self`)).body as Json;
    expect(self.stats.nomad.leader).toBe('false');
    const lastContact = (await get(`${follower.url}/v1/regions`)).headers;
    expect(lastContact.get('x-nomad-knownleader')).toBe('true');

    // SIGTERM: the leader exits 0 and gives the lease up; the follower takes it.
    expect(await leader.stop('SIGTERM')).toBe(0);
    expect(leader.stderr()).toContain('stopped');
    const own = follower.url.replace('http://', '');
    await eventually(
      async () => (await get(`${follower.url}/v1/status/leader`)).body === own,
      5_000,
      'the follower takes over',
    );
    expect(follower.stderr()).toContain('two is the leader');
    expect(await follower.stop('SIGINT')).toBe(0);
  });

  it('refuses to start with ACLs enabled until they are built', async () => {
    const acl = mkdtempSync(join(tmpdir(), 'drover-server-acl-'));
    try {
      writeFileSync(join(acl, 'drover.hcl'), 'server {\n  acl {\n    enabled = true\n  }\n}\n');
      const r = await drover(acl, ['server', '-port', '0']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ACLs are not built yet');
      expect(r.stdout).toBe('');
    } finally {
      rmSync(acl, { recursive: true, force: true });
    }
  });
});

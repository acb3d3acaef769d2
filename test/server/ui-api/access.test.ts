/**
 * Who may do what through the web UI's API, on a real server with ACLs on (tokens made through
 * the ACL endpoints) and the CLI beside it: whoami per token; a read-only token may list and
 * read plans but not approve, apply or restart; a management token restarts an allocation (a
 * new one replaces it) and every allocation of a job; a write whose Origin is another site is
 * refused; with ACLs off the actor is X-Drover-Actor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocProcesses } from '../../providers/process-harness.js';
import { eventually, planfileHash, startUiServer, type UiServer } from './harness.js';

interface WhoAmI {
  ACLEnabled: boolean;
  Actor: string;
  Management: boolean;
  Namespaces: Record<string, string[]>;
  Node: string;
  ApproveRequired: number;
}

describe('the web UI API with ACLs on', () => {
  let t: UiServer;
  let root = '';
  let reader = '';
  let writer = '';
  beforeAll(async () => {
    t = await startUiServer({ acl: true });
    root = (await t.request('POST', '/v1/acl/bootstrap')).json<{ SecretID: string }>().SecretID;
    const policy = async (name: string, rules: string) =>
      expect(
        (
          await t.request('POST', `/v1/acl/policy/${name}`, {
            token: root,
            body: { Name: name, Rules: rules },
          })
        ).status,
      ).toBe(200);
    await policy(
      'readonly',
      'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n',
    );
    await policy('deployer', 'namespace "*" {\n  policy = "write"\n}\n');
    const token = async (name: string, policies: string[]) =>
      (
        await t.request('POST', '/v1/acl/token', {
          token: root,
          body: { Name: name, Type: 'client', Policies: policies },
        })
      ).json<{ SecretID: string }>().SecretID;
    reader = await token('rita', ['readonly']);
    writer = await token('walt', ['deployer']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('says what each token may do', async () => {
    const who = async (token?: string) =>
      (await t.request('GET', '/v1/drover/whoami', token ? { token } : {})).json<WhoAmI>();
    const ro = await who(reader);
    expect(ro).toMatchObject({ ACLEnabled: true, Actor: 'rita', Management: false, Node: 'read' });
    expect(ro.Namespaces.default).toContain('read-job');
    expect(ro.Namespaces.default).not.toContain('submit-job');
    const rw = await who(writer);
    expect(rw).toMatchObject({ Actor: 'walt', Management: false, Node: 'deny' });
    expect(rw.Namespaces['*']).toEqual(expect.arrayContaining(['submit-job', 'alloc-lifecycle']));
    const mgmt = await who(root);
    expect(mgmt).toMatchObject({ Management: true, Node: 'write', ApproveRequired: 0 });
    expect(mgmt.Namespaces['*']).toContain('submit-job');
    // The header names the actor only with ACLs off: here the token's name wins.
    const header = await t.request('GET', '/v1/drover/whoami', { token: writer, actor: 'mallory' });
    expect(header.json<WhoAmI>().Actor).toBe('walt');
    const anonymous = await who();
    expect(anonymous).toMatchObject({ Actor: 'anonymous', Namespaces: {}, Node: 'deny' });
    expect((await t.request('GET', '/v1/drover/whoami', { token: 'no-such' })).status).toBe(403);
  });

  it('lets a read-only token read plans, and refuses its approve, reject and apply', async () => {
    t.writeJob('web');
    expect((await t.cli('alice', 'plan', '-out', 'p.plan', 'jobs')).code).toBe(0);
    const hash = planfileHash(t.dir, 'p.plan');
    const listed = await t.request('GET', '/v1/drover/plans', { token: reader });
    expect(listed.json<{ Hash: string }[]>().map((p) => p.Hash)).toEqual([hash]);
    expect((await t.request('GET', `/v1/drover/plan/${hash}`, { token: reader })).status).toBe(200);
    expect((await t.request('GET', '/v1/drover/plans')).json()).toEqual([]);
    for (const what of ['approve', 'reject', 'apply']) {
      const r = await t.request('POST', `/v1/drover/plan/${hash}/${what}`, { token: reader });
      expect([what, r.status]).toEqual([what, 403]);
    }
    expect((await t.state()).approvals ?? []).toEqual([]);
    const made = await t.request('POST', '/v1/drover/plans', {
      token: reader,
      body: { JobHCL: 'job "x" {}' },
    });
    expect(made.status).toBe(403);
    // The deployer applies it (no approvals required); the audit names the token.
    const applied = await t.request('POST', `/v1/drover/plan/${hash}/apply`, { token: writer });
    expect(applied.status).toBe(200);
    const audit = (await t.request('GET', '/v1/drover/audit', { token: reader })).json<
      { Command: string; Actor: string }[]
    >();
    expect(audit.at(-1)).toMatchObject({ Command: 'apply', Actor: 'walt' });
  });

  it('restarts an allocation and a job for alloc-lifecycle, not for a read-only token', async () => {
    const before = Object.values((await t.state()).allocations).find(
      (a) => a.job === 'web' && a.desired_status === 'run',
    )!;
    await eventually(() => allocProcesses(before.id).length > 0, 10_000);
    const path = `/v1/client/allocation/${before.id}/restart`;
    expect(
      (await t.request('POST', path, { token: reader, body: { TaskName: 'sleep' } })).status,
    ).toBe(403);
    const wrongTask = await t.request('POST', path, { token: writer, body: { TaskName: 'nope' } });
    expect(wrongTask.status).toBe(400);
    expect(wrongTask.text).toContain('task "nope"');
    const restarted = await t.request('POST', path, { token: writer, body: { TaskName: 'sleep' } });
    expect(restarted.text).not.toContain('rror');
    expect(restarted.status).toBe(200);
    const after = await t.state();
    expect(after.allocations[before.id]?.desired_status).not.toBe('run');
    const replacement = Object.values(after.allocations).find(
      (a) => a.job === 'web' && a.desired_status === 'run',
    )!;
    expect(replacement.id).not.toBe(before.id);
    await eventually(() => allocProcesses(replacement.id).length > 0, 10_000);
    expect(allocProcesses(replacement.id).length).toBeGreaterThan(0);
    await eventually(() => allocProcesses(before.id).length === 0, 10_000);
    expect(allocProcesses(before.id)).toEqual([]);

    const job = '/v1/drover/job/web/restart';
    expect((await t.request('POST', job, { token: reader, body: {} })).status).toBe(403);
    const none = await t.request('POST', job, { token: writer, body: { FailedOnly: true } });
    expect(none.status).toBe(400);
    expect(none.text).toContain('no failed allocations');
    expect((await t.request('POST', job, { token: writer })).status).toBe(200);
    const third = Object.values((await t.state()).allocations).filter(
      (a) => a.job === 'web' && a.desired_status === 'run',
    );
    expect(third.map((a) => a.id)).not.toContain(replacement.id);
    expect(third).toHaveLength(1);
    const audit = (await t.request('GET', '/v1/drover/audit?job=web', { token: root })).json<
      { Command: string; Actor: string }[]
    >();
    expect(audit.slice(-2)).toMatchObject([
      { Command: 'restart', Actor: 'walt' },
      { Command: 'restart', Actor: 'walt' },
    ]);
  });

  it('refuses a write whose Origin is another site', async () => {
    const path = `/v1/drover/plan/sha256:${'0'.repeat(64)}/reject`;
    const host = new URL(t.url).host;
    const forged = await t.request('POST', path, {
      token: writer,
      headers: { Origin: 'https://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('https://evil.example');
    const nullOrigin = await t.request('POST', path, {
      token: writer,
      headers: { Origin: 'null' },
    });
    expect(nullOrigin.status).toBe(403);
    // The server's own pages pass the check (and meet the next one: no such plan).
    const own = await t.request('POST', path, {
      token: writer,
      headers: { Origin: `http://${host}` },
    });
    expect(own.status).toBe(404);
    // Reads are not writes.
    const read = await t.request('GET', '/v1/drover/plans', {
      token: writer,
      headers: { Origin: 'https://evil.example' },
    });
    expect(read.status).toBe(200);
  });
});

describe('the web UI API with ACLs off', () => {
  let t: UiServer;
  beforeAll(async () => {
    t = await startUiServer({ approvalsRequired: 2 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes the actor from X-Drover-Actor, else anonymous', async () => {
    const named = (await t.request('GET', '/v1/drover/whoami', { actor: 'ada' })).json<WhoAmI>();
    expect(named).toMatchObject({
      ACLEnabled: false,
      Actor: 'ada',
      Management: true,
      Node: 'write',
      ApproveRequired: 2,
    });
    expect(named.Namespaces['*']).toContain('submit-job');
    const anonymous = (await t.request('GET', '/v1/drover/whoami')).json<WhoAmI>();
    expect(anonymous.Actor).toBe('anonymous');
    const bad = await t.request('GET', '/v1/drover/whoami', { actor: 'a'.repeat(200) });
    expect(bad.status).toBe(400);
  });
});

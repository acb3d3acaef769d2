/**
 * The ACL endpoints and the authorizer on a real ServerContext over local state (handlers
 * called through support.ts until the core's HTTP layer lands): bootstrap once, tokens stored
 * hashed, anonymous and read-only tokens held to their policies, revoked and expired tokens
 * refused, every write in the audit trail with its actor and never a secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../../src/server/acl/index.js';
import { ApiError } from '../../../src/server/types.js';
import { hashSecret } from '../../../src/server/acl/state.js';
import { startAclServer, stateText, type AclServer } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Token {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: string;
  Policies: string[] | null;
  CreateIndex: number;
  ModifyIndex: number;
  ExpirationTime?: string;
  ExpirationTTL?: string;
}

let server: AclServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(aclEnabled = true, now?: () => number): Promise<AclServer> {
  server = await startAclServer({ aclEnabled, ...(now ? { now } : {}) });
  return server;
}

async function bootstrap(s: AclServer): Promise<Token> {
  const r = await s.call('POST', '/v1/acl/bootstrap');
  expect(r.status).toBe(200);
  return r.json as Token;
}

const READONLY = `
namespace "default" {
  policy = "read"
}
node {
  policy = "read"
}
`;

async function putPolicy(s: AclServer, token: string, name: string, rules: string) {
  return s.call('POST', `/v1/acl/policy/${name}`, {
    token,
    body: { Name: name, Description: `${name} access`, Rules: rules },
  });
}

async function createToken(s: AclServer, token: string, body: Record<string, unknown>) {
  return s.call('POST', '/v1/acl/token', { token, body });
}

describe('ACLs disabled', () => {
  it('answers every ACL endpoint 400 "ACL support disabled" and allows everything', async () => {
    const s = await start(false);
    for (const [method, path] of [
      ['POST', '/v1/acl/bootstrap'],
      ['GET', '/v1/acl/token/self'],
      ['GET', '/v1/acl/tokens'],
      ['GET', '/v1/acl/policies'],
      ['DELETE', '/v1/acl/policy/x'],
    ] as const) {
      expect(await s.call(method, path)).toEqual({ status: 400, text: 'ACL support disabled' });
    }
    const anyone = await createAuthorizer(s.ctx).identify('not-a-token');
    expect(anyone.management).toBe(true);
    expect(anyone.allows({ kind: 'namespace', capability: 'submit-job' }, 'default')).toBe(true);
  });
});

describe('bootstrap', () => {
  it('creates the management token once, shows its secret once, stores only its hash', async () => {
    const s = await start();
    const token = await bootstrap(s);
    expect(token).toMatchObject({ Name: 'Bootstrap Token', Type: 'management', Policies: null });
    expect(token.AccessorID).toMatch(UUID);
    expect(token.SecretID).toMatch(UUID);
    expect(Object.keys(token).sort()).toEqual(
      [
        'AccessorID',
        'SecretID',
        'Name',
        'Type',
        'Policies',
        'Roles',
        'Global',
        'Hash',
        'CreateTime',
        'ExpirationTTL',
        'CreateIndex',
        'ModifyIndex',
      ].sort(),
    );

    const again = await s.call('POST', '/v1/acl/bootstrap');
    expect(again).toEqual({
      status: 400,
      text: `ACL bootstrap already done (reset index: ${token.CreateIndex})`,
    });

    const text = await stateText(s);
    expect(text).not.toContain(token.SecretID);
    expect(text).toContain(hashSecret(token.SecretID));
    expect(s.logs.join('\n')).not.toContain(token.SecretID);
    // The listing never carries a secret, nor does a read of another token.
    const list = await s.call('GET', '/v1/acl/tokens', { token: token.SecretID });
    expect(JSON.stringify(list.json)).not.toContain(token.SecretID);
  });

  it('takes a BootstrapSecret (a UUID) and refuses anything else', async () => {
    const s = await start();
    expect(
      await s.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: 'hunter2' } }),
    ).toEqual({ status: 400, text: 'invalid acl bootstrap secret, must be a uuid' });
    const secret = '3f9d1c2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
    const r = await s.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: secret } });
    expect((r.json as Token).SecretID).toBe(secret);
    const self = await s.call('GET', '/v1/acl/token/self', { bearer: secret });
    expect(self.json).toMatchObject({ SecretID: secret, Type: 'management' });
  });
});

describe('tokens and policies', () => {
  it('holds a read-only token to reads, and refuses anonymous writes', async () => {
    const s = await start();
    const root = (await bootstrap(s)).SecretID;
    const applied = await putPolicy(s, root, 'readonly', READONLY);
    expect([applied.status, applied.json]).toEqual([200, { Warnings: '' }]);
    // Accepted, and said to be unenforced, with the line and column of the rule.
    const volumes = await putPolicy(
      s,
      root,
      'volumes',
      'host_volume "x" {\n  policy = "read"\n}\n',
    );
    expect([volumes.status, volumes.json]).toEqual([
      200,
      {
        Warnings:
          'policy volumes:1:1: host_volume rules are accepted but drover has nothing to enforce them on (it has no host volumes)',
      },
    ]);
    expect((await s.call('DELETE', '/v1/acl/policy/volumes', { token: root })).status).toBe(200);
    const created = await createToken(s, root, {
      Name: 'dashboards',
      Type: 'client',
      Policies: ['readonly'],
    });
    expect(created.status).toBe(200);
    const ro = created.json as Token;
    expect(ro).toMatchObject({ Name: 'dashboards', Type: 'client', Policies: ['readonly'] });
    expect(ro.SecretID).toMatch(UUID);

    const authz = createAuthorizer(s.ctx);
    const who = await authz.identify(ro.SecretID);
    expect(who.actor).toEqual({ name: 'dashboards', accessorId: ro.AccessorID });
    expect(who.management).toBe(false);
    const ns = (capability: 'read-job' | 'list-jobs' | 'submit-job' | 'read-logs') =>
      who.allows({ kind: 'namespace', capability }, 'default');
    expect([ns('read-job'), ns('list-jobs'), ns('submit-job'), ns('read-logs')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(who.allows({ kind: 'namespace', capability: 'read-job' }, 'other')).toBe(false);
    expect(who.allows({ kind: 'node', level: 'read' })).toBe(true);
    expect(who.allows({ kind: 'node', level: 'write' })).toBe(false);
    expect(who.allows({ kind: 'agent', level: 'read' })).toBe(false);
    expect(who.allows({ kind: 'management' })).toBe(false);

    // Management endpoints refuse it; it reads itself and its own policy.
    expect((await s.call('GET', '/v1/acl/tokens', { token: ro.SecretID })).status).toBe(403);
    expect((await putPolicy(s, ro.SecretID, 'mine', READONLY)).status).toBe(403);
    expect(
      (await s.call('GET', `/v1/acl/token/${ro.AccessorID}`, { token: ro.SecretID })).json,
    ).toMatchObject({ AccessorID: ro.AccessorID, SecretID: ro.SecretID });
    expect(
      (await s.call('GET', '/v1/acl/policy/readonly', { token: ro.SecretID })).json,
    ).toMatchObject({ Name: 'readonly', Rules: READONLY });
    const policies = await s.call('GET', '/v1/acl/policies', { token: ro.SecretID });
    expect((policies.json as { Name: string }[]).map((p) => p.Name)).toEqual(['readonly']);

    // Anonymous: no anonymous policy, nothing allowed; writes refused.
    const anon = await authz.identify(undefined);
    expect(anon.actor.name).toBe('anonymous');
    expect(anon.allows({ kind: 'namespace', capability: 'list-jobs' }, 'default')).toBe(false);
    expect((await putPolicy(s, '', 'x', READONLY)).status).toBe(403);
    expect((await s.call('POST', '/v1/acl/token', { body: { Type: 'management' } })).status).toBe(
      403,
    );
    expect((await s.call('GET', '/v1/acl/token/self')).json).toMatchObject({
      AccessorID: 'anonymous',
      Name: 'Anonymous Token',
    });

    // An anonymous policy opens reads to everyone, never writes.
    expect((await putPolicy(s, root, 'anonymous', READONLY)).status).toBe(200);
    const anon2 = await authz.identify(undefined);
    expect(anon2.allows({ kind: 'namespace', capability: 'list-jobs' }, 'default')).toBe(true);
    expect(anon2.allows({ kind: 'namespace', capability: 'submit-job' }, 'default')).toBe(false);
    expect((await putPolicy(s, '', 'y', READONLY)).status).toBe(403);
  });

  it('refuses an unknown secret, a revoked token and an expired one', async () => {
    let now = Date.parse('2026-12-07T12:00:00Z');
    const s = await start(true, () => now);
    const root = (await bootstrap(s)).SecretID;
    const authz = createAuthorizer(s.ctx);
    const refused = async (secret: string) => {
      const e: unknown = await authz.identify(secret).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ApiError);
      return [(e as ApiError).status, (e as ApiError).message];
    };
    expect(await refused('00000000-0000-4000-8000-000000000000')).toEqual([
      403,
      'ACL token not found',
    ]);
    expect((await s.call('GET', '/v1/acl/token/self', { token: 'nope' })).text).toBe(
      'ACL token not found',
    );

    await putPolicy(s, root, 'readonly', READONLY);
    const t = (await createToken(s, root, { Name: 'ci', Type: 'client', Policies: ['readonly'] }))
      .json as Token;
    expect((await authz.identify(t.SecretID)).actor.name).toBe('ci');
    expect((await s.call('DELETE', `/v1/acl/token/${t.AccessorID}`, { token: root })).status).toBe(
      200,
    );
    expect(await refused(t.SecretID)).toEqual([403, 'ACL token not found']);
    expect((await s.call('DELETE', `/v1/acl/token/${t.AccessorID}`, { token: root })).status).toBe(
      400,
    );

    const short = (
      await createToken(s, root, {
        Name: 'short',
        Type: 'client',
        Policies: ['readonly'],
        ExpirationTTL: '10m',
      })
    ).json as Token;
    expect(short.ExpirationTime).toBe('2026-12-07T12:10:00.000Z');
    expect(short.ExpirationTTL).toBe('10m0s');
    expect((await authz.identify(short.SecretID)).actor.name).toBe('short');
    now += 10 * 60_000;
    expect(await refused(short.SecretID)).toEqual([403, 'ACL token expired']);
  });

  it('checks tokens as Nomad does', async () => {
    const s = await start();
    const root = (await bootstrap(s)).SecretID;
    await putPolicy(s, root, 'readonly', READONLY);
    const bad = async (body: Record<string, unknown>) => (await createToken(s, root, body)).text;
    expect(await bad({ Type: 'client' })).toBe(
      'token invalid: client token missing policies or roles',
    );
    expect(await bad({ Type: 'management', Policies: ['readonly'] })).toBe(
      'token invalid: management token cannot be associated with policies or roles',
    );
    expect(await bad({ Type: 'root' })).toBe(
      'token invalid: token type must be client or management',
    );
    expect(await bad({ Type: 'client', Policies: ['nope'] })).toBe(
      'token invalid: cannot find policy nope',
    );
    expect(await bad({ Type: 'client', Policies: ['readonly'], ExpirationTTL: '10s' })).toBe(
      'token invalid: expiration time cannot be less than 1m0s in the future',
    );
    expect(await bad({ Type: 'client', Policies: ['readonly'], ExpirationTTL: '48h' })).toBe(
      'token invalid: expiration time cannot be more than 24h0m0s in the future',
    );
  });

  it('updates a token by accessor, keeping its secret; the path and body must agree', async () => {
    const s = await start();
    const root = (await bootstrap(s)).SecretID;
    await putPolicy(s, root, 'readonly', READONLY);
    await putPolicy(s, root, 'ops', 'namespace "*" {\n  policy = "write"\n}\n');
    const t = (await createToken(s, root, { Name: 'ci', Type: 'client', Policies: ['readonly'] }))
      .json as Token;
    const path = `/v1/acl/token/${t.AccessorID}`;
    expect(
      (await s.call('POST', path, { token: root, body: { AccessorID: 'other', Type: 'client' } }))
        .text,
    ).toBe('ACL token accessor does not match request path');
    const updated = await s.call('POST', path, {
      token: root,
      body: { AccessorID: t.AccessorID, Name: 'ci', Type: 'client', Policies: ['ops'] },
    });
    expect(updated.json).toMatchObject({ Policies: ['ops'], CreateIndex: t.CreateIndex });
    // drover keeps only the hash: the secret is not in an update's answer, nor in a management
    // token's read of another token; the token's own read has the secret its caller sent.
    expect(updated.json).not.toHaveProperty('SecretID');
    const byRoot = await s.call('GET', path, { token: root });
    expect(byRoot.json).toMatchObject({ AccessorID: t.AccessorID });
    expect(byRoot.json).not.toHaveProperty('SecretID');
    expect((await s.call('GET', path, { token: t.SecretID })).json).toMatchObject({
      SecretID: t.SecretID,
    });
    const who = await createAuthorizer(s.ctx).identify(t.SecretID);
    expect(who.allows({ kind: 'namespace', capability: 'submit-job' }, 'default')).toBe(true);
  });

  it('refuses a bad policy with its line and column, and names a missing one', async () => {
    const s = await start();
    const root = (await bootstrap(s)).SecretID;
    const r = await putPolicy(s, root, 'broken', 'namespace "default" {\n  policy = "admin"\n}\n');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^policy invalid: policy broken:2:12: Invalid namespace policy "admin"/);
    expect(
      (
        await s.call('POST', '/v1/acl/policy/a', {
          token: root,
          body: { Name: 'b', Rules: READONLY },
        })
      ).text,
    ).toBe('ACL policy name does not match request path');
    expect(await s.call('GET', '/v1/acl/policy/nope', { token: root })).toMatchObject({
      status: 404,
      text: 'ACL policy not found',
    });
  });

  it('gives a token or policy the change index of the write that made or last changed it', async () => {
    const s = await start();
    const boot = await s.call('POST', '/v1/acl/bootstrap', {});
    const root = (boot.json as Token).SecretID;
    expect(boot.json).toMatchObject({ CreateIndex: boot.index, ModifyIndex: boot.index });
    const one = await putPolicy(s, root, 'one', READONLY);
    const two = await putPolicy(s, root, 'two', READONLY);
    expect(one.index).toBeGreaterThan(boot.index!);
    expect(two.index).toBeGreaterThan(one.index!);
    const get = (name: string) => s.call('GET', `/v1/acl/policy/${name}`, { token: root });
    const first = await get('one');
    expect(first.json).toMatchObject({ CreateIndex: one.index, ModifyIndex: one.index });
    // The read's X-Nomad-Index is the last write's: no object's index is above it.
    expect(first.index).toBe(two.index);

    const changed = await putPolicy(s, root, 'one', `${READONLY}agent {\n  policy = "read"\n}\n`);
    const [a, b] = [await get('one'), await get('two')];
    expect(a.json).toMatchObject({ CreateIndex: one.index, ModifyIndex: changed.index });
    // Only what changed moves.
    expect(b.json).toMatchObject({ CreateIndex: two.index, ModifyIndex: two.index });
    expect(a.index).toBe(changed.index);
    const tokens = await s.call('GET', '/v1/acl/tokens', { token: root });
    expect(tokens.json).toEqual([
      expect.objectContaining({ CreateIndex: boot.index, ModifyIndex: boot.index }),
    ]);
    expect((await s.call('POST', '/v1/acl/bootstrap', {})).text).toBe(
      `ACL bootstrap already done (reset index: ${boot.index})`,
    );
  });

  it('records every write in the audit trail with its actor, never a secret', async () => {
    const s = await start();
    const root = await bootstrap(s);
    await putPolicy(s, root.SecretID, 'readonly', READONLY);
    const t = (
      await createToken(s, root.SecretID, { Name: 'ci', Type: 'client', Policies: ['readonly'] })
    ).json as Token;
    await s.call('DELETE', `/v1/acl/token/${t.AccessorID}`, { token: root.SecretID });
    await s.call('DELETE', '/v1/acl/policy/readonly', { token: root.SecretID });
    const state = await s.session.store.read();
    expect(state.audit?.map((r) => [r.operation, r.actor])).toEqual([
      ['acl bootstrap', 'anonymous'],
      ['acl policy apply', 'Bootstrap Token'],
      ['acl token create', 'Bootstrap Token'],
      ['acl token delete', 'Bootstrap Token'],
      ['acl policy delete', 'Bootstrap Token'],
    ]);
    expect(state.audit?.[2]?.detail).toContain(`accessor ${t.AccessorID}`);
    expect(state.audit?.[2]?.detail).toContain(`by Bootstrap Token (accessor ${root.AccessorID})`);
    const everything = (await stateText(s)) + s.logs.join('\n');
    for (const secret of [root.SecretID, t.SecretID]) expect(everything).not.toContain(secret);
    expect(Object.keys(state.acl?.tokens ?? {})).toEqual([root.AccessorID]);
    expect(state.acl?.policies).toEqual({});
  });
});

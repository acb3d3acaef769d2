/**
 * ACL roles (Nomad's ACLRole) on a real ServerContext over local state: the endpoints' JSON
 * field for field against Nomad's structs, Nomad's checks and words, who may read a role, tokens
 * linked to roles by id or name, and the policies a role grants resolved at each request: a
 * role's change applies at once, a deleted role or policy simply stops granting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../../src/server/acl/index.js';
import { startAclServer, stateText, type AclServer } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** nomad/structs ACLRole and ACLRoleListStub (the same fields), as encoding/json writes them. */
const ROLE_FIELDS = ['ID', 'Name', 'Description', 'Policies', 'Hash', 'CreateIndex', 'ModifyIndex'];
/** nomad/structs ACLToken as the API writes it, drover's SecretID where it is known. */
const TOKEN_FIELDS = [
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
];

interface Role {
  ID: string;
  Name: string;
  Description: string;
  Policies: { Name: string }[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}
interface Token {
  AccessorID: string;
  SecretID: string;
  Policies: string[] | null;
  Roles: { ID: string; Name: string }[] | null;
}

let server: AclServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const WRITE = 'namespace "default" {\n  policy = "write"\n}\n';
const READ = 'namespace "default" {\n  policy = "read"\n}\n';

/** A server with ACLs on, bootstrapped, with the policies `write` and `read`. */
async function start(): Promise<{ s: AclServer; root: string }> {
  const s = await startAclServer({ aclEnabled: true });
  server = s;
  const root = ((await s.call('POST', '/v1/acl/bootstrap')).json as Token).SecretID;
  for (const [name, rules] of [
    ['write', WRITE],
    ['read', READ],
  ] as const) {
    const r = await s.call('POST', `/v1/acl/policy/${name}`, {
      token: root,
      body: { Name: name, Description: '', Rules: rules },
    });
    expect(r.status).toBe(200);
  }
  return { s, root };
}

async function createRole(s: AclServer, token: string, body: Record<string, unknown>) {
  return s.call('POST', '/v1/acl/role', { token, body });
}

async function role(s: AclServer, root: string, name: string, policies: string[]): Promise<Role> {
  const r = await createRole(s, root, {
    Name: name,
    Description: `${name} role`,
    Policies: policies.map((Name) => ({ Name })),
  });
  expect(r.status).toBe(200);
  return r.json as Role;
}

async function token(s: AclServer, root: string, body: Record<string, unknown>): Promise<Token> {
  const r = await s.call('POST', '/v1/acl/token', {
    token: root,
    body: { Type: 'client', ...body },
  });
  expect(r.status, r.text).toBe(200);
  return r.json as Token;
}

const SUBMIT = { kind: 'namespace', capability: 'submit-job' } as const;
const READ_JOB = { kind: 'namespace', capability: 'read-job' } as const;

describe('ACL roles: the endpoints', () => {
  it('creates, reads by id and name, lists, updates and deletes a role in Nomad’s shapes', async () => {
    const { s, root } = await start();
    const made = await createRole(s, root, {
      Name: 'deployers',
      Description: 'CI deploys',
      Policies: [{ Name: 'write' }, { Name: 'read' }, { Name: 'write' }],
    });
    expect(made.status).toBe(200);
    const r = made.json as Role;
    expect(Object.keys(r).sort()).toEqual([...ROLE_FIELDS].sort());
    expect(r).toMatchObject({
      Name: 'deployers',
      Description: 'CI deploys',
      // Each policy once, in the order given.
      Policies: [{ Name: 'write' }, { Name: 'read' }],
    });
    expect(r.ID).toMatch(UUID);
    expect(typeof r.Hash).toBe('string');
    expect(r.CreateIndex).toBe(made.index);
    expect(r.ModifyIndex).toBe(made.index);

    const byId = await s.call('GET', `/v1/acl/role/${r.ID}`, { token: root });
    expect(byId).toMatchObject({ status: 200, json: r });
    const byName = await s.call('GET', '/v1/acl/role/name/deployers', { token: root });
    expect(byName).toMatchObject({ status: 200, json: r });
    const list = await s.call('GET', '/v1/acl/roles', { token: root });
    expect(list.json).toEqual([r]);
    for (const stub of list.json as Role[])
      expect(Object.keys(stub).sort()).toEqual([...ROLE_FIELDS].sort());

    // An update names the role by its id, in the path and the body; the name may change.
    const updated = await s.call('POST', `/v1/acl/role/${r.ID}`, {
      token: root,
      body: { ID: r.ID, Name: 'shippers', Description: '', Policies: [{ Name: 'read' }] },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      ID: r.ID,
      Name: 'shippers',
      Policies: [{ Name: 'read' }],
      CreateIndex: r.CreateIndex,
      ModifyIndex: updated.index,
    });
    expect((updated.json as Role).Hash).not.toBe(r.Hash);
    expect((await s.call('GET', '/v1/acl/role/name/deployers', { token: root })).status).toBe(404);

    const del = await s.call('DELETE', `/v1/acl/role/${r.ID}`, { token: root });
    expect(del.status).toBe(200);
    expect(await s.call('GET', `/v1/acl/role/${r.ID}`, { token: root })).toEqual({
      status: 404,
      text: 'ACL role not found',
    });
    expect((await s.call('GET', '/v1/acl/roles', { token: root })).json).toEqual([]);
    // Every write is in the audit trail with who made it.
    const audit = JSON.parse(await stateText(s)) as {
      audit: { operation: string; actor: string }[];
    };
    expect(audit.audit.map((a) => a.operation).slice(-3)).toEqual([
      'acl role create',
      'acl role update',
      'acl role delete',
    ]);
    expect(audit.audit.at(-1)!.actor).toBe('Bootstrap Token');
  });

  it('lists by id prefix', async () => {
    const { s, root } = await start();
    const a = await role(s, root, 'a', ['read']);
    await role(s, root, 'b', ['read']);
    const r = await s.call('GET', '/v1/acl/roles', {
      token: root,
      query: { prefix: a.ID.slice(0, 8) },
    });
    expect((r.json as Role[]).map((x) => x.Name)).toEqual(['a']);
  });

  it('checks roles as Nomad does, in its words', async () => {
    const { s, root } = await start();
    const bad = async (body: Record<string, unknown>) => (await createRole(s, root, body)).text;
    expect(await bad({ Name: 'has space', Policies: [{ Name: 'read' }] })).toBe(
      "role invalid: invalid name 'has space'",
    );
    expect(await bad({ Name: 'x' })).toBe('role invalid: at least one policy should be specified');
    expect(
      await bad({ Name: 'x', Description: 'd'.repeat(257), Policies: [{ Name: 'read' }] }),
    ).toBe('role invalid: description longer than 256');
    expect(await bad({ Name: 'x', Policies: [{ Name: 'nope' }] })).toBe('cannot find policy nope');
    await role(s, root, 'x', ['read']);
    expect(await bad({ Name: 'x', Policies: [{ Name: 'read' }] })).toBe(
      'role with name x already exists',
    );
    const other = await role(s, root, 'y', ['read']);
    expect(
      (
        await s.call('POST', `/v1/acl/role/${other.ID}`, {
          token: root,
          body: { ID: other.ID, Name: 'x', Policies: [{ Name: 'read' }] },
        })
      ).text,
    ).toBe('role with name x already exists');
    expect(
      (
        await s.call('POST', `/v1/acl/role/${other.ID}`, {
          token: root,
          body: { Name: 'y', Policies: [{ Name: 'read' }] },
        })
      ).text,
    ).toBe('ACL role ID does not match request path');
    const ghost = '0b5e7f4a-9c1d-4e2f-8a3b-6c7d8e9f0a1b';
    expect(await bad({ ID: ghost, Name: 'z', Policies: [{ Name: 'read' }] })).toBe(
      `cannot find role ${ghost}`,
    );
    expect((await s.call('DELETE', `/v1/acl/role/${ghost}`, { token: root })).status).toBe(404);
  });

  it('lets only a management token write roles; a client token reads only its own', async () => {
    const { s, root } = await start();
    const mine = await role(s, root, 'mine', ['read']);
    const theirs = await role(s, root, 'theirs', ['read']);
    const t = await token(s, root, { Name: 'ci', Roles: [{ Name: 'mine' }] });
    const secret = t.SecretID;
    expect((await createRole(s, secret, { Name: 'z', Policies: [{ Name: 'read' }] })).status).toBe(
      403,
    );
    expect((await s.call('DELETE', `/v1/acl/role/${mine.ID}`, { token: secret })).status).toBe(403);
    expect((await s.call('GET', `/v1/acl/role/${mine.ID}`, { token: secret })).json).toEqual(mine);
    expect((await s.call('GET', '/v1/acl/role/name/mine', { token: secret })).status).toBe(200);
    expect(await s.call('GET', `/v1/acl/role/${theirs.ID}`, { token: secret })).toEqual({
      status: 403,
      text: 'Permission denied',
    });
    expect((await s.call('GET', '/v1/acl/role/name/theirs', { token: secret })).status).toBe(403);
    expect((await s.call('GET', '/v1/acl/roles', { token: secret })).json).toEqual([mine]);
    expect((await s.call('GET', '/v1/acl/roles')).json).toEqual([]);
    // Its roles' policies are its to read, as its own are.
    expect((await s.call('GET', '/v1/acl/policy/read', { token: secret })).status).toBe(200);
    expect((await s.call('GET', '/v1/acl/policy/write', { token: secret })).status).toBe(403);
  });

  it('answers 400 "ACL support disabled" with ACLs off', async () => {
    const s = await startAclServer({ aclEnabled: false });
    server = s;
    expect(await s.call('GET', '/v1/acl/roles')).toEqual({
      status: 400,
      text: 'ACL support disabled',
    });
    expect(await s.call('POST', '/v1/acl/role', { body: {} })).toEqual({
      status: 400,
      text: 'ACL support disabled',
    });
  });
});

describe('tokens with roles', () => {
  it('links roles by id or name, each once, and shows their current names', async () => {
    const { s, root } = await start();
    const deployers = await role(s, root, 'deployers', ['write']);
    const t = await token(s, root, {
      Name: 'ci',
      Roles: [{ Name: 'deployers' }, { ID: deployers.ID }],
    });
    expect(Object.keys(t).sort()).toEqual([...TOKEN_FIELDS].sort());
    // A token made with roles only has no policies of its own: Nomad's nil slice.
    expect(t).toMatchObject({ Policies: null, Roles: [{ ID: deployers.ID, Name: 'deployers' }] });
    const stored = JSON.parse(await stateText(s)) as {
      acl: { tokens: Record<string, { roles?: string[] }> };
    };
    expect(stored.acl.tokens[t.AccessorID]!.roles).toEqual([deployers.ID]);

    await s.call('POST', `/v1/acl/role/${deployers.ID}`, {
      token: root,
      body: { ID: deployers.ID, Name: 'shippers', Policies: [{ Name: 'write' }] },
    });
    const read = await s.call('GET', `/v1/acl/token/${t.AccessorID}`, { token: root });
    expect(read.json).toMatchObject({ Roles: [{ ID: deployers.ID, Name: 'shippers' }] });
    const listed = (await s.call('GET', '/v1/acl/tokens', { token: root })).json as Token[];
    expect(listed.find((x) => x.AccessorID === t.AccessorID)!.Roles).toEqual([
      { ID: deployers.ID, Name: 'shippers' },
    ]);
  });

  it('refuses a link to no role, and roles on a management token', async () => {
    const { s, root } = await start();
    await role(s, root, 'r', ['read']);
    const bad = async (body: Record<string, unknown>) =>
      (await s.call('POST', '/v1/acl/token', { token: root, body })).text;
    expect(await bad({ Type: 'client', Roles: [{ Name: 'nope' }] })).toBe(
      'token invalid: cannot find role nope',
    );
    expect(await bad({ Type: 'management', Roles: [{ Name: 'r' }] })).toBe(
      'token invalid: management token cannot be associated with policies or roles',
    );
    expect(await bad({ Type: 'client', Roles: 'r' })).toBe(
      'Roles must be a list of role links ({"ID": …} or {"Name": …})',
    );
  });

  it('grants what its roles grant now: a role’s change at once, a deleted policy or role nothing', async () => {
    const { s, root } = await start();
    const r = await role(s, root, 'deployers', ['write']);
    const t = await token(s, root, { Name: 'ci', Policies: ['read'], Roles: [{ ID: r.ID }] });
    const authz = createAuthorizer(s.ctx);
    const may = async () => {
      const id = await authz.identify(t.SecretID);
      return [id.allows(SUBMIT, 'default'), id.allows(READ_JOB, 'default')];
    };
    expect(await may()).toEqual([true, true]);
    // The role loses the write policy: the token cannot submit from the next request on.
    await s.call('POST', `/v1/acl/role/${r.ID}`, {
      token: root,
      body: { ID: r.ID, Name: 'deployers', Policies: [{ Name: 'read' }] },
    });
    expect(await may()).toEqual([false, true]);
    await s.call('POST', `/v1/acl/role/${r.ID}`, {
      token: root,
      body: { ID: r.ID, Name: 'deployers', Policies: [{ Name: 'write' }] },
    });
    expect(await may()).toEqual([true, true]);
    // A deleted policy stops granting through the role that names it.
    await s.call('DELETE', '/v1/acl/policy/write', { token: root });
    expect(await may()).toEqual([false, true]);
    expect((await s.call('GET', `/v1/acl/role/${r.ID}`, { token: root })).json).toMatchObject({
      Policies: [{ Name: 'write' }],
    });
    // A deleted role grants nothing and is no longer shown on the token; its own policy stays.
    await s.call('POST', '/v1/acl/policy/write', {
      token: root,
      body: { Name: 'write', Description: '', Rules: WRITE },
    });
    expect(await may()).toEqual([true, true]);
    await s.call('DELETE', `/v1/acl/role/${r.ID}`, { token: root });
    expect(await may()).toEqual([false, true]);
    const self = await s.call('GET', '/v1/acl/token/self', { token: t.SecretID });
    expect(self.json).toMatchObject({ Roles: null, Policies: ['read'] });
  });
});

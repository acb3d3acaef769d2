/**
 * ACL roles end to end: a real `drover server` with ACLs on, the built CLI's `drover acl role …`
 * and `acl token create -role-name`, and a job submitted with a client token whose only grant is
 * a role: it may submit while the role grants namespace write, and not once the role loses it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drover } from '../../e2e/cli.js';
import { startServerProcess, type ServerProcess } from '../core/process.js';
import { mockJob } from '../writes/support.js';

let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-acl-roles-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `server {\n  acl {\n    enabled = true\n  }\n}\nstate {\n  backend = "local"\n  path    = "${join(dir, 'state.json')}"\n}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  writeFileSync(join(dir, 'deploy.hcl'), 'namespace "default" {\n  policy = "write"\n}\n');
  writeFileSync(join(dir, 'readonly.hcl'), 'namespace "default" {\n  policy = "read"\n}\n');
  server = await startServerProcess(dir);
  env = { DROVER_ADDR: server.url };
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

/** PUT /v1/jobs with `token`, as Nomad's client submits a job. */
async function submit(token: string, count: number): Promise<{ status: number; text: string }> {
  const r = await fetch(`${server.url}/v1/jobs`, {
    method: 'PUT',
    headers: { 'X-Nomad-Token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ Job: mockJob('web', count) }),
  });
  return { status: r.status, text: (await r.text()).trim() };
}

describe('drover acl role', { timeout: 180_000 }, () => {
  it('grants a token what its role grants, as the role is now', async () => {
    const boot = await drover(dir, ['acl', 'bootstrap', '-json'], { env });
    expect(boot.code).toBe(0);
    const root = (JSON.parse(boot.stdout) as { SecretID: string }).SecretID;
    const as = { ...env, DROVER_TOKEN: root };
    for (const name of ['deploy', 'readonly']) {
      const r = await drover(dir, ['acl', 'policy', 'apply', name, `${name}.hcl`], { env: as });
      expect(r.code).toBe(0);
    }

    const made = await drover(
      dir,
      [
        'acl',
        'role',
        'create',
        '-name',
        'deployers',
        '-description',
        'CI deploys',
        '-policy',
        'deploy',
      ],
      { env: as },
    );
    expect([made.code, made.stderr]).toEqual([0, '']);
    const id = /^ID\s+= ([0-9a-f-]{36})$/m.exec(made.stdout)?.[1];
    expect(id).toBeDefined();
    expect(made.stdout).toMatch(/^Name\s+= deployers$/m);
    expect(made.stdout).toMatch(/^Description\s+= CI deploys$/m);
    expect(made.stdout).toMatch(/^Policies\s+= deploy$/m);

    const list = await drover(dir, ['acl', 'role', 'list'], { env: as });
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+deployers\\s+CI deploys\\s+deploy$`, 'm'));
    const info = await drover(dir, ['acl', 'role', 'info', '-by-name', 'deployers', '-json'], {
      env: as,
    });
    expect(JSON.parse(info.stdout)).toMatchObject({ ID: id, Policies: [{ Name: 'deploy' }] });

    const created = await drover(
      dir,
      ['acl', 'token', 'create', '-name', 'ci', '-role-name', 'deployers', '-json'],
      { env: as },
    );
    expect(created.code).toBe(0);
    const ci = JSON.parse(created.stdout) as { AccessorID: string; SecretID: string };
    expect(JSON.parse(created.stdout)).toMatchObject({
      Policies: null,
      Roles: [{ ID: id, Name: 'deployers' }],
    });
    const shown = await drover(dir, ['acl', 'token', 'info', ci.AccessorID], { env: as });
    expect(shown.stdout).toMatch(/^Roles\s+= deployers$/m);
    // The client token reads its own role.
    const own = await drover(dir, ['acl', 'role', 'info', id!], {
      env: { ...env, DROVER_TOKEN: ci.SecretID },
    });
    expect(own.code).toBe(0);

    // Its role grants namespace write: it may submit.
    expect((await submit(ci.SecretID, 1)).status).toBe(200);

    // The role loses the write policy (-policy replaces, the rest is kept): at once, it may not.
    const updated = await drover(dir, ['acl', 'role', 'update', id!, '-policy', 'readonly'], {
      env: as,
    });
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^Name\s+= deployers$/m);
    expect(updated.stdout).toMatch(/^Policies\s+= readonly$/m);
    expect(await submit(ci.SecretID, 2)).toEqual({ status: 403, text: 'Permission denied' });
    const read = await fetch(`${server.url}/v1/job/web`, {
      headers: { 'X-Nomad-Token': ci.SecretID },
    });
    expect(read.status).toBe(200);

    const del = await drover(dir, ['acl', 'role', 'delete', id!], { env: as });
    expect([del.code, del.stdout]).toEqual([0, `ACL role ${id} successfully deleted\n`]);
    expect((await drover(dir, ['acl', 'role', 'list'], { env: as })).stdout).toBe(
      'No ACL roles found\n',
    );
    // A deleted role grants nothing: not even read.
    const gone = await fetch(`${server.url}/v1/job/web`, {
      headers: { 'X-Nomad-Token': ci.SecretID },
    });
    expect(gone.status).toBe(403);

    // A client token cannot write roles: the server's words, exit 1.
    const denied = await drover(dir, ['acl', 'role', 'create', '-name', 'x', '-policy', 'deploy'], {
      env: { ...env, DROVER_TOKEN: ci.SecretID },
    });
    expect([denied.code, denied.stderr]).toEqual([1, 'error: Permission denied\n']);
  });
});

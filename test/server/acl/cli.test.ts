/**
 * `drover acl …` (the built CLI, a real process) against the ACL routes served over HTTPS on
 * loopback with client certificates verified, and over plain HTTP: flags and DROVER_*
 * variables, errors as the server words them, and a secret printed only by bootstrap and
 * token create.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drover } from '../../e2e/cli.js';
import { makeCa, makeCert } from '../../support/docker-tls.js';
import { serveHttp, startAclServer, type AclServer } from './support.js';

let dir: string;
let server: AclServer;
let https: { address: string; close(): Promise<void> };
let tlsEnv: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-acl-cli-'));
  const ca = await makeCa(dir, 'ca');
  const serverCert = await makeCert(dir, ca, 'server', { ip: '127.0.0.1' });
  const client = await makeCert(dir, ca, 'client', {});
  server = await startAclServer({ aclEnabled: true });
  https = await serveHttp(server, { ...serverCert, clientCa: ca.cert });
  tlsEnv = {
    DROVER_ADDR: https.address,
    DROVER_CACERT: ca.cert,
    DROVER_CLIENT_CERT: client.cert,
    DROVER_CLIENT_KEY: client.key,
  };
  await writeFile(
    join(dir, 'readonly.hcl'),
    'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n',
  );
  await writeFile(
    join(dir, 'volumes.hcl'),
    'namespace "default" {\n  policy = "read"\n}\nhost_volume "data" {\n  policy = "write"\n}\n',
  );
}, 120_000);

afterAll(async () => {
  await https?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const SECRET_LINE = /^Secret ID\s+= ([0-9a-f-]{36})$/m;

// A dozen CLI processes in a row: on a busy machine that is more than the default 30 s.
describe('drover acl over HTTPS with a client certificate', { timeout: 120_000 }, () => {
  it('bootstraps, applies a policy, creates, lists, shows and revokes a token', async () => {
    const boot = await drover(dir, ['acl', 'bootstrap'], { env: tlsEnv });
    expect(boot.stderr).toBe('');
    expect(boot.code).toBe(0);
    const root = SECRET_LINE.exec(boot.stdout)?.[1];
    expect(root).toBeDefined();
    expect(boot.stdout).toContain('Type         = management');

    const again = await drover(dir, ['acl', 'bootstrap'], { env: tlsEnv });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: ACL bootstrap already done \(reset index: \d+\)\n$/);

    const env = { ...tlsEnv, DROVER_TOKEN: root! };
    const apply = await drover(
      dir,
      ['acl', 'policy', 'apply', '-description', 'read only', 'readonly', 'readonly.hcl'],
      { env },
    );
    expect([apply.code, apply.stdout]).toEqual([0, 'Successfully wrote "readonly" ACL policy!\n']);
    expect(apply.stderr).toBe('');
    // Rules drover has nothing to enforce with are applied, and said so with their place.
    const volumes = await drover(dir, ['acl', 'policy', 'apply', 'volumes', 'volumes.hcl'], {
      env,
    });
    expect([volumes.code, volumes.stdout, volumes.stderr]).toEqual([
      0,
      'Successfully wrote "volumes" ACL policy!\n',
      'Warning: volumes.hcl:4:1: host_volume rules are accepted but drover has nothing to enforce them on (it has no host volumes)\n',
    ]);
    const info = await drover(dir, ['acl', 'policy', 'info', 'readonly'], { env });
    expect(info.stdout).toContain('Description = read only');
    expect(info.stdout).toContain('policy = "read"');

    const created = await drover(
      dir,
      ['acl', 'token', 'create', '-name', 'ci', '-policy', 'readonly', '-ttl', '1h', '-json'],
      { env },
    );
    expect(created.code).toBe(0);
    const ci = JSON.parse(created.stdout) as { AccessorID: string; SecretID: string };
    expect(ci.SecretID).toMatch(/^[0-9a-f-]{36}$/);

    // Nothing but bootstrap and create prints a secret.
    const shown = [
      await drover(dir, ['acl', 'token', 'list'], { env }),
      await drover(dir, ['acl', 'token', 'list', '-json'], { env }),
      await drover(dir, ['acl', 'token', 'info', ci.AccessorID], { env }),
      await drover(dir, ['acl', 'token', 'self'], { env }),
      await drover(dir, ['acl', 'token', 'self', '-json'], {
        env: { ...tlsEnv, DROVER_TOKEN: ci.SecretID },
      }),
    ];
    for (const r of shown) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(root!);
      expect(r.stdout).not.toContain(ci.SecretID);
    }
    expect(shown[0]!.stdout).toMatch(/^ci\s+client\s+false\s+[0-9a-f-]{36}\s+false$/m);
    // A token read back says where its secret is, never an empty value.
    expect(shown[2]!.stdout).toMatch(/^Secret ID\s+= \(shown only when created\)$/m);
    expect(shown[3]!.stdout).toMatch(/^Secret ID\s+= \(shown only when created\)$/m);
    expect(JSON.parse(shown[4]!.stdout)).toMatchObject({ Name: 'ci', Policies: ['readonly'] });

    // The read-only token may not manage ACLs: the server's words, exit 1.
    const denied = await drover(dir, ['acl', 'token', 'list', '-token', ci.SecretID], {
      env: tlsEnv,
    });
    expect([denied.code, denied.stderr]).toEqual([1, 'error: Permission denied\n']);

    const del = await drover(dir, ['acl', 'token', 'delete', ci.AccessorID], { env });
    expect([del.code, del.stdout]).toEqual([0, `Token ${ci.AccessorID} successfully deleted\n`]);
    const revoked = await drover(dir, ['acl', 'token', 'self', '-json'], {
      env: { ...tlsEnv, DROVER_TOKEN: ci.SecretID },
    });
    expect(revoked.code).toBe(1);
    expect(JSON.parse(revoked.stdout)).toEqual({ error: 'ACL token not found' });
  });

  it('cannot connect without the client certificate, and says where it tried', async () => {
    const { DROVER_CLIENT_CERT: _c, DROVER_CLIENT_KEY: _k, ...noClient } = tlsEnv;
    const r = await drover(dir, ['acl', 'policy', 'list'], { env: noClient });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot reach the drover server at ${https.address}`);
  });
});

describe('drover acl over plain HTTP', () => {
  it('takes -address and -token flags over the environment', async () => {
    const plain = await serveHttp(server);
    try {
      const r = await drover(
        dir,
        ['acl', 'token', 'self', '-address', plain.address, '-token', 'not-a-real-token'],
        { env: { DROVER_ADDR: 'http://127.0.0.1:9' } },
      );
      expect([r.code, r.stderr]).toEqual([1, 'error: ACL token not found\n']);
      const down = await drover(dir, ['acl', 'token', 'self'], {
        env: { DROVER_ADDR: 'http://127.0.0.1:9' },
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('cannot reach the drover server at http://127.0.0.1:9');
    } finally {
      await plain.close();
    }
  });
});

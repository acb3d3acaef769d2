/**
 * `job history`, `node status`, `audit`, `approve` and `var put|get|list|purge` through a running
 * `drover server` (a real child process, ACLs on): each prints what the direct command prints on
 * the same state, text and -json; a token that may only read is refused approve, var put and var
 * get (and node status, without a node rule) in one line, a token with a `variables` rule reaches
 * the paths it names only; a planfile whose plan is not saved on the server is named as such.
 * The Variables keyring is the server's (DROVER_VARIABLES_KEY in its environment and the direct
 * commands'); the CLI through the server has none.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, eventually, type ServerProcess } from '../server/core/process.js';
import { drover, type CliResult } from './cli.js';
import { mockJob } from './mock-jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-remote-reads-'));
const elsewhere = join(dir, 'elsewhere');
let server: ServerProcess;
let management: string;
let readOnly: string;
let appReader: string;
const KEY = randomBytes(32).toString('base64');

const SECRET_LINE = /^Secret ID\s+= ([0-9a-f-]{36})$/m;
const NODE = (root: string) =>
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(root, 'alloc')}"\n}\n`;
const ACL = 'server {\n  acl {\n    enabled = true\n  }\n}\n';
const APPROVALS = 'approvals {\n  required   = 2\n  allow_self = false\n}\n';

/** The CLI as `actor`, on the state directly. */
function direct(args: string[], actor = 'alice'): Promise<CliResult> {
  return drover(dir, args, { env: { DROVER_ACTOR: actor, DROVER_VARIABLES_KEY: KEY } });
}

/** The CLI through the server with `token` (management unless given). */
function remote(args: string[], token = management): Promise<CliResult> {
  return drover(dir, ['-address', server.url, ...args], {
    env: { DROVER_TOKEN: token, DROVER_ACTOR: 'not-the-server-actor' },
  });
}

beforeAll(async () => {
  mkdirSync(elsewhere);
  writeFileSync(join(dir, 'drover.hcl'), NODE(dir) + ACL);
  writeFileSync(join(dir, 'read.hcl'), 'namespace "default" {\n  policy = "read"\n}\n');
  writeFileSync(
    join(dir, 'app.hcl'),
    'namespace "default" {\n  variables {\n    path "app/*" {\n      capabilities = ["read"]\n    }\n  }\n}\n',
  );
  // Two versions, by two people: the history has a diff, the audit trail two applies.
  writeFileSync(join(dir, 'web.nomad.hcl'), mockJob('web', { count: 1 }));
  expect((await direct(['apply', '-auto-approve', 'web.nomad.hcl'])).code).toBe(0);
  writeFileSync(join(dir, 'web.nomad.hcl'), mockJob('web', { count: 2 }));
  expect((await direct(['apply', '-auto-approve', 'web.nomad.hcl'], 'bob')).code).toBe(0);
  // From here on a change needs two approvals, not its author's.
  writeFileSync(join(dir, 'drover.hcl'), NODE(dir) + ACL + APPROVALS);
  server = await startServerProcess(dir, [], { DROVER_VARIABLES_KEY: KEY });
  const boot = await drover(dir, ['-address', server.url, 'acl', 'bootstrap']);
  expect(boot.code, boot.stderr).toBe(0);
  management = SECRET_LINE.exec(boot.stdout)![1]!;
  const policy = await remote(['acl', 'policy', 'apply', 'read', 'read.hcl']);
  expect(policy.code, policy.stderr).toBe(0);
  const token = await remote(['acl', 'token', 'create', '-name', 'reader', '-policy', 'read']);
  readOnly = SECRET_LINE.exec(token.stdout)![1]!;
  expect((await remote(['acl', 'policy', 'apply', 'app', 'app.hcl'])).code).toBe(0);
  const app = await remote(['acl', 'token', 'create', '-name', 'app', '-policy', 'app']);
  appReader = SECRET_LINE.exec(app.stdout)![1]!;
}, 90_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the server's answer equals the direct command's (it reads the state as it changes). */
async function sameThroughServer(args: string[]): Promise<CliResult> {
  let last: [CliResult, CliResult] | undefined;
  try {
    await eventually(
      async () => {
        last = [await direct(args), await remote(args)];
        return last[0].stdout === last[1].stdout && last[1].code === 0;
      },
      10_000,
      `drover ${args.join(' ')} through the server`,
    );
  } catch {
    // Shows the difference.
    expect(last![1].stderr).toBe('');
    expect(last![1].stdout).toBe(last![0].stdout);
  }
  expect([last![0].code, last![1].code, last![1].stderr]).toEqual([0, 0, '']);
  return last![1];
}

describe('reading commands through a server', () => {
  it('prints job history as the direct command does, with and without diffs', async () => {
    for (const args of [
      ['job', 'history', 'web'],
      ['job', 'history', '-p', 'web'],
      ['job', 'history', '-json', '-p', 'web'],
    ])
      await sameThroughServer(args);
    const text = (await remote(['job', 'history', '-p', 'web'])).stdout;
    expect(text).toMatch(/^Version {5}= 1\n/);
    expect(text).toContain('Actor       = bob');
    expect(text).toContain('Source      = web.nomad.hcl');
    expect(text).toMatch(/Count: "1" => "2"/);
    const json = JSON.parse((await remote(['job', 'history', '-json', 'web'])).stdout) as {
      versions: { version: number; actor: string }[];
    };
    expect(json.versions.map((v) => [v.version, v.actor])).toEqual([
      [1, 'bob'],
      [0, 'alice'],
    ]);
    const [d, r] = [
      await direct(['job', 'history', 'nope']),
      await remote(['job', 'history', 'nope']),
    ];
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', d.stderr]);
    expect(r.stderr).toBe('error: no job "nope" in namespace "default"\n');
  }, 60_000);

  it('prints node status as the direct command does (the server asks no node itself)', async () => {
    for (const args of [
      ['node', 'status'],
      ['node', 'status', '-json'],
      ['node', 'status', 'local'],
      ['node', 'status', '-json', 'local'],
    ])
      await sameThroughServer([...args, '-refresh', 'false']);
    const rows = JSON.parse((await remote(['node', 'status', '-json'])).stdout) as {
      nodes: { name: string; transport: string; allocations: number }[];
    };
    expect(rows.nodes).toMatchObject([{ name: 'local', transport: 'local', allocations: 2 }]);
    const missing = await remote(['node', 'status', 'nope']);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: no node "nope" (nodes: local)\n']);
    // The read policy has no node rule.
    const denied = await remote(['node', 'status'], readOnly);
    expect([denied.code, denied.stdout, denied.stderr]).toEqual([
      1,
      '',
      'error: Permission denied\n',
    ]);
  }, 60_000);

  it('prints the audit trail as the direct command does, with its filters', async () => {
    for (const args of [
      ['audit'],
      ['audit', '-json'],
      ['audit', 'web', '-limit', '1'],
      ['audit', '-since', '1h', '-json'],
      ['audit', 'nope'],
    ])
      await sameThroughServer(args);
    const json = JSON.parse((await remote(['audit', '-json', 'web'])).stdout) as {
      records: { actor: string; operation: string }[];
    };
    expect(json.records.map((r) => [r.operation, r.actor])).toEqual([
      ['apply', 'alice'],
      ['apply', 'bob'],
    ]);
    expect((await remote(['audit', 'nope'])).stdout).toBe('No operations recorded.\n');
  }, 60_000);

  it('approves a plan saved on the server as the token, and refuses a read-only token', async () => {
    writeFileSync(join(dir, 'web.nomad.hcl'), mockJob('web', { count: 3 }));
    const planned = await direct(['plan', '-out', 'web.plan', 'web.nomad.hcl'], 'carol');
    expect(planned.code, planned.stderr).toBe(0);
    const hash = /sha256:[0-9a-f]{64}/.exec(planned.stdout)?.[0];
    expect(hash, planned.stdout).toBeDefined();

    const denied = await remote(['approve', 'web.plan'], readOnly);
    expect([denied.code, denied.stdout, denied.stderr]).toEqual([
      1,
      '',
      'error: Permission denied\n',
    ]);

    // The management token's actor is the token's name; DROVER_ACTOR here does not count.
    const first = await remote(['approve', '-m', 'looks fine', 'web.plan']);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const lines = first.stdout.split('\n');
    expect(lines[0]).toBe(`Approved plan ${hash} as Bootstrap Token.`);
    expect(lines[1]).toMatch(
      /^It has 1 of 2 required approvals: Bootstrap Token at \S+\. 1 more needed from another person\.$/,
    );
    // A second approval by the same actor records nothing, as the direct command says.
    const again = await remote(['approve', 'web.plan']);
    expect(again.stdout.split('\n')[0]).toBe(
      `Bootstrap Token had approved plan ${hash} already; nothing was recorded.`,
    );
    const json = JSON.parse((await remote(['approve', '-json', 'web.plan'])).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      plan_hash: hash,
      approver: 'Bootstrap Token',
      recorded: false,
      required: 2,
      missing: 1,
      approvals: [{ approver: 'Bootstrap Token', message: 'looks fine', plan_hash: hash }],
    });
    // The second person approves on the state directly; the server counts both.
    const second = await direct(['approve', '-json', 'web.plan'], 'dave');
    const counted = JSON.parse(second.stdout) as { missing: number; approvals: unknown[] };
    expect(counted.missing).toBe(0);
    const after = JSON.parse((await remote(['approve', '-json', 'web.plan'])).stdout) as {
      missing: number;
      approvals: unknown[];
    };
    expect(after).toMatchObject({ missing: 0, recorded: false });
    expect(after.approvals).toEqual(counted.approvals);
  }, 60_000);

  it('says when a planfile is not saved on the server', async () => {
    writeFileSync(join(elsewhere, 'drover.hcl'), NODE(elsewhere));
    writeFileSync(join(elsewhere, 'web.nomad.hcl'), mockJob('web', { count: 1 }));
    const planned = await drover(elsewhere, ['plan', '-out', 'other.plan', 'web.nomad.hcl']);
    expect(planned.code, planned.stderr).toBe(0);
    const hash = /sha256:[0-9a-f]{64}/.exec(planned.stdout)![0];
    const r = await remote(['approve', join(elsewhere, 'other.plan')]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      `error: plan ${hash} (${join(elsewhere, 'other.plan')}) is not saved on the server at ${server.url}: only a plan saved on its state (plan -out without an address) or made through its API can be approved there\n`,
    );
  }, 60_000);

  it('puts, gets, lists and purges Variables through the server, as the direct commands print', async () => {
    const put = await remote(['var', 'put', 'app/db', 'user=admin', 'pass=s3cret']);
    expect([put.code, put.stderr]).toEqual([0, '']);
    expect(put.stdout).toMatch(/^Created variable "app\/db" with modify index \d+\n$/);
    expect((await remote(['var', 'put', 'other/x', 'k=v'])).code).toBe(0);
    for (const args of [
      ['var', 'get', 'app/db'],
      ['var', 'get', '-json', 'app/db'],
      ['var', 'get', '-item', 'pass', 'app/db'],
      ['var', 'list'],
      ['var', 'list', '-json', 'app'],
    ])
      await sameThroughServer(args);
    expect((await remote(['var', 'get', '-item', 'pass', 'app/db'])).stdout).toBe('s3cret\n');

    // A check-and-set that lost says what the direct command says.
    const [d, r] = [
      await direct(['var', 'put', 'app/db', 'user=x']),
      await remote(['var', 'put', 'app/db', 'user=x']),
    ];
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(d.stderr);
    expect(r.stderr).toContain('Check-and-Set conflict on Variable "app/db"');
    const index = (
      JSON.parse((await remote(['var', 'get', '-json', 'app/db'])).stdout) as {
        ModifyIndex: number;
      }
    ).ModifyIndex;
    const updated = await remote([
      'var',
      'put',
      '-check-index',
      String(index),
      'app/db',
      'user=admin',
      'pass=n3w',
    ]);
    expect(updated.stdout).toMatch(/^Updated variable "app\/db" with modify index \d+\n$/);
    expect((await direct(['var', 'get', '-item', 'pass', 'app/db'])).stdout).toBe('n3w\n');

    // Read-only: no variables rule, nothing of Variables.
    for (const args of [
      ['var', 'put', 'app/db', 'a=b'],
      ['var', 'get', 'app/db'],
    ]) {
      const denied = await remote(args, readOnly);
      expect([denied.code, denied.stdout, denied.stderr]).toEqual([
        1,
        '',
        'error: Permission denied\n',
      ]);
    }
    // `app/*` read: those paths only, and no writes.
    expect((await remote(['var', 'get', '-item', 'user', 'app/db'], appReader)).stdout).toBe(
      'admin\n',
    );
    expect((await remote(['var', 'get', 'other/x'], appReader)).stderr).toBe(
      'error: Permission denied\n',
    );
    expect((await remote(['var', 'put', 'app/new', 'a=b'], appReader)).stderr).toBe(
      'error: Permission denied\n',
    );
    const listed = JSON.parse((await remote(['var', 'list', '-json'], appReader)).stdout) as {
      Path: string;
    }[];
    expect(listed.map((m) => m.Path)).toEqual(['app/db']);

    const purged = await remote(['var', 'purge', '-json', 'other/x']);
    expect(JSON.parse(purged.stdout)).toEqual({ Path: 'other/x', Purged: true });
    expect((await remote(['var', 'purge', 'other/x'])).stdout).toBe(
      'Successfully purged variable "other/x"!\n',
    );
    expect((await direct(['var', 'get', 'other/x'])).stderr).toBe('error: Variable not found\n');
    expect((await remote(['var', 'get', 'other/x'])).stderr).toBe('error: Variable not found\n');
  }, 90_000);
});

/**
 * `drover var` end to end through the built CLI, on the local state file and on a real
 * PostgreSQL: put (items, @file, stdin, JSON and HCL specifications), get, list, purge,
 * check-and-set conflicts, a wrong or missing key, the keyring created 0600 with a note, and
 * a secret that no output but `var get` ever shows (plan, apply, status, history, state show,
 * events, the state file and snapshots hold only ciphertext).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../src/state/local.js';
import { newLockInfo } from '../../src/state/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { drover, type CliResult } from './cli.js';

const SECRET = `pw-${randomBytes(6).toString('hex')}`;
const SECRET2 = `pw2-${randomBytes(6).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'drover-e2e-var-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const JOB = `job "web" {
  group "app" {
    task "app" {
      driver = "mock"
      config {}
    }
  }
}
`;

function machine(name: string, state = ''): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'drover.hcl'),
    `${state}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(root, 'alloc')}"\n}\n`,
  );
  writeFileSync(join(dir, 'web.nomad.hcl'), JOB);
  return dir;
}

/** Every output of a scenario, but `var get`'s (which prints values by design). */
function recorder(dir: string, env: Record<string, string>) {
  const outputs: { what: string; text: string }[] = [];
  const run = async (args: string[], code = 0, stdin?: string): Promise<CliResult> => {
    const r = await drover(dir, args, { env, ...(stdin !== undefined ? { stdin } : {}) });
    if (args[1] !== 'get' || r.code !== 0)
      outputs.push({ what: args.join(' '), text: r.stdout + r.stderr });
    expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(code);
    return r;
  };
  const leaks = () =>
    outputs.filter((o) => o.text.includes(SECRET) || o.text.includes(SECRET2)).map((o) => o.what);
  return { run, outputs, leaks };
}

describe('drover var on the local state', () => {
  const dir = machine('local');
  const env = { XDG_CONFIG_HOME: join(dir, 'cfg') };
  const keyring = join(dir, 'cfg', 'drover', 'keyring');
  const { run, outputs, leaks } = recorder(dir, env);

  it('makes no keyring for a put it refuses', async () => {
    await run(['var', 'put', 'nomad/secret', 'a=b'], 1);
    await run(['var', 'put', 'app/empty', 'a='], 1);
    expect(() => statSync(keyring)).toThrow();
  });

  it('creates the keyring on the first put, with a note to back it up', async () => {
    const r = await run(['var', 'put', 'app/db', 'user=admin', `password=${SECRET}`]);
    expect(r.stdout).toBe('Created variable "app/db" with modify index 1\n');
    expect(r.stderr).toContain(`created the Variables keyring ${keyring} (mode 0600). Back it up`);
    expect(statSync(keyring).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cfg', 'drover')).mode & 0o777).toBe(0o700);
  });

  it('gets the Variable, as a table, as JSON and one item raw', async () => {
    const table = await run(['var', 'get', 'app/db']);
    expect(table.stdout).toMatch(/^Namespace += default\nPath += app\/db\n/);
    expect(table.stdout).toContain(`password = ${SECRET}\nuser     = admin`);
    const json = JSON.parse((await run(['var', 'get', '-json', 'app/db'])).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      Namespace: 'default',
      Path: 'app/db',
      CreateIndex: 1,
      ModifyIndex: 1,
      Items: { password: SECRET, user: 'admin' },
    });
    expect((await run(['var', 'get', '-item', 'password', 'app/db'])).stdout).toBe(`${SECRET}\n`);
    const missing = await run(['var', 'get', 'app/none'], 1);
    expect(missing.stderr).toBe('error: Variable not found\n');
  });

  it('refuses a put over an existing Variable without -check-index or -force', async () => {
    const r = await run(['var', 'put', 'app/db', `password=${SECRET2}`], 1);
    expect(r.stderr).toContain('the check-index 0 does not match its current index 1');
    expect(r.stderr).toContain('-check-index=1');
    const wrong = await run(['var', 'put', '-check-index', '5', 'app/db', 'a=b'], 1);
    expect(wrong.stderr).toContain('current index 1');
  });

  it('updates with -check-index from a file, and from stdin', async () => {
    writeFileSync(join(dir, 'pw.txt'), SECRET2);
    const r = await run([
      'var',
      'put',
      '-check-index',
      '1',
      'app/db',
      'user=admin',
      `password=@${join(dir, 'pw.txt')}`,
    ]);
    expect(r.stdout).toBe('Updated variable "app/db" with modify index 2\n');
    expect((await run(['var', 'get', '-item', 'password', 'app/db'])).stdout).toBe(`${SECRET2}\n`);
    await run(['var', 'put', '-force', 'app/stdin', 'token=-'], 0, SECRET);
    expect((await run(['var', 'get', '-item', 'token', 'app/stdin'])).stdout).toBe(`${SECRET}\n`);
  });

  it('reads JSON and HCL specifications', async () => {
    const spec = JSON.stringify({ Path: 'app/json', Items: { key: SECRET } });
    await run(['var', 'put', '-in', 'json', '-'], 0, spec);
    writeFileSync(join(dir, 'spec.hcl'), `path = "app/hcl"\nitems {\n  key = "${SECRET2}"\n}\n`);
    await run(['var', 'put', `@${join(dir, 'spec.hcl')}`]);
    expect((await run(['var', 'get', '-item', 'key', 'app/json'])).stdout).toBe(`${SECRET}\n`);
    expect((await run(['var', 'get', '-item', 'key', 'app/hcl'])).stdout).toBe(`${SECRET2}\n`);
    const bad = await run(
      ['var', 'put', '-in', 'hcl', '-'],
      1,
      `path = "app/bad"\nitems { key = "${SECRET}" \n`,
    );
    expect(bad.stderr).toContain('stdin:');
  });

  it("follows Nomad's path rules", async () => {
    const r = await run(['var', 'put', 'nomad/secret', 'a=b'], 1);
    expect(r.stderr).toContain('only paths at "nomad/jobs" or "nomad/job-templates" and below');
    await run(['var', 'put', 'nomad/jobs/web', 'a=b']);
    expect((await run(['var', 'put', 'bad path', 'a=b'], 1)).stderr).toContain('invalid path');
  });

  it('lists metadata only, by prefix', async () => {
    const all = await run(['var', 'list']);
    expect(all.stdout.split('\n')[0]).toMatch(/^Namespace +Path +Last Updated$/);
    for (const p of ['app/db', 'app/hcl', 'app/json', 'app/stdin', 'nomad/jobs/web'])
      expect(all.stdout).toContain(p);
    const json = JSON.parse((await run(['var', 'list', '-json', 'app/'])).stdout) as {
      Path: string;
    }[];
    expect(json.map((m) => m.Path)).toEqual(['app/db', 'app/hcl', 'app/json', 'app/stdin']);
    expect((await run(['var', 'list', 'zzz'])).stdout).toBe('No matching variables found\n');
  });

  it('says which key is missing when the keyring is wrong or gone', async () => {
    const other = randomBytes(32).toString('base64');
    const wrong = await drover(dir, ['var', 'get', 'app/db'], {
      env: { DROVER_VARIABLES_KEY: other },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^error: cannot decrypt Variable "app\/db": DROVER_VARIABLES_KEY has no key [0-9a-f]{16}; restore the keyring you backed up or set DROVER_VARIABLES_KEY\n$/,
    );
    const gone = await drover(dir, ['var', 'get', 'app/db'], {
      env: { XDG_CONFIG_HOME: join(dir, 'nowhere') },
    });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(
      `the keyring ${join(dir, 'nowhere', 'drover', 'keyring')} (not found) has no key`,
    );
    // The key from the file, given as the environment variable, opens it (same key id).
    const material = (JSON.parse(readFileSync(keyring, 'utf8')) as { keys: { key: string }[] })
      .keys[0]!.key;
    const viaEnv = await drover(dir, ['var', 'get', '-item', 'user', 'app/db'], {
      env: { DROVER_VARIABLES_KEY: material, XDG_CONFIG_HOME: join(dir, 'nowhere') },
    });
    expect(viaEnv.stdout).toBe('admin\n');
  });

  it('rotates the key: new writes seal with the new one, older Variables still open', async () => {
    const before = JSON.parse((await run(['var', 'keyring', '-json'])).stdout) as {
      active: string;
    };
    const rotated = await run(['var', 'keyring', 'rotate']);
    expect(rotated.stdout).toContain('back up the keyring again');
    const after = JSON.parse((await run(['var', 'keyring', '-json'])).stdout) as {
      active: string;
      keys: string[];
    };
    expect(after.keys).toEqual([before.active, after.active]);
    expect((await run(['var', 'get', '-item', 'key', 'app/json'])).stdout).toBe(`${SECRET}\n`);
    await run(['var', 'put', '-force', 'app/rotated', 'k=v']);
    const shown = JSON.parse((await run(['state', 'show', 'var.app/rotated'])).stdout) as {
      KeyID: string;
    };
    expect(shown.KeyID).toBe(after.active);
  });

  it('waits for the state lock like every write, and names its holder', async () => {
    const store = new LocalStateStore({ path: join(dir, '.drover', 'state.json') });
    const lock = await store.lock(newLockInfo('apply'), { timeoutMs: 0 });
    try {
      const r = await run(['var', 'put', '-force', 'app/locked', 'k=v'], 1);
      expect(r.stderr).toContain(`(pid ${process.pid}, apply)`);
      await run(['var', 'purge', 'app/db'], 1);
    } finally {
      await lock.release();
    }
    await run(['var', 'get', 'app/locked'], 1);
  });

  it('purges, with check-and-set', async () => {
    expect((await run(['var', 'purge', '-check-index', '1', 'app/stdin'], 1)).stderr).toContain(
      'current index',
    );
    const r = await run(['var', 'purge', 'app/stdin']);
    expect(r.stdout).toBe('Successfully purged variable "app/stdin"!\n');
    await run(['var', 'get', 'app/stdin'], 1);
  });

  it('shows the secret in no other output, event, state file or snapshot', async () => {
    await run(['plan', 'web.nomad.hcl'], 0);
    await run(['apply', '-auto-approve', 'web.nomad.hcl']);
    await run(['status']);
    await run(['status', '-json', 'web']);
    await run(['job', 'history', '-p', 'web']);
    await run(['state', 'list']);
    const shown = await run(['state', 'show']);
    expect(shown.stdout).toContain('"Items": "(encrypted)"');
    expect(shown.stdout).toContain('"what": "var.put"');
    expect(shown.stdout).toContain('"what": "var.purge"');
    const one = await run(['state', 'show', 'var.app/db']);
    expect(JSON.parse(one.stdout)).toMatchObject({
      Path: 'app/db',
      ModifyIndex: 2,
      Items: '(encrypted)',
    });
    await run(['state', 'show', '--show-sensitive']);
    await run(['var', 'keyring']);
    await run(['state', 'snapshot', 'save', 'snap.json']);
    await run(['stop', '-auto-approve', '-purge', 'web']);
    const files = [
      join(dir, '.drover', 'state.json'),
      join(dir, '.drover', 'state.json.backup'),
      join(dir, 'snap.json'),
    ];
    for (const f of files) outputs.push({ what: f, text: readFileSync(f, 'utf8') });
    expect(outputs.length).toBeGreaterThan(20);
    expect(leaks()).toEqual([]);
  });
});

describe('drover var on postgres, two machines sharing a key', () => {
  let db: TestDatabase;
  const key = randomBytes(32).toString('base64');
  const env = { DROVER_VARIABLES_KEY: key };
  let a: string;
  let b: string;
  beforeAll(async () => {
    db = await createTestDatabase('drover_var_e2e');
    const state = `state {\n  backend = "postgres"\n  url     = "${db.url}"\n}`;
    a = machine('pg-a', state);
    b = machine('pg-b', state);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('writes on one machine and reads on the other; conflicts and purges; no key no read', async () => {
    const ra = recorder(a, env);
    const rb = recorder(b, env);
    const put = await ra.run(['var', 'put', '-json', 'shared/db', `password=${SECRET}`]);
    expect(JSON.parse(put.stdout)).toMatchObject({
      Path: 'shared/db',
      CreateIndex: 1,
      ModifyIndex: 1,
    });
    expect(put.stderr).toBe(''); // the key is in the environment: no keyring file is made
    expect((await rb.run(['var', 'get', '-item', 'password', 'shared/db'])).stdout).toBe(
      `${SECRET}\n`,
    );
    const conflict = await rb.run(
      ['var', 'put', '-check-index', '0', 'shared/db', `password=${SECRET2}`],
      1,
    );
    expect(conflict.stderr).toContain('does not match its current index 1');
    await rb.run(['var', 'put', '-check-index', '1', 'shared/db', `password=${SECRET2}`]);
    expect((await ra.run(['var', 'get', '-item', 'password', 'shared/db'])).stdout).toBe(
      `${SECRET2}\n`,
    );
    const rows = await db.query<{ body: unknown }>('SELECT body FROM drover.variables');
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).not.toContain(SECRET2);

    const noKey = await drover(b, ['var', 'get', 'shared/db'], {
      env: { XDG_CONFIG_HOME: join(b, 'cfg'), DROVER_VARIABLES_KEY: '' },
    });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('cannot decrypt Variable "shared/db"');

    // state migrate and snapshots carry Variables.
    await ra.run(['state', 'migrate', '-to', 'local', '-to-path', join(a, 'moved.json')]);
    expect(readFileSync(join(a, 'moved.json'), 'utf8')).toContain('"shared/db"');
    await ra.run(['state', 'snapshot', 'save', join(a, 'snap.json')]);
    await ra.run(['var', 'purge', 'shared/db']);
    expect((await rb.run(['var', 'list', '-json'])).stdout.trim()).toBe('[]');
    await ra.run(['state', 'snapshot', 'restore', join(a, 'snap.json')]);
    expect((await rb.run(['var', 'get', '-item', 'password', 'shared/db'])).stdout).toBe(
      `${SECRET2}\n`,
    );
    await ra.run(['state', 'show']);
    for (const f of ['moved.json', 'snap.json'])
      ra.outputs.push({ what: f, text: readFileSync(join(a, f), 'utf8') });
    expect([...ra.leaks(), ...rb.leaks()]).toEqual([]);
  });
});

/**
 * Part `secrets` (issue 17 item 5): a unique marker per secret (a sensitive variable's value, a
 * Variable's item, the ACL tokens, the PostgreSQL password, an SSH key's path) searched for in
 * every output of one project run on local state and on PostgreSQL (with a `drover server` on
 * the latter): plan text and JSON, the planfile, the state (file, rows), CLI outputs and error
 * messages, the server's log, API responses, the event stream and the audit trail. Each may be
 * found only where the README says it must be (README: "Sensitive values", "Variables", ACLs,
 * the postgres backend's password).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { allRoutes } from '../../../src/server/api/index.js';
import { startServerProcess, type ServerProcess } from '../../server/core/process.js';
import { startPostgres } from '../../support/postgres-server.mjs';
import { startSshHost } from '../../support/sshd.js';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';
import { project, type Project } from '../b-project.js';

const tag = (what: string): string => `relb${what}${randomBytes(6).toString('hex')}`;

interface Output {
  where: string;
  text: string;
}

interface Secret {
  name: string;
  marker: () => string[];
  /** Where the README says the value is kept or shown (a prefix of an output's `where`). */
  allowed: readonly string[];
}

const JOB = 'vault';

function jobspec(): string {
  return `variable "password" {
  type      = string
  sensitive = true
}

job "${JOB}" {
  update {
    min_healthy_time = "0s"
  }
  group "g" {
    constraint {
      attribute = "\${node.unique.name}"
      value     = "local"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
      env {
        PASSWORD = var.password
      }
      template {
        data        = "{{ with nomadVar \\"app/db\\" }}{{ .password }}{{ end }}"
        destination = "secrets/db.txt"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

/** GETs every parameterless or job-id route of the API with the management token. */
async function apiOutputs(url: string, token: string): Promise<Output[]> {
  const out: Output[] = [];
  for (const route of allRoutes()) {
    if (route.method !== 'GET') continue;
    const path = route.path
      .split('/')
      .map((s) => (s.startsWith(':') || s === '*' ? JOB : s))
      .join('/');
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 2_000);
    let text = '';
    try {
      const res = await fetch(`${url}${path}`, {
        headers: { 'X-Nomad-Token': token },
        signal: ctl.signal,
      });
      const reader = res.body?.getReader();
      // Streams (events, logs -f) are read until the timer ends them.
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += Buffer.from(chunk.value).toString('utf8');
      }
    } catch {
      // Aborted stream: what arrived is searched.
    } finally {
      clearTimeout(timer);
    }
    out.push({ where: `API GET ${route.path}`, text });
  }
  return out;
}

async function cliOutputs(
  p: Project,
  env: Record<string, string>,
  sens: string,
  variable: string,
): Promise<Output[]> {
  const out: Output[] = [];
  const run = async (args: string[], extra: Record<string, string> = {}): Promise<void> => {
    const r = await p.cli(args, { ...env, ...extra });
    out.push({ where: `drover ${args.join(' ')}`, text: r.stdout + r.stderr });
  };
  const job = join(p.dir, 'job.nomad.hcl');
  const v = ['-var', `password=${sens}`];
  await run(['var', 'put', 'app/db', `password=${variable}`]);
  await run(['var', 'list']);
  await run(['var', 'get', 'app/db']);
  await run(['validate', ...v, job]);
  await run(['plan', ...v, job]);
  await run(['plan', '-json', ...v, job]);
  await run(['plan', '-out', join(p.dir, 'vault.plan'), ...v, job]);
  out.push({ where: 'planfile', text: readFileSync(join(p.dir, 'vault.plan'), 'utf8') });
  await run(['apply', join(p.dir, 'vault.plan')]);
  await run(['status']);
  await run(['status', '-json', JOB]);
  await run(['job', 'history', '-p', JOB]);
  await run(['job', 'inspect', JOB]);
  await run(['state', 'show']);
  await run(['state', 'show', '--show-sensitive']);
  await run(['node', 'status', '-json']);
  await run(['drift']);
  await run(['audit']);
  await run(['logs', JOB]);
  // Error messages: a variable rule that fails, a wrong database password, an unreadable key.
  await run(['plan', '-var', `password=${sens}`, '-var', 'nope=1', job]);
  return out;
}

/** PostgreSQL asking for a password (scram) from `drover`, trusting its superuser on loopback. */
async function passwordPostgres(dir: string, password: string) {
  const hba = join(dir, 'pg_hba.conf');
  writeFileSync(
    hba,
    'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
  );
  chmodSync(dir, 0o755);
  chmodSync(hba, 0o644);
  const server = await startPostgres({ fsync: 'off', hba_file: hba });
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE drover LOGIN PASSWORD '${password}'`);
    await admin.query('CREATE DATABASE fleet OWNER drover');
  } finally {
    await admin.end();
  }
  const fleet = server.url.replace(/\/postgres$/, '/fleet');
  return {
    url: `postgres://drover@127.0.0.1:${server.port}/fleet`,
    /** Every row of every table of drover's schema, as text. */
    async rows(): Promise<string> {
      const c = new pg.Client(fleet);
      await c.connect();
      try {
        const tables = await c.query<{ t: string }>(
          "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        );
        // One client runs one query at a time.
        const texts: string[] = [];
        for (const { t } of tables.rows) {
          const rows = await c.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`);
          texts.push(rows.rows.map((r) => r.r).join('\n'));
        }
        return texts.join('\n');
      } finally {
        await c.end();
      }
    },
    stop: () => server.stop(),
  };
}

async function serverOutputs(
  p: Project,
  env: Record<string, string>,
  tokens: string[],
): Promise<Output[]> {
  const server: ServerProcess = await startServerProcess(p.dir, [], env);
  const out: Output[] = [];
  try {
    const post = async (
      path: string,
      token: string | undefined,
      body: unknown,
    ): Promise<string> => {
      const r = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: token ? { 'X-Nomad-Token': token } : {},
        body: JSON.stringify(body),
      });
      const text = await r.text();
      out.push({
        where: `API POST ${path.replace(/\/[^/]+$/, (x) => (path.startsWith('/v1/acl/policy/') ? '/:name' : x))}`,
        text,
      });
      return text;
    };
    const boot = JSON.parse(await post('/v1/acl/bootstrap', undefined, {})) as { SecretID: string };
    tokens.push(boot.SecretID);
    // The token is usable once the server has read the state it was written to.
    for (let i = 0; i < 50; i++) {
      const self = await fetch(`${server.url}/v1/acl/token/self`, {
        headers: { 'X-Nomad-Token': boot.SecretID },
      });
      out.push({ where: 'API GET /v1/acl/token/self', text: await self.text() });
      if (self.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await post('/v1/acl/policy/viewer', boot.SecretID, {
      Name: 'viewer',
      Rules: 'namespace "*" {\n  policy = "read"\n}\n',
    });
    const viewer = JSON.parse(
      await post('/v1/acl/token', boot.SecretID, {
        Name: 'viewer',
        Type: 'client',
        Policies: ['viewer'],
      }),
    ) as { SecretID: string };
    tokens.push(viewer.SecretID);
    // A wrong token in a request: its text must not come back in an error or the log.
    await fetch(`${server.url}/v1/jobs`, { headers: { 'X-Nomad-Token': `${viewer.SecretID}0` } });
    out.push(...(await apiOutputs(server.url, boot.SecretID)));
  } finally {
    await server.stop('SIGTERM');
  }
  out.push({ where: 'server log', text: server.stdout() + server.stderr() });
  return out;
}

/** Whether `where` (its "local: "/"postgres: " prefix aside) is one the secret may be in. */
function allowedIn(secret: Secret, where: string): boolean {
  const place = where.replace(/^(local|postgres): /, '');
  return secret.allowed.some((a) => place.startsWith(a));
}

/** The places each marker was found but may not be. */
function judge(secret: Secret, outputs: readonly Output[]): ReliabilityRow {
  const markers = secret.marker();
  const leaks = outputs.filter(
    (o) => markers.some((m) => o.text.includes(m)) && !allowedIn(secret, o.where),
  );
  const found = outputs
    .filter((o) => markers.some((mk) => o.text.includes(mk)))
    .map((o) => o.where);
  return {
    test: `secrets: ${secret.name}, searched in every output`,
    tries: outputs.length,
    passed: outputs.length - leaks.length,
    lost:
      leaks.length === 0
        ? 'nothing'
        : `found in ${leaks.map((l) => l.where).join(', ')}`.slice(0, 400),
    figures:
      `found where allowed: ${[...new Set(found)].filter((w) => !leaks.some((l) => l.where === w)).join(', ') || 'nowhere'}`.slice(
        0,
        300,
      ),
  };
}

export const part: ReliabilityPart = {
  name: 'secrets',
  async run(ctx: PartContext) {
    const m = {
      sensitive: tag('SENS'),
      variable: tag('VAR'),
      pgPassword: tag('PGPW'),
      keyPath: tag('KEYPATH'),
    };
    const tokens: string[] = [];
    const outputs: Output[] = [];
    const ssh = await startSshHost({ address: '127.0.0.73' });
    const keyDir = `/tmp/${m.keyPath}`;
    mkdirSync(keyDir, { recursive: true });
    const identity = join(keyDir, 'id_ed25519');
    copyFileSync(ssh.privateKeyPath, identity);
    chmodSync(identity, 0o600);
    const remoteRoot = `/home/deploy/drover-rel-secrets-${process.pid}`;
    const nodes = (allocRoot: string): string =>
      `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n` +
      `node "remote" {\n  transport  = "ssh"\n  address    = "${ssh.address}"\n  port       = ${ssh.port}\n  user       = "${ssh.user}"\n  identity   = "${identity}"\n  alloc_root = "${remoteRoot}/alloc"\n}\n`;
    const env = {
      DROVER_VARIABLES_KEY: randomBytes(32).toString('base64'),
    };
    const pgDir = `/tmp/drover-rel-secrets-pg-${process.pid}`;
    mkdirSync(pgDir, { recursive: true });
    let database: Awaited<ReturnType<typeof passwordPostgres>> | undefined;
    try {
      // Local state: the state file and its backups are outputs like any other.
      const local = project('secrets-local', nodes);
      try {
        local.write('job.nomad.hcl', jobspec());
        for (const o of await cliOutputs(local, env, m.sensitive, m.variable))
          outputs.push({ ...o, where: `local: ${o.where}` });
        outputs.push({ where: 'state file', text: local.stateText() });
      } finally {
        await local.close([JOB]);
      }
      // PostgreSQL state, asking for the password; then the server over it, with ACLs.
      database = await passwordPostgres(pgDir, m.pgPassword);
      const pgEnv = { ...env, PGPASSWORD: m.pgPassword };
      const url = database.url;
      const remote = project(
        'secrets-pg',
        (root) =>
          `state {\n  backend = "postgres"\n  url     = "${url}"\n}\nserver {\n  acl {\n    enabled = true\n  }\n}\n${nodes(root)}`,
      );
      try {
        remote.write('job.nomad.hcl', jobspec());
        for (const o of await cliOutputs(remote, pgEnv, m.sensitive, m.variable))
          outputs.push({ ...o, where: `postgres: ${o.where}` });
        const wrong = await remote.cli(['status'], { ...pgEnv, PGPASSWORD: `${m.pgPassword}x` });
        outputs.push({
          where: 'postgres: drover status (wrong password)',
          text: wrong.stdout + wrong.stderr,
        });
        outputs.push(...(await serverOutputs(remote, pgEnv, tokens)));
        outputs.push({ where: 'postgres rows', text: await database.rows() });
      } finally {
        // Stopped with the database password (close() runs drover without it).
        await remote.cli(['stop', '-auto-approve', '-purge', JOB], pgEnv);
        await remote.close([]);
      }
    } finally {
      await database?.stop();
      await ssh.stop();
      rmSync(keyDir, { recursive: true, force: true });
      rmSync(pgDir, { recursive: true, force: true });
      rmSync(remoteRoot, { recursive: true, force: true });
    }
    ctx.log(`secrets: ${outputs.length} outputs searched`);
    const secrets: Secret[] = [
      {
        name: 'a sensitive variable',
        marker: () => [m.sensitive, m.sensitive.toUpperCase()],
        // README "Sensitive values": planfiles and the state hold them; state show --show-sensitive prints them.
        allowed: ['planfile', 'state file', 'postgres rows', 'drover state show --show-sensitive'],
      },
      // README "Variables": sealed in the state; only `var get` shows a value.
      {
        name: 'a Variable',
        marker: () => [m.variable],
        allowed: ['drover var get'],
      },
      // README: Secret IDs are shown once, when made; stored as hashes.
      {
        name: 'ACL tokens',
        marker: () => tokens,
        // README (ACLs): a Secret ID is shown when it is made and to its own holder (token self).
        allowed: [
          'API POST /v1/acl/bootstrap',
          'API POST /v1/acl/token',
          'API GET /v1/acl/token/self',
        ],
      },
      // README (postgres backend): never in drover.hcl, messages, plans or logs.
      { name: 'the PostgreSQL password', marker: () => [m.pgPassword], allowed: [] },
      // README (State): the node inventory in the state keeps the identity path, never the key.
      {
        name: 'an SSH key path',
        marker: () => [m.keyPath],
        allowed: ['state file', 'postgres rows', 'drover state show'],
      },
    ];
    return secrets.map((s) => judge(s, outputs));
  },
};

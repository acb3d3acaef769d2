// Benchmark (issue 15): leader failover of `drover server` on a real PostgreSQL.
//
// Two servers on one postgres state (lease_ttl from --ttl, default 5 s). The leader is killed
// with SIGKILL (no chance to give the lease up); measured from the kill until the other server
// (1) answers /v1/status/leader with its own address, (2) says it leads (/v1/agent/self), and
// (3) accepts a write (PUT /v1/jobs of a one-task batch job, planned and started by the new
// leader). Goal: the other server leads and accepts that write within the lease ttl + 2 s.
//
// PostgreSQL is a throwaway server (test/support/postgres-server.mjs), stopped at the end.
// Options: --runs=N (3), --ttl=SECONDS (5), --keep (leave the directory).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../test/support/postgres-server.mjs';
import { median } from './lib/measure.mjs';
import { ensureCliBuilt } from './plan/build.mjs';

export const name = 'server-failover';
export const description =
  'kill -9 of the leading drover server: until the other one leads and accepts a write';
export const options = ['runs', 'ttl', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');
const LISTENING = /^drover server listening on (https?:\/\/\S+)$/m;
const GIVE_UP_MS = 60_000;

/** Starts `drover server` in `dir`; resolves once its listening line is out. */
function startServer(dir, serverName) {
  const child = spawn(process.execPath, [cli, 'server', '-port', '0', '-name', serverName], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = LISTENING.exec(out);
      if (m)
        resolve({ url: m[1], address: m[1].replace(/^https?:\/\//, ''), child, log: () => err });
    });
    child.on('exit', (code) => reject(new Error(`drover server exited with ${code}:\n${err}`)));
  });
}

function stop(server, signal) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill(signal);
  return exited;
}

async function json(url, init) {
  const r = await fetch(url, init);
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    return { status: r.status, body: text };
  }
}

const leaderOf = async (s) => (await json(`${s.url}/v1/status/leader`).catch(() => ({}))).body;
const leads = async (s) =>
  (await json(`${s.url}/v1/agent/self`).catch(() => ({ body: {} }))).body?.stats?.nomad?.leader ===
  'true';

/** A write through the API: 'ok', 'missing' (no such endpoint yet) or 'refused'. */
async function tryWrite(s, run) {
  const job = {
    ID: `failover-${run}`,
    Name: `failover-${run}`,
    Type: 'batch',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'g',
        Count: 1,
        Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }],
      },
    ],
  };
  const r = await json(`${s.url}/v1/jobs`, {
    method: 'PUT',
    body: JSON.stringify({ Job: job }),
  }).catch(() => ({ status: 0 }));
  if (r.status === 404 || r.status === 405) return 'missing';
  return r.status === 200 ? 'ok' : 'refused';
}

/** Polls `check` every 20 ms; the time it took, or undefined after GIVE_UP_MS. */
async function until(since, check) {
  while (Date.now() - since < GIVE_UP_MS) {
    if (await check()) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

export async function run(opts = {}, log = () => {}) {
  const runs = Number(opts.runs ?? 3);
  const ttlMs = Number(opts.ttl ?? 5) * 1000;
  ensureCliBuilt(root, log);
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-failover-'));
  log('starting PostgreSQL…');
  const pg = await startPostgres();
  const rows = [];
  const servers = [];
  try {
    writeFileSync(
      join(dir, 'drover.hcl'),
      `state {\n  backend = "postgres"\n  url     = "${pg.url}"\n}\n` +
        `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
        `server {\n  lease_ttl = "${ttlMs}ms"\n}\n`,
    );
    for (let i = 1; i <= runs; i++) {
      const a = await startServer(dir, `a${i}`);
      servers.push(a);
      // The lease of the previous run's survivor is given up on SIGTERM: a leads.
      await until(Date.now(), async () => (await leaderOf(a)) === a.address);
      const b = await startServer(dir, `b${i}`);
      servers.push(b);
      if ((await leaderOf(b)) !== a.address) throw new Error(`run ${i}: b does not follow a`);
      const killed = Date.now();
      await stop(a, 'SIGKILL');
      const answers = await until(killed, async () => (await leaderOf(b)) === b.address);
      const acts = await until(killed, () => leads(b));
      let write = 'n/a';
      const first = await tryWrite(b, i);
      if (first !== 'missing') {
        const ms =
          first === 'ok'
            ? Date.now() - killed
            : await until(killed, async () => (await tryWrite(b, i)) === 'ok');
        write = ms;
      }
      rows.push({ run: i, ttl: ttlMs, answers, acts, write });
      log(`run ${i}: leader answered after ${answers} ms, acts after ${acts} ms, write ${write}`);
      await stop(b, 'SIGTERM');
    }
  } finally {
    for (const s of servers) await stop(s, 'SIGKILL');
    await pg.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
  const ms = (v) => (typeof v === 'number' ? `${v} ms` : String(v ?? 'never'));
  // Acting is leading and taking a write; a write that never succeeded counts as never.
  const worst = Math.max(
    ...rows.map((r) =>
      Math.max(r.acts ?? Infinity, typeof r.write === 'number' ? r.write : Infinity),
    ),
  );
  return {
    name,
    title: `Leader failover: kill -9 of the leader, two servers on postgres (lease ttl ${ttlMs / 1000} s)`,
    columns: [
      { key: 'run', label: 'run' },
      { key: 'answers', label: '/v1/status/leader is the other', format: ms },
      { key: 'acts', label: 'the other leads', format: ms },
      { key: 'write', label: 'a write accepted', format: ms },
    ],
    rows,
    notes: [
      `median until the other leads: ${ms(median(rows.map((r) => r.acts ?? GIVE_UP_MS)))}`,
      'a write is PUT /v1/jobs of a one-task batch job, planned and started by the new leader',
    ],
    goals: [
      {
        text: `the other server leads and accepts a write within lease ttl + 2 s (${ttlMs + 2000} ms)`,
        met: worst <= ttlMs + 2000,
      },
    ],
  };
}

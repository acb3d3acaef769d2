/**
 * The faults themselves, each by its pid or its own mount, never touching what other tests use:
 * an SSH host that stops answering (its sshd and session processes SIGSTOPped), a PostgreSQL
 * server restarted or its connections killed, a small tmpfs under the state directory that fills.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir, type PostgresServer } from '../../support/postgres-server.mjs';
import type { SshHost } from '../../support/sshd.js';

const run = promisify(execFile);

/** The test sshd's listener (found by its config file) and every process under it. */
function sshdProcesses(host: SshHost): number[] {
  const config = join(dirname(host.privateKeyPath), 'sshd_config');
  const parent = new Map<number, number>();
  let listener: number | undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(config)) listener = Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  if (listener === undefined) throw new Error(`no sshd runs with ${config}`);
  const tree = [listener];
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (tree.includes(ppid) && !tree.includes(pid)) {
        tree.push(pid);
        grew = true;
      }
    }
  }
  return tree;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone.
    }
  }
}

/** Freezes the host's sshd (listener and sessions): TCP still accepts, nothing answers. */
export function freezeSshHost(host: SshHost): () => void {
  const pids = sshdProcesses(host);
  signalAll(pids, 'SIGSTOP');
  return () => signalAll(pids, 'SIGCONT');
}

/** Ends every connection to `database` but the caller's own (`pg_terminate_backend`). */
export async function killConnections(server: PostgresServer, database: string): Promise<number> {
  const c = new pg.Client(server.url);
  await c.connect();
  try {
    const r = await c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

/** `pg_ctl restart -m fast` (it keeps the options the server was started with). */
export async function restartPostgres(server: PostgresServer): Promise<void> {
  const ctl = join(postgresBinDir(), 'pg_ctl');
  const args = [
    '-D',
    join(server.dir, 'data'),
    '-w',
    '-m',
    'fast',
    'restart',
    '-l',
    join(server.dir, 'log'),
  ];
  if (process.getuid?.() === 0) {
    const quoted = [ctl, ...args].map((a) => `'${a}'`).join(' ');
    await run('su', ['postgres', '-s', '/bin/sh', '-c', quoted]);
  } else await run(ctl, args);
}

export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const c = new pg.Client(server.url);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

export interface SmallDisk {
  /** Fills the disk up to `leaveBytes` free. */
  fill(leaveBytes: number): void;
  /** Frees the space `fill` took. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** A tmpfs of `sizeKb` mounted at `dir` (made if missing). */
export async function smallDisk(dir: string, sizeKb: number): Promise<SmallDisk> {
  mkdirSync(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    fill(leaveBytes) {
      const { bavail, bsize } = statfsSync(dir);
      const free = bavail * bsize;
      const size = Math.max(0, free - leaveBytes);
      try {
        writeFileSync(filler, Buffer.alloc(size));
      } catch {
        // Full: what was written stays.
      }
    },
    async free() {
      await run('rm', ['-f', filler]);
    },
    async unmount() {
      await run('umount', ['-l', dir]).catch(() => undefined);
    },
  };
}

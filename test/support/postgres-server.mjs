// A throwaway PostgreSQL server for tests and benchmarks: Debian's `postgresql` binaries, a data
// directory under /tmp, a free port on 127.0.0.1, trust authentication on loopback, stopped (by
// its pid file, `pg_ctl stop`) and removed afterwards. As root it runs as the `postgres` user
// (PostgreSQL refuses to run as root). Never the system cluster on port 5432.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PG_SETUP_HINT =
  'install PostgreSQL with `bash scripts/test-hosts.sh` (as root; Debian package postgresql)';

/** The newest installed server's bin directory (/usr/lib/postgresql/<major>/bin). */
export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) throw new Error(`no PostgreSQL server under ${root}: ${PG_SETUP_HINT}`);
  return join(root, majors[0], 'bin');
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * Starts a server; resolves to `{ url, port, dir, stop }` where `url` reaches its `postgres`
 * database as the `postgres` superuser. `settings` are extra `-c` options (e.g. fsync=off).
 */
export async function startPostgres(settings = {}) {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync('/tmp/drover-pg-');
  const data = join(dir, 'data');
  const exec = async (cmd, args) => {
    if (!asRoot) return run(join(bin, cmd), args);
    const quoted = [join(bin, cmd), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return run('su', ['postgres', '-s', '/bin/sh', '-c', quoted]);
  };
  try {
    if (asRoot) {
      try {
        await run('id', ['-u', 'postgres']);
      } catch {
        throw new Error(`user postgres is missing: ${PG_SETUP_HINT}`);
      }
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-N', '-E', 'UTF8']);
    let lastError;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const options = [
        `-c listen_addresses=127.0.0.1`,
        `-p ${port}`,
        `-c unix_socket_directories=${dir}`,
        ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
      ].join(' ');
      try {
        await exec('pg_ctl', [
          '-D',
          data,
          '-l',
          join(dir, 'log'),
          '-o',
          options,
          '-w',
          '-t',
          '60',
          'start',
        ]);
      } catch (e) {
        lastError = e; // the port was taken meanwhile: another one
        continue;
      }
      let stopped = false;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        async stop() {
          if (stopped) return;
          stopped = true;
          await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(
            () => undefined,
          );
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

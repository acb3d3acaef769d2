// Starts throwaway OpenSSH servers on loopback addresses (127.0.0.2, 127.0.0.3, …) so that
// integration tests talk to real hosts. Each server has its own temp dir, host key, user key and
// authorized_keys file, so several run side by side without sharing any state.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SETUP_HINT } from './docker.js';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
/** Attempts when the port was picked for the caller and another process took it meanwhile. */
const PORT_ATTEMPTS = 3;

export interface SshHostOptions {
  /** A loopback address such as 127.0.0.2; nothing else may be a test target. */
  address: string;
  /** Defaults to a free port on `address`. */
  port?: number;
  /** Defaults to `deploy`, whom scripts/test-hosts.sh creates. */
  user?: string;
}

export interface SshHost {
  address: string;
  port: number;
  user: string;
  /** OpenSSH-format ed25519 key that `user` may log in with. */
  privateKeyPath: string;
  /** The server's key as an authorized_keys line: `ssh-ed25519 AAAA… comment`. */
  hostPublicKey: string;
  /** Kills the server and its session processes by pid and removes the temp dir. */
  stop(): Promise<void>;
  /** Kills the server only (the host "goes away"), keeping its keys and port for `resume`. */
  pause(): Promise<void>;
  /** Starts the server again on the same address and port with the same keys. */
  resume(): Promise<void>;
}

export async function startSshHost(opts: SshHostOptions): Promise<SshHost> {
  const user = opts.user ?? 'deploy';
  assertLoopback(opts.address);
  await assertPrerequisites(user);

  const dir = await mkdtemp(join(tmpdir(), 'drover-sshd-'));
  try {
    // The user's session reads authorized_keys from here, so it must be able to pass through.
    await chmod(dir, 0o711);
    await Promise.all([keygen(join(dir, 'host_key')), keygen(join(dir, 'user_key'))]);
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(join(dir, 'user_key.pub')));
    await chmod(authorizedKeys, 0o644);
    const hostPublicKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim();

    const started = await startListening(dir, opts.address, opts.port, user);
    let child: ChildProcess | undefined = started.child;
    const port = started.port;
    return {
      address: opts.address,
      port,
      user,
      privateKeyPath: join(dir, 'user_key'),
      hostPublicKey,
      stop: runOnce(async () => {
        if (child) await killTree(child);
        await rm(dir, { recursive: true, force: true });
      }),
      pause: async () => {
        if (child) await killTree(child);
        child = undefined;
      },
      resume: async () => {
        if (!child) child = (await startListening(dir, opts.address, port, user)).child;
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function assertLoopback(address: string): void {
  if (net.isIPv4(address) && address.startsWith('127.')) return;
  throw new Error(`test sshd address must be a loopback address 127.x.y.z, got ${address}`);
}

async function assertPrerequisites(user: string): Promise<void> {
  const missing: string[] = [];
  if (!(await exists(SSHD))) missing.push(SSHD);
  if (!(await exists('/run/sshd'))) missing.push('/run/sshd');
  if (!(await userExists(user))) missing.push(`user ${user}`);
  if (missing.length > 0) {
    throw new Error(`cannot start a test sshd, missing ${missing.join(', ')}: ${SETUP_HINT}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function userExists(user: string): Promise<boolean> {
  try {
    await run('id', ['-u', user]);
    return true;
  } catch {
    return false;
  }
}

async function keygen(path: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'drover-test', '-f', path]);
}

function sshdConfig(dir: string, address: string, port: number, user: string): string {
  return [
    `ListenAddress ${address}`,
    `Port ${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp dir is world-traversable, which strict mode would reject.
    'StrictModes no',
    // Drover reaches a host's Docker socket through a stream-local forward.
    'AllowStreamLocalForwarding yes',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

async function startListening(
  dir: string,
  address: string,
  requestedPort: number | undefined,
  user: string,
): Promise<{ child: ChildProcess; port: number }> {
  const attempts = requestedPort === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort ?? (await freePort(address));
    const config = join(dir, 'sshd_config');
    const log = join(dir, 'sshd.log');
    await writeFile(config, sshdConfig(dir, address, port, user));
    // -D keeps sshd in the foreground so that its pid is the child's pid; -E logs to a file.
    const child = spawn(SSHD, ['-D', '-f', config, '-E', log], { stdio: 'ignore' });
    try {
      await waitUntilListening(child, join(dir, 'sshd.pid'), address, port);
      return { child, port };
    } catch (err) {
      await killTree(child);
      const logText = await readFile(log, 'utf8').catch(() => '');
      const portTaken = /Address already in use|Cannot bind/i.test(logText);
      if (!portTaken || attempt >= attempts) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`test sshd on ${address}:${port} did not start: ${reason}\n${logText}`, {
          cause: err,
        });
      }
    }
  }
}

/** A port that is free right now; sshd binds it a moment later, hence the retry above. */
async function freePort(address: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, address);
  await once(server, 'listening');
  const bound = server.address();
  server.close();
  await once(server, 'close');
  if (bound === null || typeof bound === 'string') throw new Error('no TCP port assigned');
  return bound.port;
}

/**
 * sshd writes its pid file only once it has bound its port, so the pid file (not merely an open
 * port, which another process may hold) tells that this sshd listens.
 */
async function waitUntilListening(
  child: ChildProcess,
  pidFile: string,
  address: string,
  port: number,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd exited (${child.exitCode ?? child.signalCode})`);
    }
    const pid = await readFile(pidFile, 'utf8').catch(() => '');
    if (Number(pid) === child.pid && (await accepts(address, port))) return;
    if (Date.now() > deadline) throw new Error(`port not open after ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Stops sshd and the per-connection processes it forked (they outlive the listener otherwise),
 * each by its pid. Connection processes go first and end their sessions themselves while the
 * listener is still there to reap them: an orphan may never be reaped, as PID 1 here is no init.
 * Whatever is left after the grace period gets SIGKILL.
 */
async function killTree(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  const tree = await processTree();
  const connections = tree.get(pid) ?? [];
  const everything = [pid, ...descendants(tree, pid)];
  const killer = setTimeout(() => {
    for (const p of everything) signal(p, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  try {
    for (const p of connections) signal(p, 'SIGTERM');
    await waitUntilGone(connections, STOP_TIMEOUT_MS / 2);
    signal(pid, 'SIGTERM');
    await exited;
  } finally {
    clearTimeout(killer);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const alive = await Promise.all(pids.map((p) => exists(`/proc/${p}`)));
    if (!alive.includes(true)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Parent pid → child pids, for every process on the machine. */
async function processTree(): Promise<Map<number, number[]>> {
  const childrenOf = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = childrenOf.get(ppid) ?? [];
    siblings.push(Number(entry));
    childrenOf.set(ppid, siblings);
  }
  return childrenOf;
}

function descendants(tree: Map<number, number[]>, root: number): number[] {
  const found: number[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const kids = tree.get(next) ?? [];
    found.push(...kids);
    queue.push(...kids);
  }
  return found;
}

/** Makes `fn` run at most once; later calls share the first call's promise. */
function runOnce(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}

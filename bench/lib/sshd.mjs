// A throwaway OpenSSH server on a loopback address for benchmarks (as test/support/sshd.ts
// starts them for tests): its own temp dir, host key, user key and authorized_keys file, so
// several run side by side. Stopped by pid: its connection processes first, then the listener.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execAsync = promisify(execFile);
/** The hosts' user: scripts/test-hosts.sh makes it (login shell /bin/sh, in group docker). */
export const SSH_USER = 'deploy';
export const SETUP_HINT = 'run `bash scripts/test-hosts.sh` (as root) to set up the test hosts';

/**
 * Starts sshd on `address` (127.x.y.z) and a free port. Resolves to `{ address, port, dir,
 * userKey, hostPublicKey, stop }`; `hostPublicKey` is the `ssh-ed25519 AAAA…` line of its host
 * key, `stop()` ends it and removes its dir.
 */
export async function startSshd(address, log = () => {}) {
  if (!/^127\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`sshd address ${address}: not 127.x`);
  for (const path of ['/usr/sbin/sshd', '/run/sshd']) {
    if (!(await exists(path))) throw new Error(`${path} is missing: ${SETUP_HINT}`);
  }
  try {
    await execAsync('id', ['-u', SSH_USER]);
  } catch {
    throw new Error(`user ${SSH_USER} is missing: ${SETUP_HINT}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'drover-bench-sshd-'));
  let child;
  try {
    await chmod(dir, 0o711);
    for (const key of ['host_key', 'user_key']) {
      await execAsync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        'drover-bench',
        '-f',
        join(dir, key),
      ]);
    }
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user_key.pub')));
    await chmod(join(dir, 'authorized_keys'), 0o644);
    const port = await freePort(address);
    const config = [
      `ListenAddress ${address}`,
      `Port ${port}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${SSH_USER}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      // drover reaches a host's Docker socket through a stream-local forward.
      'AllowStreamLocalForwarding yes',
      'PrintMotd no',
      '',
    ].join('\n');
    await writeFile(join(dir, 'sshd_config'), config);
    child = spawn(
      '/usr/sbin/sshd',
      ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`sshd exited: ${await readFile(join(dir, 'sshd.log'), 'utf8')}`);
      const pid = await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => '');
      if (Number(pid) === child.pid) break;
      if (Date.now() > deadline) throw new Error('sshd did not start in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    log(`sshd on ${address}:${port} (pid ${child.pid})`);
    const hostPublicKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim();
    return {
      address,
      port,
      dir,
      userKey: join(dir, 'user_key'),
      hostPublicKey,
      stop: async () => {
        await stopSshd(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child) await stopSshd(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Its connection processes first (they end their sessions), then the listener, by pid. */
async function stopSshd(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  const connections = await childrenOf(child.pid);
  for (const pid of connections) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 2_500;
  while (
    Date.now() < deadline &&
    (await Promise.all(connections.map((p) => exists(`/proc/${p}`)))).includes(true)
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  signal(child.pid, 'SIGTERM');
  const killer = setTimeout(() => signal(child.pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

async function childrenOf(parent) {
  const out = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) out.push(Number(entry));
  }
  return out;
}

function signal(pid, signalName) {
  try {
    process.kill(pid, signalName);
  } catch {
    // Already gone.
  }
}

async function exists(path) {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function freePort(address) {
  const server = net.createServer().listen(0, address);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

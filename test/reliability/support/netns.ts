/**
 * An SSH host behind a link that can be cut: a network namespace of its own (made here, as
 * root) joined to this one by a veth pair on a /30 of its own, with an sshd for user `deploy`
 * listening inside it. `cut()` takes the link's far end down (packets vanish: no reset, no
 * refusal, as when a cable is pulled); `mend()` brings it back. Everything is removed by `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SshHost } from '../../support/sshd.js';

const run = promisify(execFile);
const PORT = 22;

export interface CuttableHost extends SshHost {
  cut(): Promise<void>;
  mend(): Promise<void>;
}

/** `n` (1–250) names the namespace (drover-rel-ns<n>) and picks the subnet 10.217.<n>.0/30. */
export async function startNetnsSshHost(n: number): Promise<CuttableHost> {
  const ns = `drover-rel-ns${n}`;
  const outside = `drel${n}a`;
  const inside = `drel${n}b`;
  const [hostIp, nsIp] = [`10.217.${n}.1`, `10.217.${n}.2`];
  const dir = await mkdtemp(join(tmpdir(), 'drover-rel-netns-'));
  let child: ChildProcess | undefined;
  const removeLinks = async () => {
    await run('ip', ['link', 'del', outside]).catch(() => undefined);
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  };
  const cleanup = async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await removeLinks();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await removeLinks(); // a run cut short may have left them
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
    await run('ip', ['link', 'set', inside, 'netns', ns]);
    await run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', outside]);
    await run('ip', ['link', 'set', outside, 'up']);
    const inNs = (args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
    await inNs(['ip', 'addr', 'add', `${nsIp}/30`, 'dev', inside]);
    await inNs(['ip', 'link', 'set', inside, 'up']);
    await inNs(['ip', 'link', 'set', 'lo', 'up']);

    await chmod(dir, 0o711);
    for (const key of ['host_key', 'user_key'])
      await run('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        'drover-rel',
        '-f',
        join(dir, key),
      ]);
    await copyFile(join(dir, 'user_key.pub'), join(dir, 'authorized_keys'));
    await chmod(join(dir, 'authorized_keys'), 0o644);
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      [
        `ListenAddress ${nsIp}`,
        `Port ${PORT}`,
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'AllowUsers deploy',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PrintMotd no',
        '',
      ].join('\n'),
    );
    child = spawn(
      'ip',
      ['netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-f', config, '-E', join(dir, 'sshd.log')],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10_000;
    while (!(await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => ''))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `sshd in ${ns} did not start: ${await readFile(join(dir, 'sshd.log'), 'utf8').catch(() => '')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const hostPublicKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim();
    let stopped: Promise<void> | undefined;
    return {
      address: nsIp,
      port: PORT,
      user: 'deploy',
      privateKeyPath: join(dir, 'user_key'),
      hostPublicKey,
      // The far end goes down: this end stays up without a carrier, so what drover sends is
      // dropped without an error, as on a pulled cable (netem is not in every kernel).
      cut: async () => void (await inNs(['ip', 'link', 'set', inside, 'down'])),
      mend: async () => void (await inNs(['ip', 'link', 'set', inside, 'up'])),
      stop: () => (stopped ??= cleanup()),
      pause: () => Promise.reject(new Error('cut() the link instead')),
      resume: () => Promise.reject(new Error('mend() the link instead')),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

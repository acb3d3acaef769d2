// The ssh transport: its pure parts (known_hosts, fingerprints, the host key decision, shell
// quoting, bastion specs, credentials, the channel limiter) as tables, then the transport itself
// against real OpenSSH servers on loopback addresses: connection errors, host key pinning and
// known_hosts, reconnects, a bastion, and the Docker API through the tunnel. The behaviour it
// shares with every transport is in conformance.test.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver } from '../../providers/drivers/docker.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { createTransport } from '../../providers/registry.js';
import { SshTransport, type SshTransportOptions } from '../../providers/transports/ssh.js';
import { MAX_DOCKER_CHANNELS } from '../../providers/transports/ssh-docker.js';
import { expandHome, planAuth } from '../../providers/transports/ssh-auth.js';
import {
  remoteCommand,
  remoteScriptCommand,
  scriptInput,
  shellQuote,
} from '../../providers/transports/ssh-command.js';
import {
  ChannelLimiter,
  SshConnectionError,
  parseBastion,
} from '../../providers/transports/ssh-connection.js';
import {
  checkHostKey,
  describeHostKey,
  entryMatchesHost,
  globMatches,
  hostKeyAlgorithmOrder,
  keyAlgorithm,
  keyFingerprint,
  knownHostName,
  parseKnownHosts,
  type HostKey,
  type HostKeyCheck,
} from '../../providers/transports/ssh-hostkeys.js';
import type { NodeSpec } from '../../providers/types.js';
import {
  dockerAvailable,
  ensureTestImages,
  localDocker,
  removeContainersByLabel,
  SETUP_HINT,
  TEST_IMAGE_V1,
} from '../support/docker.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { freezeSshHost } from '../reliability/support/faults.js';
import { HOSTILE_ARGS } from './transport-conformance.js';

const execFileAsync = promisify(execFile);
const TEST_LABEL = `ssh-transport-${process.pid}`;

// Two ed25519 public keys and what `ssh-keygen -l` says of them; KH is `ssh-keygen -H` of
// "[10.1.2.3]:2222 K1" and "web.example.com K1".
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIN6idmUptHW30uDCTTIqcWG2R9KpedWkavL1w4OtgjA8';
const K1_FP = 'SHA256:sexk1UPNA+4mu+ca+LnOeDNWVLHC5+70Yu6I2k450ng';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAILZ3u8ZrsYEHZ6K+jyGoMTZ4+8pmShhQT+W4+6OFQ/1t';
const K2_FP = 'SHA256:S/HlkFlFTpohgLC5cTDZrwXHFjiuXxEIk/EvJnRi/Is';
const HASHED_10_1_2_3_2222 = '|1|c5606T76MhqGhUYKc5C0iXhyP1s=|84EBaEqjjiflNmdzbZZlGddd4G4=';
const HASHED_WEB_EXAMPLE_COM = '|1|93gkchTF7jW6Spoi+U+tp1YipR8=|e+iEs1btUnWswkfwWR9UuAWbITk=';

function hostKey(base64: string): HostKey {
  return describeHostKey(Buffer.from(base64, 'base64'));
}

// ---------------------------------------------------------------------------------------------
// Pure parts

describe('host key fingerprints', () => {
  it('formats SHA256 fingerprints as ssh-keygen -l does', () => {
    expect(keyFingerprint(Buffer.from(K1, 'base64'))).toBe(K1_FP);
    expect(keyFingerprint(Buffer.from(K2, 'base64'))).toBe(K2_FP);
  });

  it('reads the key type from the blob', () => {
    expect(hostKey(K1)).toEqual({ algorithm: 'ssh-ed25519', key: K1, fingerprint: K1_FP });
    expect(keyAlgorithm(Buffer.alloc(2))).toBe('unknown');
    expect(keyAlgorithm(Buffer.from([0, 0, 0, 9, 65]))).toBe('unknown');
  });
});

describe('parseKnownHosts', () => {
  it('keeps entries with their line numbers and markers, skips the rest', () => {
    const text = [
      '# a comment',
      '',
      `web-1,10.0.0.5 ssh-ed25519 ${K1} comment words`,
      `  [10.0.0.6]:2222 ssh-ed25519 ${K2}`,
      `@revoked * ssh-ed25519 ${K2}`,
      `@cert-authority *.example.com ssh-ed25519 ${K1}`,
      `@unknown-marker host ssh-ed25519 ${K1}`,
      'only-a-host',
      'host ssh-ed25519 not*base64',
      `${HASHED_WEB_EXAMPLE_COM} ssh-ed25519 ${K1}`,
    ].join('\n');
    expect(parseKnownHosts(text)).toEqual([
      { line: 3, hosts: 'web-1,10.0.0.5', algorithm: 'ssh-ed25519', key: K1 },
      { line: 4, hosts: '[10.0.0.6]:2222', algorithm: 'ssh-ed25519', key: K2 },
      { line: 5, marker: 'revoked', hosts: '*', algorithm: 'ssh-ed25519', key: K2 },
      {
        line: 6,
        marker: 'cert-authority',
        hosts: '*.example.com',
        algorithm: 'ssh-ed25519',
        key: K1,
      },
      { line: 10, hosts: HASHED_WEB_EXAMPLE_COM, algorithm: 'ssh-ed25519', key: K1 },
    ]);
  });
});

describe('known_hosts host matching', () => {
  it.each([
    ['web-1', 22, 'web-1'],
    ['WEB-1', 22, 'web-1'],
    ['10.0.0.5', 2222, '[10.0.0.5]:2222'],
  ])('names %s port %d as %s', (host, port, name) => {
    expect(knownHostName(host, port)).toBe(name);
  });

  it.each([
    ['web-1', 'web-1', true],
    ['web-1,10.0.0.5', '10.0.0.5', true],
    ['web-1', 'web-2', false],
    ['WEB-1', 'web-1', true],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'example.com', false],
    ['web-?', 'web-7', true],
    ['web-?', 'web-10', false],
    ['*,!10.0.0.9', '10.0.0.5', true],
    ['*,!10.0.0.9', '10.0.0.9', false],
    ['!10.0.0.9,*', '10.0.0.9', false],
    ['!10.0.0.9', '10.0.0.5', false],
    ['10.0.0.5', '[10.0.0.5]:2222', false],
    ['[10.0.0.5]:2222', '[10.0.0.5]:2222', true],
    ['[10.0.0.*]:2222', '[10.0.0.8]:2222', true],
    ['[10.0.0.5]:2222', '[10.0.0.5]:22', false],
    [HASHED_10_1_2_3_2222, '[10.1.2.3]:2222', true],
    [HASHED_10_1_2_3_2222, '10.1.2.3', false],
    [HASHED_WEB_EXAMPLE_COM, 'web.example.com', true],
    [HASHED_WEB_EXAMPLE_COM, 'web.example.org', false],
    ['|1|broken', 'web.example.com', false],
  ])('pattern %j matches %s: %s', (hosts, name, expected) => {
    expect(entryMatchesHost(hosts, name)).toBe(expected);
  });

  it.each([
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['*a', 'bbba', true],
    ['??', 'ab', true],
    ['??', 'abc', false],
    ['a**', 'a', true],
  ])('glob %j on %j: %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('hostKeyAlgorithmOrder', () => {
  it('asks for the known key types first, RSA under all its signature names', () => {
    expect(hostKeyAlgorithmOrder([])).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(hostKeyAlgorithmOrder(['ssh-rsa', 'sk-ssh-ed25519@openssh.com'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
    ]);
  });
});

describe('checkHostKey', () => {
  const base: HostKeyCheck = {
    subject: 'node web-1',
    node: 'web-1',
    host: '127.0.0.2',
    port: 2222,
    presented: hostKey(K1),
    knownHosts: [],
    knownHostsFile: '/home/me/.ssh/known_hosts',
  };
  const kh = (...lines: string[]): HostKeyCheck['knownHosts'] => parseKnownHosts(lines.join('\n'));

  it.each<[string, Partial<HostKeyCheck>, ReturnType<typeof checkHostKey>]>([
    ['first contact: accept and pin', {}, { ok: true, source: 'first-contact', pinNow: true }],
    [
      'known_hosts vouches: accept and pin',
      { knownHosts: kh(`[127.0.0.2]:2222 ssh-ed25519 ${K1}`) },
      { ok: true, source: 'known_hosts', pinNow: true },
    ],
    ['pinned: accept', { pinned: hostKey(K1) }, { ok: true, source: 'pin', pinNow: false }],
    [
      'known_hosts and pin agree',
      { knownHosts: kh(`[127.0.0.2]:2222 ssh-ed25519 ${K1}`), pinned: hostKey(K1) },
      { ok: true, source: 'known_hosts+pin', pinNow: false },
    ],
    [
      'entries for other hosts and ports do not count',
      { knownHosts: kh(`127.0.0.2 ssh-ed25519 ${K2}`, `[127.0.0.3]:2222 ssh-ed25519 ${K2}`) },
      { ok: true, source: 'first-contact', pinNow: true },
    ],
    [
      'certificate authorities are not host keys',
      { knownHosts: kh(`@cert-authority * ssh-ed25519 ${K2}`) },
      { ok: true, source: 'first-contact', pinNow: true },
    ],
    [
      'another pinned key: refused',
      { pinned: hostKey(K2) },
      {
        ok: false,
        message: `host key of node web-1 (127.0.0.2:2222) changed: expected ${K2_FP}, got ${K1_FP}; if this is expected, run \`drover node trust web-1\``,
      },
    ],
    [
      'another key in known_hosts: refused, even with a matching pin',
      { knownHosts: kh('# c', `[127.0.0.2]:2222 ssh-ed25519 ${K2}`), pinned: hostKey(K1) },
      {
        ok: false,
        message: `host key of node web-1 (127.0.0.2:2222) changed: expected ${K2_FP} (/home/me/.ssh/known_hosts line 2), got ${K1_FP}; if this is expected, remove the old entry with \`ssh-keygen -R '[127.0.0.2]:2222'\` and run \`drover node trust web-1\``,
      },
    ],
    [
      'a revoked key: refused',
      { knownHosts: kh(`@revoked * ssh-ed25519 ${K1}`) },
      {
        ok: false,
        message: `host key ${K1_FP} of node web-1 (127.0.0.2:2222) is marked @revoked in /home/me/.ssh/known_hosts line 1`,
      },
    ],
  ])('%s', (_name, change, verdict) => {
    expect(checkHostKey({ ...base, ...change })).toEqual(verdict);
  });
});

describe('shell quoting', () => {
  it.each([
    ['plain', 'plain'],
    ['/usr/bin/env', '/usr/bin/env'],
    ['a=b,c:d@e%f+g', 'a=b,c:d@e%f+g'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", `'it'\\''s'`],
    ['$HOME', "'$HOME'"],
    ['a\nb', "'a\nb'"],
    ['*', "'*'"],
    ['~', "'~'"],
  ])('quotes %j as %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('survives a real POSIX shell for every hostile argument', async () => {
    const command = `printf '%s\\0' ${HOSTILE_ARGS.map(shellQuote).join(' ')}`;
    const { stdout } = await execFileAsync('/bin/sh', ['-c', command]);
    expect(stdout.split('\0').slice(0, -1)).toEqual(HOSTILE_ARGS);
  });

  it('builds command lines that exec the program, in cwd with env', () => {
    expect(remoteCommand(['echo', 'a b'])).toBe("exec echo 'a b'");
    expect(remoteCommand(['pwd'], { cwd: '/tmp/x y', env: { A: "it's", B_2: '' } })).toBe(
      `cd '/tmp/x y' && export A='it'\\''s' && export B_2='' && exec pwd`,
    );
    expect(remoteScriptCommand({ cwd: '/srv' })).toBe('cd /srv && exec /bin/sh -s');
    expect(() => remoteCommand([])).toThrow('run: empty argv');
    expect(() => remoteCommand(['true'], { env: { 'A-B': '1' } })).toThrow(
      'environment variable name "A-B" is not valid',
    );
  });

  it('wraps a script so it is read whole and runs without stdin', () => {
    expect(scriptInput('echo hi')).toBe('{ echo hi\n} </dev/null\n');
  });
});

describe('parseBastion', () => {
  it.each([
    ['jump', { user: 'deploy', host: 'jump', port: 22 }],
    ['ops@jump.example.com', { user: 'ops', host: 'jump.example.com', port: 22 }],
    ['ops@10.0.0.1:2200', { user: 'ops', host: '10.0.0.1', port: 2200 }],
    ['[::1]:2200', { user: 'deploy', host: '::1', port: 2200 }],
  ])('reads %s', (spec, endpoint) => {
    expect(parseBastion(spec, 'deploy')).toEqual(endpoint);
  });

  it.each(['ssh://jump', 'a@b@c', 'jump:99999', ''])('refuses %j', (spec) => {
    expect(() => parseBastion(spec, 'deploy')).toThrow(/bastion/);
  });
});

describe('credentials', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'drover-ssh-auth-'));
    await mkdir(join(home, '.ssh'));
    await execFileAsync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(home, '.ssh', 'id_ed25519'),
    ]);
    await execFileAsync('ssh-keygen', [
      '-q',
      '-t',
      'ecdsa',
      '-N',
      'secret',
      '-f',
      join(home, '.ssh', 'id_ecdsa'),
    ]);
    await writeFile(join(home, '.ssh', 'id_rsa'), 'not a key\n');
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('expands ~ in paths', () => {
    expect(expandHome('~', '/home/me')).toBe('/home/me');
    expect(expandHome('~/.ssh/k', '/home/me')).toBe('/home/me/.ssh/k');
    expect(expandHome('/abs/~/k', '/home/me')).toBe('/abs/~/k');
    expect(expandHome('~other/k', '/home/me')).toBe('~other/k');
  });

  it('offers only the identity when one is set', async () => {
    const plan = await planAuth(
      { identity: '~/.ssh/id_ed25519', agentSocket: '/agent', home },
      'u',
    );
    expect(plan.tried).toEqual([`publickey ${home}/.ssh/id_ed25519`]);
    expect(plan.methods).toHaveLength(1);
    expect(plan.methods[0]).toMatchObject({ type: 'publickey', username: 'u' });
  });

  it('says why an identity cannot be used', async () => {
    await expect(planAuth({ identity: '~/.ssh/missing', home }, 'u')).rejects.toThrow(
      `identity ${home}/.ssh/missing: no such file`,
    );
    await expect(planAuth({ identity: '~/.ssh/id_ecdsa', home }, 'u')).rejects.toThrow(
      'it is encrypted; load it into ssh-agent instead',
    );
  });

  it('offers the agent when there is no identity', async () => {
    const plan = await planAuth({ agentSocket: '/run/agent.sock', home }, 'u');
    expect(plan.methods).toEqual([{ type: 'agent', username: 'u', agent: '/run/agent.sock' }]);
  });

  it('falls back to the default keys, skipping ones it cannot use', async () => {
    const plan = await planAuth({ home }, 'u');
    expect(plan.tried).toEqual([`publickey ${home}/.ssh/id_ed25519`]);
    expect(plan.skipped).toEqual([
      `${home}/.ssh/id_ecdsa (it is encrypted; load it into ssh-agent instead)`,
      expect.stringMatching(new RegExp(`^${home}/.ssh/id_rsa \\(not a private key`)),
    ]);
  });
});

describe('ChannelLimiter', () => {
  it('lets `limit` holders in and queues the rest in order', async () => {
    const limiter = new ChannelLimiter(2);
    const order: number[] = [];
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const waiting = [3, 4].map((n) =>
      limiter.acquire().then((release) => (order.push(n), release)),
    );
    await Promise.resolve();
    expect(limiter.stats()).toEqual({ active: 2, peak: 2, queued: 2 });
    a();
    a(); // a second release changes nothing
    const c = await waiting[0]!;
    expect(order).toEqual([3]);
    expect(limiter.stats()).toEqual({ active: 2, peak: 2, queued: 1 });
    b();
    const d = await waiting[1]!;
    c();
    d();
    expect(order).toEqual([3, 4]);
    expect(limiter.stats()).toEqual({ active: 0, peak: 2, queued: 0 });
  });
});

describe('createTransport', () => {
  it('gives an ssh node the ssh transport', () => {
    const t = createTransport({ ...sshNode('web-1', '127.0.0.2', 22) });
    expect(t).toBeInstanceOf(SshTransport);
    expect(t.hostAddress()).toBe('127.0.0.2');
  });
});

// ---------------------------------------------------------------------------------------------
// Real hosts

function sshNode(
  name: string,
  address: string,
  port: number,
  extra: Partial<NodeSpec> = {},
): NodeSpec {
  return {
    name,
    transport: 'ssh',
    address,
    port,
    user: 'deploy',
    datacenter: 'dc1',
    meta: {},
    alloc_root: '/var/lib/drover/alloc',
    ...extra,
  };
}

const cleanups: (() => Promise<void>)[] = [];
let home: string;

beforeAll(async () => {
  // No known_hosts and no default keys unless a test writes them.
  home = await mkdtemp(join(tmpdir(), 'drover-ssh-home-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function host(address: string, port?: number): Promise<SshHost> {
  const h = await startSshHost({ address, ...(port ? { port } : {}) });
  cleanups.push(() => h.stop());
  return h;
}

function transport(
  h: SshHost,
  name: string,
  opts: SshTransportOptions = {},
  extra: Partial<NodeSpec> = {},
): SshTransport {
  const t = new SshTransport(
    sshNode(name, h.address, h.port, { identity: h.privateKeyPath, ...extra }),
    {
      home,
      agentSocket: null,
      ...opts,
    },
  );
  cleanups.push(() => t.close());
  return t;
}

/** SIGTERM to the host's per-connection sshd processes: every client connection drops. */
async function dropConnections(h: SshHost): Promise<number> {
  const listener = Number(await readFile(join(dirname(h.privateKeyPath), 'sshd.pid'), 'utf8'));
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === listener) children.push(Number(entry));
  }
  for (const pid of children) process.kill(pid, 'SIGTERM');
  return children.length;
}

async function sshKeygenFingerprint(publicKeyLine: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drover-ssh-fp-'));
  try {
    await writeFile(join(dir, 'k.pub'), `${publicKeyLine}\n`);
    const { stdout } = await execFileAsync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')]);
    return stdout.split(' ')[1]!;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function freePort(address: string): Promise<number> {
  const server = net.createServer().listen(0, address);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

describe('connection errors name the node and the cause', () => {
  it('connection refused', async () => {
    const port = await freePort('127.0.0.21');
    const t = new SshTransport(sshNode('web-1', '127.0.0.21', port), { home, agentSocket: null });
    cleanups.push(() => t.close());
    const err = await t.run(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshConnectionError);
    expect(err).toMatchObject({
      kind: 'refused',
      node: 'web-1',
      message: `node web-1 (127.0.0.21:${port}): connection refused`,
    });
  });

  it('authentication failed, with what was tried', async () => {
    const h = await host('127.0.0.21');
    const keyDir = await mkdtemp(join(tmpdir(), 'drover-ssh-key-'));
    cleanups.push(() => rm(keyDir, { recursive: true, force: true }));
    const key = join(keyDir, 'stranger');
    await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const t = transport(h, 'web-1', {}, { identity: key });
    await expect(t.run(['true'])).rejects.toMatchObject({
      kind: 'auth',
      message: `node web-1 (127.0.0.21:${h.port}): authentication as deploy failed (tried publickey ${key})`,
    });
  });

  it('no credentials at all', async () => {
    const h = await host('127.0.0.21');
    const t = transport(h, 'web-1', {}, { identity: undefined });
    await expect(t.run(['true'])).rejects.toThrow(
      /authentication as deploy failed \(no credentials to offer: no identity is set, SSH_AUTH_SOCK is unset/,
    );
  });

  it('handshake timeout', async () => {
    // Accepts TCP connections and never says a word.
    const silent = net.createServer(() => undefined).listen(0, '127.0.0.21');
    await once(silent, 'listening');
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      silent.close();
      await once(silent, 'close');
    });
    const port = (silent.address() as net.AddressInfo).port;
    const t = new SshTransport(sshNode('web-1', '127.0.0.21', port), {
      home,
      agentSocket: null,
      readyTimeoutMs: 300,
    });
    cleanups.push(() => t.close());
    const started = Date.now();
    await expect(t.run(['true'])).rejects.toMatchObject({
      kind: 'timeout',
      message: `node web-1 (127.0.0.21:${port}): timed out after 300 ms waiting for the SSH handshake`,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('an invalid bastion when the node is used', async () => {
    const t = new SshTransport(
      { ...sshNode('web-1', '127.0.0.21', 22), bastion: 'ssh://x' },
      {
        home,
        agentSocket: null,
      },
    );
    await expect(t.run(['true'])).rejects.toThrow(
      'node web-1: bastion "ssh://x" is not [user@]host[:port]',
    );
  });
});

describe('host keys', () => {
  it('pins on first contact, accepts the pin, refuses a new key after a restart', async () => {
    const first = await host('127.0.0.22');
    const expected: HostKey = {
      algorithm: 'ssh-ed25519',
      key: first.hostPublicKey.split(' ')[1]!,
      fingerprint: await sshKeygenFingerprint(first.hostPublicKey),
    };

    // A copy of the user key outlives the first server, so that only the host key can fail.
    const keyDir = await mkdtemp(join(tmpdir(), 'drover-ssh-key-'));
    cleanups.push(() => rm(keyDir, { recursive: true, force: true }));
    const identity = join(keyDir, 'id');
    await copyFile(first.privateKeyPath, identity);

    const pins: HostKey[] = [];
    const t1 = transport(first, 'web-1', { onNewHostKey: (k) => pins.push(k) }, { identity });
    expect((await t1.run(['echo', 'hi'])).stdout).toBe('hi\n');
    expect(pins).toEqual([expected]);

    const repins: HostKey[] = [];
    const t2 = transport(first, 'web-1', {
      pinnedKey: expected,
      onNewHostKey: (k) => repins.push(k),
    });
    expect((await t2.run(['true'])).code).toBe(0);
    expect(repins).toEqual([]);

    // The same address and port, a new host key: a man in the middle as far as drover knows.
    await first.stop();
    const second = await host('127.0.0.22', first.port);
    const got = await sshKeygenFingerprint(second.hostPublicKey);
    const message =
      `host key of node web-1 (127.0.0.22:${first.port}) changed: expected ${expected.fingerprint}, ` +
      `got ${got}; if this is expected, run \`drover node trust web-1\``;
    const t3 = transport(second, 'web-1', { pinnedKey: expected });
    await expect(t3.run(['true'])).rejects.toMatchObject({ kind: 'host-key', message });
    // The transport that pinned on first contact holds its reconnects to that key as well.
    await expect(t1.run(['true'])).rejects.toMatchObject({ kind: 'host-key', message });
    expect(pins).toHaveLength(1);
  });

  it("checks hashed known_hosts entries written by OpenSSH's tools", async () => {
    const h = await host('127.0.0.23');
    const other = await host('127.0.0.23');
    const dir = await mkdtemp(join(tmpdir(), 'drover-ssh-kh-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [type, key] = h.hostPublicKey.split(' ');
    const good = join(dir, 'good');
    const bad = join(dir, 'bad');
    await writeFile(good, `[${h.address}]:${h.port} ${type} ${key}\n`);
    // The other server's key recorded for this one: what a changed host key looks like.
    await writeFile(bad, `# first line\n[${h.address}]:${h.port} ${other.hostPublicKey}\n`);
    for (const file of [good, bad]) await execFileAsync('ssh-keygen', ['-H', '-f', file]);
    expect(await readFile(good, 'utf8')).toMatch(/^\|1\|/);

    const pins: HostKey[] = [];
    const ok = transport(h, 'web-1', { knownHostsFile: good, onNewHostKey: (k) => pins.push(k) });
    expect((await ok.run(['true'])).code).toBe(0);
    expect(pins.map((p) => p.key)).toEqual([key]);

    const refused = transport(h, 'web-1', { knownHostsFile: bad });
    const expectedFp = await sshKeygenFingerprint(other.hostPublicKey);
    const gotFp = await sshKeygenFingerprint(h.hostPublicKey);
    await expect(refused.run(['true'])).rejects.toMatchObject({
      kind: 'host-key',
      message:
        `host key of node web-1 (127.0.0.23:${h.port}) changed: expected ${expectedFp} (${bad} line 2), ` +
        `got ${gotFp}; if this is expected, remove the old entry with ` +
        `\`ssh-keygen -R '[127.0.0.23]:${h.port}'\` and run \`drover node trust web-1\``,
    });
  });
});

describe('one connection, reopened when it drops', () => {
  it('reuses one connection and reconnects once after it was killed', async () => {
    const h = await host('127.0.0.24');
    const t = transport(h, 'web-1');
    for (let i = 0; i < 5; i++) expect((await t.run(['true'])).code).toBe(0);
    expect(t.stats().connects).toBe(1);

    expect(await dropConnections(h)).toBe(1);
    expect((await t.run(['echo', 'again'])).stdout).toBe('again\n');
    expect(t.stats().connects).toBe(2);
  });

  it('fails a command whose connection dies under it, without running it again', async () => {
    const h = await host('127.0.0.24');
    const t = transport(h, 'web-1');
    const dir = (await t.run(['mktemp', '-d'])).stdout.trim();
    // Counts its own runs, then writes until the pipe breaks.
    const running = t.run([
      'sh',
      '-c',
      'echo run >>"$1/runs"; while :; do echo x; sleep 0.05; done',
      'sh',
      dir,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await dropConnections(h);
    await expect(running).rejects.toMatchObject({
      kind: 'lost',
      message: `node web-1 (127.0.0.24:${h.port}): connection lost while running sh`,
    });
    expect((await t.run(['cat', `${dir}/runs`])).stdout).toBe('run\n');
    await t.run(['rm', '-rf', dir]);
  });

  it('refuses work after close', async () => {
    const h = await host('127.0.0.24');
    const t = transport(h, 'web-1');
    await t.run(['true']);
    await t.close();
    await expect(t.run(['true'])).rejects.toThrow('node web-1: transport is closed');
  });
});

describe('a host that stops answering', () => {
  it('cuts a command on a frozen host within silenceMs and fails the next at once', async () => {
    const h = await host('127.0.0.29');
    const t = transport(h, 'web-1', { silenceMs: 2000, unreachableForMs: 1500 });
    expect((await t.run(['true'])).code).toBe(0);
    const running = t.run(['sleep', '60']).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const thaw = freezeSshHost(h);
    try {
      const frozenAt = Date.now();
      const silent = `node web-1 (127.0.0.29:${h.port}) did not answer within 2 s; it counts as unreachable, nothing more is sent to it for 1.5 s`;
      expect(await running).toMatchObject({ kind: 'timeout', node: 'web-1', message: silent });
      // The ping that went unanswered was sent within a second of the freeze.
      expect(Date.now() - frozenAt).toBeLessThan(4_500);
      // The next command does not wait on the silent host again.
      const next = Date.now();
      await expect(t.run(['true'])).rejects.toMatchObject({ kind: 'timeout', message: silent });
      expect(Date.now() - next).toBeLessThan(200);
    } finally {
      thaw();
    }
    // Once the mark has run out, the host is tried again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await t.run(['echo', 'back'])).stdout).toBe('back\n');
    expect(t.stats().connects).toBe(2);
  });

  it('leaves a slow command alone while the host answers', async () => {
    const h = await host('127.0.0.29');
    const t = transport(h, 'web-1', { silenceMs: 500 });
    const r = await t.run(['sh', '-c', 'sleep 2; echo done']);
    expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(t.stats().connects).toBe(1);
  });
});

describe('bastion (ProxyJump)', () => {
  let agent: ChildProcess | undefined;
  afterAll(async () => {
    if (agent?.pid !== undefined && agent.exitCode === null) {
      const exited = once(agent, 'exit');
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('reaches nodes through a shared connection to the bastion, with keys from the agent', async () => {
    const bastion = await host('127.0.0.25');
    const targets = [await host('127.0.0.26'), await host('127.0.0.27')];
    const dir = await mkdtemp(join(tmpdir(), 'drover-ssh-agent-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await readdir(dir)).includes('agent.sock'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await execFileAsync(
      'ssh-add',
      [bastion, ...targets].map((h) => h.privateKeyPath),
      { env: { ...process.env, SSH_AUTH_SOCK: socket } },
    );

    const nodes = targets.map((h, i) =>
      transport(
        h,
        `web-${i + 1}`,
        { agentSocket: socket, bastion: `deploy@${bastion.address}:${bastion.port}` },
        { identity: undefined },
      ),
    );
    const results = await Promise.all(
      nodes.map((t) => t.run(['sh', '-c', 'echo "$SSH_CONNECTION"'])),
    );
    results.forEach((r, i) => {
      expect(r.code).toBe(0);
      // The node's sshd saw a connection to its own address and port.
      expect(r.stdout.trim().split(' ').slice(2)).toEqual([
        targets[i]!.address,
        String(targets[i]!.port),
      ]);
    });
    // Both nodes rode one authenticated connection to the bastion.
    const log = await readFile(join(dirname(bastion.privateKeyPath), 'sshd.log'), 'utf8');
    expect(log.match(/Accepted publickey for deploy/g)).toHaveLength(1);

    // Without the bastion the nodes cannot be reached: their connections went through it.
    await bastion.stop();
    await expect(nodes[0]!.run(['true'])).rejects.toMatchObject({
      kind: 'refused',
      message: `bastion deploy@127.0.0.25:${bastion.port} of node web-1 (127.0.0.25:${bastion.port}): connection refused`,
    });
  });
});

describe('Docker through the tunnel', () => {
  it("answers /_ping and lists the host's containers through the ssh connection", async () => {
    if (!(await dockerAvailable(localDocker()))) {
      throw new Error(`the Docker engine does not answer: ${SETUP_HINT}`);
    }
    const h = await host('127.0.0.28');
    const t = transport(h, 'web-1', { drivers: [new DockerDriver(), new RawExecDriver()] });
    const docker = await t.docker();
    expect(String(await docker.ping())).toBe('OK');
    const containers = await docker.listContainers({ all: true });
    expect(Array.isArray(containers)).toBe(true);
    for (const c of containers) expect(c.Id).toMatch(/^[0-9a-f]{64}$/);

    // Requests one after another reuse one kept-alive channel…
    const before = t.stats().forwards.opened;
    for (let i = 0; i < 5; i++) expect(String(await docker.ping())).toBe('OK');
    expect(t.stats().forwards.opened - before).toBeLessThanOrEqual(1);
    // …and parallel ones queue for at most 8 channels.
    const pongs = await Promise.all(Array.from({ length: 20 }, () => docker.ping()));
    expect(pongs.map(String)).toEqual(Array(20).fill('OK'));
    expect(t.stats().forwards.opened - before).toBeLessThanOrEqual(MAX_DOCKER_CHANNELS);
    expect(t.stats().forwards.open).toBeLessThanOrEqual(MAX_DOCKER_CHANNELS);
    expect(t.stats().connects).toBe(1);

    // A container's whole life, request bodies and a multiplexed log stream included.
    await ensureTestImages(localDocker());
    const container = await docker.createContainer({
      Image: TEST_IMAGE_V1,
      Cmd: ['sh', '-c', 'echo "hello from $HOSTNAME"'],
      Labels: { 'drover.test': TEST_LABEL },
    });
    cleanups.push(() => removeContainersByLabel(`drover.test=${TEST_LABEL}`).then(() => undefined));
    await container.start();
    expect(await container.wait()).toMatchObject({ StatusCode: 0 });
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    expect(logs.toString('utf8')).toContain('hello from ');
    await container.remove({ force: true });

    // The driver detects the engine through this transport while fingerprinting.
    const fp = await t.fingerprint();
    expect(fp.attributes['driver.docker']).toBe('1');
    expect(fp.attributes['driver.docker.version']).toMatch(/^\d+\./);
  });
});

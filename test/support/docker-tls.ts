// Starts a second, throwaway Docker engine for tests of the `docker` transport: it listens on
// tcp://<loopback address>:2376 with --tlsverify and certificates made here with openssl (a CA,
// a server certificate for the address, a client certificate), has its own data root, exec root,
// pid file, unix socket and a bridge of its own (made here: `--bridge=none` would make the engine
// delete the main engine's docker0), and leaves iptables to the main engine, so its containers
// use host networking. It gets drover-test/busybox:v1 from the main engine.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { SETUP_HINT, TEST_IMAGE_V1, ensureTestImages, localDocker } from './docker.js';

const run = promisify(execFile);

const DOCKERD = '/usr/sbin/dockerd';
const RUN_ROOT = '/run/drover-tls-test';
export const TLS_DOCKER_PORT = 2376;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TlsDockerHost {
  address: string;
  /** tcp://<address>:2376 */
  dockerHost: string;
  /** The client's files: the CA that signed the engine's certificate, the client cert and key. */
  tls: TlsFiles;
  /** Where the certificates are; tests may make more files here (removed with it). */
  certDir: string;
  /** The engine's unix socket, to look at it without TLS. */
  socketPath: string;
  /** A client on the unix socket. */
  docker: Docker;
  /** Kills the engine by pid, unmounts what it left mounted and removes its directories. */
  stop(): Promise<void>;
}

/**
 * A dockerd on `address` (a loopback address 127.x.y.z; one engine per address at a time: its
 * runtime directory is /run/drover-tls-test/<address>).
 */
export async function startTlsDockerHost(opts: { address: string }): Promise<TlsDockerHost> {
  const { address } = opts;
  if (!net.isIPv4(address) || !address.startsWith('127.')) {
    throw new Error(`test dockerd address must be a loopback address 127.x.y.z, got ${address}`);
  }
  await ensureTestImages();
  await run('openssl', ['version']).catch(() => {
    throw new Error(`openssl is missing: ${SETUP_HINT}`);
  });

  const dir = await mkdtemp(join(tmpdir(), 'drover-tls-dockerd-'));
  const runDir = join(RUN_ROOT, address);
  const socketPath = join(runDir, 'docker.sock');
  let child: ChildProcess | undefined;
  // One bridge per engine, named and numbered after the address's last octet.
  const octet = address.split('.')[3]!;
  const bridge = `drover-tls${octet}`;
  const cleanup = async (): Promise<void> => {
    if (child) await killAndWait(child);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await unmountUnder([dir, runDir]);
    await rm(dir, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
    // The parent stays while another test's engine uses it.
    await rmdir(RUN_ROOT).catch(() => undefined);
  };
  try {
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true });
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `172.31.${octet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    const certDir = join(dir, 'certs');
    await mkdir(certDir);
    const ca = await makeCa(certDir, 'ca');
    const server = await makeCert(certDir, ca, 'server', { ip: address });
    const client = await makeCert(certDir, ca, 'client', {});
    const config = join(dir, 'daemon.json');
    // An empty config: /etc/docker/daemon.json belongs to the main engine.
    await writeFile(config, '{}\n');
    const log = join(dir, 'dockerd.log');
    const logFd = openSync(log, 'a');
    child = spawn(
      DOCKERD,
      [
        `--config-file=${config}`,
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${join(runDir, 'exec')}`,
        `--pidfile=${join(runDir, 'docker.pid')}`,
        `-H=unix://${socketPath}`,
        `-H=tcp://${address}:${TLS_DOCKER_PORT}`,
        '--tlsverify',
        `--tlscacert=${ca.cert}`,
        `--tlscert=${server.cert}`,
        `--tlskey=${server.key}`,
        `--bridge=${bridge}`,
        '--iptables=false',
        '--ip6tables=false',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd); // The engine holds its own copy.
    const docker = new Docker({ socketPath, timeout: 30_000 });
    await waitUntilAnswering(child, docker, address, log);
    await loadImage(docker, TEST_IMAGE_V1);
    return {
      address,
      dockerHost: `tcp://${address}:${TLS_DOCKER_PORT}`,
      tls: { ca: ca.cert, cert: client.cert, key: client.key },
      certDir,
      socketPath,
      docker,
      stop: runOnce(cleanup),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A self-signed CA: `<name>.pem` and `<name>-key.pem` in `dir`. */
export async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=drover-test-${name}`,
  ]);
  return { cert, key };
}

/**
 * A certificate signed by `ca`: a server's for `ip` (as its IP SAN), a client's without one.
 * Files: `<name>.pem`, `<name>-key.pem`.
 */
export async function makeCert(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  opts: { ip?: string },
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=drover-test-${name}`,
  ]);
  await writeFile(
    ext,
    opts.ip
      ? `subjectAltName=IP:${opts.ip}\nextendedKeyUsage=serverAuth\n`
      : 'extendedKeyUsage=clientAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

/** Until the unix socket answers and the TCP port (opened a moment after it) accepts. */
async function waitUntilAnswering(
  child: ChildProcess,
  docker: Docker,
  address: string,
  log: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`test dockerd exited at start:\n${await tail(log)}`);
    }
    try {
      await docker.ping();
      await tcpAccepts(address, TLS_DOCKER_PORT);
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `test dockerd did not answer within ${START_TIMEOUT_MS} ms:\n${await tail(log)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tcpAccepts(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** `docker save` from the main engine into `/images/load` of this one. */
export async function loadImage(docker: Docker, image: string): Promise<void> {
  const saved = await localDocker().getImage(image).get();
  const response = await docker.loadImage(saved, { quiet: true });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  if (/"error"/.test(text)) throw new Error(`loading ${image} into the test dockerd: ${text}`);
}

export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** dockerd leaves its network namespace file mounted in the exec root when it exits. */
export async function unmountUnder(dirs: readonly string[]): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((p): p is string => p !== undefined && dirs.some((d) => p.startsWith(`${d}/`)))
    // Deepest first.
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) await run('umount', ['-l', mount]).catch(() => undefined);
}

export async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

function runOnce(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

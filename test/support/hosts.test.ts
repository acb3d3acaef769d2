// Smoke tests for the real test hosts. They never skip: a missing engine or sshd is a failure
// whose message says to run scripts/test-hosts.sh.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DOCKER_SOCKET,
  SETUP_HINT,
  TEST_IMAGE_V1,
  dockerAvailable,
  ensureTestImages,
  localDocker,
  removeContainersByLabel,
} from './docker.js';
import { startSshHost, type SshHost } from './sshd.js';

const LABEL_KEY = 'drover.test';
const LABEL_VALUE = `hosts-smoke-${process.pid}`;

const docker = localDocker();
const hosts: SshHost[] = [];
const clients: Client[] = [];

afterAll(async () => {
  for (const client of clients) client.end();
  await Promise.all(hosts.map((host) => host.stop()));
  if (await dockerAvailable(docker)) {
    await removeContainersByLabel(`${LABEL_KEY}=${LABEL_VALUE}`, docker);
  }
});

async function requireDocker(): Promise<void> {
  if (!(await dockerAvailable(docker))) {
    throw new Error(`Docker engine at ${DOCKER_SOCKET} does not answer: ${SETUP_HINT}`);
  }
}

async function connect(host: SshHost): Promise<Client> {
  const client = new ssh2.Client();
  clients.push(client);
  const expectedKey = Buffer.from(host.hostPublicKey.split(' ')[1]!, 'base64');
  const privateKey = await readFile(host.privateKeyPath);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: host.address,
      port: host.port,
      username: host.user,
      privateKey,
      // Proves hostPublicKey is the key the server really presents.
      hostVerifier: (key: Buffer) => key.equals(expectedKey),
      readyTimeout: 10_000,
    });
  });
  client.setNoDelay(true);
  return client;
}

function exec(client: Client, command: string): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      stream.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      stream.stderr.resume();
      stream.once('close', (code: number) => resolve({ stdout, code }));
    });
  });
}

function forwardToSocket(client: Client, socketPath: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.openssh_forwardOutStreamLocal(socketPath, (err, channel) =>
      err ? reject(err) : resolve(channel),
    );
  });
}

/** GET over an already open stream, the way the docker driver will talk through SSH. */
function httpGet(stream: ClientChannel, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ path, host: 'docker', createConnection: () => stream }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function tcpConnects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function fetchWithRetry(url: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local Docker engine', () => {
  it('answers /_ping through dockerode', async () => {
    await requireDocker();
    const pong: unknown = await docker.ping();
    expect(String(pong)).toBe('OK');
  });

  it('runs httpd from the v1 test image and serves "v1" on a published port', async () => {
    await ensureTestImages(docker);
    const container = await docker.createContainer({
      Image: TEST_IMAGE_V1,
      Cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
      Labels: { [LABEL_KEY]: LABEL_VALUE },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await container.start();
    const info = await container.inspect();
    const hostPort = info.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort;
    expect(hostPort).toMatch(/^\d+$/);

    expect(await fetchWithRetry(`http://127.0.0.1:${hostPort}/`, 5_000)).toBe('v1\n');

    await container.remove({ force: true });
    expect(await removeContainersByLabel(`${LABEL_KEY}=${LABEL_VALUE}`, docker)).toBe(0);
  });
});

describe('OpenSSH test hosts', () => {
  it('starts two servers on distinct loopback addresses and runs a command on each', async () => {
    const started = await Promise.all(
      ['127.0.0.2', '127.0.0.3'].map((address) => startSshHost({ address })),
    );
    hosts.push(...started);
    expect(started.map((h) => h.address)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(started.map((h) => h.user)).toEqual(['deploy', 'deploy']);

    for (const host of started) {
      const client = await connect(host);
      expect(await exec(client, 'echo $((1+1))')).toEqual({ stdout: '2\n', code: 0 });
      expect((await exec(client, 'id -un')).stdout).toBe('deploy\n');
    }
  });

  it("reaches the host's Docker API through a stream-local forward as deploy", async () => {
    await requireDocker();
    const host = await startSshHost({ address: '127.0.0.4' });
    hosts.push(host);
    const client = await connect(host);

    const channel = await forwardToSocket(client, DOCKER_SOCKET);
    expect(await httpGet(channel, '/_ping')).toEqual({ status: 200, body: 'OK' });
  });

  it('stop() ends the server and its sessions and removes its temp dir', async () => {
    const host = await startSshHost({ address: '127.0.0.5' });
    hosts.push(host);
    const client = await connect(host);
    expect((await exec(client, 'echo up')).stdout).toBe('up\n');

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await host.stop();
    await closed;
    expect(await tcpConnects(host.address, host.port)).toBe(false);
    await expect(readFile(host.privateKeyPath)).rejects.toThrow(/ENOENT/);
  });
});

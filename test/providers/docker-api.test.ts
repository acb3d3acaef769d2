// The `docker` transport against a real second Docker engine that listens on 127.0.0.5:2376 with
// --tlsverify: one client per node, health-check connections to the node's address, a
// fingerprint from the engine, clear errors for every way TLS or the engine can fail; and the
// transport conformance suite on the capabilities it offers (no shell).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { release } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { defaultDrivers } from '../../providers/registry.js';
import {
  DockerApiTransport,
  dockerEndpoint,
  engineFacts,
  opensslReason,
  osName,
} from '../../providers/transports/docker-api.js';
import type { NodeSpec } from '../../providers/types.js';
import { TEST_IMAGE_V1 } from '../support/docker.js';
import { transportConformance } from './transport-conformance.js';
import { makeCa, makeCert, startTlsDockerHost, type TlsDockerHost } from '../support/docker-tls.js';

const ADDRESS = '127.0.0.5';
const LABEL = `drover.test=docker-api-${process.pid}`;

function nodeSpec(over: Partial<NodeSpec> = {}): NodeSpec {
  return {
    name: 'engine-1',
    transport: 'docker',
    datacenter: 'dc1',
    meta: {},
    alloc_root: '/var/lib/drover/alloc',
    ...over,
  };
}

describe('dockerEndpoint', () => {
  it.each([
    ['tcp with tls is https', { docker_host: 'tcp://10.0.0.5:2376', tls: {} }, 'https', 2376],
    ['tcp without tls is http', { docker_host: 'tcp://10.0.0.5:2375' }, 'http', 2375],
    ['tcp without a port and tls: 2376', { docker_host: 'tcp://10.0.0.5', tls: {} }, 'https', 2376],
    ['tcp without a port nor tls: 2375', { docker_host: 'tcp://10.0.0.5' }, 'http', 2375],
    ['https', { docker_host: 'https://10.0.0.5:443' }, 'https', 443],
    ['only an address: tcp://<address>:2376', { address: '10.0.0.5', tls: {} }, 'https', 2376],
  ] as const)('%s', (_name, over, protocol, port) => {
    const e = dockerEndpoint(nodeSpec(over));
    expect(e).toMatchObject({ protocol, host: '10.0.0.5', port });
  });

  it('reads an IPv6 host and a unix socket', () => {
    expect(dockerEndpoint(nodeSpec({ docker_host: 'tcp://[fd00::7]:2376' })).host).toBe('fd00::7');
    expect(dockerEndpoint(nodeSpec({ docker_host: 'unix:///run/x.sock' }))).toMatchObject({
      protocol: 'unix',
      socketPath: '/run/x.sock',
    });
  });

  it('refuses plain http with TLS files, an unknown scheme and no endpoint at all', () => {
    expect(() => dockerEndpoint(nodeSpec({ docker_host: 'http://h:2375', tls: {} }))).toThrow(
      'node "engine-1": docker_host http://h:2375 is plain http but the node has tls files',
    );
    expect(() => dockerEndpoint(nodeSpec({ docker_host: 'ssh://h' }))).toThrow(
      'unknown scheme "ssh"',
    );
    expect(() => dockerEndpoint(nodeSpec())).toThrow('needs "docker_host" or "address"');
  });
});

describe('engineFacts', () => {
  it("maps /info and /version to Nomad's attributes and the node's resources", () => {
    const facts = engineFacts(
      {
        Name: 'engine-host',
        NCPU: 4,
        MemTotal: 8 * 1024 * 1024 * 1024,
        KernelVersion: '6.1.0-18-arm64',
        OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
        OSVersion: '12',
        OSType: 'linux',
        Architecture: 'aarch64',
      },
      { Os: 'linux', Arch: 'arm64' },
      '10.0.0.5',
    );
    expect(facts.attributes).toEqual({
      'kernel.name': 'linux',
      'kernel.version': '6.1.0-18-arm64',
      'kernel.arch': 'aarch64',
      'cpu.arch': 'arm64',
      'cpu.numcores': '4',
      'cpu.frequency': '1000',
      'cpu.totalcompute': '4000',
      'memory.totalbytes': String(8 * 1024 * 1024 * 1024),
      'os.name': 'debian',
      'os.version': '12',
      'unique.hostname': 'engine-host',
      'unique.network.ip-address': '10.0.0.5',
    });
    expect(facts.resources).toEqual({ cpu: 4000, cores: 4, memory: 8192 });
  });

  it.each([
    ['Debian GNU/Linux 12 (bookworm)', 'debian'],
    ['Ubuntu 22.04.4 LTS', 'ubuntu'],
    ['Alpine Linux v3.19', 'alpine'],
    ['Red Hat Enterprise Linux 9.3 (Plow)', 'rhel'],
    ['Amazon Linux 2023', 'amzn'],
  ])('os.name of %j is %s', (os, id) => {
    expect(osName(os)).toBe(id);
  });

  it("keeps OpenSSL's reason of a TLS error line", () => {
    const line =
      '80DC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/ssl/rec.c:1601:SSL alert number 42';
    expect(opensslReason(line)).toBe('sslv3 alert bad certificate');
    expect(opensslReason('connect ECONNREFUSED 127.0.0.5:2376')).toBe(
      'connect ECONNREFUSED 127.0.0.5:2376',
    );
  });
});

describe('docker transport on a TLS engine', { timeout: 60_000 }, () => {
  let host: TlsDockerHost;
  let transport: DockerApiTransport;
  const others: DockerApiTransport[] = [];

  /** Another transport to the same engine with other settings; closed at the end. */
  function transportWith(over: Partial<NodeSpec>): DockerApiTransport {
    const t = new DockerApiTransport(
      nodeSpec({ docker_host: host.dockerHost, address: ADDRESS, tls: host.tls, ...over }),
      { answerTimeoutMs: 5_000 },
    );
    others.push(t);
    return t;
  }

  beforeAll(async () => {
    host = await startTlsDockerHost({ address: ADDRESS });
    transport = new DockerApiTransport(
      nodeSpec({ docker_host: host.dockerHost, address: ADDRESS, tls: host.tls }),
      { drivers: await defaultDrivers() },
    );
  });

  afterAll(async () => {
    await transport?.close();
    await Promise.all(others.map((t) => t.close()));
    if (host) {
      const left = await host.docker.listContainers({ all: true, filters: { label: [LABEL] } });
      await Promise.all(left.map((c) => host.docker.getContainer(c.Id).remove({ force: true })));
      await host.stop();
    }
  });

  describe('docker()', () => {
    it('gives one client for the node, talking to that engine over TLS', async () => {
      const docker = await transport.docker();
      expect(await transport.docker()).toBe(docker);
      expect((docker.modem as unknown as { protocol: string }).protocol).toBe('https');
      // The second engine holds v1 only (the main one holds v1 and v2).
      const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
      expect(tags).toContain(TEST_IMAGE_V1);
      expect(tags).not.toContain('drover-test/busybox:v2');
      const [viaTls, viaSocket] = await Promise.all([docker.info(), host.docker.info()]);
      expect((viaTls as { ID: string }).ID).toBe((viaSocket as { ID: string }).ID);
    });

    it('keeps connections open between requests', async () => {
      const docker = await transport.docker();
      const agent = (
        docker.modem as unknown as { agent: { freeSockets: Record<string, unknown[]> } }
      ).agent;
      const idle = (): number => Object.values(agent.freeSockets).flat().length;
      await docker.ping();
      const before = idle();
      expect(before).toBeGreaterThan(0);
      for (let i = 0; i < 20; i++) await docker.ping();
      // Sequential requests reuse the idle connection: no new one (nor TLS handshake) each time.
      expect(idle()).toBe(before);
    });

    it('speaks to a unix:// docker_host on this machine as well', async () => {
      const t = transportWith({ docker_host: `unix://${host.socketPath}`, tls: undefined });
      const [viaUnix, viaSocket] = await Promise.all([
        (await t.docker()).info(),
        host.docker.info(),
      ]);
      expect((viaUnix as { ID: string }).ID).toBe((viaSocket as { ID: string }).ID);
    });

    it("refuses another socket on the host (podman's)", async () => {
      await expect(transport.docker('/run/podman/podman.sock')).rejects.toThrow(
        'node "engine-1" uses the docker transport, which reaches only the Docker API at tcp://127.0.0.5:2376; it cannot open the socket /run/podman/podman.sock',
      );
    });
  });

  describe('connect', () => {
    it("reaches a container's port on the node's address", async () => {
      const port = await freePort(ADDRESS);
      const docker = await transport.docker();
      const container = await docker.createContainer({
        Image: TEST_IMAGE_V1,
        Cmd: ['httpd', '-f', '-p', `${ADDRESS}:${port}`, '-h', '/www'],
        Labels: { 'drover.test': LABEL.split('=')[1]! },
        HostConfig: { NetworkMode: 'host' },
      });
      await container.start();
      try {
        const answer = await eventually(() => httpGet(transport, port), 5_000);
        expect(answer).toMatch(/^HTTP\/1\.[01] 200/);
        expect(answer.trim().endsWith('v1')).toBe(true);
      } finally {
        await container.remove({ force: true });
      }
    });

    it("reaches the node's address for a loopback one", async () => {
      await expect(transport.connect(1)).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.5:1/);
    });

    it("is the node's address", () => {
      expect(transport.hostAddress()).toBe(ADDRESS);
    });
  });

  describe('fingerprint', () => {
    it("fills Nomad's attributes from the engine", async () => {
      const fp = await transport.fingerprint();
      const info = (await host.docker.info()) as { NCPU: number; MemTotal: number; Name: string };
      expect(fp.attributes).toMatchObject({
        'kernel.name': 'linux',
        'kernel.version': release(),
        'cpu.numcores': String(info.NCPU),
        'memory.totalbytes': String(info.MemTotal),
        'unique.hostname': info.Name,
        'unique.network.ip-address': ADDRESS,
      });
      expect(fp.attributes['cpu.arch']).toMatch(/^(amd64|arm64)$/);
      expect(fp.attributes['os.name']).toMatch(/^[a-z]+$/);
      expect(fp.resources.cores).toBe(info.NCPU);
      expect(fp.resources.memory).toBe(Math.floor(info.MemTotal / 2 ** 20));
      expect(new Date(fp.fingerprinted_at).toISOString()).toBe(fp.fingerprinted_at);
    });

    it('detects the docker driver and none of the process drivers', async () => {
      const fp = await transport.fingerprint();
      expect(fp.drivers.docker).toMatchObject({ detected: true, healthy: true });
      expect(fp.attributes['driver.docker']).toBe('1');
      expect(fp.attributes['driver.docker.version']).toMatch(/^\d+\./);
      for (const name of ['raw_exec', 'exec', 'java']) {
        expect(fp.drivers[name], name).toMatchObject({ detected: false, healthy: false });
        expect(fp.drivers[name]?.description).toContain(
          `node "engine-1" (docker transport) has no shell: the ${name} driver needs one`,
        );
        expect(fp.attributes[`driver.${name}`]).toBeUndefined();
      }
    });
  });

  transportConformance('docker', ['dockerApi', 'tcp'], () => {
    const t = new DockerApiTransport(
      nodeSpec({ docker_host: host.dockerHost, address: ADDRESS, tls: host.tls }),
      { drivers: [new RawExecDriver()] },
    );
    return {
      transport: t,
      // Anything listening on the node's address is on the host, as far as the transport knows.
      echoServer: () => echoServerAt(ADDRESS),
      cleanup: () => t.close(),
    };
  });

  describe('errors name the node and the endpoint', () => {
    const at = 'node "engine-1": the Docker API at tcp://127.0.0.5:2376';

    it('without a client certificate: the engine refuses the handshake', async () => {
      const t = transportWith({ tls: { ca: host.tls.ca } });
      await expect(t.docker()).rejects.toThrow(
        `${at} refused the TLS handshake: sslv3 alert bad certificate (the engine may require a client certificate: set tls.cert and tls.key)`,
      );
      // A fingerprint fails the same way, so the node is reported down with that reason.
      await expect(t.fingerprint()).rejects.toThrow(`${at} refused the TLS handshake`);
    });

    it('with a client certificate of another CA: the engine refuses the handshake', async () => {
      const other = await makeCa(host.certDir, `other-ca-${randomUUID().slice(0, 8)}`);
      const client = await makeCert(host.certDir, other, `other-client-${randomUUID()}`, {});
      const t = transportWith({ tls: { ca: host.tls.ca, ...client } });
      await expect(t.docker()).rejects.toThrow(`${at} refused the TLS handshake: `);
    });

    it("with a wrong CA: the engine's certificate is not trusted", async () => {
      const wrong = await makeCa(host.certDir, `wrong-ca-${randomUUID().slice(0, 8)}`);
      const t = transportWith({ tls: { ...host.tls, ca: wrong.cert } });
      await expect(t.docker()).rejects.toThrow(
        `${at} presented a certificate that cannot be trusted: `,
      );
      await expect(t.docker()).rejects.toThrow(/is tls\.ca the CA that signed/);
    });

    it('without TLS: the engine answers that it wants TLS', async () => {
      const t = transportWith({ tls: undefined });
      await expect(t.docker()).rejects.toThrow(
        `${at} answered HTTP 400: Client sent an HTTP request to an HTTPS server. (the engine speaks TLS: set tls for this node)`,
      );
    });

    it('with a TLS file that cannot be read', async () => {
      const t = transportWith({ tls: { ...host.tls, key: '/nonexistent/key.pem' } });
      await expect(t.docker()).rejects.toThrow(
        'node "engine-1": cannot read its TLS key file /nonexistent/key.pem: ENOENT',
      );
    });

    it('when nothing listens there', async () => {
      const port = await freePort(ADDRESS);
      const t = transportWith({ docker_host: `tcp://${ADDRESS}:${port}` });
      await expect(t.docker()).rejects.toThrow(
        `node "engine-1": the Docker API at tcp://127.0.0.5:${port} does not answer: connect ECONNREFUSED`,
      );
    });

    it('when the engine accepts the connection but never answers', async () => {
      // Reads (and drops) what comes, so it sees the client hang up and lets go of it.
      const silent = net.createServer((socket) => socket.resume());
      await new Promise<void>((resolve) => silent.listen(0, ADDRESS, resolve));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const t = new DockerApiTransport(
          nodeSpec({ docker_host: `tcp://${ADDRESS}:${port}`, tls: host.tls }),
          { answerTimeoutMs: 300 },
        );
        others.push(t);
        await expect(t.docker()).rejects.toThrow(
          `node "engine-1": the Docker API at tcp://127.0.0.5:${port} does not answer: no reply within 300 ms`,
        );
        await t.close();
      } finally {
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });
});

/** A port nothing listens on at the moment. */
async function freePort(address: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP server on `address` that answers each line with `pong <line>`. */
async function echoServerAt(address: string): Promise<{ port: number; stop(): Promise<void> }> {
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        socket.write(`pong ${buffered.slice(0, nl)}\n`);
        buffered = buffered.slice(nl + 1);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One HTTP/1.0 GET of / through the transport's connect. */
async function httpGet(transport: DockerApiTransport, port: number): Promise<string> {
  const socket = await transport.connect(port);
  socket.end('GET / HTTP/1.0\r\n\r\n');
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

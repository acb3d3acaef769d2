/**
 * The `docker` transport: a node reached only through its Docker Engine API over TCP (TLS with
 * client certificates, as `dockerd --tlsverify` expects), no SSH. It serves the docker driver and
 * health checks; it has no shell, so it refuses to run commands or write files, and process
 * drivers (raw_exec, exec, java) come out of its fingerprint as not detected.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type Docker from 'dockerode';
import { dockerodeClass } from './dockerode.js';
import type { NodeFingerprint } from '../../src/state/types.js';
import type { DockerApi, Driver, NodeSpec, TcpConnector, Transport } from '../types.js';
import { FALLBACK_CPU_MHZ, goArch } from './fingerprint.js';
import { detectDrivers, sortKeys } from './node-fingerprint.js';

export interface DockerApiTransportOptions {
  /** Drivers whose `detect` fills `driver.*` attributes when fingerprinting. */
  drivers?: readonly Driver[];
  /** The clock stamped on fingerprints. */
  now?: () => Date;
  /** How long the first request may wait for the engine before the node counts as down. */
  answerTimeoutMs?: number;
}

const DEFAULT_ANSWER_TIMEOUT_MS = 10_000;
/** Idle connections (each a finished TLS handshake) kept for the next request. */
const MAX_IDLE_CONNECTIONS = 4;

/** Where a node's Docker API is and how to speak to it. */
export interface DockerEndpoint {
  /** As written (or defaulted) in drover.hcl, for messages. */
  url: string;
  protocol: 'http' | 'https' | 'unix';
  host?: string;
  port?: number;
  socketPath?: string;
}

/**
 * `docker_host` as dockerode options: tcp:// is https when the node has TLS files (port 2376 by
 * default) and plain http otherwise (2375), as the docker CLI reads DOCKER_HOST and
 * DOCKER_TLS_VERIFY; http:// and https:// say it outright; unix:// is a socket on this machine.
 */
export function dockerEndpoint(node: NodeSpec): DockerEndpoint {
  const address = node.address?.includes(':') ? `[${node.address}]` : node.address;
  const url = node.docker_host ?? (address !== undefined ? `tcp://${address}:2376` : undefined);
  if (url === undefined) {
    throw new Error(`node "${node.name}": a docker node needs "docker_host" or "address"`);
  }
  if (url.startsWith('unix://')) return { url, protocol: 'unix', socketPath: url.slice(7) };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`node "${node.name}": docker_host ${JSON.stringify(url)} is not a URL`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme === 'http' && node.tls) {
    throw new Error(
      `node "${node.name}": docker_host ${url} is plain http but the node has tls files; use tcp:// or https://`,
    );
  }
  let protocol: 'http' | 'https';
  if (scheme === 'tcp') protocol = node.tls ? 'https' : 'http';
  else if (scheme === 'http' || scheme === 'https') protocol = scheme;
  else throw new Error(`node "${node.name}": docker_host ${url}: unknown scheme "${scheme}"`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port !== '' ? Number(parsed.port) : defaultPort(scheme, protocol);
  return { url, protocol, host, port };
}

/**
 * Docker's ports for tcp:// (2376 with TLS, 2375 without); http:// and https:// URLs keep their
 * own (URL parsing drops an explicit :80 or :443, so those are the defaults).
 */
function defaultPort(scheme: string, protocol: 'http' | 'https'): number {
  if (scheme === 'tcp') return protocol === 'https' ? 2376 : 2375;
  return protocol === 'https' ? 443 : 80;
}

/** Offers the Docker API and TCP to the node's address; no shell (`shell` is undefined). */
export class DockerApiTransport implements Transport, DockerApi, TcpConnector {
  readonly node: NodeSpec;
  readonly endpoint: DockerEndpoint;
  private readonly drivers: readonly Driver[];
  private readonly now: () => Date;
  private readonly answerTimeoutMs: number;
  private client: Promise<Docker> | undefined;
  private agent: http.Agent | undefined;

  constructor(node: NodeSpec, opts: DockerApiTransportOptions = {}) {
    this.node = node;
    this.endpoint = dockerEndpoint(node);
    this.drivers = opts.drivers ?? [];
    this.now = opts.now ?? (() => new Date());
    this.answerTimeoutMs = opts.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  }

  // No `shell`: this transport reaches only the Docker API (and TCP ports on the node).
  get dockerApi(): DockerApi {
    return this;
  }

  get tcp(): TcpConnector {
    return this;
  }

  /** One client for the node, checked with a `/_ping` the first time so errors name the node. */
  docker(socketPath?: string): Promise<Docker> {
    if (socketPath !== undefined) {
      return Promise.reject(
        new Error(
          `node "${this.node.name}" uses the docker transport, which reaches only the Docker API at ${this.endpoint.url}; it cannot open the socket ${socketPath} on the host (use an ssh or local node)`,
        ),
      );
    }
    this.client ??= this.open().catch((err: unknown) => {
      // The next call tries again: the engine may come up.
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  /** A port on the node; the node's loopback is its address, as seen from here. */
  connect(port: number, host?: string): Promise<Duplex> {
    const target =
      host === undefined || host === 'localhost' || host.startsWith('127.') || host === '::1'
        ? this.hostAddress()
        : host;
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: target });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  hostAddress(): string {
    return this.node.address ?? this.endpoint.host ?? '127.0.0.1';
  }

  /** Nomad's attributes from the engine's `/info` and `/version`; drivers detected through this transport. */
  async fingerprint(): Promise<NodeFingerprint> {
    const docker = await this.docker();
    const [info, version] = (await Promise.all([docker.info(), docker.version()]).catch(
      (err: unknown) => {
        throw this.unreachable(err);
      },
    )) as [EngineInfo, Docker.DockerVersion];
    const facts = engineFacts(info, version, this.hostAddress());
    const detected = await detectDrivers(this, this.drivers);
    return {
      fingerprinted_at: this.now().toISOString(),
      attributes: sortKeys({ ...facts.attributes, ...detected.attributes }),
      resources: facts.resources,
      drivers: detected.drivers,
    };
  }

  close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    this.client = undefined;
    return Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------

  private async open(): Promise<Docker> {
    const DockerClient = dockerodeClass();
    const e = this.endpoint;
    let docker: Docker;
    if (e.protocol === 'unix') {
      docker = new DockerClient({ socketPath: e.socketPath! });
    } else {
      const tls = e.protocol === 'https' ? await this.tlsFiles() : {};
      // keepAlive: a request on an open connection skips the TCP and TLS handshakes.
      const agentOptions = { keepAlive: true, maxFreeSockets: MAX_IDLE_CONNECTIONS, ...tls };
      this.agent =
        e.protocol === 'https' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
      // docker-modem util.inspect()s its options, agent included, on every request: keep it cheap.
      Object.defineProperty(this.agent, inspect.custom, { value: () => 'DockerApiAgent' });
      // docker-modem honours `agent` though @types/dockerode does not list it.
      const options: Docker.DockerOptions & { agent: http.Agent } = {
        protocol: e.protocol,
        host: e.host!,
        port: e.port!,
        agent: this.agent,
        ...tls,
      };
      docker = new DockerClient(options);
    }
    try {
      // dockerode takes an abort signal here though @types/dockerode does not list it.
      const pingable = docker as unknown as {
        ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
      };
      await pingable.ping({ abortSignal: AbortSignal.timeout(this.answerTimeoutMs) });
    } catch (err) {
      throw this.unreachable(err);
    }
    return docker;
  }

  private async tlsFiles(): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
    const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    for (const part of ['ca', 'cert', 'key'] as const) {
      const path = this.node.tls?.[part];
      if (path === undefined) continue;
      try {
        out[part] = await readFile(path);
      } catch (err) {
        throw new Error(
          `node "${this.node.name}": cannot read its TLS ${part} file ${path}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    if ((out.cert === undefined) !== (out.key === undefined)) {
      throw new Error(
        `node "${this.node.name}": tls needs both "cert" and "key" (the client certificate and its key)`,
      );
    }
    return out;
  }

  /** A failed request as an error that names the node, the endpoint and what went wrong. */
  private unreachable(err: unknown): Error {
    const at = `node "${this.node.name}": the Docker API at ${this.endpoint.url}`;
    const e = err as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      statusCode?: unknown;
      json?: unknown;
    } | null;
    const code = typeof e?.code === 'string' ? e.code : '';
    const message = opensslReason(typeof e?.message === 'string' ? e.message : String(err));
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'ABORT_ERR') {
      return new Error(`${at} does not answer: no reply within ${this.answerTimeoutMs} ms`, {
        cause: err,
      });
    }
    if (isCertificateError(code, message)) {
      return new Error(
        `${at} presented a certificate that cannot be trusted: ${message} (is tls.ca the CA that signed the engine's certificate?)`,
        { cause: err },
      );
    }
    if (isTlsError(code, message)) {
      const hint = this.node.tls?.cert
        ? ''
        : ' (the engine may require a client certificate: set tls.cert and tls.key)';
      return new Error(`${at} refused the TLS handshake: ${message}${hint}`, { cause: err });
    }
    if (typeof e?.statusCode === 'number') {
      const body = responseText(e.json) ?? message;
      const hint = /HTTPS server/i.test(body)
        ? ' (the engine speaks TLS: set tls for this node)'
        : '';
      return new Error(`${at} answered HTTP ${e.statusCode}: ${body}${hint}`, { cause: err });
    }
    return new Error(`${at} does not answer: ${message}`, { cause: err });
  }
}

/** What the engine said in an error response: docker-modem gives JSON parsed, text as bytes. */
function responseText(json: unknown): string | undefined {
  if (Buffer.isBuffer(json) || typeof json === 'string') return json.toString().trim() || undefined;
  const inner = (json as { message?: unknown } | null)?.message;
  return typeof inner === 'string' ? inner : undefined;
}

/** Node's codes for a server certificate that does not verify. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * OpenSSL's reason from its error line ("80DC…:error:0A000412:SSL routines:ssl3_read_bytes:sslv3
 * alert bad certificate:../deps/…" → "sslv3 alert bad certificate"); other messages as they are.
 */
export function opensslReason(message: string): string {
  return /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1]?.trim() ?? message.trim();
}

function isCertificateError(code: string, message: string): boolean {
  return CERTIFICATE_CODES.has(code) || (/certificate/i.test(message) && !/alert/i.test(message));
}

function isTlsError(code: string, message: string): boolean {
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /\b(SSL|TLS)\b/.test(message);
}

// ---------------------------------------------------------------------------------------------
// Fingerprint from /info

/** The fields of the engine's `/info` a fingerprint reads. */
export interface EngineInfo {
  Name?: string;
  NCPU?: number;
  MemTotal?: number;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSVersion?: string;
  OSType?: string;
  Architecture?: string;
}

/** os-release IDs of distributions whose `/info` name is not just the ID capitalised. */
const OS_IDS: readonly [RegExp, string][] = [
  [/^red hat/i, 'rhel'],
  [/^amazon linux/i, 'amzn'],
  [/^opensuse/i, 'opensuse'],
];

/** `OperatingSystem` ("Debian GNU/Linux 12 (bookworm)") as os-release's ID ("debian"). */
export function osName(operatingSystem: string): string | undefined {
  for (const [pattern, id] of OS_IDS) if (pattern.test(operatingSystem)) return id;
  const first = /^[A-Za-z]+/.exec(operatingSystem.trim())?.[0];
  return first?.toLowerCase();
}

/**
 * Nomad's attribute names (as `hostFacts` fills them from a shell) from what the engine tells:
 * the engine does not tell the clock rate, so each core counts as FALLBACK_CPU_MHZ, nor free
 * disk. `address` is the node's address: Nomad's unique.network.ip-address when it is an IP.
 */
export function engineFacts(
  info: EngineInfo,
  version: Pick<Docker.DockerVersion, 'Os' | 'Arch'>,
  address: string,
): Pick<NodeFingerprint, 'attributes' | 'resources'> {
  const attributes: Record<string, string> = {};
  const kernelName = info.OSType || version.Os;
  if (kernelName) attributes['kernel.name'] = kernelName.toLowerCase();
  if (info.KernelVersion) attributes['kernel.version'] = info.KernelVersion;
  if (info.Architecture) attributes['kernel.arch'] = info.Architecture;
  // /version's Arch is Go's GOARCH, which is what Nomad's cpu.arch reports.
  const arch = version.Arch || (info.Architecture && goArch(info.Architecture));
  if (arch) attributes['cpu.arch'] = arch;
  const cores = info.NCPU !== undefined && info.NCPU > 0 ? info.NCPU : 1;
  attributes['cpu.numcores'] = String(cores);
  attributes['cpu.frequency'] = String(FALLBACK_CPU_MHZ);
  attributes['cpu.totalcompute'] = String(FALLBACK_CPU_MHZ * cores);
  const memory = info.MemTotal ?? 0;
  if (memory > 0) attributes['memory.totalbytes'] = String(memory);
  const os = info.OperatingSystem ? osName(info.OperatingSystem) : undefined;
  if (os) attributes['os.name'] = os;
  if (info.OSVersion) attributes['os.version'] = info.OSVersion;
  if (info.Name) attributes['unique.hostname'] = info.Name;
  if (isIP(address)) attributes['unique.network.ip-address'] = address;
  return {
    attributes,
    resources: {
      cpu: FALLBACK_CPU_MHZ * cores,
      cores,
      memory: Math.floor(memory / (1024 * 1024)),
    },
  };
}

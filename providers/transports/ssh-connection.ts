/**
 * One SSH connection per host for the ssh transport: opened on first use with host key
 * verification and the node's credentials, `TCP_NODELAY` on its socket, keepalives, reached
 * directly or through a bastion (ProxyJump: a `direct-tcpip` channel of a connection to the
 * bastion carries the node's connection), reopened once when it has dropped. Connection errors
 * name the node and say what failed: refused, timed out, authentication (and what was tried),
 * host key. While work is in flight the host must keep answering pings: one that stays silent
 * for `silenceMs` is cut and treated as unreachable for a while (see `hold`).
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { planAuth, type AuthPlan, type AuthSources } from './ssh-auth.js';
import {
  checkHostKey,
  describeHostKey,
  entriesForHost,
  parseKnownHosts,
  hostKeyAlgorithmOrder,
  type HostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './ssh-hostkeys.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

export type SshErrorKind = 'refused' | 'timeout' | 'auth' | 'host-key' | 'network' | 'lost';

/** A connection to a node failed or dropped; the message names the node. */
export class SshConnectionError extends Error {
  readonly kind: SshErrorKind;
  readonly node: string;
  constructor(kind: SshErrorKind, node: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshConnectionError';
    this.kind = kind;
    this.node = node;
  }
}

export interface ConnectionSettings {
  /** The node's name, for messages and `drover node trust`. */
  node: string;
  target: SshEndpoint;
  /** ProxyJump host; the same credentials and known_hosts apply to it. */
  bastion?: SshEndpoint;
  auth: AuthSources;
  knownHostsFile: string;
  /** The node's key pinned in state. */
  pinnedKey?: HostKey;
  /** Called once a connection to a node without a pin is up, with the key to pin. */
  onNewHostKey?: (key: HostKey) => void;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /**
   * While a command or channel is in flight, how long the host may leave a ping unanswered
   * before it counts as silent (its connection is cut). Idle connections rely on keepalives.
   */
  silenceMs?: number;
  /** How long a silent host (or one whose handshake timed out) is not tried again. */
  unreachableForMs?: number;
}

export const DEFAULT_SILENCE_MS = 10_000;
export const DEFAULT_UNREACHABLE_FOR_MS = 60_000;

/** `[user@]host[:port]` (ProxyJump's form); the user defaults to the node's. */
export function parseBastion(spec: string, defaultUser: string): SshEndpoint {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m?.[2]) throw new Error(`bastion "${spec}" is not [user@]host[:port]`);
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`bastion "${spec}" has an invalid port`);
  }
  return { user: m[1] ?? defaultUser, host: m[2].replace(/^\[(.*)\]$/, '$1'), port };
}

function describeEndpoint(e: SshEndpoint): string {
  return `${e.user}@${e.host}:${e.port}`;
}

// ---------------------------------------------------------------------------------------------
// Opening one authenticated client

interface OpenRequest {
  node: string;
  /** How messages call the host: `node web-1`, `bastion jump@10.0.0.1:22 of node web-1`. */
  subject: string;
  endpoint: SshEndpoint;
  auth: AuthSources;
  knownHostsFile: string;
  pinnedKey?: HostKey;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** An open stream to the host (through a bastion) instead of a TCP connection. */
  sock?: Duplex;
}

interface OpenedClient {
  client: Client;
  hostKey: HostKey;
  verdict: Extract<HostKeyVerdict, { ok: true }>;
}

async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch {
    return []; // No file, no known hosts: first contact decides.
  }
}

/** Connects, verifies the host key, authenticates; rejects with an `SshConnectionError`. */
async function openClient(req: OpenRequest): Promise<OpenedClient> {
  const where = `${req.subject} (${req.endpoint.host}:${req.endpoint.port})`;
  let auth: AuthPlan;
  try {
    auth = await planAuth(req.auth, req.endpoint.user);
  } catch (e) {
    throw new SshConnectionError('auth', req.node, `${where}: ${(e as Error).message}`);
  }
  const knownHosts = await readKnownHosts(req.knownHostsFile);
  // Loaded on first connection: commands that never reach an ssh node do not pay for it.
  const { default: ssh2 } = await import('ssh2');
  const knownTypes = entriesForHost(knownHosts, req.endpoint.host, req.endpoint.port)
    .filter((e) => e.marker === undefined)
    .map((e) => e.algorithm);
  if (req.pinnedKey) knownTypes.unshift(req.pinnedKey.algorithm);

  return new Promise<OpenedClient>((resolve, reject) => {
    const client = new ssh2.Client();
    let hostKey: HostKey | undefined;
    let verdict: HostKeyVerdict | undefined;
    let settled = false;
    const fail = (err: SshConnectionError): void => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(err);
    };
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (verdict && !verdict.ok)
        return fail(new SshConnectionError('host-key', req.node, verdict.message));
      fail(classifyConnectError(err, req, where, auth));
    });
    const closedEarly = (): void => {
      fail(
        new SshConnectionError('network', req.node, `${where}: connection closed during handshake`),
      );
    };
    client.once('close', closedEarly);
    client.once('ready', () => {
      if (settled || !hostKey || !verdict?.ok) return;
      settled = true;
      client.off('close', closedEarly);
      resolve({ client, hostKey, verdict });
    });
    const config: ConnectConfig = {
      host: req.endpoint.host,
      port: req.endpoint.port,
      username: req.endpoint.user,
      authHandler: auth.methods,
      readyTimeout: req.readyTimeoutMs,
      keepaliveInterval: req.keepaliveIntervalMs,
      keepaliveCountMax: req.keepaliveCountMax,
      hostVerifier: (key: Buffer): boolean => {
        hostKey = describeHostKey(key);
        verdict = checkHostKey({
          subject: req.subject,
          node: req.node,
          host: req.endpoint.host,
          port: req.endpoint.port,
          presented: hostKey,
          knownHosts,
          knownHostsFile: req.knownHostsFile,
          ...(req.pinnedKey ? { pinned: req.pinnedKey } : {}),
        });
        return verdict.ok;
      },
      ...(knownTypes.length > 0
        ? { algorithms: { serverHostKey: hostKeyAlgorithmOrder(knownTypes) } }
        : {}),
      ...(req.sock ? { sock: req.sock } : {}),
    };
    try {
      client.connect(config);
    } catch (e) {
      fail(new SshConnectionError('network', req.node, `${where}: ${(e as Error).message}`));
      return;
    }
    // The socket exists as soon as connect() returns: the handshake already goes without Nagle.
    client.setNoDelay(true);
  });
}

function classifyConnectError(
  err: Error & { level?: string; code?: string },
  req: OpenRequest,
  where: string,
  auth: AuthPlan,
): SshConnectionError {
  if (err.code === 'ECONNREFUSED') {
    return new SshConnectionError('refused', req.node, `${where}: connection refused`, {
      cause: err,
    });
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new SshConnectionError(
      'timeout',
      req.node,
      `${where}: timed out after ${req.readyTimeoutMs} ms waiting for the SSH handshake`,
      { cause: err },
    );
  }
  if (err.level === 'client-authentication' || err.level === 'agent') {
    const tried =
      auth.tried.length > 0
        ? `tried ${auth.tried.join(', ')}`
        : 'no credentials to offer: no identity is set, SSH_AUTH_SOCK is unset and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa exists';
    const skipped = auth.skipped.length > 0 ? `; skipped ${auth.skipped.join(', ')}` : '';
    const agentProblem = err.level === 'agent' ? `; agent: ${err.message}` : '';
    return new SshConnectionError(
      'auth',
      req.node,
      `${where}: authentication as ${req.endpoint.user} failed (${tried}${skipped})${agentProblem}`,
      { cause: err },
    );
  }
  const detail = err.code ? `${err.code}: ${err.message}` : err.message;
  return new SshConnectionError('network', req.node, `${where}: cannot connect (${detail})`, {
    cause: err,
  });
}

// ---------------------------------------------------------------------------------------------
// Bastions, shared: every node behind one bastion rides the same connection to it

interface BastionEntry {
  opening: Promise<Client>;
  users: number;
  client?: Client;
}

const bastions = new Map<string, BastionEntry>();

function bastionKey(s: ConnectionSettings, b: SshEndpoint): string {
  return JSON.stringify([b, s.auth.identity ?? null, s.auth.agentSocket ?? null, s.knownHostsFile]);
}

/** A live connection to the bastion, shared; `release` when the node's connection is gone. */
async function acquireBastion(
  s: ConnectionSettings,
  b: SshEndpoint,
): Promise<{ client: Client; release: () => void }> {
  const key = bastionKey(s, b);
  let entry = bastions.get(key);
  if (!entry) {
    const created: BastionEntry = {
      users: 0,
      opening: openClient({
        node: s.node,
        subject: `bastion ${describeEndpoint(b)} of node ${s.node}`,
        endpoint: b,
        auth: s.auth,
        knownHostsFile: s.knownHostsFile,
        readyTimeoutMs: s.readyTimeoutMs,
        keepaliveIntervalMs: s.keepaliveIntervalMs,
        keepaliveCountMax: s.keepaliveCountMax,
      }).then(({ client }) => {
        created.client = client;
        const forget = (): void => {
          if (bastions.get(key) === created) bastions.delete(key);
        };
        client.on('close', forget).on('error', forget);
        return client;
      }),
    };
    created.opening.catch(() => {
      if (bastions.get(key) === created) bastions.delete(key);
    });
    bastions.set(key, created);
    entry = created;
  }
  const current = entry;
  current.users++;
  let client: Client;
  try {
    client = await current.opening;
  } catch (e) {
    current.users--;
    throw e;
  }
  let released = false;
  return {
    client,
    release: () => {
      if (released) return;
      released = true;
      if (--current.users === 0) {
        if (bastions.get(key) === current) bastions.delete(key);
        current.client?.end();
      }
    },
  };
}

function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (err, channel) =>
        err ? reject(err) : resolve(channel),
      );
    } catch (e) {
      reject(asError(e));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The node's connection

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Errors that mean the connection was gone before the server saw the request. */
function isConnectionGone(e: unknown): boolean {
  const message = e instanceof Error ? e.message : '';
  return message === 'Not connected' || message === 'No response from server';
}

export class SshConnection {
  private readonly settings: ConnectionSettings;
  private opening: Promise<Client> | undefined;
  /** The client `opening` resolved to, so that a dropped one is noticed without waiting. */
  private current: Client | undefined;
  private readonly dead = new WeakSet<Client>();
  private readonly open = new Set<Client>();
  private closed = false;
  /** Commands and channels in flight: while there are any, the host is pinged (`hold`). */
  private busy = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** The ping waiting for its answer, and on which client. */
  private ping: { client: Client; sentAt: number } | undefined;
  /** Set when the host went silent: until then every use fails at once with `error`. */
  private unreachable: { until: number; error: SshConnectionError } | undefined;
  /** How many connections were opened, for tests and diagnostics. */
  connects = 0;

  constructor(settings: ConnectionSettings) {
    this.settings = { ...settings };
  }

  /** The live client, opening one if there is none (or the last one dropped). */
  client(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(
        new SshConnectionError(
          'lost',
          this.settings.node,
          `node ${this.settings.node}: transport is closed`,
        ),
      );
    }
    const unreachable = this.stillUnreachable();
    if (unreachable) return Promise.reject(unreachable);
    if (this.current && this.dead.has(this.current)) {
      this.opening = undefined;
      this.current = undefined;
    }
    this.opening ??= this.connect().then(
      (client) => (this.current = client),
      (e: unknown) => {
        this.opening = undefined;
        // A host that let the handshake time out is as silent as one that stopped answering.
        if (e instanceof SshConnectionError && e.kind === 'timeout') this.markUnreachable(e);
        throw e;
      },
    );
    return this.opening;
  }

  /**
   * Marks work in flight on the connection until the returned function is called. Meanwhile the
   * host is pinged (an SSH global request, as keepalives are) every second or so; a ping left
   * unanswered for `silenceMs` means the host stopped answering (frozen, link cut): the
   * connection is cut, which ends every command on it, and the node fails at once for
   * `unreachableForMs` instead of each command waiting out keepalives and a handshake again.
   * A slow command on a host that still answers is left alone.
   */
  hold(): () => void {
    this.busy++;
    const silence = this.settings.silenceMs ?? DEFAULT_SILENCE_MS;
    this.watchdog ??= setInterval(() => this.checkSilence(), Math.min(1000, silence / 4));
    this.watchdog.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.busy > 0) return;
      clearInterval(this.watchdog);
      this.watchdog = undefined;
      this.ping = undefined;
    };
  }

  private checkSilence(): void {
    const client = this.current;
    // While connecting, the handshake's own timeout applies.
    if (!client || this.dead.has(client)) return;
    const now = Date.now();
    const ping = this.ping;
    if (ping?.client === client) {
      const silence = this.settings.silenceMs ?? DEFAULT_SILENCE_MS;
      if (now - ping.sentAt >= silence) this.cutSilent(client, silence);
      return;
    }
    const sent = { client, sentAt: now };
    const answered = (): void => {
      if (this.ping === sent) this.ping = undefined;
    };
    if (sendPing(client, answered)) this.ping = sent;
  }

  private cutSilent(client: Client, silenceMs: number): void {
    const t = this.settings.target;
    this.markUnreachable(
      new SshConnectionError(
        'timeout',
        this.settings.node,
        `node ${this.settings.node} (${t.host}:${t.port}) did not answer within ` +
          `${formatSeconds(silenceMs)}`,
      ),
    );
    this.ping = undefined;
    this.drop(client);
  }

  private markUnreachable(cause: SshConnectionError): void {
    const forMs = this.settings.unreachableForMs ?? DEFAULT_UNREACHABLE_FOR_MS;
    const error = new SshConnectionError(
      'timeout',
      this.settings.node,
      `${cause.message}; it counts as unreachable, nothing more is sent to it for ` +
        `${formatSeconds(forMs)}`,
      { cause },
    );
    this.unreachable = { until: Date.now() + forMs, error };
  }

  private stillUnreachable(): SshConnectionError | undefined {
    const u = this.unreachable;
    if (u && Date.now() < u.until) return u.error;
    this.unreachable = undefined;
    return undefined;
  }

  /**
   * Runs `use` with the live client. When the connection turns out to be gone before the
   * request reached the server, reconnects once and tries again; a request the server may have
   * acted on is never repeated.
   */
  async withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.client();
      try {
        return await use(client);
      } catch (e) {
        if (attempt > 0 || !(this.dead.has(client) || isConnectionGone(e))) throw e;
        this.drop(client);
      }
    }
  }

  /** Connections open now (the live one, and one a bastion or a reconnect still closes). */
  openConnections(): number {
    return this.open.size;
  }

  /** Whether the client dropped (its channels end without an exit status then). */
  isDead(client: Client): boolean {
    return this.dead.has(client);
  }

  lostError(what: string): SshConnectionError {
    // A connection cut because the host went silent says so, not just "lost".
    const unreachable = this.stillUnreachable();
    if (unreachable) return unreachable;
    const t = this.settings.target;
    return new SshConnectionError(
      'lost',
      this.settings.node,
      `node ${this.settings.node} (${t.host}:${t.port}): connection lost while ${what}`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const clients = [...this.open];
    this.open.clear();
    await Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (this.dead.has(c)) return resolve();
            const timer = setTimeout(() => {
              c.destroy();
              resolve();
            }, 1000);
            c.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            c.end();
          }),
      ),
    );
  }

  private drop(client: Client): void {
    this.dead.add(client);
    client.destroy();
  }

  private async connect(): Promise<Client> {
    const s = this.settings;
    let sock: Duplex | undefined;
    let release = (): void => undefined;
    if (s.bastion) {
      const bastion = await acquireBastion(s, s.bastion);
      release = bastion.release;
      try {
        sock = await forwardOut(bastion.client, s.target.host, s.target.port);
      } catch (e) {
        release();
        throw new SshConnectionError(
          'network',
          s.node,
          `node ${s.node}: bastion ${describeEndpoint(s.bastion)} cannot reach ` +
            `${s.target.host}:${s.target.port} (${(e as Error).message})`,
          { cause: e },
        );
      }
    }
    let opened: OpenedClient;
    try {
      opened = await openClient({
        node: s.node,
        subject: `node ${s.node}`,
        endpoint: s.target,
        auth: s.auth,
        knownHostsFile: s.knownHostsFile,
        ...(s.pinnedKey ? { pinnedKey: s.pinnedKey } : {}),
        readyTimeoutMs: s.readyTimeoutMs,
        keepaliveIntervalMs: s.keepaliveIntervalMs,
        keepaliveCountMax: s.keepaliveCountMax,
        ...(sock ? { sock } : {}),
      });
    } catch (e) {
      sock?.destroy();
      release();
      throw e;
    }
    const { client, hostKey, verdict } = opened;
    this.connects++;
    this.open.add(client);
    // Marked dead at once: the next `client()` opens a new connection instead.
    const gone = (): void => {
      this.dead.add(client);
      this.open.delete(client);
      release();
    };
    client.on('close', gone);
    client.on('end', gone);
    // After the handshake an error (keepalive timeout, reset) only means the connection is gone.
    client.on('error', gone);
    if (verdict.pinNow) {
      // Later reconnects of this transport hold the server to the key just seen.
      s.pinnedKey = hostKey;
      s.onNewHostKey?.(hostKey);
    }
    if (this.closed) {
      client.end();
      throw this.lostError('connecting');
    }
    return client;
  }
}

/** `10 s`, `1.5 s`, `300 ms`. */
function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The parts of an ssh2 client `sendPing` needs beyond its public API. */
interface ClientInternals {
  _callbacks?: ((failed: boolean) => void)[];
  _protocol?: { ping?: () => void };
}

/**
 * Sends the keepalive ssh2 sends (`keepalive@openssh.com`, a global request with a reply)
 * and calls `answered` when the reply comes. Replies come in order, so the callback joins
 * ssh2's queue as its own keepalives do. False when the client cannot send one.
 */
function sendPing(client: Client, answered: () => void): boolean {
  const internals = client as unknown as ClientInternals;
  const ping = internals._protocol?.ping;
  if (!internals._callbacks || !ping) return false;
  try {
    internals._callbacks.push(() => answered());
    ping.call(internals._protocol);
    return true;
  } catch {
    internals._callbacks.pop();
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Channels

/** A counting semaphore: at most `limit` holders, the rest wait in order. */
export class ChannelLimiter {
  readonly limit: number;
  private active = 0;
  private peakActive = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Resolves with the function that gives the slot back (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.peakActive = Math.max(this.peakActive, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }

  stats(): { active: number; peak: number; queued: number } {
    return { active: this.active, peak: this.peakActive, queued: this.waiting.length };
  }
}

/**
 * Opens an exec channel and hands it to `attach` inside ssh2's callback, before anything else
 * runs: a short command's output, exit status and close can arrive in the same packet burst as
 * the confirmation (typically through a bastion), and events emitted before a listener exists
 * are lost. A client that is not connected rejects instead of throwing.
 */
export async function execChannel<T>(
  client: Client,
  command: string,
  attach: (channel: ClientChannel) => T,
): Promise<T> {
  // sshd refuses a session (CHANNEL_OPEN_FAILURE) while it still tears down ones just closed, even
  // below MaxSessions: try again a few times, a little later each time. Nothing ran on a refusal.
  for (let attempt = 0; ; attempt++) {
    try {
      return await openExec(client, command, attach);
    } catch (err) {
      const refused =
        (err as Error).message.includes('CHANNEL_OPEN_FAILURE') ||
        /open failed/i.test((err as Error).message);
      if (!refused || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
    }
  }
}

function openExec<T>(
  client: Client,
  command: string,
  attach: (channel: ClientChannel) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => (err ? reject(err) : resolve(attach(channel))));
    } catch (e) {
      reject(asError(e));
    }
  });
}

export { forwardOut };

/** A channel to a Unix socket on the host (the Docker API). */
export function streamLocalChannel(client: Client, socketPath: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.openssh_forwardOutStreamLocal(socketPath, (err, channel) =>
        err ? reject(err) : resolve(channel),
      );
    } catch (e) {
      reject(asError(e));
    }
  });
}

/**
 * The `ssh` transport: a host reached over SSH with ssh2, no agent on the host. One connection
 * per host, opened on first use and reused (see ssh-connection.ts); at most 8 session channels
 * at once on it (sshd allows 10), the rest queue. Programs run through the login shell with
 * every argument single-quoted; scripts go to `sh -s` on standard input; the Docker API and
 * health checks are channels of the same connection.
 */
import { homedir, userInfo, constants } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Client, ClientChannel } from 'ssh2';
import type { NodeFingerprint } from '../../src/state/types.js';
import type {
  DockerApi,
  Driver,
  NodeSpec,
  RunOptions,
  RunResult,
  Shell,
  TcpConnector,
  Transport,
} from '../types.js';
import { remoteCommand, remoteScriptCommand, scriptInput } from './ssh-command.js';
import {
  ChannelLimiter,
  SshConnection,
  SshConnectionError,
  execChannel,
  forwardOut,
  parseBastion,
  streamLocalChannel,
  type SshEndpoint,
} from './ssh-connection.js';
import { DEFAULT_DOCKER_SOCKET, TunnelAgent, dockerThroughTunnel } from './ssh-docker.js';
import { fingerprintThrough } from './node-fingerprint.js';
import type { HostKey } from './ssh-hostkeys.js';

export { SshConnectionError } from './ssh-connection.js';
export type { HostKey } from './ssh-hostkeys.js';

export interface SshTransportOptions {
  /** Drivers whose `detect` fills `driver.*` attributes when fingerprinting. */
  drivers?: readonly Driver[];
  /** The clock stamped on fingerprints. */
  now?: () => Date;
  /** The node's host key pinned in state (state's `PinnedHostKey` fits). */
  pinnedKey?: HostKey;
  /** Called on first contact (no pin) with the key the host presented, to pin it in state. */
  onNewHostKey?: (key: HostKey) => void;
  /** `[user@]host[:port]` to jump through; defaults to the node's `bastion`. */
  bastion?: string;
  /** Defaults to `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** Whose `~` and `~/.ssh` keys; defaults to the user's home. */
  home?: string;
  /** The agent's socket; defaults to SSH_AUTH_SOCK; `null` offers no agent. */
  agentSocket?: string | null;
  /** The handshake and authentication must finish within this (20 s). */
  readyTimeoutMs?: number;
  /** SSH-level keepalive interval (15 s); the connection is dropped after 3 unanswered. */
  keepaliveIntervalMs?: number;
  /**
   * While work is in flight, how long the host may leave a ping unanswered before it counts as
   * silent: its connection is cut and the node fails at once for `unreachableForMs` (10 s, 60 s).
   */
  silenceMs?: number;
  unreachableForMs?: number;
  /** Session channels open at once (8; sshd's MaxSessions is 10). */
  maxChannels?: number;
  /** The host's Docker socket (/var/run/docker.sock). */
  dockerSocket?: string;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;
export const DEFAULT_MAX_CHANNELS = 8;

/** What an SSH transport's connection pool holds now (see SshTransport.stats). */
export interface SshPoolStats {
  /** Connections opened so far. */
  connects: number;
  /** Connections open now. */
  connections: number;
  /** Session channels (commands): in use now, the most at once, waiting for a slot. */
  channels: { active: number; peak: number; queued: number };
  /** Forwarding channels (Docker API, `connect`) open now and opened so far. */
  forwards: { open: number; opened: number };
}

/** The pool stats of `transport` when it is an SSH transport; undefined for any other kind. */
export function sshPoolStats(transport: unknown): SshPoolStats | undefined {
  return transport instanceof SshTransport ? transport.stats() : undefined;
}
/** Exit code of a command killed for overrunning `timeoutMs` (as timeout(1) reports). */
const TIMED_OUT = 124;

/** Offers every capability over one SSH connection: a shell, the host's Docker API, TCP. */
export class SshTransport implements Transport, Shell, DockerApi, TcpConnector {
  readonly node: NodeSpec;
  private readonly drivers: readonly Driver[];
  private readonly now: () => Date;
  private readonly connection: SshConnection | undefined;
  private readonly setupError: Error | undefined;
  private readonly limiter: ChannelLimiter;
  private readonly dockerSocket: string;
  /** Per Docker-compatible socket on the host: its channels' agent and its client. */
  private readonly dockerClients = new Map<
    string,
    { agent: TunnelAgent; client: Promise<Docker> }
  >();
  private forwards = 0;
  private forwardsOpened = 0;

  constructor(node: NodeSpec & { bastion?: string }, opts: SshTransportOptions = {}) {
    this.node = node;
    this.drivers = opts.drivers ?? [];
    this.now = opts.now ?? (() => new Date());
    this.limiter = new ChannelLimiter(opts.maxChannels ?? DEFAULT_MAX_CHANNELS);
    this.dockerSocket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
    const home = opts.home ?? homedir();
    const target: SshEndpoint = {
      host: node.address ?? node.name,
      port: node.port ?? 22,
      user: node.user ?? userInfo().username,
    };
    // A bad bastion is reported when the node is used, like an unreachable host.
    let bastion: SshEndpoint | undefined;
    try {
      const spec = opts.bastion ?? node.bastion;
      if (spec !== undefined) bastion = parseBastion(spec, target.user);
    } catch (e) {
      this.setupError = new Error(`node ${node.name}: ${(e as Error).message}`);
    }
    const agentSocket =
      opts.agentSocket === null ? undefined : (opts.agentSocket ?? process.env.SSH_AUTH_SOCK);
    this.connection = this.setupError
      ? undefined
      : new SshConnection({
          node: node.name,
          target,
          ...(bastion ? { bastion } : {}),
          auth: {
            home,
            ...(node.identity !== undefined ? { identity: node.identity } : {}),
            ...(agentSocket ? { agentSocket } : {}),
          },
          knownHostsFile: opts.knownHostsFile ?? join(home, '.ssh', 'known_hosts'),
          ...(opts.pinnedKey ? { pinnedKey: opts.pinnedKey } : {}),
          ...(opts.onNewHostKey ? { onNewHostKey: opts.onNewHostKey } : {}),
          readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
          keepaliveIntervalMs: opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
          keepaliveCountMax: KEEPALIVE_COUNT_MAX,
          ...(opts.silenceMs !== undefined ? { silenceMs: opts.silenceMs } : {}),
          ...(opts.unreachableForMs !== undefined
            ? { unreachableForMs: opts.unreachableForMs }
            : {}),
        });
  }

  // This transport is its own shell, Docker API and TCP connector.
  get shell(): Shell {
    return this;
  }

  get dockerApi(): DockerApi {
    return this;
  }

  get tcp(): TcpConnector {
    return this;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const command = remoteCommand(argv, opts);
    return this.session(command, opts.stdin, opts.timeoutMs, argv[0] ?? '');
  }

  async sh(script: string, opts: RunOptions = {}): Promise<RunResult> {
    // Standard input carries the script; a caller's own input needs `sh -c` instead.
    if (opts.stdin !== undefined) return this.run(['/bin/sh', '-c', script], opts);
    return this.session(remoteScriptCommand(opts), scriptInput(script), opts.timeoutMs, 'sh');
  }

  async upload(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    // Readers see the old file or the new one, never half of it.
    const script = [
      'set -e',
      'f=$1',
      'd=$(dirname -- "$f")',
      'mkdir -p -- "$d"',
      't="$d/.$(basename -- "$f").$$.tmp"',
      `trap 'rm -f -- "$t"' EXIT`,
      'cat >"$t"',
      'chmod "$2" "$t"',
      'mv -f -- "$t" "$f"',
    ].join('\n');
    const r = await this.run(['/bin/sh', '-c', script, 'sh', path, mode.toString(8)], {
      stdin: content,
    });
    if (r.code !== 0) {
      throw new Error(`cannot write ${path} on node ${this.node.name}: ${r.stderr.trim()}`);
    }
  }

  stream(argv: readonly string[], signal?: AbortSignal): Readable {
    const command = remoteCommand(['/bin/sh', '-c', STREAM_WATCHDOG, 'sh', ...argv]);
    const out = new PassThrough();
    let channel: ClientChannel | undefined;
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (channel) endChannel(channel);
    };
    if (signal) {
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    }
    // A consumer that stops reading ends the command too.
    out.on('close', stop);
    void (async () => {
      const slot = await this.limiter.acquire();
      let unhold = (): void => undefined;
      const release = (): void => {
        slot();
        unhold();
      };
      try {
        if (stopped) {
          release();
          out.end();
          return;
        }
        await this.withConnection((c) => {
          unhold = c.hold();
          return c.withClient((client) =>
            execChannel(client, command, (ch) => {
              channel = ch;
              ch.on('close', () => {
                release();
                signal?.removeEventListener('abort', stop);
                out.end();
              });
              ch.on('error', () => undefined);
              ch.stderr.resume();
              ch.pipe(out, { end: true });
              // Standard input stays open: its end is what tells STREAM_WATCHDOG we are gone.
              if (stopped) endChannel(ch);
            }),
          );
        });
      } catch (e) {
        release();
        out.destroy(e as Error);
      }
    })();
    return out;
  }

  docker(socketPath: string = this.dockerSocket): Promise<Docker> {
    let entry = this.dockerClients.get(socketPath);
    if (!entry) {
      const agent = new TunnelAgent(() =>
        this.forwarded(`open a channel to ${socketPath}`, (client) =>
          streamLocalChannel(client, socketPath),
        ),
      );
      entry = { agent, client: dockerThroughTunnel(agent) };
      this.dockerClients.set(socketPath, entry);
    }
    return entry.client;
  }

  connect(port: number, host = '127.0.0.1'): Promise<Duplex> {
    return this.forwarded(`connect to ${host}:${port}`, (client) => forwardOut(client, host, port));
  }

  hostAddress(): string {
    return this.node.address ?? this.node.name;
  }

  async fingerprint(): Promise<NodeFingerprint> {
    // Connected first, so the host runs the fingerprint script while drover loads the Docker
    // API client for the docker driver's detection (~70 ms of CPU the first time).
    await this.withConnection((c) => c.client());
    return fingerprintThrough(this, this.drivers, this.now());
  }

  async close(): Promise<void> {
    for (const { agent } of this.dockerClients.values()) agent.destroy();
    this.dockerClients.clear();
    await this.connection?.close();
  }

  /** The pool's counts, read-only: for the server's metrics, tests and diagnostics. */
  stats(): SshPoolStats {
    return {
      connects: this.connection?.connects ?? 0,
      connections: this.connection?.openConnections() ?? 0,
      channels: this.limiter.stats(),
      forwards: { open: this.forwards, opened: this.forwardsOpened },
    };
  }

  // -------------------------------------------------------------------------------------------

  private withConnection<T>(use: (connection: SshConnection) => Promise<T>): Promise<T> {
    if (!this.connection) {
      return Promise.reject(this.setupError ?? new Error(`node ${this.node.name}: no connection`));
    }
    return use(this.connection);
  }

  /** Runs a command on a session channel and collects its output and exit status. */
  private async session(
    command: string,
    stdin: string | Buffer | undefined,
    timeoutMs: number | undefined,
    program: string,
  ): Promise<RunResult> {
    const release = await this.limiter.acquire();
    let unhold = (): void => undefined;
    try {
      return await this.withConnection(async (connection) => {
        // The host must keep answering while the command runs (see SshConnection.hold).
        unhold = connection.hold();
        let client: Client | undefined;
        const result = await connection.withClient((c) => {
          client = c;
          return execChannel(c, command, (channel) => collect(channel, stdin, timeoutMs, program));
        });
        if (result === undefined) {
          if (client && connection.isDead(client)) throw connection.lostError(`running ${program}`);
          return { code: 255, stdout: '', stderr: `${program}: ended without an exit status\n` };
        }
        return result;
      });
    } finally {
      unhold();
      release();
    }
  }

  /** A forwarding channel (not a session: sshd's MaxSessions does not count it). */
  private forwarded(
    what: string,
    open: (client: Client) => Promise<ClientChannel>,
  ): Promise<Duplex> {
    return this.withConnection(async (connection) => {
      let channel: ClientChannel;
      // Held while the channel is open: a Docker API call or health check on a host that went
      // silent is cut like a command.
      const unhold = connection.hold();
      try {
        channel = await connection.withClient(open);
      } catch (e) {
        unhold();
        if (e instanceof SshConnectionError) throw e;
        throw new Error(
          `node ${this.node.name}: cannot ${what} on the host (${(e as Error).message})`,
          { cause: e },
        );
      }
      this.forwards++;
      this.forwardsOpened++;
      channel.once('close', () => {
        this.forwards--;
        unhold();
      });
      return channel;
    });
  }
}

/**
 * Runs a streamed command (`"$@"`) so that it ends when drover goes away, however it goes: sshd
 * sends a command without a terminal no signal when the client disappears, so a `tail -F` would
 * run on forever. A watcher holds the session's standard input, which drover never closes; its
 * end (the channel closed, the connection dropped, drover killed) sends TERM to the command,
 * whose pid `$$` is once `exec` replaced this shell with it. Only the command holds the output.
 */
const STREAM_WATCHDOG = [
  'exec 3<&0',
  '(cat <&3 >/dev/null 2>&1; kill -TERM $$ 2>/dev/null) >/dev/null 2>&1 &',
  'exec "$@" 3<&- </dev/null',
].join('\n');

/** Ends a running command: TERM to the program, then the channel closes. */
function endChannel(channel: ClientChannel): void {
  sendSignal(channel, 'TERM');
  channel.close();
}

/** The parts of an ssh2 channel `sendSignal` needs beyond its public API. */
interface ChannelInternals {
  outgoing?: { id?: number; state?: string };
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
}

/**
 * Sends a signal to the session's program. ssh2's `channel.signal` drops it silently once our
 * side has sent EOF, which every command here has (stdin is ended up front); sshd still
 * delivers it then, so it goes out through the protocol directly.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const state = internals.outgoing?.state;
  const protocol = internals._client?._protocol;
  try {
    if (id !== undefined && (state === 'open' || state === 'eof') && protocol?.signal) {
      protocol.signal(id, name);
    } else {
      channel.signal(name);
    }
  } catch {
    // The channel is already closing.
  }
}

/**
 * Output and exit status of a command on `channel`; undefined when the channel closed without
 * an exit status (the connection dropped, or sshd gave up on the session).
 */
function collect(
  channel: ClientChannel,
  stdin: string | Buffer | undefined,
  timeoutMs: number | undefined,
  program: string,
): Promise<RunResult | undefined> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let status: { code: number } | undefined;
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            sendSignal(channel, 'KILL');
            channel.close();
          }, timeoutMs);
    channel.on('data', (b: Buffer) => out.push(b));
    channel.stderr.on('data', (b: Buffer) => err.push(b));
    channel.on('exit', (code: number | null, signal?: string) => {
      status = { code: code ?? 128 + signalNumber(signal) };
    });
    // A program that exits without reading its input must not fail the run.
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        resolve({
          code: TIMED_OUT,
          stdout,
          stderr: `${stderr}${program}: timed out after ${timeoutMs} ms\n`,
        });
      } else if (status) {
        resolve({ code: status.code, stdout, stderr });
      } else {
        resolve(undefined);
      }
    });
    channel.end(stdin ?? '');
  });
}

/** `TERM` or `SIGTERM` (ssh2 reports the latter) → 15. */
function signalNumber(name: string | undefined): number {
  if (!name) return 0;
  const key = (name.startsWith('SIG') ? name : `SIG${name}`) as keyof typeof constants.signals;
  return constants.signals[key] ?? 0;
}

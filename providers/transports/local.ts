/**
 * The `local` transport: the machine drover runs on. Programs are spawned without a shell
 * (argv reaches them unchanged), scripts go to /bin/sh, Docker is the local engine's socket (or
 * another Docker-compatible one, podman's) and tasks are reached on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { constants } from 'node:os';
import { dirname, join, basename } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerodeClass } from './dockerode.js';
import { scriptInput } from './ssh-command.js';
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
import { fingerprintThrough } from './node-fingerprint.js';

export interface LocalTransportOptions {
  /** Drivers whose `detect` fills `driver.*` attributes when fingerprinting. */
  drivers?: readonly Driver[];
  /** The clock stamped on fingerprints. */
  now?: () => Date;
}

/** Exit code of a program that could not be started (as a shell reports "not found"). */
const SPAWN_FAILED = 127;
/** Exit code of a program killed for overrunning `timeoutMs` (as timeout(1) reports). */
const TIMED_OUT = 124;

/** Offers every capability: a shell, the local Docker API and TCP to 127.0.0.1. */
export class LocalTransport implements Transport, Shell, DockerApi, TcpConnector {
  readonly node: NodeSpec;
  private readonly drivers: readonly Driver[];
  private readonly now: () => Date;
  /** One Docker API client per socket; '' is the node's own engine (docker_host). */
  private readonly dockerClients = new Map<string, Docker>();

  constructor(node: NodeSpec, opts: LocalTransportOptions = {}) {
    this.node = node;
    this.drivers = opts.drivers ?? [];
    this.now = opts.now ?? (() => new Date());
  }

  // Getters, so an object made with Object.create(transport) that overrides a method is its own
  // capability too.
  get shell(): Shell {
    return this;
  }

  get dockerApi(): DockerApi {
    return this;
  }

  get tcp(): TcpConnector {
    return this;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [program, ...args] = argv;
    if (program === undefined) return Promise.reject(new Error('run: empty argv'));
    return new Promise((resolve) => {
      const child = spawn(program, args, {
        cwd: opts.cwd,
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, opts.timeoutMs);
      const finish = (result: RunResult): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(result);
      };
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        finish({ code: SPAWN_FAILED, stdout: '', stderr: `${program}: ${e.message}\n` });
      });
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        finish({
          code: timedOut ? TIMED_OUT : (code ?? 128 + signalNumber(signal)),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: timedOut ? `${stderr}${program}: timed out after ${opts.timeoutMs} ms\n` : stderr,
        });
      });
      // A program that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin ?? '');
    });
  }

  sh(script: string, opts: RunOptions = {}): Promise<RunResult> {
    // Standard input carries the script, as over SSH: one argument of `sh -c` holds at most
    // 128 kB (Linux's MAX_ARG_STRLEN), less than a task's args and env may take. A caller's own
    // input needs `sh -c` instead.
    if (opts.stdin !== undefined) return this.run(['/bin/sh', '-c', script], opts);
    return this.run(['/bin/sh', '-s'], { ...opts, stdin: scriptInput(script) });
  }

  async upload(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    // Readers see the old file or the new one, never half of it.
    const tmp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, content, { mode });
      await chmod(tmp, mode); // The umask may have narrowed the mode.
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  stream(argv: readonly string[], signal?: AbortSignal): Readable {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error('stream: empty argv');
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const stop = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    child.on('error', (e) => child.stdout.destroy(e));
    if (signal) {
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      child.on('close', () => signal.removeEventListener('abort', stop));
    }
    // A consumer that stops reading ends the command too.
    child.stdout.on('close', stop);
    return child.stdout;
  }

  docker(socketPath?: string): Promise<Docker> {
    const key = socketPath ?? '';
    let client = this.dockerClients.get(key);
    if (!client) {
      const DockerClient = dockerodeClass();
      client = new DockerClient(
        socketPath !== undefined
          ? { socketPath }
          : dockerOptions(this.node.docker_host ?? process.env.DOCKER_HOST),
      );
      this.dockerClients.set(key, client);
    }
    return Promise.resolve(client);
  }

  connect(port: number, host = '127.0.0.1'): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  hostAddress(): string {
    return '127.0.0.1';
  }

  fingerprint(): Promise<NodeFingerprint> {
    return fingerprintThrough(this, this.drivers, this.now());
  }

  async close(): Promise<void> {
    // Nothing stays open: each run is its own process; the Docker client holds no connection.
    this.dockerClients.clear();
    return Promise.resolve();
  }
}

/** dockerode options for a DOCKER_HOST value: unix:// (or unset) and tcp:// without TLS. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (dockerHost === undefined || dockerHost === '') return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('/')) return { socketPath: dockerHost };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

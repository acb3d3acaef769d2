/**
 * The `podman` task driver: Nomad's podman task config run through podman's Docker-compatible
 * API (`podman system service`) on the node, over the node's transport like Docker's socket.
 * Everything after the config is the docker driver's: container spec, lifecycle, status, logs,
 * exec and recovery. `podman-config.ts` checks the config and translates it.
 *
 * Rootful podman only for now: its socket is /run/podman/podman.sock. A rootless service
 * listens on $XDG_RUNTIME_DIR/podman/podman.sock of its user, which a later change can find.
 */
import http from 'node:http';
import type Docker from 'dockerode';
import {
  requireCapability,
  type ConfigProblem,
  type TaskContext,
  type TaskObservation,
  type Transport,
} from '../types.js';
import type { DriverHandle } from '../../src/state/types.js';
import { DockerDriver, type DockerHandle } from './docker.js';
import { dockerConfig, validatePodmanConfig } from './podman-config.js';
import { withEngineEnv } from './docker-drift.js';

export const DEFAULT_PODMAN_SOCKET = '/run/podman/podman.sock';
/** Variables podman sets in every container's configuration itself (Docker adds none there). */
const PODMAN_ENV = ['HOME', 'HOSTNAME', 'TERM', 'container'];
const PING_TIMEOUT_MS = 10_000;

export interface PodmanDriverOptions {
  /** The podman API socket on every node (default /run/podman/podman.sock). */
  socketPath?: string;
}

export class PodmanDriver extends DockerDriver {
  override readonly name = 'podman';
  readonly socketPath: string;

  constructor(opts: PodmanDriverOptions = {}) {
    super();
    this.socketPath = opts.socketPath ?? DEFAULT_PODMAN_SOCKET;
  }

  protected override engine(transport: Transport): Promise<Docker> {
    return requireCapability(transport, 'dockerApi', `the ${this.name} driver`).docker(
      this.socketPath,
    );
  }

  override validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validatePodmanConfig(config);
  }

  /**
   * Podman when the socket answers /_ping with a `Libpod-Api-Version` header (a Docker engine
   * behind that path is not podman). Not /version: podman runs conmon and the OCI runtime to
   * answer it, about 0.5 s per call and one call at a time, on every plan of every node.
   */
  override async detect(
    transport: Transport,
  ): Promise<{ detected: boolean; healthy: boolean; attributes: Record<string, string> }> {
    let ping: PingAnswer;
    try {
      ping = await pingHeaders(await this.engine(transport));
    } catch {
      return { detected: false, healthy: false, attributes: {} };
    }
    const libpod = header(ping, 'libpod-api-version');
    if (!libpod) return { detected: false, healthy: false, attributes: {} };
    const os = /\(([^)]+)\)/.exec(header(ping, 'server') ?? '')?.[1];
    return {
      detected: true,
      healthy: ping.status === 200,
      attributes: {
        'driver.podman': '1',
        'driver.podman.version': libpod,
        ...(header(ping, 'api-version')
          ? { 'driver.podman.api_version': header(ping, 'api-version')! }
          : {}),
        ...(os ? { 'driver.podman.os_type': os } : {}),
      },
    };
  }

  /** The image after podman's transport prefix (`docker://`) is taken off, as it is run. */
  override taskImage(
    config: Record<string, unknown>,
  ): { image: string; forcePull: boolean } | undefined {
    return super.taskImage(dockerConfig(config));
  }

  override start(ctx: TaskContext): Promise<DockerHandle> {
    return super.start(asDockerTask(ctx));
  }

  override async inspectTask(handle: DriverHandle, ctx: TaskContext): Promise<TaskObservation> {
    return withEngineEnv(await super.inspectTask(handle, asDockerTask(ctx)), PODMAN_ENV);
  }
}

/** The task with its podman config read as the docker config it runs as. */
function asDockerTask(ctx: TaskContext): TaskContext {
  return { ...ctx, task: { ...ctx.task, config: dockerConfig(ctx.task.config ?? {}) } };
}

interface PingAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function header(ping: PingAnswer, name: string): string | undefined {
  const v = ping.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * GET /_ping on the client's own connection (its socket or agent): dockerode's `ping()` keeps
 * the headers, which say what answers, to itself.
 */
function pingHeaders(docker: Docker): Promise<PingAnswer> {
  const m = docker.modem as unknown as {
    socketPath?: string;
    host?: string;
    port?: number | string;
    agent?: http.Agent;
  };
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        path: '/_ping',
        ...(m.socketPath ? { socketPath: m.socketPath } : { host: m.host, port: m.port }),
        ...(m.agent ? { agent: m.agent } : {}),
        timeout: PING_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the podman socket did not answer')));
    req.on('error', reject);
  });
}

/**
 * The `podman` task driver: Nomad's podman task config run through podman's Docker-compatible
 * API (`podman system service`) on the node, over the node's transport like Docker's socket.
 * Everything after the config is the docker driver's: container spec, lifecycle, status, logs,
 * exec and recovery. `podman-config.ts` checks the config and translates it.
 *
 * Rootful podman only for now: its socket is /run/podman/podman.sock. A rootless service
 * listens on $XDG_RUNTIME_DIR/podman/podman.sock of its user, which a later change can find.
 */
import type Docker from 'dockerode';
import type { ConfigProblem, TaskContext, Transport } from '../types.js';
import { DockerDriver, type DockerHandle } from './docker.js';
import { dockerConfig, validatePodmanConfig } from './podman-config.js';

export const DEFAULT_PODMAN_SOCKET = '/run/podman/podman.sock';

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
    return transport.docker(this.socketPath);
  }

  override validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validatePodmanConfig(config);
  }

  /**
   * Podman when the socket answers and its /version names a Podman component (a Docker
   * engine behind that path is not podman). The version is podman's own, not the API's.
   */
  override async detect(
    transport: Transport,
  ): Promise<{ detected: boolean; healthy: boolean; attributes: Record<string, string> }> {
    let docker: Docker;
    try {
      docker = await this.engine(transport);
      await docker.ping();
    } catch {
      return { detected: false, healthy: false, attributes: {} };
    }
    let v: Docker.DockerVersion;
    try {
      v = await docker.version();
    } catch {
      return { detected: true, healthy: false, attributes: { 'driver.podman': '1' } };
    }
    const podman = v.Components?.find((c) => /podman/i.test(c.Name));
    if (!podman) return { detected: false, healthy: false, attributes: {} };
    return {
      detected: true,
      healthy: true,
      attributes: {
        'driver.podman': '1',
        'driver.podman.version': podman.Version || v.Version,
        'driver.podman.api_version': v.ApiVersion,
        'driver.podman.os_type': v.Os,
      },
    };
  }

  override start(ctx: TaskContext): Promise<DockerHandle> {
    const config = dockerConfig(ctx.task.config ?? {});
    return super.start({ ...ctx, task: { ...ctx.task, config } });
  }
}

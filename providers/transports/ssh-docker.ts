/**
 * The Docker API of an ssh node, through its SSH connection: every HTTP connection dockerode
 * makes is a `direct-streamlocal` channel to the host's Docker socket (about 1 ms to open on an
 * open connection), kept alive between requests by the agent. Nothing on the host but sshd and
 * the socket is needed (no docker CLI, unlike dockerode's own `ssh` protocol).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Channels to the Docker socket open at once; further requests queue in the agent. */
const MAX_DOCKER_CHANNELS = 8;
/** Idle channels kept for the next request. */
const MAX_IDLE_DOCKER_CHANNELS = 4;

function noop(): void {
  // A channel has no socket options; HTTP code calls these on every socket.
}

/** What http's client calls on a socket and a channel does not have. */
function asSocket(channel: Duplex): Duplex {
  const socketLike = channel as Duplex & Record<string, unknown>;
  for (const name of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof socketLike[name] !== 'function') socketLike[name] = noop;
  }
  if (typeof socketLike.destroySoon !== 'function')
    socketLike.destroySoon = () => channel.destroy();
  return channel;
}

/** A keep-alive HTTP agent whose connections are channels from `open`. */
export class TunnelAgent extends http.Agent {
  private readonly open: () => Promise<Duplex>;

  constructor(open: () => Promise<Duplex>) {
    super({
      keepAlive: true,
      maxSockets: MAX_DOCKER_CHANNELS,
      maxFreeSockets: MAX_IDLE_DOCKER_CHANNELS,
    });
    this.open = open;
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    // Returning nothing and calling back later is the agent's asynchronous form.
    this.open().then(
      (channel) => callback?.(null, asSocket(channel)),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  override keepSocketAlive(): boolean {
    return true; // The default would call setKeepAlive/unref, which mean nothing on a channel.
  }
}

/** dockerode speaking HTTP over the agent's channels. */
export async function dockerThroughTunnel(agent: TunnelAgent): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  // host/port only name the HTTP origin: the agent decides where bytes really go. docker-modem
  // honours `agent` though @types/dockerode does not list it.
  const options: Docker.DockerOptions & { agent: http.Agent } = {
    protocol: 'http',
    host: 'docker',
    port: 80,
    agent,
  };
  return new DockerClient(options);
}

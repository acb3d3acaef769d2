/**
 * The Docker API of an ssh node, through its SSH connection: every HTTP connection dockerode
 * makes is a `direct-streamlocal` channel to the host's Docker socket, or another
 * Docker-compatible one such as podman's (about 1 ms to open on an open connection), kept alive
 * between requests by the agent (one agent per socket). Nothing on the host but sshd and
 * the socket is needed (no docker CLI, unlike dockerode's own `ssh` protocol).
 */
import http from 'node:http';
import { inspect } from 'node:util';
import { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { dockerodeClass } from './dockerode.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Channels to the Docker socket open at once; further requests queue in the agent. */
export const MAX_DOCKER_CHANNELS = 8;
/** Idle channels kept for the next request. */
const MAX_IDLE_DOCKER_CHANNELS = 4;

/**
 * A connection for http's agent that exists at once and becomes a channel when it opens.
 * The agent counts connections only once `createConnection` has returned one, so handing them
 * out later (asynchronously) would let every parallel request open its own channel past
 * `maxSockets`. Writes wait for the channel; reads follow it with backpressure.
 */
export class PendingChannel extends Duplex {
  private channel: Duplex | undefined;
  private readonly waiting: { chunk: Buffer; callback: (err?: Error | null) => void }[] = [];

  constructor(opening: Promise<Duplex>) {
    super();
    opening.then(
      (channel) => this.attach(channel),
      (err: Error) => this.destroy(err),
    );
  }

  private attach(channel: Duplex): void {
    if (this.destroyed) {
      channel.destroy();
      return;
    }
    this.channel = channel;
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.on('end', () => this.push(null));
    channel.on('error', (err: Error) => this.destroy(err));
    channel.on('close', () => this.destroy());
    for (const { chunk, callback } of this.waiting.splice(0)) channel.write(chunk, callback);
  }

  override _read(): void {
    this.channel?.resume();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    if (this.channel) this.channel.write(chunk, callback);
    else this.waiting.push({ chunk, callback });
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.channel?.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.channel?.destroy();
    for (const { callback: cb } of this.waiting.splice(0)) cb(err ?? new Error('channel closed'));
    callback(err);
  }

  // What http's client calls on a socket; none of it means anything for a channel.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  destroySoon(): void {
    this.destroy();
  }
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

  override createConnection(): Duplex {
    return new PendingChannel(this.open());
  }

  override keepSocketAlive(): boolean {
    return true; // The default would call setKeepAlive/unref, which mean nothing on a channel.
  }

  /**
   * docker-modem runs `util.inspect(options, { depth: null })` on every request, and the options
   * hold this agent: without this it walks every channel and the whole ssh2 client each time
   * (7.6 of 11 s of CPU in a 50-container apply).
   */
  [inspect.custom](): string {
    return 'TunnelAgent';
  }
}

/** dockerode speaking HTTP over the agent's channels. */
export async function dockerThroughTunnel(agent: TunnelAgent): Promise<Docker> {
  // Loading the client is ~70 ms of CPU the first time: requests already on their way to the
  // host (a fingerprint's script) go out before it, not after.
  await new Promise((resolve) => setImmediate(resolve));
  const DockerClient = dockerodeClass();
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

/**
 * How core reaches providers: a registry of drivers by name and the transport for a node.
 * Core code imports this module and `types.ts`, never a concrete driver or transport.
 */
import type { Driver, NodeSpec, Transport } from './types.js';
import { ExecDriver } from './drivers/exec.js';
import { JavaDriver } from './drivers/java.js';
import { MockDriver } from './drivers/mock.js';
import { RawExecDriver } from './drivers/raw_exec.js';
import { DockerApiTransport } from './transports/docker-api.js';
import { LocalTransport } from './transports/local.js';
import { SshTransport } from './transports/ssh.js';

export interface DriverRegistry {
  /** The driver of that name; undefined when none is registered ("driver missing"). */
  get(name: string): Driver | undefined;
  /** Registered names, sorted. */
  names(): string[];
  all(): readonly Driver[];
}

export function createDriverRegistry(drivers: readonly Driver[]): DriverRegistry {
  const byName = new Map<string, Driver>();
  for (const driver of drivers) {
    if (byName.has(driver.name)) throw new Error(`driver "${driver.name}" is registered twice`);
    byName.set(driver.name, driver);
  }
  const names = [...byName.keys()].sort();
  return {
    get: (name) => byName.get(name),
    names: () => [...names],
    all: () => [...byName.values()],
  };
}

/**
 * The drivers drover ships: raw_exec, exec, java, mock, docker and podman. docker and podman
 * are imported only here, on demand, so commands that never touch a host do not load dockerode.
 */
export async function defaultDrivers(): Promise<Driver[]> {
  const [{ DockerDriver }, { PodmanDriver }] = await Promise.all([
    import('./drivers/docker.js'),
    import('./drivers/podman.js'),
  ]);
  return [
    new RawExecDriver(),
    new ExecDriver(),
    new JavaDriver(),
    new MockDriver(),
    new DockerDriver(),
    new PodmanDriver(),
  ];
}

export interface TransportOptions {
  /** Drivers whose `detect` fills the node's `driver.*` attributes. */
  drivers?: readonly Driver[];
  /** ssh: the host key pinned in state on first contact; another key is refused. */
  pinnedKey?: { algorithm: string; key: string; fingerprint: string };
  /** ssh: called with the key of a host met for the first time, so the caller can pin it. */
  onNewHostKey?: (key: { algorithm: string; key: string; fingerprint: string }) => void;
}

/** The transport for a node of the inventory, chosen by `node.transport`. */
export function createTransport(node: NodeSpec, opts: TransportOptions = {}): Transport {
  switch (node.transport) {
    case 'local':
      return new LocalTransport(node, opts.drivers ? { drivers: opts.drivers } : {});
    case 'ssh':
      return new SshTransport(node, opts);
    case 'docker':
      return new DockerApiTransport(node, opts.drivers ? { drivers: opts.drivers } : {});
    default: {
      const unknown: string = (node as { transport: string }).transport;
      throw new Error(`node "${node.name}": unknown transport "${unknown}"`);
    }
  }
}

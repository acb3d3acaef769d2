import { describe, expect, it } from 'vitest';
import { MockDriver } from '../../providers/drivers/mock.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { createDriverRegistry, createTransport, defaultDrivers } from '../../providers/registry.js';
import { DockerApiTransport } from '../../providers/transports/docker-api.js';
import { LocalTransport } from '../../providers/transports/local.js';
import type { NodeSpec } from '../../providers/types.js';

function node(transport: NodeSpec['transport']): NodeSpec {
  return {
    name: 'n1',
    transport,
    datacenter: 'dc1',
    meta: {},
    alloc_root: '/var/lib/drover/alloc',
  };
}

describe('driver registry', () => {
  it('finds drivers by name and lists the names sorted', () => {
    const raw = new RawExecDriver();
    const mock = new MockDriver();
    const registry = createDriverRegistry([raw, mock]);
    expect(registry.get('raw_exec')).toBe(raw);
    expect(registry.get('mock')).toBe(mock);
    expect(registry.get('java')).toBeUndefined();
    expect(registry.names()).toEqual(['mock', 'raw_exec']);
    expect(registry.all()).toEqual([raw, mock]);
  });

  it('refuses two drivers of one name', () => {
    expect(() => createDriverRegistry([new MockDriver(), new MockDriver()])).toThrow(
      'driver "mock" is registered twice',
    );
  });

  it('ships raw_exec, exec, java, mock and docker', async () => {
    const registry = createDriverRegistry(await defaultDrivers());
    expect(registry.names()).toEqual(['docker', 'exec', 'java', 'mock', 'podman', 'raw_exec']);
    expect(registry.get('docker')?.capabilities().needsDocker).toBe(true);
  });
});

describe('createTransport', () => {
  it('gives a local node the local transport', () => {
    const t = createTransport(node('local'));
    expect(t).toBeInstanceOf(LocalTransport);
    expect(t.node.name).toBe('n1');
  });

  it('gives a docker node the docker API transport at its docker_host', () => {
    const t = createTransport({ ...node('docker'), docker_host: 'tcp://127.0.0.5:2376' });
    expect(t).toBeInstanceOf(DockerApiTransport);
    expect(t.hostAddress()).toBe('127.0.0.5');
  });
});

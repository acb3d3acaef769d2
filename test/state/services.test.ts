/** drover's record of `provider = "nomad"` services, as templates read it: from running allocations. */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/generated/jobspec.js';
import { normalizeJob } from '../../src/jobspec/normalize.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { emptyState } from '../../src/state/snapshot.js';
import { nodeAddress, serviceCatalog } from '../../src/state/services.js';
import type { Allocation, NodeState, StateSnapshot } from '../../src/state/types.js';

const t = '2026-01-02T03:04:05.000Z';

function job(id: string, version: number): Job {
  return {
    id,
    type: 'service',
    group: [
      {
        name: 'app',
        network: [{ port: [{ label: 'http' }, { label: 'admin' }] }],
        service: [
          { name: `${id}-api`, port: 'http', provider: 'nomad', tags: ['v' + version, 'b'] },
          { name: `${id}-consul`, port: 'http', provider: 'consul' },
        ],
        task: [
          {
            name: 'server',
            driver: 'raw_exec',
            config: { command: 'x' },
            service: [{ name: 'admin', port: 'admin', provider: 'nomad', tags: ['a'] }],
          },
          {
            name: 'metrics',
            driver: 'raw_exec',
            config: { command: 'x' },
            service: [{ name: 'metrics', port: '9100', provider: 'nomad' }],
          },
        ],
      },
    ],
  } as unknown as Job;
}

function alloc(
  id: string,
  jobId: string,
  node: string,
  extra: Partial<Allocation> = {},
): Allocation {
  return {
    id,
    job: jobId,
    version: 1,
    group: 'app',
    index: 0,
    node,
    name: `${jobId}.app[0]`,
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: {},
    ports: [
      { label: 'http', value: 20001, host_ip: '0.0.0.0' },
      { label: 'admin', value: 20002, host_ip: '0.0.0.0' },
    ],
    created_at: t,
    modified_at: t,
    ...extra,
  };
}

function node(name: string, inventory: NodeState['inventory']): NodeState {
  return { name, inventory, eligibility: 'eligible' };
}

function state(): StateSnapshot {
  const versions = [0, 1].map((v) => ({
    version: v,
    submitted_at: t,
    source: '',
    filename: 'web.nomad.hcl',
    submitted: {},
    ...encodeStoredJob(normalizeJob(job('web', v))),
    stable: true,
    status: 'running' as const,
  }));
  return {
    ...emptyState('3f1c1c2e-5b7a-4a51-9e51-3a1ad1a9b0c1'),
    nodes: {
      n1: node('n1', { transport: 'ssh', address: '10.0.0.5', datacenter: 'east' }),
      n2: node('n2', { transport: 'local' }),
    },
    jobs: { web: { versions, stopped: false } },
    allocations: {
      b2: alloc('b2', 'web', 'n2'),
      a1: alloc('a1', 'web', 'n1'),
      old: alloc('old', 'web', 'n1', { version: 0 }),
      stopped: alloc('stopped', 'web', 'n1', { desired_status: 'stop' }),
      failed: alloc('failed', 'web', 'n1', { client_status: 'failed' }),
    },
  };
}

describe('serviceCatalog', () => {
  const catalog = serviceCatalog(state());

  it('registers nomad-provider services of running allocations, as Nomad names them', () => {
    const api = catalog.instances('web-api');
    expect(api.map((r) => r.AllocID)).toEqual(['a1', 'b2', 'old']);
    expect(api[0]).toEqual({
      ID: '_nomad-task-a1-group-app-web-api-http',
      ServiceName: 'web-api',
      Namespace: 'default',
      NodeID: 'n1',
      Datacenter: 'east',
      JobID: 'web',
      AllocID: 'a1',
      Tags: ['v1', 'b'],
      Address: '10.0.0.5',
      Port: 20001,
    });
    // The version the allocation runs decides its services.
    expect(api[2]!.Tags).toEqual(['v0', 'b']);
    expect(api[1]).toMatchObject({ Address: '127.0.0.1', Datacenter: 'dc1', Port: 20001 });
  });

  it('registers task services under the task, with a port label or a number', () => {
    expect(catalog.instances('admin')[0]).toMatchObject({
      ID: '_nomad-task-a1-server-admin-admin',
      Port: 20002,
    });
    expect(catalog.instances('metrics')[0]).toMatchObject({ Port: 9100 });
  });

  it('leaves out consul services and unknown names', () => {
    expect(catalog.instances('web-consul')).toEqual([]);
    expect(catalog.instances('nope')).toEqual([]);
  });

  it('names every service with the union of its tags', () => {
    expect(catalog.names()).toEqual([
      { ServiceName: 'admin', Tags: ['a'] },
      { ServiceName: 'metrics', Tags: [] },
      { ServiceName: 'web-api', Tags: ['b', 'v0', 'v1'] },
    ]);
  });

  it('is empty for an empty state', () => {
    expect(serviceCatalog(emptyState('3f1c1c2e-5b7a-4a51-9e51-3a1ad1a9b0c1')).names()).toEqual([]);
  });
});

describe('nodeAddress', () => {
  it.each([
    [{ transport: 'local', address: '10.1.1.1' }, '127.0.0.1'],
    [{ transport: 'ssh', address: '10.1.1.1' }, '10.1.1.1'],
    [{ transport: 'ssh' }, 'web-1'],
    [{ transport: 'docker', docker_host: 'tcp://10.2.2.2:2376' }, '10.2.2.2'],
    [{ transport: 'docker', docker_host: 'unix:///var/run/docker.sock' }, '127.0.0.1'],
    [{ transport: 'docker' }, '127.0.0.1'],
  ])('%j → %s', (inventory, address) => {
    expect(nodeAddress(node('web-1', inventory))).toBe(address);
  });
});

import { describe, expect, it } from 'vitest';
import {
  clusterFromState,
  nodeSetsFromState,
  parsePortList,
} from '../../src/scheduler/from-state.js';
import { scheduleJob } from '../../src/scheduler/index.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { NodeState, StateSnapshot } from '../../src/state/types.js';
import { alloc, simpleJob } from './fixtures.js';

const T = '2026-01-02T03:04:05.000Z';

function host(name: string, over: Partial<NodeState> = {}): NodeState {
  return {
    name,
    inventory: {
      transport: 'ssh',
      address: `10.0.0.${name.slice(-1)}`,
      datacenter: 'dc1',
      meta: { rack: 'r1' },
    },
    fingerprint: {
      fingerprinted_at: T,
      attributes: { 'kernel.name': 'linux', 'unique.hostname': name },
      resources: { cpu: 4000, cores: 4, memory: 4096, disk: 20000 },
      drivers: {
        raw_exec: { detected: true, healthy: true },
        docker: { detected: true, healthy: false },
      },
    },
    eligibility: 'eligible',
    ...over,
  };
}

function state(): StateSnapshot {
  const job = simpleJob({ count: 1, driver: 'raw_exec' });
  return {
    ...emptyState('6f1c2a7e-0b1d-4c55-9a57-0e6f3f1f2a10'),
    nodes: {
      'ssh-1': host('ssh-1', {
        inventory: {
          transport: 'ssh',
          address: '10.0.0.1',
          reserved: { memory: 96, ports: '22,8000-8002' },
        },
      }),
      'ssh-2': host('ssh-2', { drain: true }),
      'ssh-3': host('ssh-3', { eligibility: 'ineligible' }),
    },
    jobs: {
      web: {
        versions: [
          {
            version: 0,
            submitted_at: T,
            source: '',
            filename: 'web.hcl',
            submitted: {},
            job: job as unknown as Record<string, unknown>,
            stable: true,
            status: 'running',
          },
        ],
        stopped: false,
      },
    },
    allocations: {
      a0: alloc({
        id: 'a0',
        index: 0,
        node: 'ssh-1',
        ports: [{ label: 'http', value: 21000, host_ip: '10.0.0.1' }],
      }),
      a1: alloc({ id: 'a1', index: 1, node: 'ssh-1', client_status: 'failed' }),
    },
  };
}

describe('clusterFromState', () => {
  it('maps nodes, reservations and live allocations', () => {
    const c = clusterFromState(state(), { down: ['ssh-3'] });
    expect(c.nodes.map((n) => [n.name, n.eligible])).toEqual([
      ['ssh-1', true],
      ['ssh-2', false],
      ['ssh-3', false],
    ]);
    expect(c.nodes[0]).toMatchObject({
      datacenter: 'dc1',
      node_pool: 'default',
      drivers: ['raw_exec'],
      address: '10.0.0.1',
      resources: { cpu: 4000, memory: 4096, cores: 4, disk: 20000 },
      reserved: { memory: 96, ports: [22, 8000, 8001, 8002] },
    });
    expect(c.allocations).toEqual([
      {
        id: 'a0',
        node: 'ssh-1',
        job: 'web',
        group: 'app',
        cpu: 500,
        memory: 256,
        disk: 300,
        cores: 0,
        ports: [21000],
      },
    ]);
  });

  it('parses reserved port lists', () => {
    expect(parsePortList('22, 80,8000-8002,x')).toEqual([22, 80, 8000, 8001, 8002]);
    expect(parsePortList([1, 2])).toEqual([1, 2]);
    expect(parsePortList(undefined)).toEqual([]);
  });

  it('sorts nodes into the sets reconcile wants', () => {
    const sets = nodeSetsFromState(state(), ['ssh-3']);
    expect([...sets.up]).toEqual(['ssh-1']);
    expect([...sets.draining]).toEqual(['ssh-2']);
    expect([...sets.down]).toEqual(['ssh-3']);
    expect([...sets.ineligible]).toEqual([]);
  });
});

describe('scheduleJob', () => {
  const three = (): StateSnapshot => ({
    ...emptyState('6f1c2a7e-0b1d-4c55-9a57-0e6f3f1f2a10'),
    nodes: { 'ssh-1': host('ssh-1'), 'ssh-2': host('ssh-2'), 'ssh-3': host('ssh-3') },
  });
  const spread = (count: number) =>
    simpleJob({
      count,
      driver: 'raw_exec',
      group: 'constraint {\n distinct_hosts = true\n}\nnetwork {\n port "http" {}\n}',
    });

  it('lands a distinct_hosts job once on each of three hosts, and says why a fourth cannot', () => {
    const s = three();
    const input = (count: number) => ({
      jobId: 'web',
      job: spread(count),
      version: 0,
      priorJob: () => undefined,
      allocations: [],
      nodes: nodeSetsFromState(s),
      classify: () => 'none' as const,
    });
    const ok = scheduleJob(input(3), clusterFromState(s), { seed: 42 });
    expect(ok.place.placements.map((p) => p.node).sort()).toEqual(['ssh-1', 'ssh-2', 'ssh-3']);
    expect(ok.place.placements.map((p) => p.index).sort()).toEqual([0, 1, 2]);
    for (const p of ok.place.placements) {
      expect(p.ports[0]!.host_ip).toBe(`10.0.0.${p.node.slice(-1)}`);
    }
    const four = scheduleJob(input(4), clusterFromState(s), { seed: 42 });
    expect(four.place.placements).toHaveLength(3);
    expect(four.place.failures.map((f) => [f.failed, f.reason])).toEqual([
      [1, '3 nodes filtered by constraint distinct_hosts'],
    ]);
  });

  it('moves a lost allocation to a live host, freeing nothing it does not stop', () => {
    const s = three();
    const job = spread(2);
    s.allocations = {
      x0: alloc({ id: 'x0', index: 0, node: 'ssh-1', version: 0 }),
      x1: alloc({ id: 'x1', index: 1, node: 'ssh-2', version: 0 }),
    };
    const r = scheduleJob(
      {
        jobId: 'web',
        job,
        version: 0,
        priorJob: () => job,
        allocations: Object.values(s.allocations),
        nodes: nodeSetsFromState(s, ['ssh-2']),
        classify: () => 'none',
      },
      clusterFromState(s, { down: ['ssh-2'] }),
      { seed: 1 },
    );
    expect(r.reconcile.groups[0]!.counts).toMatchObject({ create: 1, destroy: 0, ignore: 1 });
    expect(r.place.placements.map((p) => [p.name, p.node, p.replaces])).toEqual([
      ['web.app[1]', 'ssh-3', 'x1'],
    ]);
  });

  it('turns an in-place update destructive when the node no longer meets the job', () => {
    const s = three();
    s.nodes['ssh-2']!.inventory.meta = { rack: 'r2' };
    const v0 = simpleJob({ count: 2, driver: 'raw_exec' });
    const v1 = simpleJob({
      count: 2,
      driver: 'raw_exec',
      job: 'constraint {\n attribute = "${meta.rack}"\n value = "r2"\n}',
    });
    const r = scheduleJob(
      {
        jobId: 'web',
        job: v1,
        version: 1,
        priorJob: () => v0,
        allocations: [
          alloc({ id: 'x0', index: 0, node: 'ssh-1', version: 0 }),
          alloc({ id: 'x1', index: 1, node: 'ssh-2', version: 0 }),
        ],
        nodes: nodeSetsFromState(s),
        classify: () => 'none',
      },
      clusterFromState(s),
      { seed: 1 },
    );
    const g = r.reconcile.groups[0]!;
    expect(g.inplaceUpdate.map((u) => u.alloc.id)).toEqual(['x1']);
    expect(g.destructiveUpdate.map((d) => [d.alloc.id, d.because])).toEqual([
      ['x0', 'node ssh-1: constraint ${meta.rack} = r2 not met'],
    ]);
    expect(r.reconcile.counts).toMatchObject({ in_place_update: 1, create_destroy_update: 1 });
    expect(r.place.placements.map((p) => [p.name, p.node, p.replaces])).toEqual([
      ['web.app[0]', 'ssh-2', 'x0'],
    ]);
  });

  it('places nothing for a stopped job', () => {
    const s = three();
    const r = scheduleJob(
      {
        jobId: 'web',
        job: 'stopped',
        version: 1,
        priorJob: () => undefined,
        allocations: [alloc({ index: 0, node: 'ssh-1' })],
        nodes: nodeSetsFromState(s),
        classify: () => 'none',
      },
      clusterFromState(s),
      { seed: 1 },
    );
    expect(r.reconcile.counts.destroy).toBe(1);
    expect(r.place.placements).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { applyPlacements, prepareCluster } from '../../src/scheduler/cluster.js';
import { place } from '../../src/scheduler/place.js';
import { binPackScore } from '../support/scheduler-scores.js';
import type {
  ClusterAllocation,
  ClusterNode,
  PlaceOptions,
  PlacementRequest,
} from '../../src/scheduler/types.js';
import { node, requests, simpleJob } from './fixtures.js';

const used = (
  id: string,
  onNode: string,
  over: Partial<ClusterAllocation> = {},
): ClusterAllocation => ({
  id,
  node: onNode,
  job: 'other',
  group: 'x',
  cpu: 0,
  memory: 0,
  disk: 0,
  cores: 0,
  ports: [],
  ...over,
});

const run = (
  nodes: ClusterNode[],
  reqs: PlacementRequest[],
  allocations: ClusterAllocation[] = [],
  opts: Partial<PlaceOptions> = {},
) => place(reqs, { nodes, allocations }, { seed: 7, ...opts });

const where = (r: ReturnType<typeof run>) => r.placements.map((p) => p.node);

describe('place: bin-pack and spread', () => {
  const nodes = [node('n1'), node('n2'), node('n3', { attributes: { 'kernel.name': 'windows' } })];
  const busy = [
    used('a', 'n1', { cpu: 2000, memory: 2048 }),
    used('b', 'n3', { cpu: 3000, memory: 3000 }),
  ];
  const j = simpleJob({
    job: 'constraint {\n attribute = "${attr.kernel.name}"\n value = "linux"\n}',
  });

  it('bin-pack fills the fullest feasible node', () => {
    expect(where(run(nodes, requests(j), busy))).toEqual(['n1']);
  });

  it('the spread algorithm takes the emptiest', () => {
    expect(where(run(nodes, requests(j), busy, { algorithm: 'spread' }))).toEqual(['n2']);
  });

  it('scores with the bin-pack formula: fitness / 18', () => {
    const r = run(nodes, requests(j), busy);
    // 2000 + 500 of 4000 MHz, 2048 + 256 of 4096 MB.
    expect(r.placements[0]!.score).toBeCloseTo(binPackScore('binpack', 2500, 4000, 2304, 4096), 12);
    expect(r.placements[0]!.resources).toEqual({ cpu: 500, memory: 256, disk: 300, cores: 0 });
  });

  it('adds job anti-affinity, −(collisions + 1) / count, to the mean', () => {
    const one = [node('n1')];
    const r = run(one, requests(simpleJob({ count: 4 }), 2));
    const second = r.placements[1]!;
    const fit = binPackScore('binpack', 1000, 4000, 512, 4096);
    expect(second.score).toBeCloseTo((fit + -(1 + 1) / 4) / 2, 12);
  });

  it('penalises the node a failed allocation ran on', () => {
    const twins = [node('n1'), node('n2')];
    const req: PlacementRequest = {
      ...requests(simpleJob())[0]!,
      reason: 'failed',
      previousNode: 'n1',
    };
    expect(where(run(twins, [req]))).toEqual(['n2']);
  });

  it('prefers the previous node of a sticky ephemeral disk', () => {
    const j2 = simpleJob({ group: 'ephemeral_disk {\n sticky = true\n}' });
    const nodesX = [node('n1'), node('n2')];
    const req: PlacementRequest = {
      ...requests(j2)[0]!,
      reason: 'destructive',
      previousNode: 'n2',
    };
    expect(where(run(nodesX, [req], [used('a', 'n1', { cpu: 3000, memory: 3000 })]))).toEqual([
      'n2',
    ]);
  });

  it('follows affinities and scores them by weight', () => {
    const racks = [node('n1', { meta: { rack: 'r1' } }), node('n2', { meta: { rack: 'r2' } })];
    const j2 = simpleJob({
      group: 'affinity {\n attribute = "${meta.rack}"\n value = "r2"\n weight = 100\n}',
    });
    const r = run(racks, requests(j2));
    expect(where(r)).toEqual(['n2']);
    const fit = binPackScore('binpack', 500, 4000, 256, 4096);
    expect(r.placements[0]!.score).toBeCloseTo((fit + 1) / 2, 12);
  });
});

describe('place: the spread stanza', () => {
  const racks = (n: number, count: number) =>
    Array.from({ length: n }, (_, i) => node(`n${i}`, { meta: { rack: `r${i % count}` } }));
  const rackOf = (name: string) => `r${Number(name.slice(1)) % 3}`;
  const tally = (names: string[], key: (n: string) => string) => {
    const out: Record<string, number> = {};
    for (const n of names) out[key(n)] = (out[key(n)] ?? 0) + 1;
    return out;
  };

  it('evens out allocations over the values', () => {
    const j = simpleJob({ count: 6, job: 'spread {\n attribute = "${meta.rack}"\n}' });
    const r = run(racks(9, 3), requests(j));
    expect(tally(where(r), rackOf)).toEqual({ r0: 2, r1: 2, r2: 2 });
  });

  it('follows target percentages', () => {
    const j = simpleJob({
      count: 4,
      group: `spread {
  attribute = "\${meta.rack}"
  target "r0" {
    percent = 75
  }
  target "r1" {
    percent = 25
  }
}`,
    });
    const r = run(racks(6, 2), requests(j));
    expect(tally(where(r), (n) => `r${Number(n.slice(1)) % 2}`)).toEqual({ r0: 3, r1: 1 });
  });
});

describe('place: distinct_hosts and distinct_property', () => {
  const three = [node('n1'), node('n2'), node('n3')];

  it('distinct_hosts puts each allocation on its own node', () => {
    const j = simpleJob({ count: 3, group: 'constraint {\n distinct_hosts = true\n}' });
    const r = run(three, requests(j));
    expect(where(r).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(r.failures).toEqual([]);
  });

  it('says why a fourth does not fit', () => {
    const j = simpleJob({ count: 4, group: 'constraint {\n distinct_hosts = true\n}' });
    const r = run(three, requests(j));
    expect(r.placements).toHaveLength(3);
    expect(r.failures).toHaveLength(1);
    const f = r.failures[0]!;
    expect([f.group, f.failed, f.names]).toEqual(['app', 1, ['web.app[3]']]);
    expect(f.reason).toBe('3 nodes filtered by constraint distinct_hosts');
    expect(f.metrics).toMatchObject({
      nodesEvaluated: 3,
      nodesFiltered: 3,
      nodesExhausted: 0,
      nodesAvailable: 3,
      constraintFiltered: { distinct_hosts: 3 },
    });
  });

  it('counts the job allocations already running', () => {
    const j = simpleJob({ count: 2, group: 'constraint {\n distinct_hosts = true\n}' });
    const r = run(three, requests(j, 1), [
      used('x', 'n1', { job: 'web', group: 'app' }),
      used('y', 'n2', { job: 'web', group: 'app' }),
    ]);
    expect(where(r)).toEqual(['n3']);
  });

  it('distinct_property allows `value` allocations per property value', () => {
    const nodes = [0, 1, 2, 3].map((i) => node(`n${i}`, { meta: { rack: `r${i % 2}` } }));
    const j = simpleJob({
      count: 5,
      group: 'constraint {\n distinct_property = "${meta.rack}"\n value = "2"\n}',
    });
    const r = run(nodes, requests(j));
    expect(r.placements).toHaveLength(4);
    expect(r.failures[0]!.reason).toBe(
      '4 nodes filtered by constraint ${meta.rack} distinct_property 2',
    );
  });
});

describe('place: ports', () => {
  const http = 'network {\n port "http" {\n static = 8080\n }\n}';

  it('avoids a node whose static port is taken', () => {
    const r = run([node('n1'), node('n2')], requests(simpleJob({ group: http })), [
      used('a', 'n1', { ports: [8080], cpu: 3000, memory: 3000 }),
    ]);
    expect(where(r)).toEqual(['n2']);
    expect(r.placements[0]!.ports).toEqual([{ label: 'http', value: 8080, host_ip: '0.0.0.0' }]);
  });

  it('reports the collision when no node is free', () => {
    const r = run([node('n1')], requests(simpleJob({ count: 2, group: http })));
    expect(r.placements).toHaveLength(1);
    expect(r.failures[0]!.reason).toBe(
      '1 node exhausted network: reserved port collision http=8080',
    );
    expect(r.failures[0]!.metrics.dimensionExhausted).toEqual({
      'network: reserved port collision http=8080': 1,
    });
  });

  it('never hands out a dynamic port twice, nor a used or reserved one', () => {
    const j = simpleJob({
      count: 30,
      memory: 10,
      cpu: 10,
      group: 'network {\n port "a" {}\n port "b" {\n to = 80\n }\n port "c" {\n to = -1\n }\n}',
    });
    const n1 = node('n1', { address: '10.0.0.5', reserved: { ports: [20001, 20002] } });
    const r = run([n1], requests(j), [used('x', 'n1', { ports: [20003, 20004] })], {
      dynamicPorts: { min: 20000, max: 20100 },
    });
    expect(r.placements).toHaveLength(30);
    const values = r.placements.flatMap((p) => p.ports.map((x) => x.value));
    expect(values).toHaveLength(90);
    expect(new Set(values).size).toBe(90);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(20000);
      expect(v).toBeLessThanOrEqual(20100);
      expect([20001, 20002, 20003, 20004]).not.toContain(v);
    }
    const ports = r.placements[0]!.ports;
    expect(ports.map((p) => [p.label, p.to, p.host_ip])).toEqual([
      ['a', undefined, '10.0.0.5'],
      ['b', 80, '10.0.0.5'],
      ['c', ports[2]!.value, '10.0.0.5'],
    ]);
    // The range holds 101 ports, 4 taken: a 33rd allocation needs 3 of the 7 left, a 34th fails.
    const more = run(
      [n1],
      requests(
        simpleJob({
          ...{ count: 34, memory: 10, cpu: 10 },
          group: 'network {\n port "a" {}\n port "b" {}\n port "c" {}\n}',
        }),
      ),
      [used('x', 'n1', { ports: [20003, 20004] })],
      { dynamicPorts: { min: 20000, max: 20100 } },
    );
    expect(more.placements).toHaveLength(32);
    expect(more.failures[0]!.reason).toBe(
      '1 node exhausted network: dynamic port selection failed',
    );
  });

  it('is deterministic for a seed', () => {
    const j = simpleJob({ count: 5, group: 'network {\n port "a" {}\n}' });
    const nodes = [node('n1'), node('n2'), node('n3')];
    const a = run(nodes, requests(j), [], { seed: 1 });
    const b = run(nodes, requests(j), [], { seed: 1 });
    const c = run(nodes, requests(j), [], { seed: 2 });
    expect(b.placements).toEqual(a.placements);
    expect(c.placements.map((p) => p.ports[0]!.value)).not.toEqual(
      a.placements.map((p) => p.ports[0]!.value),
    );
  });
});

describe('place: feasibility and failure metrics', () => {
  const linux = 'constraint {\n attribute = "${attr.kernel.name}"\n value = "linux"\n}';

  it('explains constraint filtering and exhaustion in one line', () => {
    const nodes = [
      node('w1', { attributes: { 'kernel.name': 'windows' } }),
      node('w2', { attributes: { 'kernel.name': 'windows' } }),
      node('l1', { resources: { cpu: 4000, memory: 512 } }),
    ];
    const r = run(nodes, requests(simpleJob({ job: linux, memory: 1024 })));
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.reason).toBe(
      '2 nodes filtered by constraint ${attr.kernel.name} = linux, 1 node exhausted memory',
    );
    expect(r.failures[0]!.metrics).toMatchObject({
      nodesEvaluated: 3,
      nodesFiltered: 2,
      nodesExhausted: 1,
      constraintFiltered: { '${attr.kernel.name} = linux': 2 },
      dimensionExhausted: { memory: 1 },
    });
  });

  it('coalesces later failures of the same group', () => {
    const r = run(
      [node('n1', { resources: { cpu: 600, memory: 4096 } })],
      requests(simpleJob({ count: 3 })),
    );
    expect(r.placements).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({
      failed: 2,
      names: ['web.app[1]', 'web.app[2]'],
      reason: '1 node exhausted cpu',
    });
  });

  it('names a missing driver', () => {
    const r = run([node('n1', { drivers: ['raw_exec'] })], requests(simpleJob()));
    expect(r.failures[0]!.reason).toBe('1 node missing driver docker');
    expect(r.failures[0]!.metrics.driverMissing).toEqual({ docker: 1 });
  });

  it('searches only the job datacenters (with globs) and node pool', () => {
    const nodes = [
      node('a', { datacenter: 'us-east-1' }),
      node('b', { datacenter: 'us-west-1' }),
      node('c', { datacenter: 'eu-1' }),
      node('d', { datacenter: 'us-east-2', node_pool: 'gpu' }),
      node('e', { datacenter: 'us-east-3', eligible: false }),
    ];
    const j = simpleJob({ job: 'datacenters = ["us-*"]' });
    expect(new Set(where(run(nodes, requests(j, 3))))).toEqual(new Set(['a', 'b']));

    const none = run(nodes, requests(simpleJob({ job: 'datacenters = ["ap-*"]' })));
    expect(none.failures[0]!.reason).toBe(
      'no node in datacenters ap-* and node pool default takes work (5 nodes in other datacenters)',
    );
    const pool = run(nodes, requests(simpleJob({ job: 'node_pool = "gpu"' })));
    expect(where(pool)).toEqual(['d']);
    const metrics = run(
      nodes,
      requests(simpleJob({ job: 'datacenters = ["us-*"]\n node_pool = "none"' })),
    );
    expect(metrics.failures[0]!.metrics.nodesExcluded).toEqual({
      datacenter: 1,
      nodePool: 4,
      ineligible: 0,
    });
  });

  it('checks constraints on unique attributes node by node', () => {
    const j = simpleJob({
      job: 'constraint {\n attribute = "${node.unique.name}"\n operator = "!="\n value = "n1"\n}',
    });
    expect(where(run([node('n1'), node('n2')], requests(j)))).toEqual(['n2']);
  });

  it('reserves whole cores and their share of cpu', () => {
    const j = simpleJob({ count: 3, task: '' });
    j.group[0]!.task[0]!.resources = { cores: 2, cpu: 0, memory: 100 };
    const r = run([node('n1', { resources: { cpu: 4000, memory: 4096, cores: 4 } })], requests(j));
    expect(r.placements.map((p) => p.resources)).toEqual([
      { cpu: 2000, memory: 100, disk: 300, cores: 2 },
      { cpu: 2000, memory: 100, disk: 300, cores: 2 },
    ]);
    expect(r.failures[0]!.reason).toBe('1 node exhausted cores');
  });

  it('keeps reserved resources back and reuses what the plan frees', () => {
    const n1 = node('n1', { reserved: { memory: 3584 } });
    const j = simpleJob({ memory: 400 });
    expect(run([n1], requests(j), [used('a', 'n1', { memory: 256 })]).failures[0]!.reason).toBe(
      '1 node exhausted memory',
    );
    const freed = run([n1], requests(j), [used('a', 'n1', { memory: 256 })], {
      freed: new Set(['a']),
    });
    expect(where(freed)).toEqual(['n1']);
  });

  it('reports a group the job lacks', () => {
    const j = simpleJob();
    const r = run([node('n1')], [{ ...requests(j)[0]!, group: 'nope' }]);
    expect(r.failures[0]!.reason).toBe('group "nope" is not in job "web"');
  });
});

describe('place: sampling', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => node(`n${i}`));

  it('scores about log2(N) nodes per placement, never all of them', () => {
    const pc = prepareCluster({ nodes: many(1024), allocations: [] });
    const j = simpleJob({ count: 100, cpu: 10, memory: 10 });
    const r = place(requests(j), pc, { seed: 3 });
    expect(r.placements).toHaveLength(100);
    // ceil(log2 1024) = 10 scored, plus up to 3 skipped (score ≤ 0).
    expect(r.stats.nodesScored).toBeGreaterThanOrEqual(100 * 10);
    expect(r.stats.nodesScored).toBeLessThanOrEqual(100 * 13);
    expect(r.stats.nodesEvaluated).toBe(r.stats.nodesScored);
    const full = place(requests(j), pc, { seed: 3, fullScan: true });
    expect(full.stats.nodesScored).toBe(100 * 1024);
  });

  it('scores max(100, count) nodes with a spread', () => {
    const pc = prepareCluster({ nodes: many(300), allocations: [] });
    const j = simpleJob({
      count: 10,
      cpu: 10,
      memory: 10,
      job: 'spread {\n attribute = "${node.unique.name}"\n}',
    });
    const r = place(requests(j), pc, { seed: 3 });
    // 100 per placement, plus up to 3 skipped for a score ≤ 0.
    expect(r.stats.nodesScored).toBeGreaterThanOrEqual(10 * 100);
    expect(r.stats.nodesScored).toBeLessThanOrEqual(10 * 103);
  });

  it('chains evaluations with applyPlacements', () => {
    let pc = prepareCluster({ nodes: [node('n1'), node('n2')], allocations: [] });
    const j = simpleJob({ count: 1, group: 'network {\n port "http" {\n static = 80\n }\n}' });
    const first = place(requests(j), pc, { seed: 1 });
    pc = applyPlacements(pc, first.placements);
    const second = place(requests({ ...j, id: 'web2' }), pc, { seed: 1 });
    expect(second.placements[0]!.node).not.toBe(first.placements[0]!.node);
    expect(pc.usedMem[pc.indexOf.get(first.placements[0]!.node)!]).toBe(256);
  });
});

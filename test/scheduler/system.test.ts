/**
 * System and sysbatch jobs (src/scheduler/system.ts): one allocation per ready, feasible node,
 * through `scheduleJob` as a plan uses it, on a real prepared cluster.
 */
import { describe, expect, it } from 'vitest';
import type { NormalizedJob as Job } from '../../src/generated/normalized-job.js';
import { scheduleJob } from '../../src/scheduler/index.js';
import type {
  Cluster,
  ClusterNode,
  NodeSets,
  ReconcileInput,
  UpdateClass,
} from '../../src/scheduler/types.js';
import type { Allocation } from '../../src/state/types.js';
import { alloc, node, simpleJob } from './fixtures.js';

const system = (over: Parameters<typeof simpleJob>[0] = {}): Job =>
  simpleJob({ id: 'agent', type: 'system', cpu: 100, memory: 64, ...over });

/** The job's allocation on a node (version 0 unless given), named as the system scheduler names it. */
const on = (nodeName: string, over: Partial<Allocation> = {}): Allocation =>
  alloc({
    id: `a-${nodeName}`,
    job: 'agent',
    index: 0,
    node: nodeName,
    ...over,
  });

interface Setup {
  job: Job | 'stopped';
  nodes: ClusterNode[];
  allocs?: Allocation[];
  sets?: Partial<Record<keyof NodeSets, string[]>>;
  version?: number;
  prior?: Job;
  classify?: UpdateClass;
}

function schedule(s: Setup) {
  const names = s.nodes.map((n) => n.name);
  const sets = s.sets ?? {};
  const nodes: NodeSets = {
    up: new Set(
      sets.up ??
        names.filter(
          (n) =>
            !(sets.down ?? []).includes(n) &&
            !(sets.draining ?? []).includes(n) &&
            !(sets.ineligible ?? []).includes(n),
        ),
    ),
    down: new Set(sets.down ?? []),
    draining: new Set(sets.draining ?? []),
    ineligible: new Set(sets.ineligible ?? []),
    drainKeepsSystem: new Set(sets.drainKeepsSystem ?? []),
  };
  const cluster: Cluster = {
    nodes: s.nodes.map((n) => (nodes.up.has(n.name) ? n : { ...n, eligible: false })),
    allocations: (s.allocs ?? [])
      .filter((a) => a.desired_status === 'run' && a.client_status === 'running')
      .map((a) => ({
        id: a.id,
        node: a.node,
        job: a.job,
        group: a.group,
        cpu: 100,
        memory: 64,
        disk: 300,
        cores: 0,
        ports: [],
      })),
  };
  const input: ReconcileInput = {
    jobId: 'agent',
    job: s.job,
    version: s.version ?? 0,
    priorJob: () => s.prior,
    allocations: s.allocs ?? [],
    nodes,
    classify: () => s.classify ?? 'destructive',
  };
  const r = scheduleJob(input, cluster, { seed: 7 });
  const g = r.reconcile.groups[0]!;
  return {
    ...r,
    group: g,
    placedOn: r.place.placements.map((p) => p.node).sort(),
    stops: g.stop.map((x) => [x.alloc.node, x.reason, x.clientStatus ?? '']),
  };
}

const three = () => [node('n1'), node('n2'), node('n3')];

describe('system jobs: one allocation per node', () => {
  it('places one allocation on every ready node, each named [0], whatever the count', () => {
    const r = schedule({ job: system(), nodes: three() });
    expect(r.placedOn).toEqual(['n1', 'n2', 'n3']);
    expect(r.place.placements.map((p) => p.name)).toEqual([
      'agent.app[0]',
      'agent.app[0]',
      'agent.app[0]',
    ]);
    expect(r.group.counts).toMatchObject({ create: 3, destroy: 0, ignore: 0 });
    expect(r.place.failures).toEqual([]);
  });

  it('a group with count 0 runs nowhere', () => {
    const r = schedule({ job: system({ count: 0 }), nodes: three(), allocs: [on('n1')] });
    expect(r.placedOn).toEqual([]);
    expect(r.group.stop.map((s) => [s.alloc.node, s.description])).toEqual([
      ['n1', 'alloc not needed as the group count is 0'],
    ]);
  });

  it('leaves the nodes that already run it alone and places on a node added since', () => {
    const r = schedule({
      job: system(),
      nodes: [...three(), node('n4')],
      allocs: [on('n1'), on('n2'), on('n3')],
    });
    expect(r.placedOn).toEqual(['n4']);
    expect(r.group.counts).toMatchObject({ create: 1, ignore: 3 });
    expect(r.stops).toEqual([]);
  });

  it("stops a draining node's allocation without moving it elsewhere", () => {
    const r = schedule({
      job: system(),
      nodes: three(),
      allocs: [on('n1'), on('n2'), on('n3')],
      sets: { draining: ['n2'] },
    });
    expect(r.placedOn).toEqual([]);
    expect(r.stops).toEqual([['n2', 'migrate', '']]);
    expect(r.group.stop[0]!.description).toBe('alloc not needed as its node is draining');
    expect(r.group.counts).toMatchObject({ destroy: 1, ignore: 2, migrate: 0 });
  });

  it('keeps the allocation of a node whose drain leaves system jobs alone (-ignore-system)', () => {
    const r = schedule({
      job: system(),
      nodes: three(),
      allocs: [on('n1'), on('n2'), on('n3')],
      sets: { draining: ['n2'], drainKeepsSystem: ['n2'] },
    });
    expect(r.stops).toEqual([]);
    expect(r.placedOn).toEqual([]);
    expect(r.group.counts).toMatchObject({ destroy: 0, ignore: 3 });
  });

  it('marks the allocation of a down node, or of a node gone from the inventory, lost and does not replace it', () => {
    const r = schedule({
      job: system(),
      nodes: [node('n1'), node('n2')],
      allocs: [on('n1'), on('n2'), on('gone')],
      sets: { down: ['n2'] },
    });
    expect(r.placedOn).toEqual([]);
    expect(r.stops).toEqual([
      ['gone', 'lost', 'lost'],
      ['n2', 'lost', 'lost'],
    ]);
    expect(r.group.counts).toMatchObject({ create: 0, destroy: 0, ignore: 1 });
  });

  it('an ineligible node keeps its allocation, even of an older version, and gets no new one', () => {
    const r = schedule({
      job: system(),
      version: 1,
      prior: system({ task: 'env { A = "1" }' }),
      nodes: [...three(), node('n4')],
      allocs: [on('n1', { version: 0 }), on('n2'), on('n3')],
      sets: { ineligible: ['n1', 'n4'] },
    });
    const n1 = r.group.ignore.map((a) => a.node);
    expect(n1).toContain('n1');
    expect(r.group.destructiveUpdate.map((d) => d.alloc.node).sort()).toEqual(['n2', 'n3']);
    expect(r.placedOn).toEqual(['n2', 'n3']);
  });

  it('stops the allocation of a node that left the job datacenters', () => {
    const r = schedule({
      job: system({ job: 'datacenters = ["dc1"]' }),
      nodes: [node('n1'), node('n2', { datacenter: 'dc2' })],
      allocs: [on('n1'), on('n2')],
    });
    expect(r.stops).toEqual([['n2', 'count-reduced', '']]);
    expect(r.placedOn).toEqual([]);
  });

  it('keeps one allocation per node and stops duplicates', () => {
    const r = schedule({
      job: system(),
      nodes: [node('n1')],
      allocs: [on('n1'), on('n1', { id: 'dup', created_at: '2026-01-01T00:00:00.000Z' })],
    });
    expect(r.group.stop.map((s) => s.alloc.id)).toEqual(['dup']);
  });

  it('replaces a failed allocation on its own node', () => {
    const r = schedule({
      job: system(),
      nodes: three(),
      allocs: [on('n1', { client_status: 'failed' }), on('n2'), on('n3')],
    });
    expect(r.place.placements).toMatchObject([{ node: 'n1', replaces: 'a-n1', reason: 'failed' }]);
    expect(r.stops).toEqual([['n1', 'failed', '']]);
  });

  it('updates every node in place or by replacing its allocation there', () => {
    const prior = system({ task: 'env { A = "1" }' });
    const destructive = schedule({
      job: system(),
      version: 1,
      prior,
      nodes: three(),
      allocs: [on('n1'), on('n2'), on('n3')],
    });
    expect(destructive.place.placements.map((p) => [p.node, p.replaces])).toEqual([
      ['n1', 'a-n1'],
      ['n2', 'a-n2'],
      ['n3', 'a-n3'],
    ]);
    expect(destructive.group.counts.create_destroy_update).toBe(3);
    const inplace = schedule({
      job: system(),
      version: 1,
      prior,
      nodes: three(),
      allocs: [on('n1'), on('n2'), on('n3')],
      classify: 'in-place',
    });
    expect(inplace.group.inplaceUpdate).toHaveLength(3);
    expect(inplace.placedOn).toEqual([]);
  });

  it('stops every allocation when the job stops', () => {
    const r = schedule({ job: 'stopped', nodes: three(), allocs: [on('n1'), on('n2')] });
    expect(r.stops).toEqual([
      ['n1', 'job-stopped', ''],
      ['n2', 'job-stopped', ''],
    ]);
  });
});

describe('system jobs: infeasible and exhausted nodes', () => {
  it('skips nodes that cannot run the job, says why per node, and is no placement failure', () => {
    const r = schedule({
      job: system({
        job: 'constraint {\n attribute = "${attr.kernel.name}"\n value = "linux"\n }',
      }),
      nodes: [
        node('n1'),
        node('n2', { attributes: { 'kernel.name': 'darwin' } }),
        node('n3', { drivers: ['raw_exec'] }),
      ],
    });
    expect(r.placedOn).toEqual(['n1']);
    expect(r.group.counts.create).toBe(1);
    expect(r.reconcile.counts.create).toBe(1);
    expect(r.place.failures).toEqual([]);
    expect(r.place.filtered?.map((f) => [f.node, f.reason])).toEqual([
      ['n2', 'constraint ${attr.kernel.name} = linux not met'],
      ['n3', 'missing driver docker'],
    ]);
  });

  it('is a placement failure when no node can run a group that runs nowhere yet', () => {
    const r = schedule({ job: system(), nodes: [node('n1', { drivers: ['raw_exec'] })] });
    expect(r.placedOn).toEqual([]);
    expect(r.place.failures).toHaveLength(1);
    expect(r.place.failures[0]!.reason).toBe('no node can run it: n1: missing driver docker');
    expect(r.place.failures[0]!.metrics.driverMissing).toEqual({ docker: 1 });
  });

  it('reports nodes that could run it but lack room as placement failures, merged', () => {
    const r = schedule({
      job: system({ memory: 3000 }),
      nodes: [
        node('n1'),
        node('n2', { resources: { cpu: 4000, memory: 1024 } }),
        node('n3', { resources: { cpu: 4000, memory: 2048 } }),
      ],
    });
    expect(r.placedOn).toEqual(['n1']);
    expect(r.place.failures).toHaveLength(1);
    expect(r.place.failures[0]).toMatchObject({ failed: 2, reason: '2 nodes exhausted memory' });
    expect(r.place.filtered).toBeUndefined();
  });

  it('stops, without a replacement, an allocation whose node no longer suits the changed job', () => {
    const r = schedule({
      job: system({ job: 'constraint {\n attribute = "${meta.role}"\n value = "edge"\n }' }),
      version: 1,
      prior: system(),
      nodes: [node('n1', { meta: { role: 'edge' } }), node('n2')],
      allocs: [on('n1'), on('n2')],
      classify: 'in-place',
    });
    expect(r.place.placements.map((p) => p.node)).toEqual([]);
    expect(r.group.stop.map((s) => s.alloc.node)).toEqual(['n2']);
    expect(r.group.counts).toMatchObject({
      destroy: 1,
      create_destroy_update: 0,
      in_place_update: 1,
    });
  });
});

describe('sysbatch jobs: once per node', () => {
  const sysbatch = (over: Parameters<typeof simpleJob>[0] = {}) =>
    simpleJob({ id: 'agent', type: 'sysbatch', cpu: 100, memory: 64, ...over });

  it('places one run on every node', () => {
    expect(schedule({ job: sysbatch(), nodes: three() }).placedOn).toEqual(['n1', 'n2', 'n3']);
  });

  it('runs count allocations on every node, as Nomad materializes the names per node', () => {
    const r = schedule({
      job: sysbatch({ count: 2 }),
      nodes: [node('n1'), node('n2')],
      allocs: [on('n1', { id: 'n1-0', client_status: 'complete' })],
    });
    expect(r.place.placements.map((p) => [p.node, p.name]).sort()).toEqual([
      ['n1', 'agent.app[1]'],
      ['n2', 'agent.app[0]'],
      ['n2', 'agent.app[1]'],
    ]);
    const fewer = schedule({
      job: sysbatch({ count: 1 }),
      nodes: [node('n1')],
      allocs: [
        on('n1', { id: 'x0', index: 0 }),
        on('n1', { id: 'x1', index: 1, name: 'agent.app[1]' }),
      ],
    });
    expect(fewer.group.stop.map((s) => [s.alloc.id, s.description])).toEqual([
      ['x1', 'alloc not needed as the group count is 1'],
    ]);
  });

  it('does not place again where it completed or failed, but places on a new node', () => {
    const r = schedule({
      job: sysbatch(),
      nodes: [...three(), node('n4')],
      allocs: [
        on('n1', { client_status: 'complete' }),
        on('n2', { client_status: 'failed' }),
        on('n3', { client_status: 'complete', desired_status: 'stop' }),
      ],
    });
    expect(r.placedOn).toEqual(['n4']);
    expect(r.stops).toEqual([]);
    expect(r.group.counts).toMatchObject({ create: 1, ignore: 3 });
  });

  it('runs again on every node once the job changed', () => {
    const r = schedule({
      job: sysbatch(),
      version: 1,
      prior: sysbatch({ task: 'env { A = "1" }' }),
      nodes: three(),
      allocs: [on('n1', { client_status: 'complete' }), on('n2', { client_status: 'complete' })],
    });
    expect(r.placedOn).toEqual(['n1', 'n2', 'n3']);
    expect(r.group.stop.map((s) => [s.alloc.node, s.reason])).toEqual([
      ['n1', 'failed'],
      ['n2', 'failed'],
    ]);
    expect(r.group.stop[0]!.description).toBe(
      'alloc runs again on its node for the new job version',
    );
  });
});

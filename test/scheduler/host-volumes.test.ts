/**
 * Host volumes as placement constraints (src/scheduler/host-volumes.ts): Nomad's
 * HostVolumeChecker through `place` (service jobs) and `scheduleJob` (system jobs).
 */
import { describe, expect, it } from 'vitest';
import { place } from '../../src/scheduler/place.js';
import { scheduleJob } from '../../src/scheduler/index.js';
import type { ClusterNode } from '../../src/scheduler/types.js';
import { node, requests, simpleJob } from './fixtures.js';

const volumeJob = (opts: { readOnly?: boolean; type?: string; count?: number } = {}) =>
  simpleJob({
    ...(opts.type ? { type: opts.type } : {}),
    count: opts.count ?? 1,
    group: `volume "store" {
      type      = "host"
      source    = "data"
      read_only = ${opts.readOnly ?? false}
    }`,
    task: `volume_mount {
      volume      = "store"
      destination = "/data"
    }`,
  });

const rw = { data: { read_only: false } };
const ro = { data: { read_only: true } };

function placeOn(nodes: ClusterNode[], readOnly = false, count = 3) {
  const j = volumeJob({ readOnly, count });
  return place(requests(j), { nodes, allocations: [] }, { seed: 7 });
}

describe('host volumes in placement', () => {
  it('places only on nodes that have the host volume', () => {
    const r = placeOn([node('n1'), node('n2', { hostVolumes: rw }), node('n3')]);
    expect(r.failures).toEqual([]);
    expect(r.placements.map((p) => p.node)).toEqual(['n2', 'n2', 'n2']);
  });

  it('fails with "N nodes missing host volume" when no node has it', () => {
    const r = placeOn([node('n1'), node('n2', { hostVolumes: { other: { read_only: false } } })]);
    expect(r.placements).toEqual([]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.reason).toBe('2 nodes missing host volume data');
    expect(r.failures[0]!.metrics.constraintFiltered).toEqual({ 'missing host volume data': 2 });
  });

  it('does not give a read-only host volume to a read-write request', () => {
    const r = placeOn([node('n1', { hostVolumes: ro }), node('n2')]);
    expect(r.placements).toEqual([]);
    expect(r.failures[0]!.reason).toBe(
      '1 node missing host volume data, 1 node with read-only host volume data',
    );
  });

  it('gives a read-only host volume to a read-only request, and a read-write one too', () => {
    const r = placeOn([node('n1', { hostVolumes: ro }), node('n2', { hostVolumes: rw })], true, 6);
    expect(r.failures).toEqual([]);
    expect(new Set(r.placements.map((p) => p.node))).toEqual(new Set(['n1', 'n2']));
  });

  it('checks every node, not one per computed class (nodes alike but for their volumes)', () => {
    // n1..n4 share one computed class; only n4 has the volume.
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4', { hostVolumes: rw })];
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = place(requests(volumeJob()), { nodes, allocations: [] }, { seed });
      expect(r.placements.map((p) => p.node)).toEqual(['n4']);
    }
  });

  it('a job without volumes places anywhere', () => {
    const j = simpleJob({ count: 2 });
    const r = place(requests(j), { nodes: [node('n1')], allocations: [] }, { seed: 7 });
    expect(r.placements).toHaveLength(2);
  });
});

describe('host volumes for system jobs', () => {
  it('runs on the nodes with the volume and reports the others as filtered', () => {
    const nodes = [node('n1', { hostVolumes: rw }), node('n2'), node('n3', { hostVolumes: ro })];
    const r = scheduleJob(
      {
        jobId: 'web',
        job: volumeJob({ type: 'system' }),
        version: 0,
        priorJob: () => undefined,
        allocations: [],
        nodes: {
          up: new Set(['n1', 'n2', 'n3']),
          down: new Set(),
          draining: new Set(),
          ineligible: new Set(),
        },
        classify: () => 'destructive',
      },
      { nodes, allocations: [] },
      { seed: 7 },
    );
    expect(r.place.placements.map((p) => p.node)).toEqual(['n1']);
    expect(r.place.failures).toEqual([]);
    expect(
      (r.place.filtered ?? [])
        .map((f) => [f.node, f.reason])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    ).toEqual([
      ['n2', 'missing host volume data'],
      ['n3', 'read-only host volume data (the job asks for read-write)'],
    ]);
  });
});

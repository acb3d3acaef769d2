import { describe, expect, it } from 'vitest';
import type {
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../../src/generated/normalized-job.js';
import {
  freedAllocations,
  goneStatus,
  placementRequests,
  reconcile,
} from '../../src/scheduler/reconcile.js';
import { NameIndex } from '../../src/scheduler/name-index.js';
import type { ReconcileInput, UpdateClass } from '../../src/scheduler/types.js';
import type { Allocation, Deployment } from '../../src/state/types.js';
import { alloc, nodeSets, simpleJob } from './fixtures.js';

/** A stand-in driver: a config change is destructive, a kill_timeout change in place. */
function classify(_group: string, prior: Task, next: Task): UpdateClass {
  if (JSON.stringify(prior.config) !== JSON.stringify(next.config)) return 'destructive';
  if (prior.kill_timeout !== next.kill_timeout) return 'in-place';
  return 'none';
}

function run(
  job: Job | 'stopped',
  allocations: Allocation[],
  over: Partial<ReconcileInput> & { versions?: Record<number, Job> } = {},
) {
  const versions = over.versions ?? {};
  return reconcile({
    jobId: 'web',
    job,
    version: over.version ?? 1,
    priorJob: (v) => versions[v],
    allocations,
    nodes: over.nodes ?? nodeSets(),
    classify,
    ...(over.deployment ? { deployment: over.deployment } : {}),
  });
}

const summary = (r: ReturnType<typeof run>) =>
  r.groups.map((g) => ({
    place: g.place.map((p) => `${p.reason}:${p.index}${p.replaces ? `<${p.replaces}` : ''}`),
    stop: g.stop.map((s) => `${s.reason}:${s.alloc.id}`),
    inplace: g.inplaceUpdate.map((u) => `${u.alloc.id}[${u.tasks.join(',')}]`),
    ignore: g.ignore.map((a) => a.id),
    counts: Object.fromEntries(Object.entries(g.counts).filter(([, v]) => v > 0)),
  }));

const v0 = simpleJob({ count: 2 });
const current = (index: number, over: Partial<Allocation> = {}) =>
  alloc({ index, version: 1, ...over });

describe('reconcile: counts', () => {
  it('places every allocation of a new job', () => {
    const r = run(simpleJob({ count: 3 }), []);
    expect(r.groups[0]!.place.map((p) => [p.name, p.index, p.reason])).toEqual([
      ['web.app[0]', 0, 'new'],
      ['web.app[1]', 1, 'new'],
      ['web.app[2]', 2, 'new'],
    ]);
    expect(r.counts).toMatchObject({ create: 3, destroy: 0, ignore: 0 });
  });

  it('adds the missing indexes when the count goes up', () => {
    const r = run(simpleJob({ count: 4 }), [current(0), current(1)]);
    expect(summary(r)).toEqual([
      {
        place: ['new:2', 'new:3'],
        stop: [],
        inplace: [],
        ignore: ['app-0', 'app-1'],
        counts: { create: 2, ignore: 2 },
      },
    ]);
  });

  it('reuses the lowest free indexes', () => {
    const r = run(simpleJob({ count: 3 }), [current(0), current(2)]);
    expect(summary(r)[0]!.place).toEqual(['new:1']);
  });

  it('stops the highest indexes when the count goes down', () => {
    const r = run(
      simpleJob({ count: 2 }),
      [0, 1, 2, 3].map((i) => current(i)),
    );
    expect(summary(r)[0]).toMatchObject({
      place: [],
      stop: ['count-reduced:app-3', 'count-reduced:app-2'],
      ignore: ['app-0', 'app-1'],
      counts: { destroy: 2, ignore: 2 },
    });
    expect(r.groups[0]!.stop[0]!.description).toBe('alloc not needed as the group count is 2');
  });

  it('stops duplicate indexes beyond the count', () => {
    const r = run(simpleJob({ count: 2 }), [
      current(0, { id: 'a' }),
      current(0, { id: 'b' }),
      current(1),
    ]);
    expect(summary(r)[0]!.stop).toEqual(['count-reduced:b']);
  });
});

describe('reconcile: updates', () => {
  it('replaces allocations whose task changed destructively', () => {
    const next = simpleJob({ count: 2, image: 'nginx:2' });
    const r = run(next, [alloc({ index: 0, version: 0 }), alloc({ index: 1, version: 0 })], {
      versions: { 0: v0 },
    });
    expect(summary(r)[0]).toEqual({
      place: ['destructive:0<app-0', 'destructive:1<app-1'],
      stop: ['destructive-update:app-0', 'destructive-update:app-1'],
      inplace: [],
      ignore: [],
      counts: { create_destroy_update: 2 },
    });
    expect(r.groups[0]!.destructiveUpdate[0]!.because).toBe('task "server": docker change');
    expect(r.groups[0]!.place[0]!.previousNode).toBe('n1');
  });

  it('updates in place when the driver says so, naming the tasks', () => {
    const next = simpleJob({ count: 1, task: 'kill_timeout = "9s"' });
    const r = run(next, [alloc({ index: 0, version: 0 })], {
      versions: { 0: simpleJob({ count: 1 }) },
    });
    expect(summary(r)[0]).toMatchObject({
      inplace: ['app-0[server]'],
      counts: { in_place_update: 1 },
    });
  });

  it('updates in place, with no task work, when only the job version moved', () => {
    const next = simpleJob({ count: 2, group: 'update { max_parallel = 2 }' });
    const r = run(next, [alloc({ index: 0, version: 0 }), alloc({ index: 1, version: 0 })], {
      versions: { 0: v0 },
    });
    expect(summary(r)[0]).toMatchObject({
      inplace: ['app-0[]', 'app-1[]'],
      counts: { in_place_update: 2 },
    });
  });

  it.each([
    ['a network port', 'network {\n port "http" {}\n}', ''],
    ['the ephemeral disk', 'ephemeral_disk {\n size = 500\n}', ''],
    ['a group affinity', 'affinity {\n attribute = "${meta.rack}"\n value = "r1"\n}', ''],
    ['a spread', 'spread {\n attribute = "${meta.rack}"\n}', ''],
    ['group meta', 'meta {\n team = "b"\n}', ''],
    ['task resources', '', 'kill_timeout = "5s"'],
  ])('treats %s as destructive whatever the driver says', (_what, group, task) => {
    const next = simpleJob({ count: 1, group, task, memory: task ? 512 : 256 });
    const r = run(next, [alloc({ index: 0, version: 0 })], {
      versions: { 0: simpleJob({ count: 1 }) },
    });
    expect(r.groups[0]!.counts.create_destroy_update).toBe(1);
  });

  it('replaces allocations of an unrecorded version', () => {
    const r = run(simpleJob({ count: 1 }), [alloc({ index: 0, version: 0 })]);
    expect(r.groups[0]!.destructiveUpdate[0]!.because).toBe('job version 0 is not recorded');
  });
});

describe('reconcile: node health and failures', () => {
  it('replaces allocations on down nodes, keeping their index', () => {
    const r = run(
      simpleJob({ count: 2 }),
      [current(0, { node: 'n1' }), current(1, { node: 'n2' })],
      {
        nodes: nodeSets({ up: ['n1'], down: ['n2'] }),
      },
    );
    // The lost allocation's stop destroys nothing running: the plan creates one.
    expect(summary(r)[0]).toMatchObject({
      place: ['lost:1<app-1'],
      stop: ['lost:app-1'],
      counts: { create: 1, ignore: 1 },
    });
    expect(r.groups[0]!.counts.destroy).toBe(0);
    const stop = r.groups[0]!.stop[0]!;
    expect([stop.clientStatus, stop.description]).toEqual([
      'lost',
      'alloc is lost since its node is down',
    ]);
    expect(r.groups[0]!.lost.map((a) => a.id)).toEqual(['app-1']);
  });

  it('treats a client status "lost" and an unknown node as lost', () => {
    const r = run(simpleJob({ count: 2 }), [
      current(0, { client_status: 'lost' }),
      current(1, { node: 'gone' }),
    ]);
    expect(summary(r)[0]!.place).toEqual(['lost:0<app-0', 'lost:1<app-1']);
    expect(r.groups[0]!.stop.map((s) => s.description)).toEqual([
      'alloc is lost since its host did not answer',
      'alloc is lost since its node is no longer in the inventory',
    ]);
    expect(r.groups[0]!.stop.map(goneStatus)).toEqual(['lost', 'lost']);
  });

  it('says why an allocation is lost or failed when refresh saw it', () => {
    const r = run(simpleJob({ count: 2 }), [
      current(0, {
        client_status: 'lost',
        client_description: 'task "app" was stopped outside drover',
      }),
      current(1, { client_status: 'failed', client_description: 'task "app" exited with code 3' }),
    ]);
    expect(r.groups[0]!.stop.map((s) => s.description).sort()).toEqual([
      'alloc is lost: task "app" was stopped outside drover',
      'alloc was rescheduled because it failed: task "app" exited with code 3',
    ]);
    expect(r.groups[0]!.counts).toMatchObject({ create: 2, destroy: 0 });
  });

  it('does not replace lost allocations beyond the count', () => {
    const r = run(simpleJob({ count: 1 }), [current(0), current(1, { node: 'n2' })], {
      nodes: nodeSets({ up: ['n1'], down: ['n2'] }),
    });
    expect(summary(r)[0]).toMatchObject({ place: [], stop: ['lost:app-1'] });
  });

  it('migrates allocations off draining nodes', () => {
    const r = run(simpleJob({ count: 2 }), [current(0), current(1, { node: 'n2' })], {
      nodes: nodeSets({ up: ['n1'], draining: ['n2'] }),
    });
    expect(summary(r)[0]).toMatchObject({
      place: ['migrate:1<app-1'],
      stop: ['migrate:app-1'],
      counts: { migrate: 1, ignore: 1 },
    });
  });

  it('leaves allocations on ineligible nodes where they are', () => {
    const r = run(simpleJob({ count: 1 }), [current(0, { node: 'n2' })], {
      nodes: nodeSets({ up: ['n1'], ineligible: ['n2'] }),
    });
    expect(summary(r)[0]).toMatchObject({ place: [], stop: [], ignore: ['app-0'] });
  });

  it('replaces failed service allocations whose reschedule delay has passed', () => {
    const r = run(simpleJob({ count: 2 }), [current(0, { client_status: 'failed' }), current(1)]);
    expect(summary(r)[0]).toMatchObject({
      place: ['failed:0<app-0'],
      stop: ['failed:app-0'],
      counts: { create: 1, ignore: 1 },
    });
    expect(r.groups[0]!.counts.destroy).toBe(0);
    expect(r.groups[0]!.stop.map(goneStatus)).toEqual(['failed']);
    expect(r.groups[0]!.notes).toEqual([]);
  });

  it('replaces service allocations that exited', () => {
    const r = run(simpleJob({ count: 1 }), [current(0, { client_status: 'complete' })]);
    expect(r.groups[0]!.stop[0]!.description).toBe('alloc was rescheduled because it exited');
    expect(goneStatus(r.groups[0]!.stop[0]!)).toBe('complete');
  });

  it('ignores allocations already stopped', () => {
    const r = run(simpleJob({ count: 1 }), [
      current(0, { id: 'old', desired_status: 'stop', client_status: 'complete' }),
      current(0, { id: 'new' }),
    ]);
    expect(summary(r)[0]).toMatchObject({ place: [], stop: [], ignore: ['new'] });
  });
});

describe('reconcile: batch jobs', () => {
  const batch = (count: number) => simpleJob({ count, type: 'batch' });

  it('does not replace completed allocations', () => {
    const r = run(batch(2), [current(0, { client_status: 'complete' }), current(1)]);
    expect(summary(r)[0]).toMatchObject({ place: [], stop: [], ignore: ['app-0', 'app-1'] });
  });

  it('replaces failed ones', () => {
    const r = run(batch(1), [current(0, { client_status: 'failed' })]);
    expect(summary(r)[0]!.place).toEqual(['failed:0<app-0']);
  });

  it('runs again when a new version comes, ignoring finished older allocations', () => {
    const r = run(batch(1), [alloc({ index: 0, version: 0, client_status: 'complete' })], {
      versions: { 0: batch(1) },
    });
    expect(summary(r)[0]).toMatchObject({
      place: ['new:0'],
      ignore: ['app-0'],
      counts: { create: 1, ignore: 1 },
    });
  });
});

describe('reconcile: stopping', () => {
  it('stops every live allocation of a stopped job', () => {
    const r = run(
      'stopped',
      [
        current(0),
        current(1, { node: 'n2' }),
        current(2, { client_status: 'complete' }),
        current(3, { desired_status: 'stop' }),
      ],
      { nodes: nodeSets({ up: ['n1'], down: ['n2'] }) },
    );
    expect(r.stopped).toBe(true);
    expect(summary(r)).toEqual([
      {
        place: [],
        stop: ['job-stopped:app-0', 'lost:app-1'],
        inplace: [],
        ignore: [],
        // Only app-0 still runs: the lost one's stop records it.
        counts: { destroy: 1 },
      },
    ]);
    expect(r.groups[0]!.stop[0]!.description).toBe('alloc not needed as the job is stopped');
  });

  it('stops the allocations of a group removed from the job', () => {
    const r = run(simpleJob({ count: 1 }), [current(0), current(0, { group: 'old', id: 'o-0' })]);
    expect(r.groups.map((g) => g.group)).toEqual(['app', 'old']);
    expect(summary(r)[1]!.stop).toEqual(['group-removed:o-0']);
    expect(r.counts).toMatchObject({ destroy: 1, ignore: 1 });
  });
});

describe('reconcile: canaries', () => {
  const canaryJob = (image: string) =>
    simpleJob({ count: 3, image, group: 'update {\n canary = 1\n}' });
  const old = [0, 1, 2].map((i) => alloc({ index: i, version: 0 }));

  it('places canaries first, then lists the replacements held until promotion', () => {
    const r = run(canaryJob('nginx:2'), old, { versions: { 0: canaryJob('nginx:1') } });
    expect(summary(r)[0]).toEqual({
      place: ['canary:0<app-0', 'destructive:1<app-1', 'destructive:2<app-2'],
      stop: ['canary-replaced:app-0', 'destructive-update:app-1', 'destructive-update:app-2'],
      inplace: [],
      ignore: [],
      counts: { canary: 1, create_destroy_update: 2 },
    });
    expect(r.groups[0]!.canaries).toBe(1);
    expect(r.groups[0]!.place[0]!.canary).toBe(true);
    // The canary runs beside the allocation it replaces: that one's resources are not freed.
    expect([...freedAllocations(r)].sort()).toEqual(['app-1', 'app-2']);
  });

  it('places no canary for an update in place', () => {
    const prior = simpleJob({ count: 1, group: 'update {\n canary = 1\n}' });
    const next = simpleJob({
      count: 1,
      group: 'update {\n canary = 1\n}',
      task: 'kill_timeout = "9s"',
    });
    const r = run(next, [alloc({ index: 0, version: 0 })], { versions: { 0: prior } });
    expect(summary(r)[0]).toMatchObject({ place: [], counts: { in_place_update: 1 } });
  });

  it('does not place canaries again while the deployment waits for promotion', () => {
    const canary = alloc({ id: 'c0', index: 0, version: 1, canary: true });
    const deployment: Deployment = {
      id: 'd1',
      job: 'web',
      version: 1,
      status: 'running',
      status_description: 'Deployment is running but requires manual promotion',
      groups: {
        app: {
          desired_total: 3,
          desired_canaries: 1,
          placed_canaries: ['c0'],
          placed: 1,
          healthy: 1,
          unhealthy: 0,
          promoted: false,
          auto_revert: false,
        },
      },
      created_at: '2026-01-02T03:04:05.000Z',
    };
    const r = run(canaryJob('nginx:2'), [...old, canary], {
      versions: { 0: canaryJob('nginx:1') },
      deployment,
    });
    expect(summary(r)[0]).toMatchObject({
      place: ['destructive:1<app-1', 'destructive:2<app-2'],
      stop: ['canary-replaced:app-0', 'destructive-update:app-1', 'destructive-update:app-2'],
      ignore: ['c0'],
      counts: { create_destroy_update: 2, ignore: 1 },
    });
    expect(r.groups[0]!.canaries).toBe(1);

    // Once promoted, the allocation the canary replaces stops and the others roll.
    const promoted = structuredClone(deployment);
    promoted.groups.app!.promoted = true;
    const after = run(canaryJob('nginx:2'), [...old, canary], {
      versions: { 0: canaryJob('nginx:1') },
      deployment: promoted,
    });
    expect(summary(after)[0]).toMatchObject({
      place: ['destructive:1<app-1', 'destructive:2<app-2'],
      stop: ['count-reduced:app-0', 'destructive-update:app-1', 'destructive-update:app-2'],
      ignore: ['c0'],
      counts: { destroy: 1, create_destroy_update: 2, ignore: 1 },
    });

    // A deployment of another version cancels its unpromoted canaries.
    const stale = run(canaryJob('nginx:3'), [...old, canary], {
      version: 2,
      versions: { 0: canaryJob('nginx:1'), 1: canaryJob('nginx:2') },
      deployment,
    });
    expect(summary(stale)[0]!.stop[0]).toBe('canary-cancelled:c0');
  });
});

describe('placementRequests and freedAllocations', () => {
  it('pairs requests with their job and frees every stopped allocation', () => {
    const j = simpleJob({ count: 2 });
    const r = run(j, [current(0), current(1, { node: 'n2' })], {
      nodes: nodeSets({ up: ['n1'], down: ['n2'] }),
    });
    const reqs = placementRequests(r, j);
    expect(reqs.map((q) => [q.job.id, q.name, q.reason])).toEqual([['web', 'web.app[1]', 'lost']]);
    expect([...freedAllocations(r)]).toEqual(['app-1']);
  });
});

describe('NameIndex', () => {
  it('hands out free indexes below the count, then overlaps from 0', () => {
    const idx = new NameIndex(3, [1]);
    expect(idx.next(4)).toEqual([0, 2, 0, 1]);
  });

  it('takes the highest indexes away', () => {
    const idx = new NameIndex(4, [0, 1, 2, 5]);
    expect([...idx.highest(2)]).toEqual([5, 2]);
    expect(idx.next(2)).toEqual([2, 3]);
  });

  it('gives canaries the indexes being replaced, then free ones, then ones above the count', () => {
    expect(new NameIndex(3, [0, 1, 2]).nextCanaries(2, new Set(), [2, 1])).toEqual([1, 2]);
    expect(new NameIndex(3, [0, 1]).nextCanaries(2, new Set([0]), [0])).toEqual([2, 3]);
    expect(new NameIndex(2, [0, 1]).nextCanaries(4, new Set(), [0, 1])).toEqual([0, 1, 2, 3]);
  });
});

/** Two snapshots of the state → Nomad's events: each kind of change, its topic, type, keys and payload. */
import { describe, expect, it } from 'vitest';
import { createEventHub, diffEvents } from '../../../src/server/events/index.js';
import { EventBuffer } from '../../../src/server/events/buffer.js';
import { fullAllocation } from '../../../src/server/nomad/allocations.js';
import { evaluationId } from '../../../src/server/nomad/ids.js';
import { fullJob } from '../../../src/server/nomad/jobs.js';
import { lookups } from '../../../src/server/nomad/state-index.js';
import type { NomadEvent } from '../../../src/server/types.js';
import { emptyState } from '../../../src/state/snapshot.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { shapeErrors } from '../reads/nomad-api-shapes.js';
import { T0, alloc, version } from './fixtures.js';

/** A state with node n1, job api (version 0), one running allocation and a running deployment. */
function base(): StateSnapshot {
  const s = emptyState('lineage');
  s.serial = 5;
  s.nodes.n1 = {
    name: 'n1',
    inventory: { transport: 'local', datacenter: 'dc1' },
    eligibility: 'eligible',
  };
  s.jobs.api = { versions: [version('api', 0)], stopped: false };
  s.allocations.a1 = alloc('a1', {
    client_status: 'running',
    deployment_id: 'd1',
    task_states: { server: { state: 'running', failed: false, restarts: 0, started_at: T0 } },
  });
  s.deployments.d1 = {
    id: 'd1',
    job: 'api',
    version: 0,
    status: 'running',
    status_description: 'Deployment is running',
    groups: {
      web: {
        desired_total: 2,
        desired_canaries: 0,
        placed_canaries: [],
        placed: 1,
        healthy: 0,
        unhealthy: 0,
        promoted: false,
        auto_revert: false,
      },
    },
    created_at: T0,
  };
  s.events = [{ seq: 1, time: T0, who: 'ann@h', what: 'job.submit', job: 'api', detail: 'x' }];
  return s;
}

function after(change: (s: StateSnapshot) => void): StateSnapshot {
  const s = structuredClone(base());
  s.serial++;
  change(s);
  return s;
}

const summary = (events: NomadEvent[]) => events.map((e) => `${e.Topic} ${e.Type} ${e.Key}`);

describe('diffEvents', () => {
  const cases: [string, (s: StateSnapshot) => void, string[]][] = [
    ['nothing changed', () => {}, []],
    [
      'a new job',
      (s) => (s.jobs.web = { versions: [version('web', 0)], stopped: false }),
      ['Job JobRegistered web', `Evaluation EvaluationUpdated ${evaluationId('web', 0)}`],
    ],
    [
      'a new version of a job',
      (s) => s.jobs.api!.versions.push(version('api', 1)),
      ['Job JobRegistered api', `Evaluation EvaluationUpdated ${evaluationId('api', 1)}`],
    ],
    [
      'a job stopped',
      (s) => (s.jobs.api!.stopped = true),
      ['Job JobDeregistered api', `Evaluation EvaluationUpdated ${evaluationId('api', 0)}`],
    ],
    [
      'a job purged from the state',
      (s) => delete s.jobs.api,
      ['Job JobDeregistered api', expectDeregistration()],
    ],
    [
      'a version marked stable',
      (s) => (s.jobs.api!.versions[0]!.stable = true),
      ['Job JobRegistered api'],
    ],
    [
      'a new allocation',
      (s) => (s.allocations.a2 = alloc('a2')),
      ['Allocation AllocationCreated a2'],
    ],
    [
      'an allocation that failed',
      (s) => (s.allocations.a1!.client_status = 'failed'),
      // Its job's only allocation is terminal: the job is dead now (Nomad updates the job too).
      ['Job JobRegistered api', 'Allocation AllocationUpdated a1', expectDeregistration()],
    ],
    [
      'an allocation told to stop',
      (s) => (s.allocations.a1!.desired_status = 'stop'),
      [
        'Job JobRegistered api',
        'Allocation AllocationUpdateDesiredStatus a1',
        expectDeregistration(),
      ],
    ],
    [
      'only the modification time moved',
      (s) => (s.allocations.a1!.modified_at = '2026-03-01T10:05:00.000Z'),
      [],
    ],
    [
      'a deployment succeeded',
      (s) => (s.deployments.d1!.status = 'successful'),
      ['Deployment DeploymentStatusUpdate d1'],
    ],
    [
      'a deployment counted a healthy allocation',
      (s) => (s.deployments.d1!.groups.web!.healthy = 1),
      ['Deployment DeploymentAllocHealth d1'],
    ],
    [
      'canaries promoted',
      (s) => (s.deployments.d1!.groups.web!.promoted = true),
      ['Deployment DeploymentPromotion d1'],
    ],
    [
      'a node registered',
      (s) =>
        (s.nodes.n2 = { name: 'n2', inventory: { transport: 'local' }, eligibility: 'eligible' }),
      ['Node NodeRegistration n2'],
    ],
    [
      'a node made ineligible',
      (s) => (s.nodes.n1!.eligibility = 'ineligible'),
      ['Node NodeEligibility n1'],
    ],
    ['a node drained', (s) => (s.nodes.n1!.drain = true), ['Node NodeDrain n1']],
    [
      'the state log grew',
      (s) =>
        s.events.push({
          seq: 2,
          time: T0,
          who: 'server:s1',
          what: 'alloc.reschedule',
          job: 'api',
          alloc: 'a1',
          detail: 'rescheduled after failure',
        }),
      ['Drover StateEvent 2'],
    ],
  ];
  it.each(cases)('%s', (_what, change, expected) => {
    const next = after(change);
    const events = diffEvents(base(), { state: next, index: next.serial });
    expect(summary(events)).toEqual(expected);
    for (const e of events) expect(e.Index).toBe(6);
  });

  it('has no events for the first snapshot (nothing to compare with)', () => {
    expect(diffEvents(undefined, { state: base(), index: 5 })).toEqual([]);
  });

  it('registers the services of an allocation that starts running', () => {
    const next = after((s) => (s.allocations.a2 = alloc('a2', { client_status: 'running' })));
    const events = diffEvents(base(), { state: next, index: 6 });
    const service = events.find((e) => e.Topic === 'Service')!;
    expect(service.Type).toBe('ServiceRegistration');
    expect(service.FilterKeys).toEqual(['api', 'api-http']);
    expect(service.Payload.Service).toMatchObject({
      ServiceName: 'api-http',
      JobID: 'api',
      AllocID: 'a2',
      NodeID: 'n1',
      Port: 20001,
      Tags: ['t1'],
      Namespace: 'default',
    });
  });

  it('carries the structs the read endpoints answer, in the shapes of the api package of Nomad', () => {
    const next = after((s) => {
      s.jobs.api!.versions.push(version('api', 1));
      s.allocations.a1!.client_status = 'complete';
      s.deployments.d1!.status = 'successful';
      s.allocations.a2 = alloc('a2', { client_status: 'running' });
    });
    const events = diffEvents(base(), { state: next, index: 6 });
    const payload = (topic: NomadEvent['Topic'], key?: string) =>
      events.find((e) => e.Topic === topic && (key === undefined || e.Key === key))!.Payload;

    const job = events.find((e) => e.Topic === 'Job')!;
    expect(job).toMatchObject({ Key: 'api', Namespace: 'default', FilterKeys: [] });
    const view = lookups(next).viewOf('api')!;
    expect(job.Payload.Job).toEqual(fullJob(view, 1, 6));
    expect(job.Payload.Job).toMatchObject({
      ID: 'api',
      Name: 'api',
      Namespace: 'default',
      Type: 'service',
      Version: 1,
      Stop: false,
      Status: 'running',
      Meta: { team: 'web' },
      SubmitTime: Date.parse(T0) * 1e6,
      TaskGroups: [{ Name: 'web', Count: 2 }],
      JobModifyIndex: 2,
    });

    const allocation = events.find((e) => e.Topic === 'Allocation' && e.Key === 'a1')!;
    expect(allocation.FilterKeys).toEqual(['api', 'd1']);
    expect(allocation.Payload.Allocation).toEqual(fullAllocation(next, next.allocations.a1!, 6));
    expect(allocation.Payload.Allocation).toMatchObject({
      ID: 'a1',
      JobID: 'api',
      TaskGroup: 'web',
      NodeID: 'n1',
      DesiredStatus: 'run',
      ClientStatus: 'complete',
      DeploymentID: 'd1',
      EvalID: evaluationId('api', 0),
      TaskStates: { server: { State: 'running', Failed: false, Restarts: 0 } },
      CreateTime: Date.parse(T0) * 1e6,
    });
    expectShape(payload('Allocation', 'a1').Allocation, 'Allocation');
    expectShape(payload('Allocation', 'a2').Allocation, 'Allocation');
    expectShape(payload('Evaluation').Evaluation, 'Evaluation');
    expect(payload('Evaluation').Evaluation).toMatchObject({
      ID: evaluationId('api', 1),
      JobID: 'api',
      TriggeredBy: 'job-register',
      Status: 'complete',
    });
    expectShape(payload('Deployment').Deployment, 'Deployment');
    expect(payload('Deployment').Deployment).toMatchObject({ ID: 'd1', Status: 'successful' });
    expectShape(payload('Service').Service, 'ServiceRegistration');

    const node = diffEvents(base(), {
      state: after((s) => (s.nodes.n1!.drain = true)),
      index: 6,
    })[0]!;
    // Node events have no namespace: a subscriber of any namespace sees them.
    expect(node.Namespace).toBe('');
    expectShape(node.Payload.Node, 'Node');
    expect(node.Payload.Node).toMatchObject({ ID: 'n1', Drain: true, Datacenter: 'dc1' });
  });

  it('reports a stop as the job stopped and its deregistration evaluation', () => {
    const events = diffEvents(base(), {
      // A stop stops the job's allocations in the same write.
      state: after((s) => {
        s.jobs.api!.stopped = true;
        s.allocations.a1!.desired_status = 'stop';
      }),
      index: 6,
    });
    expect(events.find((e) => e.Topic === 'Job')!.Payload.Job).toMatchObject({
      Stop: true,
      Status: 'dead',
    });
    const evaluation = events.find((e) => e.Topic === 'Evaluation')!.Payload.Evaluation;
    expectShape(evaluation, 'Evaluation');
    expect(evaluation).toMatchObject({ TriggeredBy: 'job-deregister' });
  });

  it('sends a purged job as its last version, stopped', () => {
    const events = diffEvents(base(), { state: after((s) => delete s.jobs.api), index: 6 });
    expect(events.find((e) => e.Topic === 'Job')!.Payload.Job).toMatchObject({
      ID: 'api',
      Version: 0,
      Stop: true,
      Status: 'dead',
    });
  });

  it('reports a node with the facts of drover.hcl and the server it is given', () => {
    const node = diffEvents(
      base(),
      { state: after((s) => (s.nodes.n1!.drain = true)), index: 6 },
      {
        nodes: new Map([['n1', { reserved: { cpu: 100, memory: 64, disk: 0, ports: [] } }]]),
        droverVersion: '9.9.9',
        datacenter: 'dc9',
      },
    )[0]!;
    expect(node.Payload.Node).toMatchObject({
      Datacenter: 'dc1',
      Reserved: { CPU: 100, MemoryMB: 64 },
    });
  });
});

function expectShape(value: unknown, struct: string): void {
  expect(shapeErrors(value, struct)).toEqual([]);
}

/** The one service of base()'s running allocation, gone when it stops running. */
function expectDeregistration(): string {
  return 'Service ServiceDeregistration _nomad-task-a1-server-api-http-http';
}

describe('the event hub', () => {
  it('publishes each change index once, to every subscriber, and keeps it for replay', async () => {
    const hub = createEventHub();
    const seen: number[][] = [];
    const off = hub.subscribe((events) => seen.push(events.map((e) => e.Index)));
    const s6 = after((s) => (s.nodes.n1!.drain = true));
    hub.publish(base(), { state: s6, index: 6 });
    hub.publish(base(), { state: s6, index: 6 });
    // Diffed after publish returns (publishing is on the path that releases blocking queries).
    expect(seen).toEqual([]);
    await hub.settled();
    off();
    const s7 = structuredClone(s6);
    s7.serial = 7;
    s7.nodes.n1!.eligibility = 'ineligible';
    hub.publish(s6, { state: s7, index: 7 });
    await hub.settled();
    expect(seen).toEqual([[6]]);
    expect(hub.subscribers()).toBe(0);
    expect(hub.since(0).map((e) => e.Index)).toEqual([6, 7]);
    expect(hub.since(6).map((e) => e.Index)).toEqual([7]);
    expect(hub.since(7)).toEqual([]);
  });

  it('keeps a listener that throws from stopping the others', async () => {
    const errors: unknown[] = [];
    const hub = createEventHub({ onListenerError: (e) => errors.push(e) });
    let got = 0;
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((events) => (got += events.length));
    hub.publish(base(), { state: after((s) => (s.nodes.n1!.drain = true)), index: 6 });
    await hub.settled();
    expect(got).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe('the replay buffer', () => {
  const event = (index: number, size = 0): NomadEvent => ({
    Topic: 'Job',
    Type: 'JobRegistered',
    Key: `j${index}`,
    Namespace: 'default',
    FilterKeys: [],
    Index: index,
    Payload: { Job: { pad: 'x'.repeat(size) } },
  });

  it('drops the oldest events beyond its count', () => {
    const buffer = new EventBuffer({ maxEvents: 3, maxBytes: 1e9 });
    for (let i = 1; i <= 10; i++) buffer.append([event(i)]);
    expect(buffer.size()).toBe(3);
    // Asked from an evicted index: from the oldest kept.
    expect(buffer.since(2).map((e) => e.Index)).toEqual([8, 9, 10]);
    expect(buffer.since(9).map((e) => e.Index)).toEqual([10]);
  });

  it('drops the oldest events beyond its bytes', () => {
    const buffer = new EventBuffer({ maxEvents: 1000, maxBytes: 5000 });
    for (let i = 1; i <= 10; i++) buffer.append([event(i, 1000)]);
    expect(buffer.byteSize()).toBeLessThanOrEqual(5000);
    expect(buffer.size()).toBe(4);
    expect(buffer.since(0).map((e) => e.Index)).toEqual([7, 8, 9, 10]);
  });
});

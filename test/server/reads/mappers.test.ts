/**
 * The read mappers on states the endpoint tests' applies do not reach: a rescheduled failed
 * allocation, a drained node with reserved resources, a canary deployment; and the job diff.
 */
import { describe, expect, it } from 'vitest';
import { normalizeJob } from '../../../src/jobspec/normalize.js';
import { encodeStoredJob } from '../../../src/jobspec/stored.js';
import type { Job } from '../../../src/generated/jobspec.js';
import { allocListStub, fullAllocation } from '../../../src/server/nomad/allocations.js';
import { nomadDeployment } from '../../../src/server/nomad/deployments.js';
import { nomadJobDiff } from '../../../src/server/nomad/diff.js';
import { fullNode, nodeListStub } from '../../../src/server/nomad/nodes.js';
import { emptyState } from '../../../src/state/snapshot.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { sampleState } from '../../state/sample.js';
import { shapeErrors } from './nomad-api-shapes.js';

const t = '2026-01-02T03:04:05.000Z';
const later = '2026-01-02T03:05:05.000Z';

function world(): StateSnapshot {
  const base = sampleState(emptyState('lineage-1'));
  return {
    ...base,
    nodes: {
      ...base.nodes,
      local: { ...base.nodes.local!, drain: true, drain_ignore_system_jobs: true },
      gone: {
        name: 'gone',
        inventory: { transport: 'ssh', address: '10.0.0.9', datacenter: 'dc2' },
        eligibility: 'ineligible',
      },
    },
    allocations: {
      ...base.allocations,
      a2: {
        ...base.allocations.a1!,
        id: 'a2',
        client_status: 'failed',
        desired_status: 'stop',
        next_allocation: 'a3',
        canary: true,
        health: { healthy: false, timestamp: later },
        task_states: {
          server: {
            state: 'dead',
            failed: true,
            restarts: 3,
            started_at: t,
            finished_at: later,
            exit_code: 2,
            message: 'boom',
          },
        },
        reschedule_tracker: {
          events: [{ time: t, prev_alloc: 'a0', prev_node: 'local', delay_ms: 5000 }],
        },
      },
    },
    deployments: {
      d2: {
        ...base.deployments.d1!,
        id: 'd2',
        status: 'running',
        groups: {
          web: {
            ...base.deployments.d1!.groups.web!,
            desired_canaries: 1,
            placed_canaries: ['a2'],
            progress_deadline: later,
          },
        },
      },
    },
  };
}

describe('allocation mappers', () => {
  const state = world();

  it('a failed, rescheduled canary: terminated event, tracker, deployment status', () => {
    const stub = allocListStub(state, state.allocations.a2!, 7);
    expect(shapeErrors(stub, 'AllocationListStub')).toEqual([]);
    expect(stub.RescheduleTracker).toEqual({
      Events: [{ RescheduleTime: Date.parse(t) * 1e6, PrevAllocID: 'a0', PrevNodeID: 'local' }],
    });
    expect(stub.DeploymentStatus).toEqual({
      Healthy: false,
      Timestamp: later,
      Canary: true,
      ModifyIndex: 7,
    });
    const task = (stub.TaskStates as Record<string, Record<string, unknown>>).server!;
    expect(task).toMatchObject({ State: 'dead', Failed: true, Restarts: 3, FinishedAt: later });
    const events = task.Events as Record<string, unknown>[];
    expect(events.map((e) => e.Type)).toEqual(['Received', 'Started', 'Terminated']);
    expect(events[2]).toMatchObject({
      ExitCode: 2,
      FailsTask: true,
      DisplayMessage: 'Exit Code: 2, boom',
      Time: Date.parse(later) * 1e6,
    });
    expect(stub.DesiredDescription).toBe('alloc was rescheduled because it failed');
  });

  it('an allocation without deployment or reschedules has nulls where Nomad has nil', () => {
    const { deployment_id: _d, health: _h, ...bare } = state.allocations.a1!;
    const stub = allocListStub(state, bare, 3);
    expect(stub.DeploymentStatus).toBeNull();
    expect(stub.RescheduleTracker).toBeNull();
  });

  it('an allocation of a purged job keeps its shape (Job null)', () => {
    const { jobs: _jobs, ...rest } = state;
    const orphaned = { ...rest, jobs: {} };
    const full = fullAllocation(orphaned, state.allocations.a1!, 3);
    expect(shapeErrors(full, 'Allocation')).toEqual([]);
    expect(full.Job).toBeNull();
  });
});

describe('node mappers', () => {
  const state = world();
  const facts = {
    reserved: { cpu: 100, memory: 256, disk: 1024, ports: [22, 80] },
    version: '1.2.3',
    datacenter: 'dc1',
    createIndex: 3,
    modifyIndex: 4,
  };

  it('a drained, fingerprinted node: ready, DrainStrategy, reserved resources', () => {
    const node = fullNode(state.nodes.local!, facts);
    expect(shapeErrors(node, 'Node')).toEqual([]);
    expect(node).toMatchObject({
      Status: 'ready',
      Drain: true,
      DrainStrategy: { DrainSpec: { Deadline: 0, IgnoreSystemJobs: true } },
      Meta: { rack: 'r1' },
      HTTPAddr: '',
      StatusUpdatedAt: Date.parse(t) / 1000,
    });
    expect(node.ReservedResources).toMatchObject({
      Cpu: { CpuShares: 100 },
      Networks: { ReservedHostPorts: '22,80' },
    });
    expect((node.NodeResources as { Cpu: unknown }).Cpu).toEqual({
      CpuShares: 4000,
      TotalCpuCores: 2,
      ReservableCpuCores: [0, 1],
    });
  });

  it('a node never fingerprinted is down, in its own datacenter, at its address', () => {
    const stub = nodeListStub(state.nodes.gone!, facts, { os: true, resources: true });
    expect(shapeErrors(stub, 'NodeListStub')).toEqual([]);
    expect(stub).toMatchObject({
      Status: 'down',
      Datacenter: 'dc2',
      Address: '10.0.0.9',
      SchedulingEligibility: 'ineligible',
      Drivers: {},
      Version: '1.2.3',
    });
    expect(stub).not.toHaveProperty('Attributes');
    expect(shapeErrors(fullNode(state.nodes.gone!, facts), 'Node')).toEqual([]);
  });
});

describe('deployment mapper', () => {
  it('a running canary deployment', () => {
    const state = world();
    const d = nomadDeployment(state, state.deployments.d2!, 5);
    expect(shapeErrors(d, 'Deployment')).toEqual([]);
    expect((d.TaskGroups as Record<string, unknown>).web).toMatchObject({
      PlacedCanaries: ['a2'],
      DesiredCanaries: 1,
      RequireProgressBy: later,
    });
  });
});

describe('nomadJobDiff', () => {
  const job = (count: number, image: string, extra: Partial<Job> = {}) =>
    normalizeJob({
      id: 'web',
      type: 'service',
      group: [
        {
          name: 'app',
          count,
          task: [{ name: 'server', driver: 'docker', config: { image } }],
        },
      ],
      ...extra,
    } as unknown as Job);

  it('an edited job: Nomad JobDiff shapes, the group count and the task config', () => {
    const diff = nomadJobDiff(job(1, 'nginx:1'), job(3, 'nginx:2'));
    expect(shapeErrors(diff, 'JobDiff')).toEqual([]);
    expect(diff).toMatchObject({ Type: 'Edited', ID: 'web' });
    const [group] = diff.TaskGroups as Record<string, unknown>[];
    expect(group).toMatchObject({ Type: 'Edited', Name: 'app', Updates: null });
    expect(group!.Fields).toContainEqual({
      Type: 'Edited',
      Name: 'Count',
      Old: '1',
      New: '3',
      // Nomad's annotateCountChange.
      Annotations: ['forces create'],
    });
    const [task] = group!.Tasks as Record<string, unknown>[];
    expect(task).toMatchObject({ Type: 'Edited', Name: 'server' });
    expect(JSON.stringify(task)).toContain('"Old":"nginx:1","New":"nginx:2"');
    expect(task!.Annotations).toEqual(['forces create/destroy update']);
  });

  it('a new job is Added with "" for every Old; an unchanged one is None', () => {
    const added = nomadJobDiff(undefined, job(1, 'nginx:1'));
    expect(shapeErrors(added, 'JobDiff')).toEqual([]);
    expect(added.Type).toBe('Added');
    const fields = JSON.stringify(added);
    expect(fields).not.toContain('"Old":null');
    const none = nomadJobDiff(job(1, 'nginx:1'), job(1, 'nginx:1'));
    expect(none).toMatchObject({ Type: 'None', Objects: null });
  });

  it('stored jobs diff the same as fresh ones', () => {
    const stored = encodeStoredJob(job(2, 'a')).job;
    expect(nomadJobDiff(stored as never, job(2, 'b'))).toEqual(
      nomadJobDiff(job(2, 'a'), job(2, 'b')),
    );
  });
});

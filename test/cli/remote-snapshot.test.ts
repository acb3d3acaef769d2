/**
 * The CLI's mapping of the server's Nomad JSON back to drover's records (src/cli/remote/
 * snapshot.ts), checked against the server's own mappers (src/server/nomad/) on one state: what
 * the status, alloc status and deployment views read comes back as it was recorded.
 */
import { describe, expect, it } from 'vitest';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { fromNomadJob } from '../../src/server/nomad/job-json.js';
import { allocListStub, fullAllocation } from '../../src/server/nomad/allocations.js';
import { nomadDeployment } from '../../src/server/nomad/deployments.js';
import { fullJob } from '../../src/server/nomad/jobs.js';
import { jobView } from '../../src/server/nomad/common.js';
import type { Allocation, Deployment, StateSnapshot } from '../../src/state/types.js';
import {
  allocationOf,
  deploymentOf,
  emptySnapshot,
  jobStateOf,
  type Json,
} from '../../src/cli/remote/snapshot.js';
import { lastLines } from '../../src/cli/remote/alloc.js';

const read = fromNomadJob({
  ID: 'web',
  TaskGroups: [
    {
      Name: 'g',
      Count: 2,
      Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' } }],
    },
  ],
});
if (!read.ok) throw new Error(JSON.stringify(read.diagnostics));

const alloc: Allocation = {
  id: '0b1c2d3e-0000-4000-8000-000000000001',
  job: 'web',
  version: 1,
  group: 'g',
  index: 1,
  node: 'local',
  name: 'web.g[1]',
  desired_status: 'run',
  client_status: 'failed',
  client_description: 'task "t" failed',
  deployment_id: 'd0000000-0000-4000-8000-000000000001',
  canary: true,
  previous_allocation: '0b1c2d3e-0000-4000-8000-000000000000',
  reschedule_tracker: {
    events: [
      {
        time: '2026-12-07T10:00:01.250Z',
        prev_alloc: 'a',
        prev_node: 'local',
        delay_ms: 0,
      },
    ],
  },
  health: { healthy: false, timestamp: '2026-12-07T10:00:05.125Z' },
  task_states: {
    t: {
      state: 'dead',
      failed: true,
      restarts: 2,
      started_at: '2026-12-07T10:00:02.001Z',
      finished_at: '2026-12-07T10:00:04.999Z',
      exit_code: 3,
      message: 'boom',
    },
  },
  driver_handles: {},
  ports: [{ label: 'http', value: 24000, to: 8080, host_ip: '127.0.0.1' }],
  created_at: '2026-12-07T10:00:00.333Z',
  modified_at: '2026-12-07T10:00:06.777Z',
};

const deployment: Deployment = {
  id: 'd0000000-0000-4000-8000-000000000001',
  job: 'web',
  version: 1,
  status: 'running',
  status_description: 'Deployment is running but requires manual promotion',
  groups: {
    g: {
      desired_total: 2,
      desired_canaries: 1,
      placed_canaries: [alloc.id],
      placed: 1,
      healthy: 0,
      unhealthy: 1,
      promoted: false,
      auto_revert: true,
      progress_deadline: '2026-12-07T10:10:00.000Z',
    },
  },
  created_at: '2026-12-07T09:59:59.999Z',
};

function version(n: number, stable: boolean) {
  return {
    version: n,
    submitted_at: `2026-12-07T09:0${n}:00.500Z`,
    source: '',
    filename: 'web.nomad.hcl',
    submitted: {},
    ...encodeStoredJob(read.ok ? read.job : (undefined as never)),
    stable,
    status: 'running' as const,
  };
}

const state: StateSnapshot = {
  ...emptySnapshot(),
  jobs: { web: { versions: [version(0, true), version(1, false)], stopped: false } },
  allocations: { [alloc.id]: alloc },
  deployments: { [deployment.id]: deployment },
};

describe("the server's Nomad JSON back to drover's records", () => {
  it('gives back an allocation from the full allocation (what is not in the API left out)', () => {
    const back = allocationOf(fullAllocation(state, alloc, 7));
    // Nomad's tracker carries no delay; drover's driver handles are not in the API.
    expect(back).toEqual({
      ...alloc,
      reschedule_tracker: { events: [{ ...alloc.reschedule_tracker!.events[0]!, delay_ms: 0 }] },
    });
  });

  it('gives back what the status view reads from an allocation list stub', () => {
    const back = allocationOf(allocListStub(state, alloc, 7));
    // A stub has no deployment id nor the allocations before and after.
    const {
      deployment_id: _d,
      previous_allocation: _p,
      reschedule_tracker: _r,
      ...fromStub
    } = alloc;
    expect(back).toMatchObject(fromStub);
    expect(back.deployment_id).toBeUndefined();
  });

  it('gives back a deployment and a job record', () => {
    const { modified_at: _m, ...recorded } = deployment;
    expect(deploymentOf(nomadDeployment(state, deployment, 7))).toEqual(recorded);
    const view = jobView(state, 'web')!;
    const jobs = [0, 1].map((v) => fullJob(view, v, 7) as Json);
    const back = jobStateOf(jobs);
    expect(back.stopped).toBe(false);
    expect(back.versions.map((v) => [v.version, v.stable, v.submitted_at])).toEqual([
      [0, true, '2026-12-07T09:00:00.500Z'],
      [1, false, '2026-12-07T09:01:00.500Z'],
    ]);
    expect(back.versions[1]!.job).toEqual(state.jobs.web!.versions[1]!.job);
  });
});

describe('lastLines (logs -tail through a server)', () => {
  it('keeps the last lines, a last line without its newline counting', () => {
    const text = Buffer.from('a\nb\nc\n');
    expect(lastLines(text, 2).toString()).toBe('b\nc\n');
    expect(lastLines(text, 5).toString()).toBe('a\nb\nc\n');
    expect(lastLines(Buffer.from('a\nb'), 1).toString()).toBe('b');
    expect(lastLines(text, 0).toString()).toBe('');
  });
});

/** A state with one of everything, to exercise the whole schema in round trips. */
import { normalizeJob } from '../../src/jobspec/normalize.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import type { StateSnapshot } from '../../src/state/types.js';

export function sampleState(base: StateSnapshot): StateSnapshot {
  const t = '2026-01-02T03:04:05.000Z';
  return {
    ...base,
    nodes: {
      local: {
        name: 'local',
        inventory: { transport: 'local', datacenter: 'dc1', meta: { rack: 'r1' } },
        fingerprint: {
          fingerprinted_at: t,
          attributes: { 'kernel.name': 'linux', 'cpu.arch': 'amd64' },
          resources: { cpu: 4000, cores: 2, memory: 2048 },
          drivers: { raw_exec: { detected: true, healthy: true } },
        },
        eligibility: 'eligible',
        host_key: {
          algorithm: 'ssh-ed25519',
          key: 'AAAAC3NzaC1lZDI1NTE5AAAAIA==',
          fingerprint: 'SHA256:abc',
          pinned_at: t,
        },
      },
    },
    jobs: {
      web: {
        versions: [
          {
            version: 0,
            submitted_at: t,
            source: 'job "web" {}\n',
            filename: 'jobs/web.nomad.hcl',
            submitted: { id: 'web' },
            ...encodeStoredJob(normalizeJob({ id: 'web', type: 'service', group: [] })),
            stable: true,
            status: 'running',
          },
        ],
        stopped: false,
      },
    },
    allocations: {
      a1: {
        id: 'a1',
        job: 'web',
        version: 0,
        group: 'web',
        index: 0,
        node: 'local',
        name: 'web.web[0]',
        desired_status: 'run',
        client_status: 'running',
        deployment_id: 'd1',
        health: { healthy: true, timestamp: t },
        task_states: { server: { state: 'running', failed: false, restarts: 0, started_at: t } },
        driver_handles: { server: { driver: 'raw_exec', pid: 4242, dir: '/var/lib/drover/a1' } },
        ports: [{ label: 'http', value: 23456, host_ip: '127.0.0.1' }],
        created_at: t,
        modified_at: t,
      },
    },
    deployments: {
      d1: {
        id: 'd1',
        job: 'web',
        version: 0,
        status: 'successful',
        status_description: 'Deployment completed successfully',
        groups: {
          web: {
            desired_total: 1,
            desired_canaries: 0,
            placed_canaries: [],
            placed: 1,
            healthy: 1,
            unhealthy: 0,
            promoted: false,
            auto_revert: false,
          },
        },
        created_at: t,
      },
    },
    events: [{ seq: 1, time: t, who: 'alice@host', what: 'job.submit', job: 'web', detail: 'v0' }],
  };
}

/**
 * `state` without the per-object indexes a store's write stamps (state/indexes.ts): what the
 * caller wrote, to compare with what it passed in.
 */
export function withoutIndexes(state: StateSnapshot): StateSnapshot {
  const strip = <T extends object>(o: T): T => {
    const {
      create_index: _c,
      modify_index: _m,
      alloc_modify_index: _a,
      ...rest
    } = o as T & {
      create_index?: number;
      modify_index?: number;
      alloc_modify_index?: number;
    };
    return rest as T;
  };
  const map = <T extends object>(m: Record<string, T>, f: (v: T) => T) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, f(v)]));
  return {
    ...state,
    nodes: map(state.nodes, strip),
    allocations: map(state.allocations, strip),
    deployments: map(state.deployments, strip),
    jobs: map(state.jobs, (j) => ({ ...strip(j), versions: j.versions.map(strip) })),
  };
}

/** State entries for the stream tests: a job version with a Nomad-provider service, an allocation. */
import type { Allocation, JobVersion } from '../../../src/state/types.js';
import { normalizeJob } from '../../normalized.js';

export const T0 = '2026-03-01T10:00:00.000Z';

export function version(id: string, v: number, extra: Partial<JobVersion> = {}): JobVersion {
  const job = normalizeJob({
    id,
    type: 'service',
    meta: { team: 'web' },
    group: [
      {
        name: 'web',
        count: 2,
        task: [
          {
            name: 'server',
            driver: 'raw_exec',
            config: { command: '/bin/true' },
            service: [{ name: `${id}-http`, provider: 'nomad', port: 'http', tags: ['t1'] }],
          },
        ],
        network: [{ port: [{ label: 'http' }] }],
      },
    ],
  } as never);
  return {
    version: v,
    submitted_at: T0,
    source: '',
    filename: `${id}.nomad.hcl`,
    submitted: {},
    job: job as unknown as Record<string, unknown>,
    job_format: 2,
    stable: false,
    status: 'running',
    ...extra,
  };
}

export function alloc(id: string, extra: Partial<Allocation> = {}): Allocation {
  return {
    id,
    job: 'api',
    version: 0,
    group: 'web',
    index: 0,
    node: 'n1',
    name: 'api.web[0]',
    desired_status: 'run',
    client_status: 'pending',
    task_states: {},
    driver_handles: {},
    ports: [{ label: 'http', value: 20001, host_ip: '127.0.0.1' }],
    created_at: T0,
    modified_at: T0,
    ...extra,
  };
}

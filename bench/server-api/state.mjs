// The server benchmark's state, written directly as a snapshot (no apply: applying 1,000 jobs
// measures apply, not the API): `count` service jobs of one group and one mock task each, every
// one with one running allocation on the local node, in the shape drover's own apply records.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const T0 = '2026-01-01T00:00:00.000Z';

/** A deterministic UUID-shaped id. */
function uuid(n) {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

export async function generateState(dist, count) {
  const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
  const { normalizeJob } = await load('src/jobspec/normalize.js');
  const { emptyState } = await load('src/state/snapshot.js');
  const state = emptyState('0b1d0000-0000-4000-8000-000000000001');
  state.serial = 1;
  state.nodes.local = {
    name: 'local',
    inventory: { transport: 'local', datacenter: 'dc1' },
    eligibility: 'eligible',
  };
  for (let i = 0; i < count; i++) {
    const id = `svc-${String(i).padStart(4, '0')}`;
    const submitted = {
      id,
      type: 'service',
      datacenters: ['dc1'],
      meta: { team: `team-${i % 8}` },
      group: [
        {
          name: 'app',
          count: 1,
          network: [{ port: [{ label: 'http' }] }],
          service: [{ name: id, provider: 'nomad', port: 'http', tags: ['bench'] }],
          task: [{ name: 'server', driver: 'mock', config: { run_for: '1h' } }],
        },
      ],
    };
    const job = normalizeJob(submitted);
    state.jobs[id] = {
      stopped: false,
      versions: [
        {
          version: 0,
          submitted_at: T0,
          source: `job "${id}" {}`,
          filename: `${id}.nomad.hcl`,
          submitted,
          job,
          job_format: 2,
          stable: true,
          status: 'running',
        },
      ],
    };
    const allocId = uuid(i + 1);
    state.allocations[allocId] = {
      id: allocId,
      job: id,
      version: 0,
      group: 'app',
      index: 0,
      node: 'local',
      name: `${id}.app[0]`,
      desired_status: 'run',
      client_status: 'running',
      task_states: { server: { state: 'running', failed: false, restarts: 0, started_at: T0 } },
      driver_handles: { server: { driver: 'mock' } },
      ports: [{ label: 'http', value: 20000 + i, host_ip: '127.0.0.1' }],
      created_at: T0,
      modified_at: T0,
    };
  }
  return state;
}

/** drover.hcl (a local node, the state file beside it) and the state file, under `dir`. */
export function writeProject(dir, state) {
  const statePath = join(dir, 'state', 'state.json');
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(statePath, JSON.stringify(state) + '\n');
  writeFileSync(
    join(dir, 'drover.hcl'),
    [
      'state {',
      '  backend = "local"',
      '  path    = "state/state.json"',
      '}',
      'node "local" {',
      '  transport  = "local"',
      `  alloc_root = "${join(dir, 'alloc')}"`,
      '}',
      '',
    ].join('\n'),
  );
  return join(dir, 'drover.hcl');
}

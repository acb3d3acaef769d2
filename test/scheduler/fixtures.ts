/** Builders for scheduler tests: jobs from HCL (with Nomad's defaults), nodes and allocations. */
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { NormalizedJob as Job } from '../../src/generated/normalized-job.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import type { ClusterNode, NodeSets, PlacementRequest } from '../../src/scheduler/types.js';
import type { Allocation } from '../../src/state/types.js';

/** Loads a jobspec; a fixture with errors fails the test with its diagnostics. */
export function job(source: string): Job {
  const diags = new Diagnostics();
  const loaded = loadJobSource(
    source,
    'job.hcl',
    { inputs: { vars: [], varFiles: [], env: {} } },
    diags,
  );
  if (!loaded)
    throw new Error(diags.items.map((d) => `${d.summary}: ${d.detail ?? ''}`).join('\n'));
  return loaded.job;
}

/** A config its driver accepts: drivers check their config when the job is loaded. */
function driverConfig(driver: string, image: string): string {
  return driver === 'docker' || driver === 'podman'
    ? `image = "${image}"`
    : `command = "/bin/server"`;
}

/** A one-group service job; `group` and `task` are extra HCL inside those blocks. */
export function simpleJob(
  opts: {
    id?: string;
    count?: number;
    type?: string;
    job?: string;
    group?: string;
    task?: string;
    cpu?: number;
    memory?: number;
    driver?: string;
    image?: string;
  } = {},
): Job {
  const id = opts.id ?? 'web';
  return job(`
job "${id}" {
  ${opts.type ? `type = "${opts.type}"` : ''}
  ${opts.job ?? ''}
  group "app" {
    count = ${opts.count ?? 1}
    ${opts.group ?? ''}
    task "server" {
      driver = "${opts.driver ?? 'docker'}"
      config {
        ${driverConfig(opts.driver ?? 'docker', opts.image ?? 'nginx:1')}
      }
      resources {
        cpu    = ${opts.cpu ?? 500}
        memory = ${opts.memory ?? 256}
      }
      ${opts.task ?? ''}
    }
  }
}
`);
}

export function node(name: string, over: Partial<ClusterNode> = {}): ClusterNode {
  return {
    name,
    datacenter: 'dc1',
    class: '',
    node_pool: 'default',
    attributes: { 'kernel.name': 'linux', 'cpu.arch': 'amd64', 'unique.hostname': name },
    meta: {},
    drivers: ['docker', 'raw_exec'],
    resources: { cpu: 4000, memory: 4096, cores: 4, disk: 10000 },
    eligible: true,
    ...over,
  };
}

const T = '2026-01-02T03:04:05.000Z';

export function alloc(over: Partial<Allocation> & { index: number }): Allocation {
  const jobId = over.job ?? 'web';
  const group = over.group ?? 'app';
  return {
    id: over.id ?? `${group}-${over.index}`,
    job: jobId,
    version: 0,
    group,
    node: 'n1',
    name: `${jobId}.${group}[${over.index}]`,
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: {},
    ports: [],
    created_at: T,
    modified_at: T,
    ...over,
  };
}

export function nodeSets(over: Partial<Record<keyof NodeSets, string[]>> = {}): NodeSets {
  return {
    up: new Set(over.up ?? ['n1', 'n2', 'n3']),
    down: new Set(over.down ?? []),
    draining: new Set(over.draining ?? []),
    ineligible: new Set(over.ineligible ?? []),
  };
}

/** `count` new-allocation requests for the job's first group. */
export function requests(j: Job, count?: number, group?: string): PlacementRequest[] {
  const g = group ?? j.group[0]!.name;
  const n = count ?? j.group.find((x) => x.name === g)!.count ?? 1;
  return Array.from({ length: n }, (_, i) => ({
    job: j,
    group: g,
    name: `${j.id}.${g}[${i}]`,
    index: i,
    reason: 'new' as const,
    canary: false,
  }));
}

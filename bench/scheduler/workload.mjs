// The scheduler benchmark's simulated clusters and jobs, after Nomad's
// scheduler/benchmarks/benchmarks_test.go: nodes of 32 GB alternating between datacenters
// dc-1 and dc-2 with `meta.rack = r<i % racks>`, jobs of one group whose task asks Nomad's
// 6000 MHz / 6000 MB scaled down by 8 (so that 10,000 allocations fit on 500 nodes of which
// half are feasible), optionally spread over `${meta.rack}`, and — our addition — a
// `set_contains_any` constraint over half the racks.

/** Nomad's grid: allocations per job, cycled until the total is reached. */
export const JOB_SIZES = [50, 300, 600, 900, 1200];

const NODE_MEMORY = 32000;
const NODE_CPU = 32000;
/** Nomad's 6000 MHz / 6000 MB task, scaled by 1/8. */
const TASK = 750;

export function makeNodes(count, racks) {
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const name = `node-${String(i).padStart(5, '0')}`;
    nodes.push({
      name,
      datacenter: i % 2 === 0 ? 'dc-1' : 'dc-2',
      class: '',
      node_pool: 'default',
      attributes: {
        'kernel.name': 'linux',
        'cpu.arch': 'amd64',
        'os.name': 'ubuntu',
        'unique.hostname': name,
        'unique.network.ip-address': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      },
      meta: { rack: `r${i % racks}` },
      drivers: ['docker', 'exec', 'raw_exec'],
      resources: { cpu: NODE_CPU, memory: NODE_MEMORY, cores: 16, disk: 100 * 1024 },
      reserved: {},
      eligible: true,
    });
  }
  return nodes;
}

/** Half the racks, as one `set_contains_any` value: "r0,r2,r4,…". */
export function halfTheRacks(racks) {
  const out = [];
  for (let r = 0; r < racks; r += 2) out.push(`r${r}`);
  return out.join(',');
}

/**
 * Jobs whose counts cycle through JOB_SIZES until `total` allocations (or `limit` jobs).
 * `sizes` multiplies the task per job (cycled) for a mixed workload; the default is Nomad's
 * uniform one.
 */
export function makeJobs(total, racks, { spread = false, sizes = [1], limit = Infinity } = {}) {
  const jobs = [];
  let left = total;
  for (let j = 0; left > 0 && j < limit; j++) {
    const count = Math.min(JOB_SIZES[j % JOB_SIZES.length], left);
    left -= count;
    const size = Math.round(TASK * sizes[j % sizes.length]);
    jobs.push({
      id: `job-${j}`,
      name: `job-${j}`,
      type: 'service',
      priority: 50,
      datacenters: ['dc-1', 'dc-2'],
      node_pool: 'default',
      constraint: [
        { attribute: '${meta.rack}', operator: 'set_contains_any', value: halfTheRacks(racks) },
      ],
      ...(spread ? { spread: [{ attribute: '${meta.rack}', weight: 50 }] } : {}),
      group: [
        {
          name: 'web',
          count,
          ephemeral_disk: { size: 300, sticky: false, migrate: false },
          task: [
            {
              name: 'server',
              driver: 'docker',
              config: { image: 'nginx:1.27' },
              resources: { cpu: size, memory: size, cores: 0 },
            },
          ],
        },
      ],
    });
  }
  return jobs;
}

/** One placement request per allocation of the job, as reconcile produces for a new job. */
export function requestsFor(job) {
  const g = job.group[0];
  const out = [];
  for (let i = 0; i < g.count; i++) {
    out.push({
      job,
      group: g.name,
      name: `${job.id}.${g.name}[${i}]`,
      index: i,
      reason: 'new',
      canary: false,
    });
  }
  return out;
}

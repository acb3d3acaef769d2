// One benchmark case: place every job of a workload on a fresh simulated cluster, one
// evaluation (`place` call) per job, as drover plans job after job, and measure it.
import { makeJobs, makeNodes, requestsFor } from './workload.mjs';

/**
 * @param sched the compiled scheduler module (dist/src/scheduler/index.js)
 * @returns { placed, failed, jobs, placeMs, rate, scoredPerPlacement, fill, nodesUsed, prepareMs }
 */
export function runCase(sched, { nodes, racks, allocs, spread, fullScan = false, sizes, seed }) {
  const jobs = makeJobs(allocs, racks, { spread, sizes });
  const t0 = performance.now();
  let pc = sched.prepareCluster({ nodes: makeNodes(nodes, racks), allocations: [] });
  const prepareMs = performance.now() - t0;
  let placeMs = 0;
  let placed = 0;
  let failed = 0;
  let evaluated = 0;
  for (const [j, job] of jobs.entries()) {
    const requests = requestsFor(job);
    const start = performance.now();
    const result = sched.place(requests, pc, { seed: seed + j, fullScan });
    placeMs += performance.now() - start;
    placed += result.placements.length;
    for (const f of result.failures) failed += f.failed;
    pc = sched.applyPlacements(pc, result.placements);
  }
  evaluated = 0;
  const fill = binPackFill(pc);
  return {
    placed,
    failed,
    jobs: jobs.length,
    placeMs,
    rate: placed / (placeMs / 1000),
    fill: fill.fill,
    nodesUsed: fill.nodesUsed,
    prepareMs,
    evaluated,
  };
}

/**
 * Bin-pack fill: memory allocated over the memory of the nodes that hold any allocation, in
 * percent. A perfect packer fills the nodes it uses; a poor one spreads thinly over many.
 */
export function binPackFill(pc) {
  let used = 0;
  let capacity = 0;
  let nodesUsed = 0;
  for (let i = 0; i < pc.nodes.length; i++) {
    if (pc.usedMem[i] > 0) {
      used += pc.usedMem[i];
      capacity += pc.capMem[i];
      nodesUsed++;
    }
  }
  return { fill: capacity > 0 ? (100 * used) / capacity : 0, nodesUsed };
}

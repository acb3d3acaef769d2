// One benchmark case: place the jobs of a workload on a fresh simulated cluster, one evaluation
// (`place` call) per job as drover plans job after job, and measure it.
import { makeJobs, makeNodes, requestsFor } from './workload.mjs';

/**
 * @param sched the compiled scheduler module (dist/src/scheduler/index.js)
 * @param c.untilFull keep placing the workload's jobs, cycled, until a placement fails
 */
export function runCase(sched, c) {
  const {
    nodes,
    racks,
    allocs,
    spread = false,
    fullScan = false,
    sizes,
    seed,
    untilFull = false,
  } = c;
  const jobs = makeJobs(untilFull ? Number.MAX_SAFE_INTEGER : allocs, racks, {
    spread,
    sizes,
    limit: untilFull ? 10_000 : undefined,
  });
  const t0 = performance.now();
  let pc = sched.prepareCluster({ nodes: makeNodes(nodes, racks), allocations: [] });
  const prepareMs = performance.now() - t0;
  let placeMs = 0;
  let placed = 0;
  let failed = 0;
  let scored = 0;
  let evaluated = 0;
  for (const [j, job] of jobs.entries()) {
    const requests = requestsFor(job);
    const start = performance.now();
    const result = sched.place(requests, pc, { seed: seed + j, fullScan });
    placeMs += performance.now() - start;
    placed += result.placements.length;
    scored += result.stats.nodesScored;
    evaluated += result.stats.nodesEvaluated;
    for (const f of result.failures) failed += f.failed;
    pc = sched.applyPlacements(pc, result.placements);
    if (untilFull && result.failures.length > 0) break;
  }
  return {
    placed,
    failed,
    jobs: jobs.length,
    placeMs,
    rate: placed / (placeMs / 1000),
    scoredPerPlacement: scored / Math.max(placed + failed, 1),
    evaluatedPerPlacement: evaluated / Math.max(placed + failed, 1),
    prepareMs,
    ...fill(pc, racks),
  };
}

/**
 * Two views of how well the allocations are packed, in percent of memory:
 * `fill` over the nodes that hold any allocation (how tightly the used nodes are packed), and
 * `clusterFill` over every feasible node (at saturation: how much capacity the packer could use).
 */
export function fill(pc, racks) {
  let used = 0;
  let capacity = 0;
  let nodesUsed = 0;
  let feasibleCapacity = 0;
  for (let i = 0; i < pc.nodes.length; i++) {
    // The workload's constraint admits the even-numbered racks.
    if ((i % racks) % 2 === 0) feasibleCapacity += pc.capMem[i];
    if (pc.usedMem[i] > 0) {
      used += pc.usedMem[i];
      capacity += pc.capMem[i];
      nodesUsed++;
    }
  }
  return {
    fill: capacity > 0 ? (100 * used) / capacity : 0,
    clusterFill: feasibleCapacity > 0 ? (100 * used) / feasibleCapacity : 0,
    nodesUsed,
  };
}

// Where a drover apply that places new allocations spends its wall time, read from the outside
// (the stdout lines of `drover apply`, each stamped with the time it arrived; see
// bench/rollout/timeline.mjs): the plan is printed first, then one progress line per allocation
// event ("  job.web[3] (1a2b3c4d) on host-2: starting" … "running" … "healthy").
import { median } from '../lib/measure.mjs';
import { progressEvents } from '../rollout/timeline.mjs';

/**
 * The phases of an initial placement, in ms:
 *   plan     spawn → the first line of output (start-up, config, state read, fingerprints over
 *            SSH, refresh, scheduling, the plan rendered)
 *   record   the first line → the first `starting` (lock, job version and deployment recorded,
 *            the first allocation recorded as placed)
 *   start    the first `starting` → the last `running` (containers created and started)
 *   gate     the last `running` → the last `healthy` (health gates)
 *   finish   the last `healthy` → exit (deployment recorded, state written, connections closed)
 * and, over the allocations, the median time from `starting` to `running` (`perAllocStart`) and
 * from `running` to `healthy` (`perAllocGate`). Undefined when the output holds no placement.
 */
export function placementPhases(lines, exitMs) {
  const events = progressEvents(lines);
  const at = (status) => events.filter((e) => e.status === status);
  const starting = at('starting');
  const running = at('running');
  const healthy = at('healthy');
  if (starting.length === 0 || lines.length === 0) return undefined;
  const firstLine = lines[0].ms;
  const firstStart = starting[0].ms;
  const lastRunning = running.length ? running[running.length - 1].ms : firstStart;
  const lastHealthy = healthy.length ? healthy[healthy.length - 1].ms : lastRunning;
  const byAlloc = (list) => new Map(list.map((e) => [e.alloc, e.ms]));
  const [s, r, h] = [byAlloc(starting), byAlloc(running), byAlloc(healthy)];
  const spans = (from, to) =>
    [...to].flatMap(([alloc, ms]) => (from.has(alloc) ? [ms - from.get(alloc)] : []));
  return {
    allocations: starting.length,
    plan: firstLine,
    record: firstStart - firstLine,
    start: lastRunning - firstStart,
    gate: lastHealthy - lastRunning,
    finish: exitMs - lastHealthy,
    perAllocStart: median(spans(s, r)),
    perAllocGate: median(spans(r, h)),
  };
}

/**
 * Placement failure metrics, and the one line that explains them in a plan.
 */
import type { Candidates } from './cluster.js';
import type { Reasons } from './group-plan.js';
import { hostVolumeFiltered, hostVolumeRejection } from './host-volumes.js';
import type { PlacementMetrics } from './types.js';

export interface Tally {
  evaluated: number;
  filtered: number;
  exhausted: number;
  counters: Int32Array;
}

export function buildMetrics(tally: Tally, reasons: Reasons, cand: Candidates): PlacementMetrics {
  const m: PlacementMetrics = {
    nodesEvaluated: tally.evaluated,
    nodesFiltered: tally.filtered,
    nodesExhausted: tally.exhausted,
    nodesAvailable: cand.nodes.length,
    nodesAvailableByDatacenter: { ...cand.byDatacenter },
    nodesExcluded: { ...cand.excluded },
    constraintFiltered: {},
    driverMissing: {},
    dimensionExhausted: {},
  };
  reasons.texts.forEach((text, id) => {
    const count = tally.counters[id] ?? 0;
    if (count === 0) return;
    const kind = reasons.kinds[id];
    const into =
      kind === 'constraint'
        ? m.constraintFiltered
        : kind === 'driver'
          ? m.driverMissing
          : m.dimensionExhausted;
    into[text] = count;
  });
  return m;
}

const nodes = (n: number): string => `${n} node${n === 1 ? '' : 's'}`;

/**
 * "2 nodes filtered by constraint ${attr.kernel.name} = linux, 1 node exhausted memory";
 * when no node could even be considered, says which datacenters and pool were searched.
 */
export function failureReason(
  m: PlacementMetrics,
  datacenters: readonly string[],
  pool: string,
): string {
  if (m.nodesAvailable === 0) {
    const others: string[] = [];
    if (m.nodesExcluded.datacenter > 0)
      others.push(`${nodes(m.nodesExcluded.datacenter)} in other datacenters`);
    if (m.nodesExcluded.nodePool > 0)
      others.push(`${nodes(m.nodesExcluded.nodePool)} in other node pools`);
    if (m.nodesExcluded.ineligible > 0)
      others.push(`${nodes(m.nodesExcluded.ineligible)} not eligible`);
    const where = `datacenters ${datacenters.join(', ')} and node pool ${pool}`;
    return `no node in ${where} takes work${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
  }
  const parts: string[] = [];
  for (const [text, n] of Object.entries(m.driverMissing))
    parts.push(`${nodes(n)} missing driver ${text}`);
  for (const [text, n] of Object.entries(m.constraintFiltered))
    parts.push(hostVolumeFiltered(nodes(n), text) ?? `${nodes(n)} filtered by constraint ${text}`);
  for (const [text, n] of Object.entries(m.dimensionExhausted))
    parts.push(`${nodes(n)} exhausted ${text}`);
  if (parts.length === 0) return `no node of ${nodes(m.nodesAvailable)} could take it`;
  return parts.join(', ');
}

/** Metrics of two searches as one (system jobs: one search per node). */
export function mergeMetrics(a: PlacementMetrics, b: PlacementMetrics): PlacementMetrics {
  const add = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    ...a,
    nodesEvaluated: a.nodesEvaluated + b.nodesEvaluated,
    nodesFiltered: a.nodesFiltered + b.nodesFiltered,
    nodesExhausted: a.nodesExhausted + b.nodesExhausted,
    constraintFiltered: add(a.constraintFiltered, b.constraintFiltered),
    driverMissing: add(a.driverMissing, b.driverMissing),
    dimensionExhausted: add(a.dimensionExhausted, b.dimensionExhausted),
  };
}

/** Why one node was rejected, from the metrics of a search of that node alone. */
export function nodeRejection(m: PlacementMetrics): string {
  const [driver] = Object.keys(m.driverMissing);
  if (driver !== undefined) return `missing driver ${driver}`;
  const [constraint] = Object.keys(m.constraintFiltered);
  if (constraint !== undefined)
    return hostVolumeRejection(constraint) ?? `constraint ${constraint} not met`;
  const [dimension] = Object.keys(m.dimensionExhausted);
  if (dimension !== undefined) return `exhausted ${dimension}`;
  return 'not eligible for the job';
}

/** The gauges a scrape computes from the state: how many jobs, allocations, deployments and nodes are in each status. Pure. */
import type { StateSnapshot } from '../../state/types.js';
import { indexOf } from '../context.js';
import { jobStatus } from '../nomad/common.js';
import { lookups } from '../nomad/state-index.js';
import { METRICS, PREFIX } from './names.js';

export interface GaugeReading {
  name: string;
  value: number;
  labels: Record<string, string>;
}

const JOB_STATUSES = ['pending', 'running', 'dead'];
const CLIENT_STATUSES = ['pending', 'running', 'complete', 'failed', 'lost'];
const DEPLOYMENT_STATUSES = [
  'running',
  'paused',
  'successful',
  'failed',
  'cancelled',
  'blocked',
  'pending',
];
const NODE_STATUSES = ['ready', 'initializing', 'draining', 'ineligible'];

export function stateGauges(state: StateSnapshot): GaugeReading[] {
  return [
    ...countBy(
      PREFIX + METRICS.jobs,
      JOB_STATUSES,
      lookups(state).views.map((v) => jobStatus(v)),
    ),
    ...countBy(
      PREFIX + METRICS.allocations,
      CLIENT_STATUSES,
      Object.values(state.allocations).map((a) => a.client_status),
    ),
    ...countBy(
      PREFIX + METRICS.deployments,
      DEPLOYMENT_STATUSES,
      Object.values(state.deployments).map((d) => d.status),
    ),
    ...countBy(
      PREFIX + METRICS.nodes,
      NODE_STATUSES,
      Object.values(state.nodes).map((n) =>
        n.drain
          ? 'draining'
          : n.eligibility === 'ineligible'
            ? 'ineligible'
            : n.fingerprint
              ? 'ready'
              : 'initializing',
      ),
    ),
    { name: PREFIX + METRICS.stateIndex, value: indexOf(state), labels: {} },
  ];
}

/** One gauge per status, the known ones always present (0 included) so a graph has no gaps. */
function countBy(
  name: string,
  known: readonly string[],
  values: readonly string[],
): GaugeReading[] {
  const counts = new Map<string, number>(known.map((s) => [s, 0]));
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([status, value]) => ({ name, value, labels: { status } }));
}

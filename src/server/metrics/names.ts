/**
 * The metrics drover's server records, by name (go-metrics style, dot-separated; Prometheus
 * sees `drover_api_request` etc.), with the help text the Prometheus format prints. The parts
 * that record them (core, controller) use these names so that a scrape finds them.
 */
export const METRICS = {
  /** Counter: one per API request; labels `endpoint` (the route's path) and `code`. */
  apiRequests: 'drover.api.requests',
  /** Sample (ms): an API request's duration; labels `endpoint`, `code`. */
  apiRequestDuration: 'drover.api.request_duration',
  /** Sample (ms): one pass of the leader's reconcile loop. */
  reconcileDuration: 'drover.controller.reconcile_duration',
  /** Sample (ms): from noticing that an allocation must be placed to its placement being recorded. */
  schedulingLatency: 'drover.controller.scheduling_latency',
  /** Sample (ms): one state write (the store's write call). */
  stateWriteLatency: 'drover.state.write_latency',
  /** Gauge: open SSH connections in the transport pool. */
  sshConnections: 'drover.ssh.connections',
  /** Gauges computed from the state at scrape time; label `status`. */
  jobs: 'drover.jobs',
  allocations: 'drover.allocations',
  deployments: 'drover.deployments',
  nodes: 'drover.nodes',
  /** Gauge: the state's change index. */
  stateIndex: 'drover.state.index',
} as const;

const HELP: Record<string, string> = {
  [METRICS.apiRequests]: 'HTTP API requests by endpoint and status code.',
  [METRICS.apiRequestDuration]: 'HTTP API request duration in milliseconds.',
  [METRICS.reconcileDuration]: 'Duration of one reconcile pass of the leader, in milliseconds.',
  [METRICS.schedulingLatency]:
    'Time from an allocation needing placement to its placement being recorded, in milliseconds.',
  [METRICS.stateWriteLatency]: 'Duration of one state write, in milliseconds.',
  [METRICS.sshConnections]: 'Open SSH connections in the transport pool.',
  [METRICS.jobs]: 'Jobs by status.',
  [METRICS.allocations]: 'Allocations by client status.',
  [METRICS.deployments]: 'Deployments by status.',
  [METRICS.nodes]: 'Nodes by status.',
  [METRICS.stateIndex]: "The state's change index.",
};

export function helpOf(name: string): string {
  return HELP[name] ?? `drover metric ${name}.`;
}

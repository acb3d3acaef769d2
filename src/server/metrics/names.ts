/**
 * The metrics drover's server records, by name (go-metrics style, dot-separated), with the help
 * text the Prometheus format prints. Reports put `drover.` before every name, as go-metrics puts
 * its service name (`api.requests` → `drover.api.requests`, Prometheus `drover_api_requests_total`).
 * The parts that record them (core, controller) use these names so that a scrape finds them.
 */
export const METRICS = {
  /** Counter: one per API request; labels `endpoint` (the route's path) and `code`. */
  apiRequests: 'api.requests',
  /** Sample (ms): an API request's duration; labels `endpoint`, `code`. */
  apiRequestDuration: 'api.request_duration',
  /** Sample (ms): one pass of the leader's reconcile loop. */
  reconcileDuration: 'controller.reconcile_duration',
  /** Sample (ms): from noticing that an allocation must be placed to its placement being recorded. */
  schedulingLatency: 'controller.scheduling_latency',
  /** Sample (ms): one state write (the store's write call); label `operation`. */
  stateWriteLatency: 'state.write_duration',
  /** Gauge: open SSH connections in the transport pool; label `node`. */
  sshConnections: 'ssh.connections',
  /** Gauge: SSH channels in use; labels `node` and `kind` (`session`: a command, `forward`). */
  sshChannels: 'ssh.channels',
  /** Gauge: commands waiting for a free session channel; label `node`. */
  sshChannelsQueued: 'ssh.channels_queued',
  /** Gauges computed from the state at scrape time; label `status`. */
  jobs: 'jobs',
  allocations: 'allocations',
  deployments: 'deployments',
  nodes: 'nodes',
  /** Gauge: the state's change index. */
  stateIndex: 'state.index',
} as const;

const HELP: Record<string, string> = {
  [METRICS.apiRequests]: 'HTTP API requests by endpoint and status code.',
  [METRICS.apiRequestDuration]: 'HTTP API request duration in milliseconds.',
  [METRICS.reconcileDuration]: 'Duration of one reconcile pass of the leader, in milliseconds.',
  [METRICS.schedulingLatency]:
    'Time from an allocation needing placement to its placement being recorded, in milliseconds.',
  [METRICS.stateWriteLatency]: 'Duration of one state write, in milliseconds.',
  [METRICS.sshConnections]: 'Open SSH connections in the transport pool, by node.',
  [METRICS.sshChannels]:
    'SSH channels in use, by node and kind (session: a command; forward: the Docker API or a TCP connection).',
  [METRICS.sshChannelsQueued]: 'Commands waiting for a free SSH session channel, by node.',
  [METRICS.jobs]: 'Jobs by status.',
  [METRICS.allocations]: 'Allocations by client status.',
  [METRICS.deployments]: 'Deployments by status.',
  [METRICS.nodes]: 'Nodes by status.',
  [METRICS.stateIndex]: "The state's change index.",
};

/** Put before every name in reports. */
export const PREFIX = 'drover.';

/** The help text of a reported (prefixed) name. */
export function helpOf(name: string): string {
  const own = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
  return HELP[own] ?? `drover metric ${name}.`;
}

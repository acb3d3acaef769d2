/** The SSH pool's gauges, read from the transports the server's engine opened. Pure over their stats. */
import { sshPoolStats } from '../../../providers/transports/ssh.js';
import { METRICS, PREFIX } from './names.js';
import type { GaugeReading } from './state-gauges.js';

/** Per SSH node: open connections, channels in use (session and forward), commands waiting. */
export function sshPoolGauges(transports: ReadonlyMap<string, unknown>): GaugeReading[] {
  const readings: GaugeReading[] = [];
  for (const [node, transport] of transports) {
    const stats = sshPoolStats(transport);
    if (!stats) continue;
    readings.push(
      { name: PREFIX + METRICS.sshConnections, value: stats.connections, labels: { node } },
      {
        name: PREFIX + METRICS.sshChannels,
        value: stats.channels.active,
        labels: { node, kind: 'session' },
      },
      {
        name: PREFIX + METRICS.sshChannels,
        value: stats.forwards.open,
        labels: { node, kind: 'forward' },
      },
      { name: PREFIX + METRICS.sshChannelsQueued, value: stats.channels.queued, labels: { node } },
    );
  }
  return readings;
}

/**
 * `GET /v1/metrics`: the server's metrics in go-metrics' JSON, or with `format=prometheus` in
 * Prometheus' text format (what a Prometheus scrape job asks for), with the state's gauges
 * computed from the state as it is now.
 */
import { PROMETHEUS_CONTENT_TYPE, isReportingMetrics } from '../metrics/index.js';
import { ApiError, type ApiReply, type Route } from '../types.js';

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/metrics',
    // Nomad's metrics endpoint needs no token: Prometheus scrapes it without one.
    access: { kind: 'public' },
    async handler(req): Promise<ApiReply> {
      const metrics = req.server.metrics;
      if (!isReportingMetrics(metrics))
        throw new ApiError(500, 'this server records no metrics (created without createMetrics)');
      const { state, index } = await req.server.current();
      const format = req.query.get('format');
      if (format === 'prometheus')
        return {
          text: metrics.prometheus(state),
          index,
          headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE },
        };
      if (format !== null && format !== '' && format !== 'json')
        throw new ApiError(400, `Invalid format: ${format}`);
      return { json: metrics.json(state), index };
    },
  },
];

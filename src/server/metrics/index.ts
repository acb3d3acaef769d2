/**
 * The server's metrics: what the core (API requests), the controller (loop duration, scheduling
 * latency), the state writes and the SSH pool record, plus gauges computed from the state at
 * scrape time. `json` answers `/v1/metrics` in go-metrics' shape, `prometheus` in Prometheus' text
 * format.
 */
import type { StateSnapshot } from '../../state/types.js';
import type { Metrics } from '../types.js';
import { renderPrometheus, type Family } from './prometheus.js';
import { MetricStore, mean, stddev, type Aggregate, type Labels } from './registry.js';
import { stateGauges, type GaugeReading } from './state-gauges.js';

import { PREFIX } from './names.js';

export { METRICS, PREFIX } from './names.js';
export { sshPoolGauges } from './ssh-pool.js';
export { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';

export interface ReportingMetrics extends Metrics {
  /** go-metrics' `MetricsSummary`: {Timestamp, Gauges, Points, Counters, Samples}. */
  json(state?: StateSnapshot): unknown;
  /** Prometheus' text exposition format. */
  prometheus(state?: StateSnapshot): string;
  /** Adds gauges read at every scrape from something live (the SSH pool); returns the removal. */
  collect(source: () => readonly GaugeReading[]): () => void;
}

export function isReportingMetrics(m: Metrics): m is ReportingMetrics {
  const r = m as Partial<ReportingMetrics>;
  return typeof r.json === 'function' && typeof r.prometheus === 'function';
}

export function createMetrics(clock: () => number = Date.now): ReportingMetrics {
  const store = new MetricStore();
  const started = clock();
  const seconds = () => Math.max(1, (clock() - started) / 1000);
  const sources = new Set<() => readonly GaugeReading[]>();
  const gauges = (state?: StateSnapshot) => [
    ...[...store.gauges.values()].map((g) => ({ name: g.name, value: g.value, labels: g.labels })),
    ...[...sources].flatMap((source) => source()),
    ...(state ? stateGauges(state) : []),
  ];
  const sampled = (a: Aggregate) => ({
    Name: a.name,
    Count: a.count,
    Rate: a.sum / seconds(),
    Sum: a.sum,
    Min: a.min,
    Max: a.max,
    Mean: mean(a),
    Stddev: stddev(a),
    Labels: { ...a.labels },
  });
  return {
    increment: (name, labels, by = 1) => store.add(store.counters, PREFIX + name, by, labels),
    gauge: (name, value, labels) => store.set(PREFIX + name, value, labels),
    sample: (name, ms, labels) => store.add(store.samples, PREFIX + name, ms, labels),
    collect(source) {
      sources.add(source);
      return () => void sources.delete(source);
    },
    json(state) {
      return {
        Timestamp: goTimestamp(clock()),
        Gauges: gauges(state).map((g) => ({
          Name: g.name,
          Value: g.value,
          Labels: { ...g.labels },
        })),
        Points: [],
        Counters: [...store.counters.values()].map(sampled),
        Samples: [...store.samples.values()].map(sampled),
      };
    },
    prometheus(state) {
      const families: Family[] = [
        ...gauges(state).map((g): Family => ({
          name: g.name,
          type: 'gauge',
          series: [{ labels: g.labels, value: g.value }],
        })),
        ...[...store.counters.values()].map((a): Family => ({
          name: a.name,
          type: 'counter',
          series: [{ labels: a.labels, value: a.sum }],
        })),
        ...[...store.samples.values()].map((a): Family => ({
          name: a.name,
          type: 'summary',
          series: [
            { suffix: '_sum', labels: a.labels, value: a.sum },
            { suffix: '_count', labels: a.labels, value: a.count },
          ],
        })),
      ];
      return renderPrometheus(families);
    },
  };
}

/** go-metrics' interval timestamp: Go's time.Time String() in UTC, to the second. */
export function goTimestamp(ms: number): string {
  const d = new Date(Math.round(ms / 1000) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

export type { Labels };

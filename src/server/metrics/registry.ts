/**
 * What the server records between scrapes: counters and samples aggregated like go-metrics
 * (count, sum, min, max, mean, standard deviation), gauges as their last value. Cumulative since
 * the server started, so Prometheus counters never go back.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Aggregate {
  name: string;
  labels: Labels;
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

export interface Gauge {
  name: string;
  labels: Labels;
  value: number;
}

/** One series per name and label set. */
export function seriesKey(name: string, labels: Labels = {}): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0
    ? name
    : `${name}\u0000${keys.map((k) => `${k}=${labels[k]}`).join('\u0000')}`;
}

export class MetricStore {
  readonly counters = new Map<string, Aggregate>();
  readonly samples = new Map<string, Aggregate>();
  readonly gauges = new Map<string, Gauge>();

  add(into: Map<string, Aggregate>, name: string, value: number, labels: Labels = {}): void {
    const key = seriesKey(name, labels);
    const a = into.get(key);
    if (!a) {
      into.set(key, {
        name,
        labels: { ...labels },
        count: 1,
        sum: value,
        sumSq: value * value,
        min: value,
        max: value,
      });
      return;
    }
    a.count++;
    a.sum += value;
    a.sumSq += value * value;
    a.min = Math.min(a.min, value);
    a.max = Math.max(a.max, value);
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.gauges.set(seriesKey(name, labels), { name, labels: { ...labels }, value });
  }
}

export function mean(a: Aggregate): number {
  return a.count === 0 ? 0 : a.sum / a.count;
}

/** The sample standard deviation, as go-metrics' AggregateSample.Stddev. */
export function stddev(a: Aggregate): number {
  if (a.count < 2) return 0;
  const m = mean(a);
  const variance = (a.sumSq - a.count * m * m) / (a.count - 1);
  return variance > 0 ? Math.sqrt(variance) : 0;
}

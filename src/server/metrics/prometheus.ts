/**
 * Prometheus' text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per metric
 * family, then its series. Names are go-metrics' with `_` for `.` (`drover.api.requests` →
 * `drover_api_requests_total`: counters end in `_total` and report their sum); samples are
 * summaries (`_sum` and `_count`).
 */
import { helpOf } from './names.js';
import type { Labels } from './registry.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'summary';
  series: { suffix?: string; labels: Labels; value: number }[];
}

/** A metric name Prometheus accepts: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function metricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(s) ? s : `_${s}`;
}

/** A label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved). */
export function labelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const valid = /^[a-zA-Z_]/.test(s) ? s : `_${s}`;
  return valid.startsWith('__') ? `x${valid}` : valid;
}

/** Label values escape `\`, `"` and newlines. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes `\` and newlines. */
function helpText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelSet(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${labelName(k)}="${labelValue(labels[k]!)}"`).join(',')}}`;
}

/** Families with the same Prometheus name are merged (their series must differ by labels). */
export function renderPrometheus(families: readonly Family[]): string {
  const merged = new Map<string, Family & { source: string }>();
  for (const f of families) {
    // Prometheus' convention (and promtool's lint): a counter's name ends in `_total`.
    const base = metricName(f.name);
    const name = f.type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
    const m = merged.get(name);
    if (m) m.series.push(...f.series);
    else merged.set(name, { ...f, name, source: f.name, series: [...f.series] });
  }
  const lines: string[] = [];
  for (const f of [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    lines.push(`# HELP ${f.name} ${helpText(helpOf(f.source))}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.series)
      lines.push(`${f.name}${s.suffix ?? ''}${labelSet(s.labels)} ${number(s.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * The Nomad shapes the UI reads (only the fields it uses) and pure functions over them: job
 * status including "failed", filtering and sorting, durations, a line diff. No I/O here.
 */
export interface GroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
  Unknown?: number;
}

export interface JobStub {
  ID: string;
  Name: string;
  Namespace: string;
  Type: string;
  Status: string;
  Periodic: boolean;
  ParameterizedJob: boolean;
  ParentID: string;
  Stop: boolean;
  SubmitTime: number;
  JobSummary?: {
    Summary: Record<string, GroupSummary>;
    Children?: { Pending: number; Running: number; Dead: number };
  };
}

export type AllocState = 'running' | 'starting' | 'queued' | 'complete' | 'failed' | 'lost';
export const ALLOC_STATES: AllocState[] = [
  'running',
  'starting',
  'queued',
  'complete',
  'failed',
  'lost',
];

/** Allocation counts over every group of a job summary. */
export function allocCounts(stub: Pick<JobStub, 'JobSummary'>): Record<AllocState, number> {
  const c: Record<AllocState, number> = {
    running: 0,
    starting: 0,
    queued: 0,
    complete: 0,
    failed: 0,
    lost: 0,
  };
  for (const g of Object.values(stub.JobSummary?.Summary ?? {})) {
    c.running += g.Running;
    c.starting += g.Starting;
    c.queued += g.Queued;
    c.complete += g.Complete;
    c.failed += g.Failed;
    c.lost += g.Lost;
  }
  return c;
}

/**
 * The status a user filters by: Nomad's (pending, running, dead) and "failed" for a job whose
 * allocations failed and none runs (nomad#26893: finding failed jobs).
 */
export function jobStatus(stub: JobStub): string {
  const c = allocCounts(stub);
  if (c.failed > 0 && c.running === 0 && c.starting === 0) return 'failed';
  return stub.Status;
}

export interface JobFilter {
  status: string;
  type: string;
  namespace: string;
  text: string;
}

export function filterJobs(jobs: JobStub[], f: JobFilter): JobStub[] {
  const text = f.text.trim().toLowerCase();
  return jobs.filter(
    (j) =>
      (!f.status || jobStatus(j) === f.status) &&
      (!f.type || j.Type === f.type) &&
      (!f.namespace || j.Namespace === f.namespace) &&
      (!text || j.ID.toLowerCase().includes(text) || j.Name.toLowerCase().includes(text)),
  );
}

export const JOB_SORTS = ['name', 'status', 'type', 'namespace', 'submitted'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

/** `sort` is a key, `-key` for descending. */
export function sortJobs(jobs: JobStub[], sort: string): JobStub[] {
  const desc = sort.startsWith('-');
  const key = (desc ? sort.slice(1) : sort) as JobSort;
  const value = (j: JobStub): string | number =>
    key === 'status'
      ? jobStatus(j)
      : key === 'type'
        ? j.Type
        : key === 'namespace'
          ? j.Namespace
          : key === 'submitted'
            ? j.SubmitTime
            : j.ID;
  return [...jobs].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const c = va < vb ? -1 : va > vb ? 1 : a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
    return desc ? -c : c;
  });
}

/** Nomad's times come as ns since the epoch, RFC 3339 strings, or Go's zero time. */
export function toDate(t: number | string | undefined | null): Date | undefined {
  if (t === undefined || t === null || t === 0 || t === '') return undefined;
  if (typeof t === 'number') return new Date(t > 1e15 ? t / 1e6 : t);
  if (t.startsWith('0001-')) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "3s ago", "5m ago", "in 2h"; '' for no time. */
export function relative(t: number | string | undefined | null, now = Date.now()): string {
  const d = toDate(t);
  if (!d) return '';
  const diff = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(diff);
  const span =
    abs < 60
      ? `${abs}s`
      : abs < 3600
        ? `${Math.floor(abs / 60)}m`
        : abs < 86400
          ? `${Math.floor(abs / 3600)}h`
          : `${Math.floor(abs / 86400)}d`;
  return diff > 0 ? `in ${span}` : `${span} ago`;
}

export function stamp(t: number | string | undefined | null): string {
  const d = toDate(t);
  return d
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';
}

/** Nanoseconds as Nomad's duration ("1m30s"). */
export function duration(ns: number): string {
  const s = Math.round(ns / 1e9);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
}

export type DiffLine = { op: ' ' | '+' | '-'; text: string };

/** A line diff (longest common subsequence): what changed between two texts. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  // lcs[i][j]: length of the LCS of x[i..] and y[j..], one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => lcs[i * (m + 1) + j]!;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * (m + 1) + j] =
        x[i] === y[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i]! });
      i++;
      j++;
    } else if (at(i + 1, j) >= at(i, j + 1)) out.push({ op: '-', text: x[i++]! });
    else out.push({ op: '+', text: y[j++]! });
  }
  while (i < n) out.push({ op: '-', text: x[i++]! });
  while (j < m) out.push({ op: '+', text: y[j++]! });
  return out;
}

/**
 * The diff with long runs of unchanged lines folded to `context` lines around each change; a
 * folded run becomes one `{ op: '…' }` line saying how many lines it hides.
 */
export function foldUnchanged(
  lines: DiffLine[],
  context = 3,
): (DiffLine | { op: '…'; text: string })[] {
  const near = lines.map((_, i) =>
    lines.slice(Math.max(0, i - context), i + context + 1).some((l) => l.op !== ' '),
  );
  const out: (DiffLine | { op: '…'; text: string })[] = [];
  let hidden = 0;
  lines.forEach((l, i) => {
    if (near[i]) {
      if (hidden) out.push({ op: '…', text: `${hidden} unchanged lines` });
      hidden = 0;
      out.push(l);
    } else hidden++;
  });
  if (hidden) out.push({ op: '…', text: `${hidden} unchanged lines` });
  return out;
}

/** The lines of `text` that contain `needle` (case-insensitive); all of them for ''. */
export function filterLines(text: string, needle: string): string {
  if (!needle) return text;
  const n = needle.toLowerCase();
  return text
    .split('\n')
    .filter((l) => l.toLowerCase().includes(n))
    .join('\n');
}

/** A deployment's rollout as the plan draws it: canaries, a promotion gate, then batches. */
export interface RolloutStep {
  kind: 'canary' | 'gate' | 'batch';
  /** For canaries and batches: how many allocations, and how many of them are healthy/placed. */
  size: number;
  healthy: number;
  placed: number;
  done: boolean;
}

export interface DeploymentGroup {
  DesiredCanaries: number;
  DesiredTotal: number;
  PlacedAllocs: number;
  HealthyAllocs: number;
  UnhealthyAllocs: number;
  Promoted: boolean;
  PlacedCanaries: string[] | null;
  AutoPromote: boolean;
}

/**
 * Steps of one group's rollout: the canaries, the gate that waits for a promotion, then the
 * remaining allocations in batches of `maxParallel`, filled in the order they are placed.
 */
export function rolloutSteps(g: DeploymentGroup, maxParallel: number): RolloutStep[] {
  const steps: RolloutStep[] = [];
  let healthy = g.HealthyAllocs;
  let placed = g.PlacedAllocs;
  const take = (size: number): { healthy: number; placed: number } => {
    const h = Math.min(size, healthy);
    const p = Math.min(size, placed);
    healthy -= h;
    placed -= p;
    return { healthy: h, placed: p };
  };
  const canaries = g.DesiredCanaries;
  if (canaries > 0) {
    const t = take(canaries);
    steps.push({ kind: 'canary', size: canaries, ...t, done: t.healthy === canaries });
    steps.push({ kind: 'gate', size: 0, healthy: 0, placed: 0, done: g.Promoted });
  }
  // Canaries count toward the total once promoted (they replace old allocations).
  let rest = Math.max(0, g.DesiredTotal - canaries);
  const width = maxParallel > 0 ? maxParallel : rest;
  while (rest > 0) {
    const size = Math.min(width, rest);
    const t = take(size);
    steps.push({ kind: 'batch', size, ...t, done: t.healthy === size });
    rest -= size;
  }
  return steps;
}

/**
 * The order apply starts a plan's jobs in, from what each job declares in its meta:
 * `"drover.after" = "db,cache"` (jobs it waits for) and `"drover.wave" = "1"` (lower waves
 * first, default 0). A job of wave N waits for every job of a lower wave, as Argo CD's sync
 * waves do. Within a wave, jobs keep the order they were given in (file order) unless one waits
 * for another. Pure: the recorded state comes in as a function.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import type { PlanOrderEntry } from '../generated/plan.js';
import { pointer, type RangeIndex } from '../jobspec/ranges.js';
import { didYouMean } from '../jobspec/suggest.js';
import type { StateSnapshot } from '../state/types.js';

export const AFTER_KEY = 'drover.after';
export const WAVE_KEY = 'drover.wave';

export interface OrderInput {
  id: string;
  meta?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where the job's values were written, for diagnostics at the meta entry. */
  ranges?: RangeIndex;
}

/**
 * Whether a job that is not in the plan can be waited for: true when it is recorded and
 * healthy, a reason when it is recorded but not, undefined when drover knows no such job.
 */
export type RecordedReadiness = (id: string) => true | string | undefined;

export interface OrderResult {
  /** Absent when no job declares an order (or on errors). */
  order?: PlanOrderEntry[];
  diagnostics: Diagnostic[];
}

interface Declared {
  input: OrderInput;
  index: number;
  after: string[];
  wave: number;
}

/** The plan's order, or the errors that stop it (each at its meta entry). */
export function orderJobs(jobs: readonly OrderInput[], recorded: RecordedReadiness): OrderResult {
  if (!jobs.some((j) => j.meta?.[AFTER_KEY] !== undefined || j.meta?.[WAVE_KEY] !== undefined))
    return { diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const declared = new Map<string, Declared>();
  jobs.forEach((input, index) => {
    declared.set(input.id, {
      input,
      index,
      after: afterList(input.meta?.[AFTER_KEY]),
      wave: parseWave(input, diagnostics),
    });
  });
  const outside = new Map<string, string[]>();
  for (const d of declared.values()) {
    for (const name of d.after) {
      const problem = dependencyProblem(d, name, declared, recorded);
      if (problem) diagnostics.push(problem);
      else if (!declared.has(name))
        outside.set(d.input.id, [...(outside.get(d.input.id) ?? []), name]);
    }
  }
  if (diagnostics.length > 0) return { diagnostics };
  const sorted = sortByWaveAndAfter([...declared.values()]);
  if ('cycles' in sorted) return { diagnostics: sorted.cycles.map((c) => cycleError(c, declared)) };
  return {
    order: sorted.order.map((d) => ({
      job: d.input.id,
      wave: d.wave,
      after: d.after,
      ...(outside.has(d.input.id) ? { outside: outside.get(d.input.id)! } : {}),
    })),
    diagnostics: [],
  };
}

/** `"db, cache"` → ["db", "cache"]: trimmed, empty names and repeats dropped. */
export function afterList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function parseWave(input: OrderInput, diagnostics: Diagnostic[]): number {
  const raw = input.meta?.[WAVE_KEY];
  if (raw === undefined) return 0;
  if (/^\s*[+-]?\d+\s*$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  diagnostics.push(
    error(
      input,
      WAVE_KEY,
      `Invalid ${WAVE_KEY}`,
      `Job "${input.id}": ${WAVE_KEY} must be an integer (lower waves are applied first; default 0), not ${JSON.stringify(raw)}.`,
    ),
  );
  return 0;
}

function dependencyProblem(
  d: Declared,
  name: string,
  declared: ReadonlyMap<string, Declared>,
  recorded: RecordedReadiness,
): Diagnostic | undefined {
  const id = d.input.id;
  if (name === id)
    return error(
      d.input,
      AFTER_KEY,
      'Job waits for itself',
      `Job "${id}" names itself in ${AFTER_KEY}.`,
    );
  const dep = declared.get(name);
  if (dep) {
    if (dep.wave <= d.wave) return undefined;
    return error(
      d.input,
      AFTER_KEY,
      'Job waits for a later wave',
      `Job "${id}" (wave ${d.wave}) waits for "${name}", which is in wave ${dep.wave}: lower waves are applied first, so it would wait for a job that starts after it. Put "${name}" in wave ${d.wave} or lower, or "${id}" in wave ${dep.wave} or higher.`,
    );
  }
  const ready = recorded(name);
  if (ready === true) return undefined;
  if (ready === undefined)
    return error(
      d.input,
      AFTER_KEY,
      'Unknown job in drover.after',
      `Job "${id}" waits for "${name}", which is neither in this plan nor recorded in state.${didYouMean(name, declared.keys())}`,
    );
  return error(
    d.input,
    AFTER_KEY,
    'Job waits for a job that is not healthy',
    `Job "${id}" waits for "${name}", which is not in this plan and ${ready}. Plan "${name}" together with "${id}", or make it healthy first.`,
  );
}

/**
 * Kahn's algorithm, wave by wave; among jobs that are ready, the one given first goes first.
 * The cycles left over are returned instead when there are any.
 */
function sortByWaveAndAfter(
  jobs: readonly Declared[],
): { order: Declared[] } | { cycles: string[][] } {
  const waves = [...new Set(jobs.map((j) => j.wave))].sort((a, b) => a - b);
  const order: Declared[] = [];
  const cycles: string[][] = [];
  for (const wave of waves) {
    const members = jobs.filter((j) => j.wave === wave);
    const ids = new Set(members.map((j) => j.input.id));
    const waiting = new Map(members.map((j) => [j.input.id, j.after.filter((a) => ids.has(a))]));
    const done = new Set<string>();
    for (;;) {
      const next = members.find(
        (j) => !done.has(j.input.id) && waiting.get(j.input.id)!.every((a) => done.has(a)),
      );
      if (!next) break;
      done.add(next.input.id);
      order.push(next);
    }
    if (done.size < members.length) cycles.push(...findCycles(members, waiting, done));
  }
  return cycles.length > 0 ? { cycles } : { order };
}

/** Each cycle among the jobs not sorted, once, starting at the one given first. */
function findCycles(
  members: readonly Declared[],
  waiting: ReadonlyMap<string, string[]>,
  sorted: ReadonlySet<string>,
): string[][] {
  const cycles: string[][] = [];
  const inCycle = new Set<string>();
  for (const start of members) {
    const id = start.input.id;
    if (sorted.has(id) || inCycle.has(id)) continue;
    // Follow unsorted dependencies until a job repeats: every unsorted job waits for one.
    const path: string[] = [];
    let at = id;
    while (!path.includes(at)) {
      path.push(at);
      at = waiting.get(at)!.find((a) => !sorted.has(a))!;
    }
    const cycle = path.slice(path.indexOf(at));
    if (cycle.some((c) => inCycle.has(c))) continue;
    cycle.forEach((c) => inCycle.add(c));
    cycles.push(cycle);
  }
  return cycles;
}

function cycleError(cycle: string[], declared: ReadonlyMap<string, Declared>): Diagnostic {
  // Named from the job given first, so the message is the same whichever file is read first.
  const first = cycle.reduce((a, b) => (declared.get(a)!.index <= declared.get(b)!.index ? a : b));
  const from = cycle.indexOf(first);
  const named = [...cycle.slice(from), ...cycle.slice(0, from), first];
  return error(
    declared.get(first)!.input,
    AFTER_KEY,
    'Cycle in drover.after',
    `These jobs wait for each other, so none of them could start: ${named.join(' → ')}.`,
  );
}

function error(input: OrderInput, key: string, summary: string, detail: string): Diagnostic {
  const range = input.ranges?.valueRange(pointer('meta', key));
  return { severity: 'error', summary, detail, ...(range ? { range } : {}) };
}

/**
 * A recorded job is ready to be waited for when it runs its latest version and every
 * allocation of it that should run is running and not unhealthy (batch: all complete).
 */
export function recordedReadiness(state: StateSnapshot): RecordedReadiness {
  return (id) => {
    const job = state.jobs[id];
    if (!job) return undefined;
    if (job.stopped) return 'is stopped';
    const latest = job.versions[job.versions.length - 1];
    if (!latest) return undefined;
    const deployment = Object.values(state.deployments)
      .filter((d) => d.job === id && d.version === latest.version)
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
    if (deployment && deployment.status !== 'successful')
      return `its deployment of version ${latest.version} is ${deployment.status}`;
    const allocs = Object.values(state.allocations).filter(
      (a) => a.job === id && a.version === latest.version && a.desired_status === 'run',
    );
    if (allocs.length === 0) {
      // A periodic or parameterized job runs nothing itself: there is nothing to wait for.
      if (latest.job.periodic != null || latest.job.parameterized != null) return true;
      return `no allocation of its version ${latest.version} runs`;
    }
    const bad = allocs.find(
      (a) =>
        !(a.client_status === 'running' && a.health?.healthy !== false) &&
        a.client_status !== 'complete',
    );
    return bad ? `its allocation ${bad.name} is ${bad.client_status}` : true;
  };
}

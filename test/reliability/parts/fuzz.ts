/**
 * Part `fuzz` (issue 17 item 3, hostile input): mutated jobspecs, drover.hcl files, planfiles and
 * state files through drover's parse, evaluate, validate and decode, on a pool of long-lived
 * worker threads (one per core), each input under a time cap and a heap cap. A crash is an exception that is not drover's diagnostic or
 * StateError; a hang is an input over the time cap; memory is a worker over the heap cap. Then
 * planfiles and state files edited by hand, against a real apply (b-hand-edits.ts).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';
import { handEditRows } from '../b-hand-edits.js';
import { fuzzInput } from '../b-mutate.mjs';
import { configSeeds, jobspecSeeds } from '../b-seeds.js';
import { runPool, type Caps, type Verdict } from '../b-worker-pool.js';

/** Writes an input that failed where it can be read and run again; returns the path. */
function keep(kind: string, text: string): string {
  const path = join(tmpdir(), `drover-fuzz-${kind}-${process.pid}-${Date.now()}.txt`);
  writeFileSync(path, text);
  return path;
}

// Wall-clock caps on a machine shared with other work: 5 s, and 3 s more per MB of input
// (drover reads about 5 MB/s on a loaded core; a hang is past that, not merely slow).
const CAPS: Caps = { timeMs: 5_000, timeMsPerMb: 3_000, heapMb: 256 };
const WORKERS = availableParallelism();

/** Inputs per kind: the issue's 1,000,000 in all at full scale, about 2,000 as a sample. */
const COUNTS = {
  full: { jobspec: 600_000, config: 200_000, planfile: 100_000, state: 100_000 },
  sample: { jobspec: 1_200, config: 400, planfile: 200, state: 200 },
};
type Counts = (typeof COUNTS)['full'];

/**
 * The counts of this run: the scale's, or `RELIABILITY_FUZZ_INPUTS` inputs in all in the same
 * proportions (to run what fits in the time there is; the row says how many were run).
 */
function countsFor(ctx: PartContext): Counts {
  const base = COUNTS[ctx.scale];
  const total = Number(process.env.RELIABILITY_FUZZ_INPUTS);
  if (!Number.isInteger(total) || total <= 0) return base;
  const all = Object.values(base).reduce((n, c) => n + c, 0);
  const scaled = (c: number): number => Math.max(1, Math.round((c * total) / all));
  return {
    jobspec: scaled(base.jobspec),
    config: scaled(base.config),
    planfile: scaled(base.planfile),
    state: scaled(base.state),
  };
}

const WHAT: Record<keyof (typeof COUNTS)['full'], string> = {
  jobspec: 'mutated jobspecs: parse, evaluate, validate, decode',
  config: 'mutated drover.hcl: parse, evaluate, validate',
  planfile: 'mutated planfiles: decode, schema, hash',
  state: 'mutated state files: decode, schema, upgrade',
};

interface Tally {
  tries: number;
  ok: number;
  crash: number;
  hang: number;
  memory: number;
  first?: string;
  times: number[];
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function toRow(kind: keyof typeof WHAT, t: Tally, how: string): ReliabilityRow {
  const times = [...t.times].sort((a, b) => a - b);
  const bad = t.crash + t.hang + t.memory;
  return {
    test: `hostile input: ${WHAT[kind]}`,
    tries: t.tries,
    passed: t.ok,
    lost:
      bad === 0
        ? 'nothing (0 crashes, 0 hangs, 0 over memory)'
        : `${t.crash} crashes, ${t.hang} hangs, ${t.memory} over memory; first: ${t.first ?? ''}`.slice(
            0,
            400,
          ),
    figures: `p50 ${percentile(times, 0.5)} ms, p99 ${percentile(times, 0.99)} ms, max ${times.at(-1) ?? 0} ms; caps ${CAPS.timeMs / 1000} s + ${CAPS.timeMsPerMb / 1000} s/MB, ${CAPS.heapMb} MB heap; ${how}`,
  };
}

export async function fuzzRows(
  ctx: PartContext,
  seeds: Record<keyof typeof WHAT, string[]>,
): Promise<ReliabilityRow[]> {
  const counts = countsFor(ctx);
  const kinds = Object.keys(counts) as Array<keyof typeof WHAT>;
  const tallies = new Map<string, Tally>(
    kinds.map((k) => [k, { tries: 0, ok: 0, crash: 0, hang: 0, memory: 0, times: [] }]),
  );
  // Input n of a kind is made from (kind, n) alone: a reported input can be made again.
  const queue = kinds.map((kind) => ({ kind, next: 0 }));
  let issued = 0;
  const total = kinds.reduce((n, k) => n + counts[k], 0);
  const t0 = Date.now();
  const every = Math.max(500, Math.round(total / 20));
  const pool = await runPool(WORKERS, CAPS, seeds, () => {
    const q = queue.find((x) => x.next < counts[x.kind]);
    if (!q) return undefined;
    const n = q.next++;
    if (++issued % every === 0)
      ctx.log(`fuzz: ${issued}/${total} (${Math.round((issued * 1000) / (Date.now() - t0))}/s)`);
    const tally = tallies.get(q.kind)!;
    return {
      kind: q.kind,
      n,
      done: (v: Verdict) => {
        tally.tries++;
        tally.times.push(v.ms);
        if (v.kind === 'ok') tally.ok++;
        else {
          tally[v.kind]++;
          tally.first ??= `${v.kind}${'detail' in v ? `: ${v.detail}` : ''} (input ${q.kind} #${n}, kept in ${keep(q.kind, fuzzInput(seeds, q.kind, n))})`;
        }
      },
    };
  });
  const seconds = (Date.now() - t0) / 1000;
  const how = `${total} inputs in ${Math.round(seconds)} s on ${WORKERS} workers (${Math.round(total / seconds)}/s; ${pool.workers} started, ${pool.heapRestarts} for heap left high)`;
  return kinds.map((k) => toRow(k, tallies.get(k)!, how));
}

export const part: ReliabilityPart = {
  name: 'fuzz',
  async run(ctx) {
    const edits = await handEditRows(ctx);
    const rows = await fuzzRows(ctx, {
      jobspec: jobspecSeeds(),
      config: configSeeds(),
      planfile: [edits.planfile],
      state: [edits.state],
    });
    return [...rows, ...edits.rows];
  },
};

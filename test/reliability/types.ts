/**
 * The contract of `npm run reliability` (issue 17). Each part is a module in
 * `test/reliability/parts/` that exports `part: ReliabilityPart`. The runner runs every part at
 * `full` scale and prints one table (test, tries, passed, what was lost); `npm test` runs each
 * part at `sample` scale (a short sample, seconds to a minute or two) and fails on any row whose
 * `passed` is below `tries`.
 */
export type Scale = 'sample' | 'full';

export interface ReliabilityRow {
  /** What was tried, e.g. "crash anywhere: kill -9 during apply (local state, SSH nodes)". */
  test: string;
  tries: number;
  passed: number;
  /** What was lost or left behind over all tries ("nothing" when nothing); short, one line. */
  lost: string;
  /** Optional figures worth printing beside the row (e.g. "p50 1.2 s, RSS 84→86 MB"). */
  figures?: string;
}

export interface PartContext {
  scale: Scale;
  /** Progress lines for long runs (stderr); never asserted on. */
  log(line: string): void;
}

export interface ReliabilityPart {
  /** Short name used in the table's first column group and by `npm run reliability -- NAME`. */
  name: string;
  run(ctx: PartContext): Promise<ReliabilityRow[]>;
}

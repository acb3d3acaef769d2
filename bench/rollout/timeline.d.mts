// Types of timeline.mjs, for the tests that import it.
export interface StampedLine {
  ms: number;
  text: string;
}
export interface MeasuredLines {
  wallMs: number;
  maxRssKB: number;
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
  lines: StampedLine[];
}
export function measureLines(
  command: string,
  args?: readonly string[],
  opts?: { cwd?: string; okCodes?: readonly number[] },
): Promise<MeasuredLines>;
export function progressEvents(
  lines: readonly StampedLine[],
): { ms: number; alloc: string; status: string }[];
export interface RolloutPhases {
  batches: number;
  startup: number;
  stop: number;
  start: number;
  gate: number;
  between: number;
  finish: number;
}
export function rolloutPhases(
  lines: readonly StampedLine[],
  exitMs: number,
): RolloutPhases | undefined;

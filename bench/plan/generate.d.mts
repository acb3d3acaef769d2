// Types of generate.mjs, for the tests that import it.
export interface Rand {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}
export function generatePlanJob(index: number, rand: Rand): string;
export function planConfig(dir: string): string;
export function writePlanProject(
  dir: string,
  count: number,
  seed?: number,
): { jobs: string; config: string; bytes: number };

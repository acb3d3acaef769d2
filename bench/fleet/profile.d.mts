// Types of profile.mjs, for the tests that import it.
export const AREAS: readonly [string, (url: string) => boolean][];
export interface AreaTime {
  area: string;
  ms: number;
  firstMs: number;
  lastMs: number;
}
export function cpuByArea(
  file: string,
  root: string,
): { totalMs: number; idleMs: number; gcMs: number; areas: AreaTime[] };

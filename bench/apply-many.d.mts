// Types of apply-many.mjs, for the tests that import it.
export const name: string;
export const description: string;
export const options: readonly string[];
export interface ApplyManyRow {
  tool: string;
  driver: string;
  jobs: number;
  runs: number;
  wallMs: number;
  planMs: number;
  msPerJob: number;
  cpuMsPerJob: number;
  vsSmallest: number;
  peakRssMB: number;
  stateKB: number;
  serial: number;
}
export interface Against {
  from: number;
  ratio: number;
  cpuRatio: number;
}
export interface Flatness extends Against {
  to: number;
  fromNext: Against;
}
export interface ApplyManyResult {
  name: string;
  title: string;
  columns: { key: string; label: string }[];
  rows: ApplyManyRow[];
  notes: string[];
  goals: { text: string; met: boolean }[];
  data: { sizes: number[]; drivers: string[]; flatness: Record<string, Flatness> };
}
export function parseSizes(text: string): number[];
export function parseDrivers(text: string): string[];
export function flatness(
  rows: readonly Pick<ApplyManyRow, 'driver' | 'jobs' | 'msPerJob' | 'cpuMsPerJob'>[],
): Record<string, Flatness>;
export function run(
  opts?: Record<string, string | boolean>,
  log?: (msg: string) => void,
): Promise<ApplyManyResult>;

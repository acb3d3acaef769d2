// Types of fleet.mjs, for the tests that import it.
export const name: string;
export const description: string;
export const options: readonly string[];
export interface FleetRow {
  tool: string;
  parallelism: string;
  containers: number;
  wallMs: number;
  msPerContainer: number;
  createMs: number;
  startMs: number;
  peakRssMB: number;
}
export interface FleetResult {
  name: string;
  title: string;
  columns: { key: string; label: string }[];
  rows: FleetRow[];
  notes: string[];
  goals: { text: string; met: boolean }[];
  data: {
    hosts: number;
    containers: number;
    runs: number;
    jobId: string;
    ratio: number;
    peerParallelism: number;
    droverRunsMs: number[];
    peerRunsMs: Record<string, number[]>;
    phasesMs: Record<string, number> | null;
    placement: Record<string, number> | null;
    state: { serial: number; bytes: number } | null;
  };
}
export function run(
  opts?: Record<string, string | boolean>,
  log?: (msg: string) => void,
): Promise<FleetResult>;
export function parseWidths(list: string, count: number): number[];

import type { ReliabilityRow } from '../types.js';

export interface PartRows {
  part: string;
  rows: ReliabilityRow[];
}
export function textTable(results: readonly PartRows[]): string;
export function markdownTable(results: readonly PartRows[]): string;
export function failures(results: readonly PartRows[]): string[];

/** Adds up tries into one table row: what went wrong, counted once per distinct kind. */
import type { ReliabilityRow } from '../types.js';

export class Tally {
  private tries = 0;
  private passed = 0;
  private readonly lost = new Map<string, number>();

  /** One try; `problems` empty means it passed. Numbers in a problem are folded for counting. */
  add(problems: readonly string[]): void {
    this.tries++;
    if (problems.length === 0) this.passed++;
    for (const p of new Set(problems)) {
      const kind = p.replace(/\b[0-9a-f]{8,}\b/g, '…').replace(/\b\d+\b/g, 'N');
      this.lost.set(kind, (this.lost.get(kind) ?? 0) + 1);
    }
  }

  row(test: string, figures?: string): ReliabilityRow {
    const lost = [...this.lost].map(([what, n]) => (n > 1 ? `${n}× ${what}` : what)).join('; ');
    return {
      test,
      tries: this.tries,
      passed: this.passed,
      lost: lost || 'nothing',
      ...(figures ? { figures } : {}),
    };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

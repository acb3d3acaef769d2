/** Adds up tries into one table row: what went wrong, counted once per distinct kind. */
import type { ReliabilityRow } from '../types.js';

export class Tally {
  private tries = 0;
  private passed = 0;
  /** Kind of problem (numbers and ids folded) → its first wording and how many tries had it. */
  private readonly lost = new Map<string, { first: string; n: number }>();

  /** One try; `problems` empty means it passed. */
  add(problems: readonly string[]): void {
    this.tries++;
    if (problems.length === 0) this.passed++;
    for (const p of new Set(problems)) {
      const kind = p.replace(/\b[0-9a-f]{8,}\b/g, '…').replace(/\b\d+\b/g, 'N');
      const seen = this.lost.get(kind);
      if (seen) seen.n++;
      else this.lost.set(kind, { first: p, n: 1 });
    }
  }

  row(test: string, figures?: string): ReliabilityRow {
    const lost = [...this.lost.values()]
      .map(({ first, n }) => (n > 1 ? `${n}× ${first}` : first))
      .join('; ');
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

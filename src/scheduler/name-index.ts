/**
 * Allocation indexes, as Nomad's alloc.NameIndex picks them: new allocations take the lowest
 * free indexes below the count, scale-downs remove the highest ones, canaries take the indexes
 * of the allocations they will replace.
 */
export class NameIndex {
  private readonly used = new Set<number>();
  /** Extra allocations holding an index already counted. */
  private readonly duplicates = new Map<number, number>();

  constructor(
    private readonly count: number,
    indexes: Iterable<number>,
  ) {
    for (const i of indexes) {
      if (this.used.has(i)) this.duplicates.set(i, (this.duplicates.get(i) ?? 0) + 1);
      else this.used.add(i);
    }
  }

  has(index: number): boolean {
    return this.used.has(index);
  }

  /** Removes and returns the highest `n` indexes in use. */
  highest(n: number): Set<number> {
    const out = new Set<number>();
    const sorted = [...this.used].sort((a, b) => b - a);
    for (const i of sorted) {
      if (out.size >= n) break;
      this.used.delete(i);
      out.add(i);
    }
    return out;
  }

  /** Frees an index (a duplicate first). */
  unset(index: number): void {
    const dups = this.duplicates.get(index);
    if (dups !== undefined) {
      if (dups <= 1) this.duplicates.delete(index);
      else this.duplicates.set(index, dups - 1);
    } else this.used.delete(index);
  }

  /** The next `n` indexes for new allocations: free ones below the count, then from 0 again. */
  next(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count && out.length < n; i++) {
      if (!this.used.has(i)) {
        this.used.add(i);
        out.push(i);
      }
    }
    for (let i = 0; out.length < n; i++) {
      this.used.add(i);
      out.push(i);
    }
    return out;
  }

  /**
   * The next `n` canary indexes: those of allocations being destructively updated, then free
   * ones below the count, then above the count (so extra canaries do not overlap).
   */
  nextCanaries(n: number, canaries: ReadonlySet<number>, destructive: Iterable<number>): number[] {
    const out: number[] = [];
    const taken = (i: number): boolean => canaries.has(i) || out.includes(i);
    for (const i of [...new Set(destructive)].sort((a, b) => a - b)) {
      if (out.length >= n) return out;
      if (i < this.count && !taken(i)) {
        out.push(i);
        this.used.add(i);
      }
    }
    for (let i = 0; i < this.count && out.length < n; i++) {
      if (!this.used.has(i) && !taken(i)) {
        out.push(i);
        this.used.add(i);
      }
    }
    for (let i = this.count; out.length < n; i++) out.push(i);
    return out;
  }
}

/**
 * The node stream of one evaluation: the job's candidate nodes in a seeded random order
 * (Nomad shuffles once per evaluation), each placement continuing where the previous one
 * stopped and wrapping around, so consecutive placements look at different nodes.
 */
import type { Candidates } from './cluster.js';
import type { Rng } from './rng.js';

/** The job's shuffled candidates, visited round-robin across placements. */
export class NodeSource {
  readonly perm: Int32Array;
  readonly member: Uint8Array;
  private produced = 0;
  private offset = 0;
  private visited = 0;
  constructor(
    readonly candidates: Candidates,
    total: number,
    private readonly rng: Rng,
  ) {
    this.perm = candidates.nodes.slice();
    this.member = new Uint8Array(total);
    for (const i of this.perm) this.member[i] = 1;
  }
  get size(): number {
    return this.perm.length;
  }
  begin(): void {
    this.visited = 0;
  }
  /** The next node, or −1 once every candidate was visited in this placement. */
  next(): number {
    const n = this.perm.length;
    if (this.visited >= n) return -1;
    const p = this.offset;
    if (p >= this.produced) {
      // Fisher–Yates, one step at a time: only visited positions are ever shuffled.
      const j = p + this.rng.int(n - p);
      const t = this.perm[j]!;
      this.perm[j] = this.perm[p]!;
      this.perm[p] = t;
      this.produced = p + 1;
    }
    this.offset = p + 1 === n ? 0 : p + 1;
    this.visited++;
    return this.perm[p]!;
  }
}

/**
 * Ids and the scheduler's seed, derived from what a plan is computed from, so that planning the
 * same inputs against the same state twice gives the same plan: `drover plan` shows the
 * allocation ids and ports that the `drover apply` right after it (same files, same state) uses.
 * A state write changes the serial, so ids are never reused across applies.
 */
import { canonicalJson, sha256Hex } from './hash.js';

/** The seed text for a plan: the state it starts from and every input that shapes it. */
export function planSeed(state: { lineage: string; serial: number }, inputs: unknown): string {
  // A state never written reads with a new lineage each time: only its serial (0) is stable.
  const lineage = state.serial === 0 ? '' : state.lineage;
  return sha256Hex(`${lineage}\n${state.serial}\n${canonicalJson(inputs)}`);
}

/** The scheduler's seed (a 31-bit integer) from a plan seed. */
export function schedulerSeed(seed: string): number {
  return parseInt(seed.slice(0, 8), 16) & 0x7fffffff;
}

/**
 * A source of ids shaped like random (v4) UUIDs, the n-th id being a hash of the seed and n.
 * Distinct seeds give unrelated ids; the same seed gives the same sequence.
 */
export function seededIds(seed: string): () => string {
  let n = 0;
  return () => {
    const h = sha256Hex(`${seed}:${n++}`);
    const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

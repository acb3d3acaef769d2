/**
 * Ids and the scheduler's seed, derived from what a plan is computed from, so that planning the
 * same inputs against the same state twice gives the same plan: `drover plan` shows the
 * allocation ids and ports that the `drover apply` right after it (same files, same state) uses.
 * A state write changes the serial and every state has its own lineage, so ids are never reused.
 */
import { canonicalJson, sha256Hex } from './hash.js';

/**
 * The seed text for a plan: the state it starts from (its lineage, unique to each state, and its
 * serial) and every input that shapes it. The lineage keeps two states' allocations apart on a
 * shared host (their ids name containers and directories, their ports are taken). A state never
 * written reads with a new lineage each time, so only from its first write on do a plan and the
 * apply after it agree.
 */
export function planSeed(state: { lineage: string; serial: number }, inputs: unknown): string {
  return sha256Hex(`${state.lineage}\n${state.serial}\n${canonicalJson(inputs)}`);
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

/**
 * A seeded random number generator (mulberry32), so that a run's random points can be replayed:
 * every part prints its seed, and RELIABILITY_SEED=N replays a run.
 */
export interface Rng {
  seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
}

export function seededRng(seed = defaultSeed()): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, below: (n) => Math.floor(next() * n) };
}

function defaultSeed(): number {
  const fromEnv = Number(process.env.RELIABILITY_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

/**
 * `count` points in [0, span), one drawn at random inside each of `count` equal slices, so
 * that they spread over the whole span rather than bunching by chance.
 */
export function spreadPoints(rng: Rng, count: number, span: number): number[] {
  const slice = span / count;
  return Array.from({ length: count }, (_, i) => Math.floor(slice * (i + rng.next())));
}

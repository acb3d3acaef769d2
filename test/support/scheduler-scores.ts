/**
 * Nomad's score functions (nomad/structs/funcs.go, scheduler/feasible/rank.go and spread.go),
 * each a small pure function so tests can hold them to the formulas. The placement loop
 * (src/scheduler/place.ts) inlines them in its data-oriented form; these are the reference the
 * tests compare it with, so they live with the tests.
 */
import { MAX_FIT_SCORE } from '../../src/scheduler/place.js';

export { MAX_FIT_SCORE };

/**
 * computeFreePercentage: the share of a node left free once `util` (its proposed allocations
 * plus the one being placed) is taken from `capacity` (resources minus reserved).
 */
export function freeFraction(util: number, capacity: number): number {
  return capacity > 0 ? 1 - util / capacity : 0;
}

/** 10^x, computed as e^(x·ln 10) like the placement loop (Math.pow is three times slower). */
export const pow10 = (x: number): number => Math.exp(x * Math.LN10);

/** ScoreFitBinPack, "BestFit v3": 18 for a perfect fit, 0 on an empty node. */
export function scoreFitBinPack(freeCpu: number, freeMem: number): number {
  const total = pow10(freeCpu) + pow10(freeMem);
  return Math.min(Math.max(20 - total, 0), MAX_FIT_SCORE);
}

/** ScoreFitSpread, "Worst Fit": 18 on an empty node, 0 on a full one. */
export function scoreFitSpread(freeCpu: number, freeMem: number): number {
  const total = pow10(freeCpu) + pow10(freeMem);
  return Math.min(Math.max(total - 2, 0), MAX_FIT_SCORE);
}

/** The bin-pack component of a node's scores: fitness / 18. */
export function binPackScore(
  algorithm: 'binpack' | 'spread',
  utilCpu: number,
  capCpu: number,
  utilMem: number,
  capMem: number,
): number {
  const fc = freeFraction(utilCpu, capCpu);
  const fm = freeFraction(utilMem, capMem);
  return (
    (algorithm === 'spread' ? scoreFitSpread(fc, fm) : scoreFitBinPack(fc, fm)) / MAX_FIT_SCORE
  );
}

/**
 * Job anti-affinity: −(collisions + 1) / desiredCount when the node already runs allocations of
 * the same job and group; undefined (no score) otherwise.
 */
export function jobAntiAffinityScore(collisions: number, desiredCount: number): number | undefined {
  return collisions > 0 ? -(collisions + 1) / Math.max(desiredCount, 1) : undefined;
}

/** The node rescheduling penalty: −1 on the node a failed allocation ran on. */
export const RESCHEDULE_PENALTY = -1;

/** Node affinity: the weights of the matching affinities over the sum of all |weights|. */
export function affinityScore(weights: readonly number[], matches: readonly boolean[]): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    total += Math.abs(w);
    if (matches[i]) sum += w;
  }
  return total === 0 ? 0 : sum / total;
}

/**
 * Spread with targets, one attribute: ((desired − used) / desired) · (weight / Σweights), where
 * `used` counts the allocation being placed.
 */
export function spreadTargetBoost(
  desired: number,
  usedWithThis: number,
  weight: number,
  sumWeights: number,
): number {
  return ((desired - usedWithThis) / desired) * (weight / sumWeights);
}

/**
 * Even spread (no targets), spread.go evenSpreadScoreBoost: `current` is the node's value's
 * count, `min`/`max` over the values in use (undefined when nothing is placed yet).
 * −1 when the node lacks the attribute.
 */
export function evenSpreadBoost(
  hasValue: boolean,
  current: number,
  min: number | undefined,
  max: number | undefined,
): number {
  if (min === undefined || max === undefined) return 0;
  if (!hasValue) return -1;
  if (current !== min) return min === 0 ? -1 : (min - current) / min;
  if (min === max) return -1;
  if (min === 0) return 1;
  return (max - min) / min;
}

/** ScoreNormalizationIterator: the final score is the mean of the components. */
export function normalizeScores(scores: readonly number[]): number {
  if (scores.length === 0) return 0;
  let sum = 0;
  for (const s of scores) sum += s;
  return sum / scores.length;
}

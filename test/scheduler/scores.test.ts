import { describe, expect, it } from 'vitest';
import {
  MAX_FIT_SCORE,
  affinityScore,
  binPackScore,
  evenSpreadBoost,
  freeFraction,
  jobAntiAffinityScore,
  normalizeScores,
  scoreFitBinPack,
  scoreFitSpread,
  spreadTargetBoost,
} from '../support/scheduler-scores.js';

// The formulas of nomad/structs/funcs.go, written out independently of the implementation.
const bestFit = (fc: number, fm: number): number =>
  Math.min(Math.max(20 - (10 ** fc + 10 ** fm), 0), 18);
const worstFit = (fc: number, fm: number): number =>
  Math.min(Math.max(10 ** fc + 10 ** fm - 2, 0), 18);

describe('fit scores', () => {
  it.each([
    [1, 1, 0, 18],
    [0, 0, 18, 0],
    [0.5, 0.5, 20 - 2 * Math.sqrt(10), 2 * Math.sqrt(10) - 2],
    [0.25, 0.75, bestFit(0.25, 0.75), worstFit(0.25, 0.75)],
    [0.9, 0.1, bestFit(0.9, 0.1), worstFit(0.9, 0.1)],
  ])('free cpu %d, free memory %d', (fc, fm, binpack, spread) => {
    expect(scoreFitBinPack(fc, fm)).toBeCloseTo(binpack, 12);
    expect(scoreFitSpread(fc, fm)).toBeCloseTo(spread, 12);
  });

  it('clamps to [0, 18]', () => {
    expect(scoreFitBinPack(-0.5, -0.5)).toBe(MAX_FIT_SCORE);
    expect(scoreFitSpread(1.5, 1.5)).toBe(MAX_FIT_SCORE);
    expect(scoreFitBinPack(1.5, 1.5)).toBe(0);
  });

  it('computes free fractions from utilisation and capacity (reserved already taken off)', () => {
    expect(freeFraction(1000, 4000)).toBe(0.75);
    expect(freeFraction(4000, 4000)).toBe(0);
    expect(freeFraction(10, 0)).toBe(0);
  });

  it('normalises the bin-pack component by 18', () => {
    // 2000 of 4000 MHz and 3072 of 4096 MB used once the allocation is placed.
    const fc = 1 - 2000 / 4000;
    const fm = 1 - 3072 / 4096;
    expect(binPackScore('binpack', 2000, 4000, 3072, 4096)).toBeCloseTo(bestFit(fc, fm) / 18, 12);
    expect(binPackScore('spread', 2000, 4000, 3072, 4096)).toBeCloseTo(worstFit(fc, fm) / 18, 12);
  });
});

describe('job anti-affinity', () => {
  it.each([
    [0, 3, undefined],
    [1, 3, -2 / 3],
    [2, 10, -3 / 10],
    [1, 0, -2],
  ])('%i collisions, count %i → %s', (collisions, count, want) => {
    const got = jobAntiAffinityScore(collisions, count);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 12);
  });
});

describe('node affinity', () => {
  it.each([
    [[50], [true], 1],
    [[50], [false], 0],
    [[-50], [true], -1],
    [[50, 100], [true, false], 50 / 150],
    [[50, -100], [true, true], -50 / 150],
    [[30, -10, 60], [false, true, true], 50 / 100],
    [[], [], 0],
  ])('weights %j matching %j → %d', (weights, matches, want) => {
    expect(affinityScore(weights, matches)).toBeCloseTo(want, 12);
  });
});

describe('spread', () => {
  it.each([
    // desired, used (with this one), weight, Σweights
    [5, 1, 50, 50, 0.8],
    [5, 5, 50, 50, 0],
    [2, 4, 50, 50, -1],
    [10, 3, 50, 100, 0.35],
  ])('target: desired %d, used %d, weight %d/%d → %d', (desired, used, w, sum, want) => {
    expect(spreadTargetBoost(desired, used, w, sum)).toBeCloseTo(want, 12);
  });

  it.each([
    // hasValue, current, min, max → boost
    [true, 0, undefined, undefined, 0], // nothing placed yet
    [false, 0, 1, 2, -1], // the node lacks the attribute
    [true, 0, 2, 3, 1], // an unused value: (min − 0) / min
    [true, 3, 2, 3, -0.5], // above the minimum: (min − cur) / min
    [true, 2, 2, 2, -1], // even already
    [true, 2, 2, 5, 1.5], // at the minimum: (max − min) / min
  ])('even: has %s, current %d, min %s, max %s → %d', (has, cur, min, max, want) => {
    expect(evenSpreadBoost(has, cur, min, max)).toBeCloseTo(want, 12);
  });
});

describe('normalisation', () => {
  it('is the mean of the components', () => {
    expect(normalizeScores([0.5])).toBe(0.5);
    expect(normalizeScores([0.6, -0.2, 1])).toBeCloseTo(1.4 / 3, 12);
    expect(normalizeScores([])).toBe(0);
  });
});

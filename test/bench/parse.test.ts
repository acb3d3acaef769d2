import { describe, expect, it } from 'vitest';
import { generateJobspecs } from '../../bench/parse/generate.mjs';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';

const OPTS = { inputs: { vars: [], varFiles: [], env: {} }, drivers: driverConfigCheck };

/** The value below which `share` of the sorted numbers lie. */
const quantile = (xs: number[], share: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(share * (xs.length - 1))]!;

describe('the parse benchmark files', () => {
  for (const shape of ['real', 'large'] as const) {
    it(`${shape}: every file is a job drover validates without errors, the same per seed`, () => {
      const files = generateJobspecs(200, 3, shape);
      expect(generateJobspecs(200, 3, shape)).toEqual(files);
      expect(generateJobspecs(200, 4, shape)).not.toEqual(files);
      const ids = new Set<string>();
      for (const [name, source] of files) {
        const diags = new Diagnostics();
        const job = loadJobSource(source, name, OPTS, diags);
        expect(
          diags.items.filter((d) => d.severity === 'error'),
          name,
        ).toEqual([]);
        ids.add(job!.id);
      }
      expect(ids.size).toBe(files.length);
    });
  }

  it('real: sized like real job files (most 15–80 lines, median under 1 KB, a few of 2–9 KB)', () => {
    const sources = generateJobspecs(1000, 1, 'real').map(([, source]) => source);
    const lines = sources.map((s) => s.split('\n').length);
    const bytes = sources.map((s) => s.length);
    expect(lines.filter((n) => n >= 15 && n <= 80).length).toBeGreaterThan(800);
    expect(quantile(bytes, 0.5)).toBeGreaterThan(500);
    expect(quantile(bytes, 0.5)).toBeLessThan(1000);
    expect(quantile(bytes, 0.97)).toBeGreaterThan(2000);
    expect(Math.max(...bytes)).toBeLessThan(10_000);
  });

  it('large: the older, bigger files (2–6 KB)', () => {
    const bytes = generateJobspecs(100, 1, 'large').map(([, source]) => source.length);
    expect(Math.min(...bytes)).toBeGreaterThan(1900);
    expect(quantile(bytes, 0.5)).toBeGreaterThan(2500);
  });

  it('refuses an unknown shape', () => {
    expect(() => generateJobspecs(1, 1, 'huge' as 'real')).toThrow(/unknown shape huge/);
  });
});

/**
 * relb's reliability parts at sample scale, until the suite's runner (sample.test.ts) runs
 * every part: each row must have passed every try.
 */
import { describe, expect, it } from 'vitest';
import type { ReliabilityPart } from './types.js';

const PARTS = (process.env.RELB_PARTS ?? 'fuzz,injection,secrets,access').split(',');

describe.each(PARTS)('reliability part %s (sample)', (name) => {
  it('passes every try', { timeout: 600_000 }, async () => {
    const { part } = (await import(`./parts/${name}.ts`)) as { part: ReliabilityPart };
    const rows = await part.run({ scale: 'sample', log: (l) => process.stderr.write(`${l}\n`) });
    process.stderr.write(`${JSON.stringify(rows, null, 1)}\n`);
    for (const row of rows) expect(row.passed, `${row.test}: ${row.lost}`).toBe(row.tries);
    expect(rows.length).toBeGreaterThan(0);
  });
});

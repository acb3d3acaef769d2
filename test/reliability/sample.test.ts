/**
 * The reliability suite's short sample inside `npm test`: every part at `sample` scale, one test
 * each, failing on any row that lost a try (`npm run reliability` runs the full scale). On a
 * busy 2-core machine crash and faults take 2–4 minutes each (real hosts, a dockerd and a
 * PostgreSQL of their own), load about 30 s.
 */
import { describe, expect, it } from 'vitest';
import { loadParts, runPart } from './support/parts.js';
import { failures, textTable } from './support/table.mjs';

const parts = await loadParts();

describe('reliability sample', () => {
  for (const part of parts) {
    it(part.name, { timeout: 600_000 }, async () => {
      const log = (line: string) => process.stderr.write(`[${part.name}] ${line}\n`);
      const results = [{ part: part.name, rows: await runPart(part, { scale: 'sample', log }) }];
      process.stderr.write(`${textTable(results)}\n`);
      expect(results[0]!.rows.length, 'the part returned rows').toBeGreaterThan(0);
      expect(failures(results)).toEqual([]);
    });
  }
});

/**
 * The reliability suite itself (issue 17), run by `npm run reliability` (run.mjs sets the
 * environment): every selected part, one after the other, at RELIABILITY_SCALE (default full),
 * then the table into reliability-results.md and the rows into reliability-results.json, which
 * run.mjs prints. A part's progress goes to stderr.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { loadParts, runPart } from './support/parts.js';
import { markdownTable, type PartRows } from './support/table.mjs';
import type { Scale } from './types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_MD = `${ROOT}reliability-results.md`;
export const RESULTS_JSON = `${ROOT}reliability-results.json`;

it('runs the reliability parts and writes the table', async () => {
  const names = (process.env.RELIABILITY_PARTS ?? '').split(',').filter(Boolean);
  const scale: Scale = process.env.RELIABILITY_SCALE === 'sample' ? 'sample' : 'full';
  const results: PartRows[] = [];
  const started = new Date().toISOString();
  for (const part of await loadParts(names)) {
    const log = (line: string) => process.stderr.write(`[${part.name}] ${line}\n`);
    log(`start (${scale})`);
    const t0 = Date.now();
    results.push({ part: part.name, rows: await runPart(part, { scale, log }) });
    log(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
    // After every part, so that a run cut short still leaves what it measured.
    writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(
      RESULTS_MD,
      `# drover reliability (${scale}), started ${started}\n\n${markdownTable(results)}\n`,
    );
  }
});

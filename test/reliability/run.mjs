#!/usr/bin/env node
// `npm run reliability [-- [--json] [--sample] [NAME…]]`: runs the reliability parts (all, or
// the named ones) through vitest with test/reliability/vitest.config.ts, then prints the one
// table (or, with --json, the rows as JSON). Exits 1 when a row lost a try or the run failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { failures, textTable } from './support/table.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const sample = args.includes('--sample');
const names = args.filter((a) => !a.startsWith('--'));
const resultsJson = `${root}reliability-results.json`;

rmSync(resultsJson, { force: true });
const vitest = spawnSync(
  process.execPath,
  [
    `${root}node_modules/vitest/vitest.mjs`,
    'run',
    '--config',
    'test/reliability/vitest.config.ts',
    '--reporter=dot',
  ],
  {
    cwd: root,
    // The table goes to stdout alone: vitest's own report goes to stderr.
    stdio: ['ignore', 2, 'inherit'],
    env: {
      ...process.env,
      RELIABILITY_PARTS: names.join(','),
      RELIABILITY_SCALE: sample ? 'sample' : 'full',
    },
  },
);
if (!existsSync(resultsJson)) {
  process.stderr.write('the reliability run wrote no results (see the vitest output above)\n');
  process.exit(1);
}
const results = JSON.parse(readFileSync(resultsJson, 'utf8'));
if (json) {
  process.stdout.write(
    `${JSON.stringify(
      results.flatMap(({ part, rows }) => rows.map((r) => ({ part, ...r }))),
      null,
      2,
    )}\n`,
  );
} else {
  process.stdout.write(`${textTable(results)}\n\n(also in reliability-results.md)\n`);
}
const lost = failures(results);
for (const line of lost) process.stderr.write(`lost: ${line}\n`);
process.exit(vitest.status !== 0 || lost.length > 0 ? 1 : 0);

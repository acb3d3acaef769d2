#!/usr/bin/env node
// Runs drover's benchmarks side by side with their peers and prints one table per benchmark.
//
//   npm run bench                       every benchmark, plain-text tables
//   npm run bench -- --json             the same results as JSON on stdout
//   npm run bench -- --only=parse       only the named benchmark(s), comma-separated
//   npm run bench -- --check            exit 1 when a benchmark misses its goal
//   npm run bench -- --settle=SECONDS   before each benchmark, wait up to this long (60) for
//                                       the machine to go quiet (0: do not wait)
// Any other --key=value option is passed to every benchmark (e.g. --files=200, --runs=1,
// --stage=validate); each takes the ones it knows. Progress goes to stderr.
//
// To add a benchmark: write bench/<name>.mjs exporting `name`, `description`, `options` (the
// option names it reads) and `async run(options, log)` returning the result shape described in
// bench/lib/table.mjs, and add it to BENCHMARKS below.
import { settle } from './lib/settle.mjs';
import { formatResult, resultJson } from './lib/table.mjs';

const BENCHMARKS = [
  './parse.mjs',
  './scheduler.mjs',
  './plan.mjs',
  './ssh.mjs',
  './rollout.mjs',
  './fleet.mjs',
  './apply-many.mjs',
  './state.mjs',
  './server-api.mjs',
  './server-failover.mjs',
  './server-reaction.mjs',
  './ui-bundle.mjs',
];

const options = {};
for (const arg of process.argv.slice(2)) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
  if (!m) {
    console.error(`unexpected argument ${arg} (options look like --key=value)`);
    process.exit(2);
  }
  options[m[1]] = m[2] ?? true;
}
const only = typeof options.only === 'string' ? options.only.split(',') : undefined;
const log = (msg) => console.error(`  ${msg}`);

const benches = await Promise.all(BENCHMARKS.map((path) => import(path)));
const known = new Set([
  'json',
  'only',
  'check',
  'settle',
  ...benches.flatMap((b) => b.options ?? []),
]);
const unknown = Object.keys(options).filter((k) => !known.has(k));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.map((k) => `--${k}`).join(', ')}`);
  console.error(`known: ${[...known].map((k) => `--${k}`).join(', ')}`);
  process.exit(2);
}

const settleMs = Number(options.settle ?? 60) * 1000;
if (!(settleMs >= 0)) {
  console.error('--settle takes a number of seconds');
  process.exit(2);
}

const results = [];
let missed = false;
for (const bench of benches) {
  if (only && !only.includes(bench.name)) continue;
  console.error(`${bench.name}: ${bench.description}`);
  if (settleMs > 0) {
    const quiet = await settle(settleMs, log);
    if (quiet.waitedMs > 5_000)
      log(`waited ${Math.round(quiet.waitedMs / 1000)} s for the machine to go quiet`);
  }
  let result;
  try {
    result = await bench.run(options, log);
  } catch (e) {
    console.error(`${bench.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
    continue;
  }
  results.push(result);
  if (result.goals?.some((g) => !g.met)) missed = true;
  if (!options.json) console.log(`\n${formatResult(result)}\n`);
}
if (options.json) console.log(JSON.stringify({ benchmarks: results.map(resultJson) }, null, 2));
if (options.check && missed) process.exitCode = 1;

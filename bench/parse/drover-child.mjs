// One whole drover process for the parse benchmark: reads every *.hcl file in a directory and
// parses (or, with `validate`, parses and validates) them all, then reports counts and its own
// peak memory as one JSON line.
//
//   node bench/parse/drover-child.mjs DIR [parse|validate]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfReport } from '../lib/measure.mjs';

const [dir, stage = 'parse'] = process.argv.slice(2);
const dist = new URL('../../dist/src/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.hcl'))
  .sort()
  .map((f) => join(dir, f));

let errors = 0;
if (stage === 'parse') {
  const { parseHCL } = await import(new URL('hcl/parser.js', dist).href);
  for (const file of files) {
    const { diagnostics } = parseHCL(readFileSync(file, 'utf8'), file);
    errors += countErrors(diagnostics);
  }
} else if (stage === 'validate') {
  // TODO(lead): hook for the validate pipeline. Point VALIDATE_MODULE at the built module that
  // exports `validateJobFiles(paths)` (parse + decode + schema + rules for many files in one go)
  // and make sure countErrors understands what it returns. Nothing else needs to change:
  // `npm run bench -- --stage=validate` then measures parse + validate.
  const VALIDATE_MODULE = 'jobspec/load.js';
  const mod = await import(new URL(VALIDATE_MODULE, dist).href);
  if (typeof mod.validateJobFiles !== 'function') {
    console.error(`dist/src/${VALIDATE_MODULE} has no validateJobFiles export yet (see the TODO)`);
    process.exit(2);
  }
  errors = countErrors(await mod.validateJobFiles(files));
} else {
  console.error(`unknown stage ${stage}: use parse or validate`);
  process.exit(2);
}

console.log(selfReport({ files: files.length, errors }));

/** Error count from a diagnostics array, a Diagnostics collector, or `{ diagnostics }`. */
function countErrors(result) {
  const list = Array.isArray(result) ? result : (result?.items ?? result?.diagnostics ?? []);
  const items = Array.isArray(list) ? list : (list.items ?? []);
  return items.filter((d) => d.severity === 'error').length;
}

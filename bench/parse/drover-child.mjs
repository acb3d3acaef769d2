// One whole drover process for the parse benchmark: reads every *.hcl file in a directory and
// parses (or, with `validate`, parses and validates) them all, then reports counts and its own
// peak memory as one JSON line.
//
//   node bench/parse/drover-child.mjs DIR [parse|validate]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfReport } from '../lib/measure.mjs';

const [dir, stage = 'validate'] = process.argv.slice(2);
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
  // The whole front of drover's pipeline, as `drover validate` runs it: parse, variables,
  // decode, schema, defaults and semantic rules.
  const { forEachJobFile } = await import(new URL('jobspec/load.js', dist).href);
  const { jobLoadOptions } = await import(new URL('cli/common.js', dist).href);
  const diagnostics = forEachJobFile(files, jobLoadOptions({}), () => {});
  errors = countErrors(diagnostics.items);
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

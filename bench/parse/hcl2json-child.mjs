// One whole hcl2json process for the parse benchmark: parses every *.hcl file in a directory
// with @cdktf/hcl2json (HashiCorp's parser in WASM), then reports counts and peak memory.
//
//   node bench/parse/hcl2json-child.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { selfReport } from '../lib/measure.mjs';

const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json');
const [dir] = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.hcl'))
  .sort();

let errors = 0;
for (const name of names) {
  try {
    await parse(name, readFileSync(join(dir, name), 'utf8'));
  } catch {
    errors++;
  }
}

console.log(selfReport({ files: names.length, errors }));
// The Go runtime inside the WASM module never returns on its own.
process.exit(0);

#!/usr/bin/env node
// drover's launcher: runs the compiled CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { entryFor } from './entry.js';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'drover: not built yet; run `npm install` (or `npm run build`) in the drover folder first.\n',
  );
  process.exit(1);
}
// Output piped into `head` and the like: stop quietly when the reader goes away.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
// Node 22.1+ keeps the compiled code of drover's modules between runs (os.tmpdir(), unless
// NODE_COMPILE_CACHE says elsewhere or NODE_DISABLE_COMPILE_CACHE=1): start-up ~100 ms faster.
// Node 20 has no such cache and skips this.
module.enableCompileCache?.();
const { main } = await import(entryFor(process.argv.slice(2), entry).href);
process.exitCode = await main(process.argv.slice(2));

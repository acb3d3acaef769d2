#!/usr/bin/env node
// drover's launcher: runs the compiled CLI (npm run build makes dist/).
import { existsSync, statSync } from 'node:fs';
import module from 'node:module';

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
const { main } = await import(entryFor(process.argv.slice(2)).href);
process.exitCode = await main(process.argv.slice(2));

/**
 * `drover validate` runs from one file bundling the modules it needs (scripts/bundle-validate.mjs,
 * part of npm run build): ~45 ms less start-up than loading them one by one. A bundle older than
 * the compiled entry (tsc run alone since) is stale and not used.
 */
function entryFor(argv) {
  if (argv.find((arg) => !arg.startsWith('-')) !== 'validate') return entry;
  const bundle = new URL('validate-bundle.js', entry);
  try {
    return statSync(bundle).mtimeMs >= statSync(entry).mtimeMs ? bundle : entry;
  } catch {
    return entry; // not bundled
  }
}

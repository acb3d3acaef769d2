// Bundles the modules `drover validate` runs (the CLI's entry, the validate command, the parser,
// the jobspec layer, the drivers' config checks: ~85 files) into one file next to the compiled
// entry, dist/src/cli/validate-bundle.js, which bin/drover.js loads for `drover validate`.
// Node loads one 1.3 MB module in about half the time it takes to resolve, read and link the
// same code as ~85 modules (about 45 ms less CPU and 5 MB less memory per run on Node 20, which
// has no compile cache). Runs after tsc, on its output (npm run build).
//
// npm packages and node builtins stay imports, and so do the modules of every other command (the
// entry imports them only for command lines other than validate): a relative import kept in the
// bundle resolves as it did from the entry, since the bundle sits in the entry's folder.
//
// Beside it, validate-bundle.json lists the compiled files it holds (relative to dist/src/cli/):
// the launcher uses the bundle only while none of them is newer (`tsc --watch` rewrites only the
// files that changed).
import { statSync, writeFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const cli = fileURLToPath(new URL('../dist/src/cli/', import.meta.url));
/** The entry's dynamic imports that are not validate's. */
const OTHER_COMMANDS = new Set(['./commands/index.js', './commands/fmt.js']);

const { output } = await build({
  input: `${cli}main.js`,
  platform: 'node',
  logLevel: 'warn',
  external: (id) => (!id.startsWith('.') && !id.startsWith('/') ? true : OTHER_COMMANDS.has(id)),
  output: { file: `${cli}validate-bundle.js`, format: 'esm', codeSplitting: false },
});
// Rolldown's own helpers have ids starting with a NUL byte: they are no file.
const bundled = output[0].moduleIds
  .filter((id) => !id.startsWith('\0'))
  .map((id) => relative(cli, id).split(sep).join('/'));
writeFileSync(`${cli}validate-bundle.json`, `${JSON.stringify(bundled)}\n`);
const { size } = statSync(`${cli}validate-bundle.js`);
console.log(
  `dist/src/cli/validate-bundle.js: ${bundled.length} modules, ${(size / 1024).toFixed(0)} KB`,
);

// Which compiled file the launcher (bin/drover.js) runs for a command line.
import { readFileSync, statSync } from 'node:fs';

/**
 * `drover validate` runs from one file bundling the modules it needs (scripts/bundle-validate.mjs,
 * part of npm run build): ~45 ms less start-up than loading them one by one. A bundle older than
 * any compiled file it holds (listed beside it in validate-bundle.json: `tsc` run alone since, or
 * `tsc --watch`, which rewrites only what changed) is stale and not used. Every other command line
 * runs `main`, the compiled entry (a file: URL).
 */
export function entryFor(argv, main) {
  if (argv.find((arg) => !arg.startsWith('-')) !== 'validate') return main;
  const bundle = new URL('validate-bundle.js', main);
  try {
    const built = statSync(bundle).mtimeMs;
    const held = JSON.parse(readFileSync(new URL('validate-bundle.json', main), 'utf8'));
    return held.every((file) => statSync(new URL(file, main)).mtimeMs <= built) ? bundle : main;
  } catch {
    return main; // not bundled, or a file it holds is gone
  }
}

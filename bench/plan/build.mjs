// The plan benchmark runs drover's real CLI (`bin/drover.js`, which loads dist/), so dist/ must be
// built from the current sources: all of src/ and providers/, not one folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of the .ts files under `dir` (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/src/cli/main.js is missing or older than any source. */
export function ensureCliBuilt(root, log) {
  const built = join(root, 'dist/src/cli/main.js');
  if (!existsSync(join(root, 'src/cli/main.ts'))) {
    throw new Error('src/cli/main.ts does not exist yet: nothing to benchmark');
  }
  const newest = Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'providers')));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('dist/ is missing or stale: running npm run build');
  try {
    // Compiler output goes to stderr so that `--json` keeps stdout clean.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    // tsc still writes its output when other parts of the tree have type errors.
    if (!existsSync(built)) throw new Error('npm run build did not produce dist/src/cli/main.js');
  }
}

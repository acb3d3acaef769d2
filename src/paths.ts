import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (the folder holding package.json and schemas/). Code runs both from `src/`
 * (tests) and from `dist/src/` (the built CLI), so walk up instead of hard-coding a depth.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('drover: cannot find its package root (schemas/ missing)');
    dir = parent;
  }
}

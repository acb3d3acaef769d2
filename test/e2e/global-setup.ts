/**
 * The end-to-end tests run the built CLI: build it once before they start, with the bundle that
 * `drover validate` runs from (as npm run build makes them).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(
    process.execPath,
    [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  execFileSync(process.execPath, [`${root}/scripts/bundle-validate.mjs`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

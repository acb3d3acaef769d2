/**
 * `npm run reliability` (through run.mjs): the one file that runs the parts at full scale and
 * writes the table. Long: no test timeout. The normal `npm test` runs sample.test.ts instead.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/suite.reliability.ts'],
    testTimeout: 0,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: ['test/e2e/global-setup.ts'],
  },
});

/**
 * Screenshots of the main pages in light and dark (and the jobs list at a phone's width) into
 * docs/screenshots/ (with `npm run screenshots`), taken from a real server with real jobs. It
 * checks that the themes differ: the dark pages really are dark.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  applyJob,
  BROKEN_JOB,
  buildUi,
  fixture,
  launchBrowser,
  PARAMS_JOB,
  ROOT,
  signedIn,
  startServerProcess,
  stopJobs,
  uiOrigin,
  webJob,
  type Fixture,
  type ServerProcess,
} from './support.js';

/**
 * `npm run screenshots` writes them into docs/screenshots (DROVER_SCREENSHOTS_DIR); in the test
 * suite they go to a temporary directory, so a test run leaves the repository as it was.
 */
const OUT = process.env.DROVER_SCREENSHOTS_DIR
  ? resolve(ROOT, process.env.DROVER_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), 'drover-ui-screenshots-'));

let f: Fixture;
let server: ServerProcess;
let ui: { url: string; close(): Promise<void> };
let browser: Browser;
let brokenAlloc = '';

beforeAll(async () => {
  buildUi();
  mkdirSync(OUT, { recursive: true });
  f = fixture();
  await applyJob(f, 'web', webJob('v1', 3));
  await applyJob(f, 'web', webJob('v2', 3), [0]);
  await applyJob(f, 'broken', BROKEN_JOB, [4]);
  await applyJob(f, 'report', PARAMS_JOB);
  server = await startServerProcess(f.dir);
  ui = await uiOrigin(server);
  browser = await launchBrowser();
  const allocs = (await (await fetch(`${server.url}/v1/job/broken/allocations`)).json()) as {
    ID: string;
  }[];
  brokenAlloc = allocs[0]!.ID;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
  if (f) {
    await stopJobs(f, ['web', 'broken']);
    f.cleanup();
  }
  if (!process.env.DROVER_SCREENSHOTS_DIR) rmSync(OUT, { recursive: true, force: true });
}, 120_000);

/** Each page: its path and what shows that its data is there. */
const PAGES: [string, string, (p: Page) => Promise<unknown>][] = [
  ['jobs', '/jobs', (p) => p.locator('tr[data-job="web"] .allocbar').waitFor()],
  ['job', '/jobs/web', (p) => p.locator('#deployment .step').first().waitFor()],
  ['versions', '/jobs/web?tab=versions', (p) => p.locator('.diff').waitFor()],
  [
    'allocation',
    `/allocations/ALLOC?type=stderr`,
    (p) => p.locator('pre.log', { hasText: 'disk full' }).waitFor(),
  ],
  ['nodes', '/nodes/local', (p) => p.getByRole('table', { name: 'Drivers' }).waitFor()],
  ['topology', '/topology', (p) => p.locator('.nodebox').waitFor()],
];

/** The sum of the page background's red, green and blue (page code, evaluated in the page). */
const BACKGROUND = `(() => {
  const m = /rgb\\((\\d+), (\\d+), (\\d+)\\)/.exec(getComputedStyle(document.documentElement).backgroundColor);
  return m ? Number(m[1]) + Number(m[2]) + Number(m[3]) : -1;
})()`;

const background = (page: Page): Promise<number> => page.evaluate<number>(BACKGROUND);

describe('screenshots of the web UI', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`takes the main pages in ${scheme}`, async () => {
      const { context, page } = await signedIn(
        browser,
        ui.url,
        { actor: 'alice' },
        { colorScheme: scheme },
      );
      for (const [name, path, ready] of PAGES) {
        await page.goto(`${ui.url}/ui${path.replace('ALLOC', brokenAlloc)}`);
        await ready(page);
        const bg = await background(page);
        if (scheme === 'dark') expect(bg).toBeLessThan(120);
        else expect(bg).toBeGreaterThan(600);
        const file = join(OUT, `${name}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: name === 'allocation' });
        expect(statSync(file).size).toBeGreaterThan(10_000);
      }
      await context.close();
    });
  }

  it('takes the jobs list at a phone width', async () => {
    const { context, page } = await signedIn(
      browser,
      ui.url,
      { actor: 'alice' },
      { colorScheme: 'dark', width: 390 },
    );
    await page.goto(`${ui.url}/ui/jobs`);
    await page.locator('tr[data-job="web"] .allocbar').waitFor();
    await page.screenshot({ path: join(OUT, 'jobs-phone-dark.png') });
    await context.close();
  });
});

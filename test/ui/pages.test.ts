/**
 * The web UI in headless Chromium against a real `drover server` with real raw_exec jobs: every
 * page renders real data, filters live in the URL, a failed job's logs are readable, logs
 * follow, a deployment's progress updates live and is promoted from the browser, a revert from
 * the UI changes what runs, dispatch and periodic launches work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { eventually } from '../server/core/process.js';
import {
  applyJob,
  BROKEN_JOB,
  buildUi,
  fixture,
  launchBrowser,
  PARAMS_JOB,
  PERIODIC_JOB,
  signedIn,
  startServerProcess,
  stopJobs,
  uiOrigin,
  webJob,
  type Fixture,
  type ServerProcess,
} from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let f: Fixture;
let server: ServerProcess;
let ui: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;

const api = async (path: string): Promise<Json> =>
  (await (await fetch(`${server.url}${path}`)).json()) as Json;
/** The text of the focused element (evaluated in the page, so written as page code). */
const FOCUSED = 'document.activeElement?.textContent';
const open = (path: string): Promise<unknown> => page.goto(`${ui.url}/ui${path}`);

beforeAll(async () => {
  buildUi();
  f = fixture();
  await applyJob(f, 'web', webJob('v1'));
  await applyJob(f, 'broken', BROKEN_JOB, [4]);
  await applyJob(f, 'report', PARAMS_JOB);
  await applyJob(f, 'nightly', PERIODIC_JOB);
  server = await startServerProcess(f.dir);
  ui = await uiOrigin(server);
  browser = await launchBrowser();
  ({ page } = await signedIn(browser, ui.url, { actor: 'alice' }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
  if (f) {
    const children = ((await api('/v1/jobs').catch(() => [])) as Json[]).map((j) => j.ID as string);
    await stopJobs(f, [...new Set(['web', 'broken', ...children])]);
    f.cleanup();
  }
}, 120_000);

describe('the web UI on a real server', () => {
  it('asks for a name when ACLs are off and shows it in the header', async () => {
    const { context, page: fresh } = await signedIn(browser, ui.url, {});
    await fresh.goto(`${ui.url}/ui/jobs`);
    await fresh.getByLabel('Your name').fill('bob');
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.getByRole('table', { name: 'Jobs' }).waitFor();
    expect(await fresh.locator('.who').textContent()).toContain('bob');
    await context.close();
  });

  it('lists jobs with type, status and allocations; the failed filter survives a reload', async () => {
    await open('/jobs');
    const table = page.getByRole('table', { name: 'Jobs' });
    for (const id of ['web', 'broken', 'report', 'nightly'])
      await table.locator(`tr[data-job="${id}"]`).waitFor();
    const web = table.locator('tr[data-job="web"]');
    expect(await web.textContent()).toContain('service');
    expect(await web.locator('.allocbar').getAttribute('aria-label')).toBe('2 running');
    expect(await table.locator('tr[data-job="broken"] .badge').textContent()).toBe('failed');

    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.reload();
    await page.locator('tr[data-job="broken"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');

    await open('/jobs?sort=-name');
    await page.locator('tr[data-job="web"]').waitFor();
    const rows = await page.locator('tbody tr').all();
    const ids = await Promise.all(rows.map((r) => r.getAttribute('data-job')));
    expect(ids).toEqual(['web', 'report', 'nightly', 'broken']);
  });

  it('shows a failed job, its allocation, task events and its logs', async () => {
    await open('/jobs/broken?tab=allocations');
    const row = page.locator('tr[data-alloc]').first();
    await row.waitFor();
    await row.locator('a').first().click();
    await page.getByRole('heading', { name: /Allocation/ }).waitFor();
    await page.locator('[data-task="t"] .badge', { hasText: 'failed' }).waitFor();
    expect(await page.getByRole('table', { name: 't events' }).textContent()).toContain(
      'Terminated',
    );
    await page.getByRole('button', { name: 'stderr' }).click();
    await expect
      .poll(() => page.getByLabel('t stderr').textContent())
      .toContain('disk full on /data');
    await page.getByRole('button', { name: 'stdout' }).click();
    await expect
      .poll(() => page.getByLabel('t stdout').textContent())
      .toContain('starting the import');
  });

  it("restarts a failed job's failed allocations from the job page", async () => {
    const before = ((await api('/v1/job/broken/allocations')) as Json[]).map((a) => a.ID as string);
    await open('/jobs/broken');
    await page.getByRole('button', { name: 'Restart failed allocations' }).click();
    await page.getByRole('status').filter({ hasText: 'restarting' }).waitFor({ timeout: 30_000 });
    await eventually(
      async () =>
        ((await api('/v1/job/broken/allocations')) as Json[]).some(
          (a) => !before.includes(a.ID as string),
        ),
      30_000,
      'a new allocation replaces the failed one',
    );
    await open('/jobs/broken?tab=allocations');
    await expect.poll(() => page.locator('tr[data-alloc]').count()).toBe(before.length + 1);
  });

  it('follows logs and filters their lines', async () => {
    const allocs = (await api('/v1/job/web/allocations')) as Json[];
    const running = allocs.find((a) => a.ClientStatus === 'running')!;
    await open(`/allocations/${running.ID as string}`);
    const log = page.getByLabel('server stdout');
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toMatch(/hello v1 line \d+/);
    const last = async (): Promise<number> => {
      const m = [...((await log.textContent()) ?? '').matchAll(/line (\d+)/g)];
      return Number(m.at(-1)?.[1] ?? 0);
    };
    const before = await last();
    await expect.poll(last, { timeout: 10_000 }).toBeGreaterThan(before + 2);
    await page.getByLabel('Filter lines').fill(`line ${before}`);
    const filtered = ((await log.textContent()) ?? '').split('\n').filter(Boolean);
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((l) => l.includes(`line ${before}`))).toBe(true);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    expect((await download).suggestedFilename()).toMatch(/-server\.stdout\.log$/);
  });

  it('renders the job: summary, deployment, allocations, definition, services, versions', async () => {
    await open('/jobs/web');
    await page.locator('#deployment .badge', { hasText: 'successful' }).waitFor();
    expect(await page.getByRole('table', { name: 'Task groups' }).textContent()).toContain('app');
    await page.getByRole('link', { name: 'allocations' }).click();
    await expect.poll(() => page.locator('tr[data-alloc]').count()).toBe(2);
    await page.getByRole('link', { name: 'definition' }).click();
    expect(await page.getByLabel('job definition').textContent()).toContain('hello v1');
    await page.getByRole('link', { name: 'services' }).click();
    await expect
      .poll(() =>
        page.getByRole('table', { name: 'web registrations' }).locator('tbody tr').count(),
      )
      .toBe(2);
  });

  // About 15 s alone; the waits inside allow for a loaded machine, so the test's own limit does too.
  it(
    'draws a deployment live, promotes its canary from the browser, then reverts from the UI',
    { timeout: 180_000 },
    async () => {
      await open('/jobs/web');
      await page.locator('#deployment .badge', { hasText: 'successful' }).waitFor();
      // A new version with a canary, applied from the CLI beside the open page: exit 5 = the
      // canary is healthy and waits for a promotion.
      await applyJob(f, 'web', webJob('v2', 2, 1), [5]);
      await page.locator('#deployment .badge', { hasText: 'running' }).waitFor({ timeout: 20_000 });
      await page.locator('#deployment .step.canary .box.healthy').waitFor();
      expect(await page.locator('#deployment .gate').textContent()).toBe('promote?');
      await page.getByRole('button', { name: 'Promote' }).click();
      await page
        .locator('#deployment .badge', { hasText: 'successful' })
        .waitFor({ timeout: 60_000 });
      expect(await page.locator('#deployment .gate').textContent()).toBe('promoted');
      expect(await page.getByTestId('deployment-progress').textContent()).toContain('2/2 healthy');

      await page.getByRole('link', { name: 'versions' }).click();
      await page.locator('tr[data-version="0"]').waitFor();
      const diff = page.getByLabel(/diff of versions/);
      await diff.locator('.del').first().waitFor();
      expect(await diff.locator('.del').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('hello v1')]),
      );
      expect(await diff.locator('.add').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('hello v2')]),
      );
      const revert = page
        .locator('tr[data-version="0"]')
        .getByRole('button', { name: 'Revert to 0' });
      await revert.click();
      await page
        .locator('tr[data-version="0"]')
        .getByRole('button', { name: 'Confirm: Revert to 0' })
        .click();
      await page.locator('tr[data-version="0"]').getByRole('status').waitFor({ timeout: 60_000 });

      // What runs changed: the allocations of the new version print v1 again.
      await eventually(
        async () => {
          const job = await api('/v1/job/web');
          const allocs = (await api('/v1/job/web/allocations')) as Json[];
          const live = allocs.filter((a) => a.ClientStatus === 'running');
          return job.Version === 2 && live.length === 2 && live.every((a) => a.JobVersion === 2);
        },
        60_000,
        'the reverted version runs',
      );
      const live = ((await api('/v1/job/web/allocations')) as Json[]).find(
        (a) => a.ClientStatus === 'running',
      )!;
      await eventually(
        async () =>
          (
            await (
              await fetch(
                `${server.url}/v1/client/fs/logs/${live.ID as string}?task=server&type=stdout&plain=true`,
              )
            ).text()
          ).includes('hello v1'),
        10_000,
        'the reverted task prints v1',
      );
    },
  );

  it('dispatches a parameterized job from its form', async () => {
    await open('/jobs/report');
    await page.getByLabel('customer (required)').fill('acme');
    await page.getByRole('button', { name: 'Dispatch' }).click();
    await page.waitForURL(/\/ui\/jobs\/report%2Fdispatch-/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await eventually(
      async () => (await api(`/v1/job/${encodeURIComponent(id)}`)).Meta?.customer === 'acme',
      10_000,
      'dispatched',
    );
    await open('/jobs/report');
    await page
      .getByRole('table', { name: 'Launched jobs' })
      .getByRole('link', { name: id })
      .waitFor();
  });

  it('shows the next launch of a periodic job', async () => {
    await open('/jobs/nightly');
    const next = page.locator('.kv div', { hasText: 'Next launch' });
    await next.waitFor();
    expect(await next.textContent()).toMatch(/03:00:00Z \(in \d+[hm]\)/);
  });

  it('renders nodes, one node with drivers and allocations, and the topology', async () => {
    await open('/nodes');
    await page.locator('tr[data-node="local"]').getByRole('link', { name: 'local' }).click();
    await page
      .getByRole('table', { name: 'Drivers' })
      .getByRole('cell', { name: 'raw_exec' })
      .waitFor();
    await expect
      .poll(() =>
        page.getByRole('table', { name: 'Allocations' }).locator('tr[data-alloc]').count(),
      )
      .toBeGreaterThan(1);
    expect(await page.getByRole('button', { name: 'Mark ineligible' }).isVisible()).toBe(true);
    await open('/topology');
    const box = page.locator('[data-node="local"]');
    await box.waitFor();
    // Two running web allocations reserve 200 MHz and 64 MiB each.
    expect(await box.getByRole('meter', { name: 'CPU' }).locator('..').textContent()).toContain(
      'CPU 400/',
    );
    expect(await box.textContent()).toContain('Memory 128/');
  });

  it('shows live events as the state changes, filterable by topic', async () => {
    await open('/events?topic=Job');
    await page.getByText('Live: new events appear').waitFor();
    const dispatched = await fetch(`${server.url}/v1/job/report/dispatch`, {
      method: 'POST',
      body: JSON.stringify({ Meta: { customer: 'events' } }),
    });
    expect(dispatched.status).toBe(200);
    const rows = page.getByRole('table', { name: 'Events' }).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect((await rows.allTextContents()).every((t) => t.includes('Job'))).toBe(true);
  });

  it('is usable from the keyboard and at a phone width', async () => {
    const { context, page: phone } = await signedIn(
      browser,
      ui.url,
      { actor: 'alice' },
      { width: 390, colorScheme: 'dark' },
    );
    await phone.goto(`${ui.url}/ui/jobs`);
    await phone.locator('tr[data-job="web"]').waitFor();
    const overflow = await phone.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.keyboard.press('Tab');
    expect(await phone.evaluate<string>(FOCUSED)).toBe('Skip to content');
    await phone.keyboard.press('Tab');
    await phone.keyboard.press('Tab');
    expect(await phone.evaluate<string>(FOCUSED)).toBe('Jobs');
    await phone.keyboard.press('Tab');
    await phone.keyboard.press('Enter');
    await phone.waitForURL(/\/ui\/nodes$/);
    // The new page has the focus: the next Tab reaches its content, not the navigation again.
    expect(await phone.evaluate<string>('document.activeElement?.id')).toBe('main');
    await phone.locator('tr[data-node="local"]').waitFor();
    await phone.keyboard.press('Tab');
    expect(
      await phone.evaluate<boolean>(
        "document.getElementById('main').contains(document.activeElement)",
      ),
    ).toBe(true);
    await context.close();
  });
});

/**
 * The web UI's write controls not walked elsewhere, each checked in the browser and then on the
 * server: a node's eligibility and drain buttons, the run-job page (paste HCL, see the plan,
 * apply it), a plan rejected with a message (after which it cannot apply), the server's own
 * message shown when it refuses a write, and the audit page's filters, which live in the URL.
 * (Dispatch and restart-failed-allocations are in pages.test.ts; approve, Apply and revert in
 * walkthrough.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  applyJob,
  buildUi,
  fixture,
  launchBrowser,
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
const open = (path: string): Promise<unknown> => page.goto(`${ui.url}/ui${path}`);
const node = (): Promise<Json> => api('/v1/node/local');

beforeAll(async () => {
  buildUi();
  f = fixture();
  // A new server lists no node until an apply has looked at it: one periodic job (nothing runs).
  await applyJob(f, 'nightly', PERIODIC_JOB);
  server = await startServerProcess(f.dir);
  ui = await uiOrigin(server);
  browser = await launchBrowser();
  ({ page } = await signedIn(browser, ui.url, { actor: 'carol' }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
  if (f) {
    await stopJobs(f, ['web', 'nightly']);
    f.cleanup();
  }
}, 120_000);

/** Plans `hcl` on the run page and answers the saved plan's hash. */
async function planOnRunPage(hcl: string): Promise<string> {
  await open('/run');
  await page.getByLabel('Job (HCL)').fill(hcl);
  await page.getByRole('button', { name: 'Plan' }).click();
  await page.getByLabel('plan text').waitFor({ timeout: 30_000 });
  return (await page.getByTestId('plan-hash').textContent())!;
}

describe('the web UI write controls', () => {
  it('marks a node ineligible and eligible again, drains it and stops the drain', async () => {
    await open('/nodes/local');
    const summary = page.getByRole('region', { name: 'Summary' });
    await page.getByRole('button', { name: 'Mark ineligible' }).click();
    await page.getByRole('button', { name: 'Mark eligible' }).waitFor();
    expect((await node()).SchedulingEligibility).toBe('ineligible');
    expect(await summary.textContent()).toContain('ineligible');
    await page.getByRole('button', { name: 'Mark eligible' }).click();
    await page.getByRole('button', { name: 'Mark ineligible' }).waitFor();
    expect((await node()).SchedulingEligibility).toBe('eligible');

    // Drain asks for a confirmation first: one click changes nothing.
    await page.getByRole('button', { name: 'Drain' }).click();
    expect((await node()).Drain).toBe(false);
    await page.getByRole('button', { name: 'Confirm: Drain' }).click();
    await page.getByRole('button', { name: 'Stop draining' }).waitFor();
    expect((await node()).Drain).toBe(true);
    expect((await node()).SchedulingEligibility).toBe('ineligible');
    await expect.poll(() => summary.textContent()).toContain('ineligible');
    // The list says so too.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Nodes' })
      .click();
    const row = page.locator('tr[data-node="local"]');
    await expect.poll(() => row.textContent()).toContain('ineligible (draining)');
    await row.getByRole('link', { name: 'local' }).click();
    // Stopping the drain makes the node eligible again (drover does not keep it ineligible).
    await page.getByRole('button', { name: 'Stop draining' }).click();
    await page.getByRole('button', { name: 'Mark ineligible' }).waitFor();
    expect(await node()).toMatchObject({ SchedulingEligibility: 'eligible', Drain: false });
  });

  it('shows the server refusing a job it cannot read, in its own words', async () => {
    await open('/run');
    await page.getByLabel('Job (HCL)').fill('job "web" {\n  group "g" {\n    count = \n');
    await page.getByRole('button', { name: 'Plan' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    // The server's parse error (where in the text), not only a status code.
    expect(text).toMatch(/line \d+|:\d+:\d+/);
    expect(text).not.toMatch(/^\d{3}\b/);
    expect(await page.getByLabel('plan text').count()).toBe(0);
  });

  it('plans pasted HCL on the run page and applies it from there', async () => {
    const hash = await planOnRunPage(webJob('v1', 1));
    expect(await page.getByLabel('plan text').textContent()).toContain('+ Job: "web"');
    expect(await page.getByTestId('approvals').textContent()).toBe('0 of 0 required');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: 'Confirm: Apply' }).click();
    await page.getByTestId('applied').getByRole('link', { name: 'web' }).click();
    await page
      .locator('#deployment .badge', { hasText: 'successful' })
      .waitFor({ timeout: 60_000 });
    const plans = (await api('/v1/drover/plans')) as Json[];
    expect(plans.find((p) => p.Hash === hash)).toMatchObject({
      Status: 'applied',
      Source: 'ui',
      CreatedBy: 'carol',
    });
    const allocs = (await api('/v1/job/web/allocations')) as Json[];
    expect(allocs.filter((a) => a.ClientStatus === 'running')).toHaveLength(1);
  });

  it('rejects a plan with a message; it can then not be applied', async () => {
    const hash = await planOnRunPage(webJob('v2', 1));
    await page.getByLabel('Message').fill('v2 breaks the login page');
    await page.getByRole('button', { name: 'Reject' }).click();
    const verdicts = page.getByRole('table', { name: 'Approvals and rejections' });
    await verdicts.locator('tr', { hasText: 'v2 breaks the login page' }).waitFor();
    expect(await verdicts.textContent()).toContain('carol');
    expect(await page.getByRole('button', { name: 'Apply' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Plans' })
      .click();
    await page.getByLabel('Status').selectOption('rejected');
    await page.waitForURL(/status=rejected/);
    await page.locator(`tr[data-plan="${hash}"] .badge`, { hasText: 'rejected' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);

    const refused = await fetch(`${server.url}/v1/drover/plan/${hash}/apply`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('rejected by carol (v2 breaks the login page)');
    const job = await api('/v1/job/web');
    expect(job.Version).toBe(0);
  });

  it('filters the audit trail by job, namespace and text, in the URL', async () => {
    await open('/audit');
    const trail = page.getByRole('table', { name: 'Audit records' });
    const rows = trail.locator('tbody tr');
    await rows.first().waitFor();
    const all = await rows.count();
    expect(all).toBeGreaterThan(3);

    await page.getByLabel('Job').fill('web');
    await page.waitForURL(/job=web/);
    await expect.poll(() => rows.count()).toBeLessThan(all);
    const jobs = await rows.locator('td:nth-child(5)').allTextContents();
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((t) => t.includes('web'))).toBe(true);

    await page.getByLabel('Job').fill('');
    await page.getByLabel('Actor, command or message').fill('node drain');
    await page.waitForURL(/q=node\+drain|q=node%20drain/);
    await page.reload();
    await rows.first().waitFor();
    expect(await page.getByLabel('Actor, command or message').inputValue()).toBe('node drain');
    const commands = await rows.locator('td:nth-child(4)').allTextContents();
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.every((c) => c.includes('node drain'))).toBe(true);
    expect(
      (await rows.locator('td:nth-child(3)').allTextContents()).every((a) => a === 'carol'),
    ).toBe(true);

    await page.getByLabel('Namespace').fill('elsewhere');
    await page.getByText('No audit records.').waitFor();
  });
});

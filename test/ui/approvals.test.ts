/**
 * Plan review in the browser (needs the server's plans API, issue 16 item 5): a planfile saved
 * by `drover plan -out` from the CLI appears in the UI with its text and hash; another person
 * approves it there with a message; the CLI's `drover apply PLANFILE` then runs it, and the
 * rollout it starts shows on the job page. The run page plans pasted HCL into a pending plan.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { drover } from '../e2e/cli.js';
import {
  buildUi,
  fixture,
  launchBrowser,
  signedIn,
  startServerProcess,
  stopJobs,
  uiOrigin,
  webJob,
  type Fixture,
  type ServerProcess,
} from './support.js';

let f: Fixture;
let server: ServerProcess;
let ui: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;

const as = (actor: string, args: string[]) =>
  drover(f.dir, args, { env: { DROVER_ACTOR: actor, CI: 'true' } });
const hashOf = (planfile: string): string =>
  (JSON.parse(readFileSync(join(f.dir, planfile), 'utf8')) as { hash: string }).hash;

beforeAll(async () => {
  buildUi();
  f = fixture('approvals {\n  required   = 1\n  allow_self = false\n}\n');
  server = await startServerProcess(f.dir);
  ui = await uiOrigin(server);
  browser = await launchBrowser();
  ({ page } = await signedIn(browser, ui.url, { actor: 'bob' }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
  if (f) {
    await stopJobs(f, ['web']);
    f.cleanup();
  }
}, 120_000);

describe('plans and approvals in the browser', () => {
  it('approves a CLI planfile in the browser, after which the CLI applies it', async () => {
    const path = f.file('web', webJob('v1', 2));
    const plan = await as('alice', ['plan', '-out', 'p.plan', path]);
    expect(plan.code, plan.stderr).toBe(0);
    const hash = hashOf('p.plan');

    await page.goto(`${ui.url}/ui/plans`);
    const row = page.locator(`tr[data-plan="${hash}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('0/1');
    await row.getByRole('link').click();
    expect(await page.getByTestId('plan-hash').textContent()).toBe(hash);
    expect(await page.getByLabel('plan text').textContent()).toContain('+ Job: "web"');
    expect(await page.getByTestId('approvals').textContent()).toBe('0 of 1 required');

    const refused = await as('alice', ['apply', 'p.plan']);
    expect(refused.code).toBe(1);

    await page.getByLabel('Message').fill('ports look right');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByTestId('approvals').textContent()).toBe('1 of 1 required');
    expect(
      await page.getByRole('table', { name: 'Approvals and rejections' }).textContent(),
    ).toContain('ports look right');

    const applied = await as('alice', ['apply', 'p.plan']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    await page.goto(`${ui.url}/ui/jobs/web`);
    await page
      .locator('#deployment .badge', { hasText: 'successful' })
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('deployment-progress').textContent()).toContain('2/2 healthy');

    // The audit trail names who applied which plan, and links to it.
    await page.goto(`${ui.url}/ui/audit?job=web`);
    const trail = page.getByRole('table', { name: 'Audit records' });
    const short = hash.replace(/^sha256:/, '').slice(0, 12);
    const applyRow = trail
      .locator('tr', { has: page.getByRole('link', { name: short }) })
      .filter({ hasText: 'alice' });
    await applyRow.first().waitFor();
    expect(await applyRow.first().textContent()).toContain('web v0');
  });

  it('plans pasted HCL on the run page into a pending plan that needs an approval', async () => {
    await page.goto(`${ui.url}/ui/run`);
    await page.getByLabel('Job (HCL)').fill(webJob('v2', 2));
    await page.getByRole('button', { name: 'Plan' }).click();
    await page.getByLabel('plan text').waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('plan text').textContent()).toContain('Job: "web"');
    expect(await page.getByTestId('approvals').textContent()).toBe('0 of 1 required');
    const hash = (await page.getByTestId('plan-hash').textContent())!;
    const listed = (await (await fetch(`${server.url}/v1/drover/plans`)).json()) as {
      Hash: string;
      Source: string;
    }[];
    expect(listed.find((p) => p.Hash === hash)?.Source).toBe('ui');
  });
});

/**
 * Issue 16's check, walked in headless Chromium as a new user would, against a real `drover
 * server` with ACLs on and approvals required: sign in with a token, find the failed job through
 * the status filter, read its logs, approve a plan saved by `drover plan -out`, apply it with the
 * UI's Apply button, follow the rollout it starts on the job page until it succeeds, revert it
 * from Versions, and check with the CLI (not only the page) that what runs changed back.
 * Every step is a click from the page before; the only typed address is the first one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { drover } from '../e2e/cli.js';
import { eventually } from '../server/core/process.js';
import {
  applyJob,
  BROKEN_JOB,
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
let context: BrowserContext;
let page: Page;
let management = '';
let reviewerToken = '';
let hash = '';

/** The CLI as the person who saved the plan (CI, say): the same state, no server in between. */
const cli = (args: string[]) => drover(f.dir, args, { env: { DROVER_ACTOR: 'alice', CI: 'true' } });

/** `drover status web --json`, as the CLI reads state: the job's version and what runs. */
async function cliStatus(): Promise<{ version: number; running: number[] }> {
  const r = await cli(['status', 'web', '--json']);
  if (r.code !== 0) throw new Error(`drover status web exited ${r.code}: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as {
    version: number;
    allocations: { version: number; client_status: string }[];
  };
  const running = s.allocations.filter((a) => a.client_status === 'running');
  return { version: s.version, running: running.map((a) => a.version) };
}

beforeAll(async () => {
  buildUi();
  f = fixture();
  await applyJob(f, 'broken', BROKEN_JOB, [4]);
  await applyJob(f, 'web', webJob('v1', 2));
  // From here on the server enforces ACLs and every planfile needs one approval by someone else.
  const config = join(f.dir, 'drover.hcl');
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace('server {', 'server {\n  acl {\n    enabled = true\n  }') +
      'approvals {\n  required   = 1\n  allow_self = false\n}\n',
  );
  server = await startServerProcess(f.dir);
  const boot = await fetch(`${server.url}/v1/acl/bootstrap`, { method: 'POST' });
  management = ((await boot.json()) as { SecretID: string }).SecretID;
  // A second person with write access, who reviews what the first one asks for.
  const headers = { 'X-Nomad-Token': management };
  const policy = await fetch(`${server.url}/v1/acl/policy/reviewer`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ Name: 'reviewer', Rules: 'namespace "*" {\n  policy = "write"\n}\n' }),
  });
  expect(policy.status).toBe(200);
  const token = await fetch(`${server.url}/v1/acl/token`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ Name: 'bob', Type: 'client', Policies: ['reviewer'] }),
  });
  reviewerToken = ((await token.json()) as { SecretID: string }).SecretID;
  // CI saves v2's plan while the server runs (a plan made before the token was would be stale).
  const saved = await cli(['plan', '-out', 'v2.plan', f.file('web', webJob('v2', 2))]);
  expect(saved.code, saved.stdout + saved.stderr).toBe(0);
  hash = (JSON.parse(readFileSync(join(f.dir, 'v2.plan'), 'utf8')) as { hash: string }).hash;

  ui = await uiOrigin(server);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 180_000);

// A failed step leaves what the browser showed, for whoever reads the failure.
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page)
    await page.screenshot({
      path: join(tmpdir(), `walkthrough-${ctx.task.name.slice(0, 24)}.png`),
      fullPage: true,
    });
});

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
  if (f) {
    await stopJobs(f, ['web', 'broken']);
    f.cleanup();
  }
}, 120_000);

describe("issue 16's walk: sign in, failed job, logs, approve, apply, rollout, revert", () => {
  it('signs in with an ACL token', async () => {
    await page.goto(`${ui.url}/`);
    await page.getByLabel('ACL token').fill(management);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('table', { name: 'Jobs' }).waitFor();
    // The first page is the jobs list, at the address the server's / redirected to.
    expect(new URL(page.url()).pathname).toBe('/ui/');
    expect(page.url()).not.toContain(management);
  });

  it('finds the failed job with the status filter and reads its logs', async () => {
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.waitForURL(/status=failed/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    const row = page.locator('tr[data-job="broken"]');
    expect(await row.locator('.badge').textContent()).toBe('failed');
    await row.getByRole('link', { name: 'broken' }).click();
    await page.getByRole('link', { name: 'allocations' }).click();
    await page.locator('tr[data-alloc]').first().locator('a').first().click();
    await page.getByRole('heading', { name: /Allocation/ }).waitFor();
    await page.locator('[data-task="t"] .badge', { hasText: 'failed' }).waitFor();
    await page.getByRole('button', { name: 'stderr' }).click();
    await expect
      .poll(() => page.getByLabel('t stderr').textContent())
      .toContain('disk full on /data');
  });

  it(
    'approves the saved plan in the browser and applies it with the Apply button',
    { timeout: 90_000 },
    async () => {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Plans' })
        .click();
      const row = page.locator(`tr[data-plan="${hash}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('0/1');
      await row.getByRole('link').click();
      expect(await page.getByTestId('plan-hash').textContent()).toBe(hash);
      expect(await page.getByLabel('plan text').textContent()).toContain('hello v2');
      // No approval yet: neither the CLI nor the UI may apply it.
      expect(await page.getByRole('button', { name: 'Apply' }).count()).toBe(0);
      const early = await cli(['apply', 'v2.plan']);
      expect(early.code).toBe(1);
      expect(early.stderr + early.stdout).toContain('not approved');

      await page.getByLabel('Message').fill('v2 reviewed');
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByTestId('approvals').textContent()).toBe('1 of 1 required');
      const apply = page.getByRole('button', { name: 'Apply' });
      await apply.click();
      await page.getByRole('button', { name: 'Confirm: Apply' }).click();
      const started = page.getByTestId('applied');
      await started
        .filter({ hasText: /Applying \(deployment \w{8}\)/ })
        .waitFor({ timeout: 30_000 });
      // Applied once: the planfile cannot run a second time from the CLI.
      await expect.poll(() => page.locator('.badge', { hasText: 'applied' }).count()).toBe(1);
      const again = await cli(['apply', 'v2.plan']);
      expect(again.code).not.toBe(0);
    },
  );

  it(
    'follows the rollout live on the job page until it succeeds',
    { timeout: 90_000 },
    async () => {
      await page.getByTestId('applied').getByRole('link', { name: 'web' }).click();
      await page.waitForURL(/\/ui\/jobs\/web/);
      const progress = page.getByTestId('deployment-progress');
      // The page shows the rollout while it runs, then its end, without a reload.
      const seen = new Set<string>();
      await expect
        .poll(
          async () => {
            const text = (await progress.textContent().catch(() => '')) ?? '';
            seen.add(text);
            return page.locator('#deployment .badge', { hasText: 'successful' }).count();
          },
          { timeout: 60_000, interval: 200 },
        )
        .toBe(1);
      expect(await progress.textContent()).toContain('2/2 healthy');
      expect([...seen].some((t) => /[01]\/2 healthy/.test(t))).toBe(true);
      expect(await cliStatus()).toEqual({ version: 1, running: [1, 1] });
    },
  );

  it(
    'reverts to version 0 from Versions: a plan that a second person approves, then applied',
    { timeout: 150_000 },
    async () => {
      await page.getByRole('link', { name: 'versions' }).click();
      await page.getByText('a revert is saved as a plan').waitFor();
      await page
        .locator('tr[data-version="0"]')
        .getByRole('button', { name: 'Plan revert to 0' })
        .click();
      await page.waitForURL(/\/ui\/plans\/sha256/);
      const text = page.getByLabel('plan text');
      await text.waitFor();
      expect(await text.textContent()).toMatch(/hello v2.*=>.*hello v1/);
      // Nobody approves their own plan here: a reviewer, signed in elsewhere, approves it.
      const reviewer = await signedIn(browser, ui.url, { token: reviewerToken });
      await reviewer.page.goto(page.url());
      await reviewer.page.getByLabel('Message').fill('back to v1');
      await reviewer.page.getByRole('button', { name: 'Approve' }).click();
      await reviewer.page
        .getByRole('table', { name: 'Approvals and rejections' })
        .locator('tr', { hasText: 'back to v1' })
        .filter({ hasText: 'bob' })
        .waitFor();
      await reviewer.context.close();
      // The page of the one who asked updates by itself, and offers Apply.
      await expect
        .poll(() => page.getByTestId('approvals').textContent(), { timeout: 15_000 })
        .toBe('1 of 1 required');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByRole('button', { name: 'Confirm: Apply' }).click();
      await page.getByTestId('applied').getByRole('link', { name: 'web' }).click();
      await page
        .locator('#deployment .badge', { hasText: 'successful' })
        .waitFor({ timeout: 60_000 });

      // By the CLI: the job is at version 2 (a copy of 0), both running allocations are of it,
      // and they print v1 again.
      await eventually(
        async () => {
          const now = await cliStatus();
          return now.version === 2 && now.running.length === 2 && now.running.every((v) => v === 2);
        },
        60_000,
        'drover status web: version 2 runs twice',
      );
      const logs = await cli(['logs', 'web', '--tail', '4']);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toContain('hello v1');
      expect(logs.stdout).not.toContain('hello v2');
    },
  );
});

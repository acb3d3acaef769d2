/**
 * The web UI on a server with ACLs on: sign-in asks for a token, a read-only token sees the
 * pages but no write button, a management token sees them (so the first check can fail), and a
 * forged cross-site write is refused by the server.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  applyJob,
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
let management = '';
let viewer = '';

async function call(path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'X-Nomad-Token': token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  buildUi();
  f = fixture();
  await applyJob(f, 'web', webJob('v1', 1));
  // ACLs on for the server only: the CLI above ran on the same local state without them.
  const config = `${f.dir}/drover.hcl`;
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace('server {', 'server {\n  acl {\n    enabled = true\n  }'),
  );
  server = await startServerProcess(f.dir);
  management = (
    (await (await fetch(`${server.url}/v1/acl/bootstrap`, { method: 'POST' })).json()) as {
      SecretID: string;
    }
  ).SecretID;
  const policy = await call('/v1/acl/policy/viewer', management, {
    Name: 'viewer',
    Rules: 'namespace "*" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n',
  });
  expect(policy.status).toBe(200);
  const token = await call('/v1/acl/token', management, {
    Name: 'viewer',
    Type: 'client',
    Policies: ['viewer'],
  });
  viewer = ((await token.json()) as { SecretID: string }).SecretID;
  ui = await uiOrigin(server);
  browser = await launchBrowser();
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

/** The write buttons of the job, allocation and node pages that `page` shows. */
async function writeButtons(page: Page): Promise<string[]> {
  const seen: string[] = [];
  const collect = async (): Promise<void> => {
    seen.push(
      ...(await page
        .locator('main button:not([aria-pressed]):not([type=submit])')
        .allTextContents()),
    );
  };
  await page.goto(`${ui.url}/ui/jobs/web`);
  await page.locator('#deployment .badge').waitFor();
  await collect();
  await page.goto(`${ui.url}/ui/jobs/web?tab=versions`);
  await page.locator('tr[data-version="0"]').waitFor();
  await collect();
  const allocs = (await (await call('/v1/job/web/allocations', management)).json()) as {
    ID: string;
  }[];
  await page.goto(`${ui.url}/ui/allocations/${allocs[0]!.ID}`);
  await page.locator('[data-task="server"]').waitFor();
  await collect();
  await page.goto(`${ui.url}/ui/nodes/local`);
  await page.getByRole('table', { name: 'Drivers' }).waitFor();
  await collect();
  return seen.filter((t) => t !== 'Download');
}

describe('the web UI with ACLs on', () => {
  it('asks for a token at sign-in and refuses a wrong one', async () => {
    const { context, page } = await signedIn(browser, ui.url, {});
    await page.goto(`${ui.url}/ui/jobs`);
    await page.getByLabel('ACL token').fill('00000000-0000-0000-0000-000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('ACL token').fill(viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tr[data-job="web"]').waitFor();
    expect(await page.locator('.who').textContent()).toContain('viewer');
    expect(await page.evaluate<string>('window.location.href')).not.toContain(viewer);
    await context.close();
  });

  it('shows a read-only token no write button, and a management token its buttons', async () => {
    const ro = await signedIn(browser, ui.url, { token: viewer });
    expect(await writeButtons(ro.page)).toEqual([]);
    await ro.context.close();
    const admin = await signedIn(browser, ui.url, { token: management });
    expect(await writeButtons(admin.page)).toEqual(
      expect.arrayContaining([
        'Restart all allocations',
        'Stop job',
        'Restart all tasks',
        'Mark ineligible',
        'Drain',
      ]),
    );
    await admin.context.close();
  });

  it('the server refuses a write whose Origin is another site (a forged request)', async () => {
    const forged = await fetch(`${server.url}/v1/node/local/eligibility`, {
      method: 'POST',
      headers: { 'X-Nomad-Token': management, Origin: 'http://evil.example' },
      body: JSON.stringify({ NodeID: 'local', Eligibility: 'eligible' }),
    });
    expect(forged.status).toBe(403);
    const same = await fetch(`${server.url}/v1/node/local/eligibility`, {
      method: 'POST',
      headers: { 'X-Nomad-Token': management, Origin: server.url },
      body: JSON.stringify({ NodeID: 'local', Eligibility: 'eligible' }),
    });
    expect(same.status).toBe(200);
  });
});

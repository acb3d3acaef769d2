/**
 * Plans saved for review through a real server and the real CLI on the same state (local, then
 * PostgreSQL), drover.hcl requiring one approval, raw_exec jobs on the local node: `plan -out`
 * appears in GET /v1/drover/plans; an approval through the API lets `drover apply F` run from
 * the CLI (saving and approving do not make the plan stale); a rejection marks the plan and
 * stops its apply; a plan made and applied through the API starts the job; a plan whose state
 * moved on is stale; the audit endpoint shows who did what.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocProcesses } from '../../providers/process-harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import {
  eventually,
  planfileHash,
  sleeperJob,
  startUiServer,
  type UiServer,
  type UiServerOptions,
} from './harness.js';

interface Summary {
  Hash: string;
  Jobs: { Namespace: string; ID: string }[];
  CreatedBy: string;
  CreatedAt: string;
  Source: string;
  Status: string;
  Required: number;
  Approvals: { By: string; At: string; Message: string }[];
  Rejections: { By: string; At: string; Message: string }[];
}

interface AuditJson {
  Seq: number;
  Actor: string;
  Command: string;
  PlanHash: string;
  Result: string;
  Jobs: { ID: string }[];
}

function scenario(state?: UiServerOptions['state']): void {
  let t: UiServer;
  beforeAll(async () => {
    t = await startUiServer({ approvalsRequired: 1, ...(state ? { state } : {}) });
  });
  afterAll(async () => {
    await t.close();
  });

  const plans = async () => (await t.request('GET', '/v1/drover/plans')).json<Summary[]>();
  const one = async (hash: string) => (await plans()).find((p) => p.Hash === hash);

  it('lists a plan saved with plan -out, and shows it with its text', async () => {
    t.writeJob('web');
    const plan = await t.cli('alice', 'plan', '-out', 'p1.plan', 'jobs');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    const hash = planfileHash(t.dir, 'p1.plan');
    const listed = await plans();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      Hash: hash,
      Jobs: [{ Namespace: 'default', ID: 'web' }],
      CreatedBy: 'alice',
      Source: 'cli',
      Status: 'pending',
      Required: 1,
      Approvals: [],
      Rejections: [],
    });
    expect(Date.parse(listed[0]!.CreatedAt)).not.toBeNaN();
    const detail = await t.request('GET', `/v1/drover/plan/${hash}`);
    expect(detail.status).toBe(200);
    const body = detail.json<Summary & { Plan: { hash: string }; Text: string }>();
    expect(body.Plan.hash).toBe(hash);
    expect(body.Text).toContain('+ Job: "web"');
    expect(body.Text).not.toContain('\u001b[');
    // The planfile in state is the file's plan, its author included.
    const saved = JSON.parse(readFileSync(join(t.dir, 'p1.plan'), 'utf8')) as unknown;
    expect((await t.state()).plans?.[hash]?.plan).toEqual(saved);
    expect((await t.request('GET', '/v1/drover/plan/sha256:' + '0'.repeat(64))).status).toBe(404);
  });

  it('lets drover apply F run from the CLI once approved through the API', async () => {
    const hash = planfileHash(t.dir, 'p1.plan');
    const early = await t.cli('alice', 'apply', 'p1.plan');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('is not approved');
    const approved = await t.request('POST', `/v1/drover/plan/${hash}/approve`, {
      actor: 'bob',
      body: { Message: 'ship it' },
    });
    expect(approved.status).toBe(200);
    expect(approved.json<Summary>()).toMatchObject({
      Status: 'approved',
      Approvals: [{ By: 'bob', Message: 'ship it' }],
    });
    const apply = await t.cli('alice', 'apply', 'p1.plan');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect((await one(hash))?.Status).toBe('applied');
    const alloc = Object.values((await t.state()).allocations).find((a) => a.job === 'web')!;
    await eventually(() => allocProcesses(alloc.id).length > 0, 10_000);
    expect(allocProcesses(alloc.id).length).toBeGreaterThan(0);

    const audit = (await t.request('GET', '/v1/drover/audit?job=web')).json<AuditJson[]>();
    expect(audit.map((r) => [r.Command, r.Actor])).toEqual([['apply', 'alice']]);
    const all = (await t.request('GET', '/v1/drover/audit')).json<AuditJson[]>();
    expect(all.map((r) => [r.Command, r.Actor, r.PlanHash])).toEqual([
      ['plan', 'alice', hash],
      ['approve', 'bob', hash],
      ['apply', 'alice', hash],
    ]);
    expect(all.map((r) => r.Seq)).toEqual([1, 2, 3]);
  });

  it('marks a rejected plan, and refuses to approve or apply it', async () => {
    t.writeJob('web', '700');
    expect((await t.cli('alice', 'plan', '-out', 'p2.plan', 'jobs')).code).toBe(0);
    const hash = planfileHash(t.dir, 'p2.plan');
    const rejected = await t.request('POST', `/v1/drover/plan/${hash}/reject`, {
      actor: 'carol',
      body: { Message: 'not on a Friday' },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.json<Summary>()).toMatchObject({
      Status: 'rejected',
      Rejections: [{ By: 'carol', Message: 'not on a Friday' }],
    });
    const apply = await t.request('POST', `/v1/drover/plan/${hash}/apply`, { actor: 'carol' });
    expect(apply.status).toBe(400);
    expect(apply.text).toContain('was rejected by carol (not on a Friday)');
    const approve = await t.request('POST', `/v1/drover/plan/${hash}/approve`, { actor: 'bob' });
    expect(approve.status).toBe(400);
    // Saving and rejecting wrote only records: the plan is still fresh for the CLI.
    const fresh = await t.cli('bob', 'approve', 'p2.plan');
    expect(fresh.code).toBe(0);
  });

  it('plans a job through the API, and applies it there once approved', async () => {
    const made = await t.request('POST', '/v1/drover/plans', {
      actor: 'dave',
      headers: { Referer: `${t.url}/ui/jobs/run` },
      body: {
        JobHCL: sleeperJob('api-web')
          .replace('"600"', '"${var.secs}"')
          .replace('job "api-web"', 'variable "secs" {\n  type = string\n}\njob "api-web"'),
        Variables: 'secs=650\n',
      },
    });
    expect(made.text).not.toContain('rror');
    expect(made.status).toBe(200);
    const detail = made.json<Summary & { Text: string; Plan: unknown }>();
    expect(detail).toMatchObject({
      CreatedBy: 'dave',
      Source: 'ui',
      Status: 'pending',
      Jobs: [{ Namespace: 'default', ID: 'api-web' }],
    });
    expect(detail.Text).toContain('+ Job: "api-web"');
    // The request's variables were applied.
    expect(JSON.stringify(detail.Plan)).toContain('"650"');
    const hash = detail.Hash;
    const early = await t.request('POST', `/v1/drover/plan/${hash}/apply`, { actor: 'dave' });
    expect(early.status).toBe(403);
    expect(early.text).toContain('is not approved');
    const approve = await t.request('POST', `/v1/drover/plan/${hash}/approve`, { actor: 'erin' });
    expect(approve.json<Summary>().Status).toBe('approved');
    const again = await t.request('POST', `/v1/drover/plan/${hash}/approve`, { actor: 'erin' });
    expect(again.json<Summary>().Approvals.map((a) => a.By)).toEqual(['erin']);
    const applied = await t.request('POST', `/v1/drover/plan/${hash}/apply`, { actor: 'dave' });
    expect(applied.status).toBe(200);
    const answer = applied.json<{ Index: number; DeploymentIDs: string[] }>();
    expect(answer.Index).toBeGreaterThan(1);
    expect(answer.DeploymentIDs).toHaveLength(1);
    const now = await t.state();
    expect(now.deployments[answer.DeploymentIDs[0]!]?.job).toBe('api-web');
    const alloc = Object.values(now.allocations).find((a) => a.job === 'api-web')!;
    await eventually(() => allocProcesses(alloc.id).length > 0, 10_000);
    expect(allocProcesses(alloc.id).length).toBeGreaterThan(0);
    expect((await one(hash))?.Status).toBe('applied');
    const last = (await t.request('GET', '/v1/drover/audit')).json<AuditJson[]>().at(-1)!;
    expect([last.Command, last.Actor, last.PlanHash, last.Result]).toEqual([
      'apply',
      'dave',
      hash,
      'ok',
    ]);
    const twice = await t.request('POST', `/v1/drover/plan/${hash}/apply`, { actor: 'dave' });
    expect(twice.status).toBe(400);
  });

  it('shows a plan whose state moved on as stale, and refuses to approve it', async () => {
    // p2 was made before the API's apply: the state has moved on since.
    const hash = planfileHash(t.dir, 'p2.plan');
    expect((await one(hash))?.Status).toBe('rejected');
    t.writeJob('web', '800');
    expect((await t.cli('alice', 'plan', '-out', 'p3.plan', 'jobs')).code).toBe(0);
    const p3 = planfileHash(t.dir, 'p3.plan');
    expect((await one(p3))?.Status).toBe('pending');
    const approved = await t.request('POST', `/v1/drover/plan/${p3}/approve`, { actor: 'bob' });
    expect(approved.json<Summary>().Status).toBe('approved');
    // Any other write (here one that changes nothing but the serial) makes it stale.
    const bump = await t.state();
    await t.session.store.write(bump, bump.serial);
    expect((await one(p3))?.Status).toBe('stale');
    const refused = await t.request('POST', `/v1/drover/plan/${p3}/approve`, { actor: 'frank' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('plan is stale');
    expect((await plans()).map((p) => p.Hash)).toEqual([
      p3,
      expect.any(String),
      hash,
      planfileHash(t.dir, 'p1.plan'),
    ]);
  });

  it("plans a revert to an earlier version for review (the UI's Revert where approvals are required)", async () => {
    const job = (secs: string) => ({
      JobHCL: sleeperJob('api-web')
        .replace('"600"', '"${var.secs}"')
        .replace('job "api-web"', 'variable "secs" {\n  type = string\n}\njob "api-web"'),
      Variables: `secs=${secs}\n`,
    });
    /** Plans `body` as dave, approves it as erin, applies it as dave; answers the plan's detail. */
    const reviewed = async (body: unknown, query = '') => {
      const made = await t.request('POST', `/v1/drover/plans${query}`, { actor: 'dave', body });
      expect(made.status, made.text).toBe(200);
      const detail = made.json<Summary & { Text: string }>();
      const ok = await t.request('POST', `/v1/drover/plan/${detail.Hash}/approve`, {
        actor: 'erin',
      });
      expect(ok.status, ok.text).toBe(200);
      const applied = await t.request('POST', `/v1/drover/plan/${detail.Hash}/apply`, {
        actor: 'dave',
      });
      expect(applied.status, applied.text).toBe(200);
      return detail;
    };
    await reviewed(job('700'));
    const versionsOf = async () =>
      (await t.state()).jobs['api-web']!.versions.map((v) => v.version);
    expect(await versionsOf()).toEqual([0, 1]);

    const refusals: [unknown, number, string][] = [
      [{ Revert: { JobID: 'api-web', JobVersion: 1 } }, 400, "can't revert to current version"],
      [{ Revert: { JobID: 'api-web', JobVersion: 7 } }, 400, 'has no version 7'],
      [{ Revert: { JobID: 'nope', JobVersion: 0 } }, 404, 'job not found'],
      [{ Revert: { JobID: 'api-web', JobVersion: -1 } }, 400, 'JobVersion must be a whole number'],
    ];
    for (const [body, status, text] of refusals) {
      const r = await t.request('POST', '/v1/drover/plans', { actor: 'dave', body });
      expect([r.status, r.text]).toEqual([status, expect.stringContaining(text)]);
    }

    const revert = await reviewed(
      { Revert: { JobID: 'api-web', JobVersion: 0 } },
      '?namespace=default',
    );
    expect(revert.Jobs).toEqual([{ Namespace: 'default', ID: 'api-web' }]);
    expect(revert.Text).toMatch(/"700" => "650"/);
    expect(await versionsOf()).toEqual([0, 1, 2]);
    const latest = (await t.state()).jobs['api-web']!.versions.at(-1)!;
    expect(JSON.stringify(latest.job)).toContain('"650"');
    expect(JSON.stringify(latest.job)).not.toContain('"700"');
  });
}

describe('saved plans through the API (local state)', () => {
  scenario();
});

describe('saved plans through the API (postgres state)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('drover_ui_plans');
  });
  afterAll(async () => {
    await db.drop();
  });
  scenario(() => `state {\n  backend = "postgres"\n  url     = "${db.url}"\n  schema  = "ui"\n}`);
});

/**
 * drover.hcl's hooks around writes through the API, on a real ServerContext (local state, the
 * local node, the mock driver) with real hook processes: they run as for the CLI's apply, in
 * drover.hcl's directory with the DROVER_* facts, their output in the server's log and the audit
 * record; a failing pre-apply hook refuses the write with its message and changes nothing; a
 * failing post hook is a warning of a write that happened. Approvals still refuse (403).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../src/server/api/job-writes.js';
import { routes as nodeRoutes } from '../../../src/server/api/node-writes.js';
import { routes as planRoutes } from '../../../src/server/api/drover-plans.js';
import { call, mockJob, refusal, startServer, type TestServer } from './support.js';

/** A hook that appends what it is told to `hooks.log` in its working directory, then exits `code`. */
function hook(kind: string, code = 0, extra = ''): string {
  const line = `${kind} $DROVER_OPERATION $DROVER_ACTOR $DROVER_JOBS $DROVER_RESULT $DROVER_JOB`;
  const script = `echo "${line}" >> hooks.log; echo "out of ${kind}"; exit ${code}`;
  return `hook "${kind}" {\n  command = ["sh", "-c", ${JSON.stringify(script)}]\n${extra}}\n`;
}

function logged(t: TestServer): string[] {
  try {
    return readFileSync(join(t.dir, 'hooks.log'), 'utf8').split('\n').slice(0, -1);
  } catch {
    return [];
  }
}

const register = (t: TestServer, job: unknown, as = 'alice') =>
  call(t.server, routes, 'PUT', '/v1/jobs', { body: { Job: job }, as });

describe('writes through the API run drover.hcl hooks', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(
      hook('pre-apply') + hook('pre-job') + hook('post-job') + hook('post-apply'),
    );
  });
  afterAll(() => t.close());

  it('runs every kind around a register, in drover.hcl directory, logged and audited', async () => {
    const reply = await register(t, mockJob('api', 1));
    expect((reply.json as Record<string, unknown>).Warnings).toBe('');
    expect(logged(t)).toEqual([
      'pre-apply register alice api  ',
      'pre-job register alice api  api',
      'post-job register alice api ok api',
      'post-apply register alice api ok ',
    ]);
    // Each line of a hook's output is a line of the server's log, named by its hook.
    for (const kind of ['pre-apply', 'pre-job api', 'post-job api', 'post-apply'])
      expect(t.logs).toContainEqual(
        expect.stringMatching(
          new RegExp(`^\\[${kind} \\(sh -c .*\\)\\] out of ${kind.split(' ')[0]}$`),
        ),
      );
    const s = await t.session.store.read();
    const audit = s.audit!.at(-1)!;
    expect(audit).toMatchObject({ operation: 'register', actor: 'alice', result: 'ok' });
    expect(audit.hooks!.map((h) => [h.kind, h.result, h.output])).toEqual([
      ['pre-apply', 'ok', 'out of pre-apply\n'],
      ['pre-job', 'ok', 'out of pre-job\n'],
      ['post-job', 'ok', 'out of post-job\n'],
      ['post-apply', 'ok', 'out of post-apply\n'],
    ]);
  });

  it('runs none for a write that changes no job', async () => {
    writeFileSync(join(t.dir, 'hooks.log'), '');
    await call(t.server, nodeRoutes, 'POST', '/v1/node/local/eligibility', {
      body: { Eligibility: 'ineligible' },
    });
    expect((await t.session.store.read()).nodes.local?.eligibility).toBe('ineligible');
    expect(logged(t)).toEqual([]);
  });

  it('runs them for a stop too, as the CLI does', async () => {
    writeFileSync(join(t.dir, 'hooks.log'), '');
    await call(t.server, routes, 'DELETE', '/v1/job/api', { as: 'bob' });
    expect(logged(t)[0]).toBe('pre-apply stop bob api  ');
    expect(logged(t)).toHaveLength(4);
  });
});

describe('a failing hook through the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(hook('pre-apply', 3) + hook('on-failure') + hook('post-apply'));
  });
  afterAll(() => t.close());

  it('refuses the write with the pre-apply hook message: nothing changed, on-failure ran', async () => {
    const before = await t.session.store.read();
    const err = await refusal(register(t, mockJob('web', 1)));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(
      /^hook pre-apply \(sh -c .*\) exited with code 3: nothing was changed\.$/,
    );
    // on-failure ran; post-apply did not (nothing was applied).
    expect(logged(t)).toEqual([
      'pre-apply register alice web  ',
      'on-failure register alice web failed ',
    ]);
    const s = await t.session.store.read();
    expect(s.jobs.web).toBeUndefined();
    expect(Object.values(s.allocations).filter((a) => a.job === 'web')).toEqual([]);
    const audit = s.audit!.at(-1)!;
    expect(s.audit!.length).toBe((before.audit ?? []).length + 1);
    expect(audit).toMatchObject({ operation: 'register', result: 'failed', exit_code: 1 });
    expect(audit.error).toBe(err.message);
    expect(audit.hooks!.map((h) => [h.kind, h.result, h.exit_code])).toEqual([
      ['pre-apply', 'failed', 3],
      ['on-failure', 'ok', 0],
    ]);
    expect(t.logs.some((l) => /register: hook pre-apply .* exited with code 3/.test(l))).toBe(true);
  });
});

describe('a failing post hook through the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(hook('post-apply', 2));
  });
  afterAll(() => t.close());

  it('keeps the write and says so in the Warnings, and the audit record fails', async () => {
    const reply = await register(t, mockJob('api', 1));
    const warnings = (reply.json as Record<string, unknown>).Warnings as string;
    expect(warnings).toMatch(
      /^1 warning:\n\n\* hook post-apply \(sh -c .*\) exited with code 2; nothing was undone$/,
    );
    const s = await t.session.store.read();
    expect(s.jobs.api!.versions).toHaveLength(1);
    expect(s.audit!.at(-1)).toMatchObject({
      operation: 'register',
      result: 'failed',
      exit_code: 1,
    });
  });
});

describe('approvals with hooks', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(`approvals {\n  required = 1\n}\n${hook('pre-apply')}`);
  });
  afterAll(() => t.close());

  it('still refuses a write that is not an approved saved plan (403), running no hook', async () => {
    const err = await refusal(register(t, mockJob('api', 1)));
    expect(err.status).toBe(403);
    expect(logged(t)).toEqual([]);
  });
});

describe('an approved saved plan applied through the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(`approvals {\n  required = 1\n}\n${hook('pre-apply')}`);
  });
  afterAll(() => t.close());

  it('lists the hooks when saved, and runs them when applied', async () => {
    const job =
      'job "api" {\n  datacenters = ["*"]\n  group "g" {\n    task "t" {\n      driver = "mock"\n      config {}\n      resources {\n        cpu    = 10\n        memory = 10\n      }\n    }\n  }\n}\n';
    const made = await call(t.server, planRoutes, 'POST', '/v1/drover/plans', {
      body: { JobHCL: job },
      as: 'dave',
    });
    const detail = made.json as { Hash: string; Plan: { hooks?: { kind: string }[] } };
    expect(detail.Plan.hooks?.map((h) => h.kind)).toEqual(['pre-apply']);
    await call(t.server, planRoutes, 'POST', `/v1/drover/plan/${detail.Hash}/approve`, {
      as: 'erin',
    });
    expect(logged(t)).toEqual([]);
    await call(t.server, planRoutes, 'POST', `/v1/drover/plan/${detail.Hash}/apply`, {
      as: 'dave',
    });
    expect(logged(t)).toEqual(['pre-apply apply dave api  ']);
    expect((await t.session.store.read()).jobs.api?.versions).toHaveLength(1);
  });
});

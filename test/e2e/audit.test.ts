/**
 * The audit trail and sticky rollbacks through the real CLI, as a user would meet them in a git
 * repository of jobspecs (mock driver on the local node; local state, then PostgreSQL): apply,
 * rollback, a plan of the unchanged repository refused with the reason, `-roll-forward`, a
 * changed file, an auto-revert, `drover audit` with the actor from DROVER_ACTOR and the git
 * commit, `job history` origins, and a snapshot restore that keeps the trail.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, VersionOrigin } from '../../src/state/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { drover } from './cli.js';
import { mockJob } from './mock-jobs.js';

// Made when the file loads: each describe makes its repository as it is declared.
const root = mkdtempSync(join(tmpdir(), 'drover-audit-e2e-'));
mkdirSync(join(root, 'alloc'));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('drover_audit');
});
afterAll(async () => {
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

const ENV = { DROVER_ACTOR: 'ci-bot', CI: 'true' };

/** A service job on the mock driver; `startError` makes its allocations fail to start. */
function job(id: string, count: number, opts: { autoRevert?: boolean; startError?: string } = {}) {
  return mockJob(id, { count, ...opts });
}

/** A git repository of jobspecs with its own drover.hcl; commits are authored by Ada. */
class Repo {
  readonly dir: string;
  constructor(name: string, state = '') {
    this.dir = join(root, name);
    mkdirSync(join(this.dir, 'jobs'), { recursive: true });
    writeFileSync(
      join(this.dir, 'drover.hcl'),
      `${state}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(root, 'alloc')}"\n}\n`,
    );
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.name', 'Ada Lovelace');
    this.git('config', 'user.email', 'ada@example.com');
  }
  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' }).trim();
  }
  /** Writes a job file and commits it; returns the commit. */
  commit(file: string, text: string): string {
    writeFileSync(join(this.dir, 'jobs', file), text);
    this.git('add', '-A');
    this.git('commit', '-qm', `update ${file}`);
    return this.git('rev-parse', 'HEAD');
  }
  run(...args: string[]) {
    return drover(this.dir, args, { env: ENV });
  }
  async json<T>(...args: string[]): Promise<T> {
    const r = await this.run(...args, '-json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as T;
  }
  async audit(...args: string[]): Promise<AuditRecord[]> {
    return (await this.json<{ records: AuditRecord[] }>('audit', ...args)).records;
  }
  async origins(jobId: string): Promise<[number, VersionOrigin | null, string | null][]> {
    const h = await this.json<{
      versions: { version: number; origin: VersionOrigin | null; actor: string | null }[];
    }>('job', 'history', jobId);
    return h.versions.map((v) => [v.version, v.origin, v.actor]);
  }
}

/** apply → apply (count 2) → rollback, then the checks every backend must pass. */
async function applyAndRollBack(repo: Repo, id: string): Promise<{ c1: string; c2: string }> {
  const c1 = repo.commit('web.nomad.hcl', job(id, 1));
  const first = await repo.run('apply', '-auto-approve', 'jobs');
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  const c2 = repo.commit('web.nomad.hcl', job(id, 2));
  expect((await repo.run('apply', '-auto-approve', '-m', 'two of them', 'jobs')).code).toBe(0);
  const rb = await repo.run('rollback', '-auto-approve', '-message', 'too many', id);
  expect(rb.stderr).toBe('');
  expect(rb.code).toBe(0);
  return { c1, c2 };
}

const REFUSAL = (id: string) =>
  new RegExp(
    `refusing to roll forward to a version rolled back since:\\n` +
      `  job "${id}" in jobs/web.nomad.hcl is version 1, which was rolled back to version 0 ` +
      `\\(now version 2\\) at \\S+ by ci-bot: too many\\n` +
      'Change the jobspec \\(fix what failed\\), or plan again with -roll-forward to apply it anyway.',
  );

describe('audit trail and sticky rollbacks (local state)', () => {
  const repo = new Repo('local');
  const id = `audit-${process.pid}`;

  it('refuses to roll the unchanged repository forward after a rollback, with the reason', async () => {
    await applyAndRollBack(repo, id);

    const plan = await repo.run('plan', 'jobs');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(REFUSAL(id));
    const apply = await repo.run('apply', '-auto-approve', 'jobs');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(REFUSAL(id));
    const status = await repo.json<{ version: number }>('status', id);
    expect(status.version).toBe(2); // nothing rolled forward

    const forward = await repo.run('plan', '-roll-forward', '-detailed-exitcode', 'jobs');
    expect(forward.code).toBe(2);
    expect(forward.stdout).toContain(`rolling forward job "${id}" (-roll-forward)`);
  }, 120_000);

  it('marks each version with its origin and actor in job history', async () => {
    expect(await repo.origins(id)).toEqual([
      [2, { kind: 'rollback', source_version: 0, reverted_from: 1, reason: 'too many' }, 'ci-bot'],
      [1, { kind: 'file', file: 'jobs/web.nomad.hcl' }, 'ci-bot'],
      [0, { kind: 'file', file: 'jobs/web.nomad.hcl' }, 'ci-bot'],
    ]);
    const text = await repo.run('job', 'history', id);
    expect(text.stdout).toContain(
      'Origin      = rollback to version 0 (from version 1): too many\nActor       = ci-bot',
    );
    expect(text.stdout).toContain('Origin      = applied from jobs/web.nomad.hcl');
  });

  it('plans and applies a changed jobspec as usual', async () => {
    const c3 = repo.commit('web.nomad.hcl', job(id, 3));
    const plan = await repo.run('plan', '-detailed-exitcode', 'jobs');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect((await repo.run('apply', '-auto-approve', 'jobs')).code).toBe(0);
    const [latest] = await repo.origins(id);
    expect(latest).toEqual([3, { kind: 'file', file: 'jobs/web.nomad.hcl' }, 'ci-bot']);
    const [last] = (await repo.audit(id, '-limit', '1')) as [AuditRecord];
    expect(last).toMatchObject({ operation: 'apply', git_commit: c3, result: 'ok' });
  }, 120_000);

  it('lists every operation with actor, git commit, branch, message and versions', async () => {
    const records = await repo.audit();
    expect(records.map((r) => [r.seq, r.operation, r.result, r.exit_code])).toEqual([
      [1, 'apply', 'ok', 0],
      [2, 'apply', 'ok', 0],
      [3, 'rollback', 'ok', 0],
      [4, 'apply', 'ok', 0],
    ]);
    const commits = repo.git('log', '--format=%H', '--reverse').split('\n');
    expect(records.map((r) => r.git_commit)).toEqual([
      commits[0],
      commits[1],
      commits[1],
      commits[2],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        actor: 'ci-bot',
        git_author: 'Ada Lovelace <ada@example.com>',
        git_branch: 'main',
      });
      expect(r.plan_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Date.parse(r.time)).toBeGreaterThan(Date.now() - 600_000);
    }
    expect(records.map((r) => r.message ?? null)).toEqual([null, 'two of them', 'too many', null]);
    expect(records.map((r) => r.jobs)).toEqual([
      [{ id, from_version: null, to_version: 0, change: 'create', result: 'successful' }],
      [{ id, from_version: 0, to_version: 1, change: 'update', result: 'successful' }],
      [{ id, from_version: 1, to_version: 2, change: 'update', result: 'successful' }],
      [{ id, from_version: 2, to_version: 3, change: 'update', result: 'successful' }],
    ]);

    expect(await repo.audit('-since', '1h')).toHaveLength(4);
    expect(await repo.audit('-since', '2099-01-01T00:00:00Z')).toEqual([]);
    expect(await repo.audit('no-such-job')).toEqual([]);

    const text = await repo.run('audit', id);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^#1  \\S+  ci-bot  apply  ok \\(exit 0, \\S+\\)  plan sha256:[0-9a-f]{12}  git ${commits[0]!.slice(0, 12)} \\(main\\)$`,
      ),
    );
    expect(lines).toContain(`    ${id}: version 1 → 2 (update, successful)`);
    expect(lines).toContain('    message: too many');

    const bad = await repo.run('audit', '-since', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('-since must be an RFC 3339 time');
  }, 120_000);

  it('keeps the trail across a snapshot restore, with a record of the restore', async () => {
    expect((await repo.run('state', 'snapshot', 'save', 'snap.json')).code).toBe(0);
    expect((await repo.run('scale', '-auto-approve', id, 'app', '1')).code).toBe(0);
    expect((await repo.origins(id))[0]).toEqual([
      4,
      { kind: 'scale', detail: 'group "app" count 1' },
      'ci-bot',
    ]);
    const restored = await repo.run('state', 'snapshot', 'restore', 'snap.json');
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    // The state is the snapshot's (no version 4), the trail is the one it replaced, and more.
    expect((await repo.origins(id)).map(([v]) => v)).toEqual([3, 2, 1, 0]);
    const records = await repo.audit();
    expect(records.map((r) => r.operation)).toEqual([
      'apply',
      'apply',
      'rollback',
      'apply',
      'scale',
      'state restore',
    ]);
    expect(records[5]).toMatchObject({
      actor: 'ci-bot',
      result: 'ok',
      jobs: [],
      detail: 'restored from snapshot snap.json',
    });
  }, 120_000);
});

describe('sticky auto-revert', () => {
  it('refuses to roll forward to a version whose deployment failed and was auto-reverted', async () => {
    const repo = new Repo('revert');
    const id = `revert-${process.pid}`;
    repo.commit('web.nomad.hcl', job(id, 1, { autoRevert: true }));
    expect((await repo.run('apply', '-auto-approve', 'jobs')).code).toBe(0);
    repo.commit('web.nomad.hcl', job(id, 1, { autoRevert: true, startError: 'no such image' }));
    const failed = await repo.run('apply', '-auto-approve', 'jobs');
    expect(failed.code).toBe(3);

    const plan = await repo.run('plan', 'jobs');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(
      new RegExp(
        `job "${id}" in jobs/web.nomad.hcl is version 1, which failed its deployment and was ` +
          `auto-reverted to version 0 \\(now version 2\\) at \\S+ by ci-bot: .+`,
      ),
    );
    const [v2] = await repo.origins(id);
    expect(v2).toEqual([
      2,
      {
        kind: 'auto-revert',
        source_version: 0,
        reverted_from: 1,
        reason: `Failed: ${id}.app[0]: task "app": mock: no such image`,
      },
      'ci-bot',
    ]);
    const [last] = (await repo.audit('-limit', '1')) as [AuditRecord];
    expect(last).toMatchObject({
      operation: 'apply',
      result: 'reverted',
      exit_code: 3,
      jobs: [{ id, from_version: 0, to_version: 1, result: 'failed', reverted_to: 0 }],
    });
  }, 120_000);
});

describe('audit trail on PostgreSQL', () => {
  it('records, refuses and keeps the trail across a restore the same way', async () => {
    const repo = new Repo(
      'pg',
      `state {\n  backend = "postgres"\n  url     = "${db.url}"\n  schema  = "audit"\n}`,
    );
    const id = `pg-${process.pid}`;
    await applyAndRollBack(repo, id);
    const plan = await repo.run('plan', 'jobs');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(REFUSAL(id));

    expect((await repo.run('state', 'snapshot', 'save', 'snap.json')).code).toBe(0);
    expect((await repo.run('stop', '-auto-approve', id)).code).toBe(0);
    expect((await repo.run('state', 'snapshot', 'restore', 'snap.json')).code).toBe(0);
    const records = await repo.audit();
    expect(records.map((r) => [r.seq, r.operation, r.actor])).toEqual([
      [1, 'apply', 'ci-bot'],
      [2, 'apply', 'ci-bot'],
      [3, 'rollback', 'ci-bot'],
      [4, 'stop', 'ci-bot'],
      [5, 'state restore', 'ci-bot'],
    ]);
    expect(records[3]!.jobs).toEqual([
      { id, from_version: 2, to_version: null, change: 'destroy', result: 'none' },
    ]);
    expect(records[0]!.git_commit).toBe(repo.git('rev-list', '--max-parents=0', 'HEAD'));
  }, 120_000);
});

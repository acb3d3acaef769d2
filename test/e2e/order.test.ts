/**
 * Job ordering and all-or-nothing applies through the real CLI (mock driver on the local node,
 * local state), as a user of a directory of jobspecs meets them: a job that waits for another
 * starts only once that one's deployment is healthy, a failing dependency keeps its dependents
 * from starting (exit 4), a cycle is an error at its file:line:col, and an atomic apply whose
 * second job fails puts the first back at its previous version and stops a job it created
 * (exit 3), with `-atomic` and with `stack { atomic = true }`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord, StateEvent, StateSnapshot } from '../../src/state/types.js';
import { readFileSync } from 'node:fs';
import { drover } from './cli.js';
import { mockJob, type MockJobOptions } from './mock-jobs.js';

const root = mkdtempSync(join(tmpdir(), 'drover-order-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface JobOpts extends MockJobOptions {
  after?: string;
  wave?: string;
}

function job(id: string, { after, wave, ...o }: JobOpts = {}): string {
  const meta = {
    ...(after !== undefined ? { 'drover.after': after } : {}),
    ...(wave !== undefined ? { 'drover.wave': wave } : {}),
  };
  return mockJob(id, { ...o, meta });
}

/** A directory of jobspecs with its own drover.hcl and local state. */
class Repo {
  readonly dir: string;
  constructor(name: string, extraConfig = '') {
    this.dir = join(root, name);
    mkdirSync(join(this.dir, 'jobs'), { recursive: true });
    mkdirSync(join(this.dir, 'alloc'));
    writeFileSync(
      join(this.dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${join(this.dir, 'alloc')}"\n}\n${extraConfig}`,
    );
  }
  write(id: string, o: JobOpts = {}): void {
    writeFileSync(join(this.dir, 'jobs', `${id}.hcl`), job(id, o));
  }
  run(...args: string[]) {
    return drover(this.dir, args, { env: { DROVER_ACTOR: 'ci-bot' } });
  }
  state(): StateSnapshot {
    return JSON.parse(
      readFileSync(join(this.dir, '.drover', 'state.json'), 'utf8'),
    ) as StateSnapshot;
  }
  event(what: string, job: string): StateEvent | undefined {
    return this.state().events.find((e) => e.what === what && e.job === job);
  }
}

describe('ordering', () => {
  it('starts a job only after the job it waits for finished its deployment healthy', async () => {
    const repo = new Repo('waits');
    // File order is api, db: without drover.after, api would go first.
    repo.write('api', { after: 'db' });
    repo.write('db', { minHealthy: '1s' });

    const plan = await repo.run('plan', 'jobs');
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('Order: 1. db  2. api (after db)\n');

    const apply = await repo.run('apply', '-auto-approve', 'jobs');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    const dbDone = repo.event('deployment.successful', 'db')!;
    const dbPlaced = repo.event('alloc.place', 'db')!;
    const apiSubmitted = repo.event('job.submit', 'api')!;
    const apiPlaced = repo.event('alloc.place', 'api')!;
    expect(dbDone.seq).toBeLessThan(apiSubmitted.seq);
    expect(dbDone.seq).toBeLessThan(apiPlaced.seq);
    // db stayed healthy for its min_healthy_time before api was placed.
    expect(Date.parse(apiPlaced.time) - Date.parse(dbPlaced.time)).toBeGreaterThanOrEqual(1000);
  }, 120_000);

  it('does not start the jobs waiting for a job whose deployment failed (exit 4)', async () => {
    const repo = new Repo('fails');
    repo.write('api', { after: 'db, cache' });
    repo.write('cache');
    repo.write('db', { startError: 'no disk' });

    const apply = await repo.run('apply', '-auto-approve', 'jobs');
    expect(apply.code).toBe(4);
    expect(apply.stderr).toContain('api: not started: waits for db, which failed');
    const state = repo.state();
    expect(state.jobs.cache?.versions).toHaveLength(1);
    expect(state.jobs.api).toBeUndefined();
    expect(Object.values(state.allocations).filter((a) => a.job === 'api')).toEqual([]);

    const json = await repo.run('apply', '-auto-approve', '-json', 'jobs');
    expect(json.code).toBe(4);
    const result = JSON.parse(json.stdout.trim().split('\n').pop()!) as {
      jobs: { id: string; result: string; description: string | null }[];
    };
    expect(result.jobs.find((j) => j.id === 'api')).toMatchObject({
      result: 'not-started',
      // db is unchanged now, so apply looks at it in state: its deployment failed.
      description: 'waits for db, which is not healthy: its deployment of version 0 is failed',
    });
  }, 120_000);

  it('lets a job wait for a healthy job recorded from elsewhere, not for a stopped one', async () => {
    const repo = new Repo('outside');
    repo.write('db');
    expect((await repo.run('apply', '-auto-approve', 'jobs/db.hcl')).code).toBe(0);
    repo.write('api', { after: 'db' });

    const plan = await repo.run('plan', 'jobs/api.hcl');
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('Order: 1. api (after db (running, not in this plan))\n');

    expect((await repo.run('stop', '-auto-approve', 'db')).code).toBe(0);
    const refused = await repo.run('apply', '-auto-approve', 'jobs/api.hcl');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'jobs/api.hcl:3:22: error: Job waits for a job that is not healthy',
    );
    expect(refused.stderr).toContain('which is not in this plan and is stopped');
    expect(repo.state().jobs.api).toBeUndefined();
  }, 120_000);

  it('refuses a cycle at its file:line:col and changes nothing', async () => {
    const repo = new Repo('cycle');
    repo.write('a', { after: 'b' });
    repo.write('b', { after: 'a' });
    const apply = await repo.run('apply', '-auto-approve', 'jobs');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('jobs/a.hcl:3:22: error: Cycle in drover.after');
    expect(apply.stderr).toContain('a → b → a');
    const state = await repo.run('status', '-json');
    expect(state.stdout).not.toContain('"a"');
  }, 60_000);
});

describe('all-or-nothing applies', () => {
  async function failSecondJob(repo: Repo, args: string[]) {
    repo.write('web', { count: 1 });
    repo.write('worker', { count: 1, after: 'web' });
    expect((await repo.run('apply', '-auto-approve', 'jobs')).code).toBe(0);

    // web changes and succeeds, worker (after it) fails, extra is new and went first.
    repo.write('web', { count: 2 });
    repo.write('worker', { count: 1, after: 'web', startError: 'bad config' });
    repo.write('extra', { wave: '-1' });
    return repo.run('apply', '-auto-approve', ...args, 'jobs');
  }

  it('-atomic: a failing job puts back the jobs changed before it (exit 3)', async () => {
    const repo = new Repo('atomic');
    const apply = await failSecondJob(repo, ['-atomic', '-m', 'release 2']);
    expect(apply.code).toBe(3);
    expect(apply.stderr).toContain(
      'The apply is atomic and worker failed, so what it changed was put back:\n' +
        '  worker: back to job version 0\n' +
        '  web: back to job version 0\n' +
        '  extra: stopped (it did not run before)\n',
    );

    const history = await repo.run('job', 'history', 'web');
    expect(history.stdout).toMatch(
      /Version {5}= 2\n[\s\S]*?Origin {6}= rollback to version 0 \(from version 1\): atomic apply: worker failed/,
    );
    const state = repo.state();
    const running = (id: string) =>
      Object.values(state.allocations).filter(
        (a) => a.job === id && a.desired_status === 'run' && a.client_status === 'running',
      );
    expect(running('web').map((a) => a.version)).toEqual([2]);
    expect(running('worker').map((a) => a.version)).toEqual([2]);
    expect(state.jobs.extra?.stopped).toBe(true);
    expect(running('extra')).toEqual([]);

    const audit = JSON.parse((await repo.run('audit', '-json')).stdout) as {
      records: AuditRecord[];
    };
    const last = audit.records[audit.records.length - 1]!;
    expect(last).toMatchObject({ result: 'reverted', exit_code: 3, message: 'release 2' });
    expect(last.jobs.find((j) => j.id === 'web')).toMatchObject({ reverted_to: 0 });

    // The unchanged files would roll forward to what was put back: refused, as after a rollback.
    const again = await repo.run('plan', 'jobs');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('refusing to roll forward');
  }, 180_000);

  it('stack { atomic = true } in drover.hcl does the same without the flag', async () => {
    const repo = new Repo('stack', 'stack {\n  atomic = true\n}\n');
    const apply = await failSecondJob(repo, []);
    expect(apply.code).toBe(3);
    expect(apply.stderr).toContain('  web: back to job version 0\n');
  }, 180_000);

  it('without -atomic the same failure leaves the jobs before it as they are (exit 4)', async () => {
    const repo = new Repo('not-atomic');
    const apply = await failSecondJob(repo, []);
    expect(apply.code).toBe(4);
    expect(apply.stderr).not.toContain('put back');
    const web = repo.state().jobs.web!;
    expect(web.versions.map((v) => v.version)).toEqual([0, 1]);
  }, 180_000);
});

/**
 * Two working directories ("two machines") whose drover.hcl point at one PostgreSQL database,
 * through the real CLI: an apply in one is seen by `status` and `plan` in the other; two applies
 * at once wait or fail naming the holder; a holder killed with SIGKILL mid-apply loses its lock
 * with its connection. And `state migrate` between the local file and postgres, both ways.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { DROVER, drover } from './cli.js';

let db: TestDatabase;
let root: string;

beforeAll(async () => {
  db = await createTestDatabase('drover_e2e');
  root = mkdtempSync(join(tmpdir(), 'drover-pg-e2e-'));
  mkdirSync(join(root, 'alloc'));
});
afterAll(async () => {
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

/** A job on the mock driver whose deployment takes `healthy` (min_healthy_time) to finish. */
function job(id: string, healthy = '0s'): string {
  return `job "${id}" {
  group "app" {
    count = 1
    update {
      health_check     = "task_states"
      min_healthy_time = "${healthy}"
      healthy_deadline = "5m"
      progress_deadline = "10m"
    }
    task "app" {
      driver = "mock"
      config {}
    }
  }
}
`;
}

/** A working directory with its own drover.hcl and jobs, on the shared database. */
function machine(name: string, state: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'jobs'), { recursive: true });
  writeFileSync(
    join(dir, 'drover.hcl'),
    `${state}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(root, 'alloc')}"\n}\n`,
  );
  return dir;
}

const pgState = (schema: string) =>
  `state {\n  backend = "postgres"\n  url     = "${db.url}"\n  schema  = "${schema}"\n}`;

const holderText = (pid: number) =>
  `state is locked by ${userInfo().username}@${hostname()} (pid ${pid}, apply)`;

describe('two machines on one postgres state', () => {
  it('sees in one what the other applied', async () => {
    const a = machine('see-a', pgState('see'));
    const b = machine('see-b', pgState('see'));
    for (const dir of [a, b]) writeFileSync(join(dir, 'jobs', 'web.nomad.hcl'), job('web'));

    const applied = await drover(a, ['apply', '-auto-approve', 'jobs']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    const status = await drover(b, ['status', '-json']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"web"');
    const plan = await drover(b, ['plan', '-detailed-exitcode', 'jobs']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0); // no changes: B sees A's apply
  });

  it('makes a second apply fail naming the holder, or wait for it with -lock-timeout', async () => {
    const a = machine('two-a', pgState('two'));
    const b = machine('two-b', pgState('two'));
    writeFileSync(join(a, 'jobs', 'slow.nomad.hcl'), job('slow', '5s'));
    writeFileSync(join(b, 'jobs', 'quick.nomad.hcl'), job('quick'));

    const slow = spawn(process.execPath, [DROVER, 'apply', '-auto-approve', 'jobs'], { cwd: a });
    const slowDone = once(slow, 'exit');
    try {
      await waitForLock(b);
      const refused = await drover(b, ['apply', '-auto-approve', 'jobs']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(holderText(slow.pid!));

      const waited = await drover(b, ['apply', '-auto-approve', '-lock-timeout', '2m', 'jobs']);
      expect(waited.stderr).toBe('');
      expect(waited.code).toBe(0);
      const [code] = await slowDone;
      expect(code).toBe(0); // the first apply finished before the second got the lock
    } finally {
      if (slow.exitCode === null) slow.kill('SIGKILL');
    }
  }, 120_000);

  it('lets the other proceed once a killed holder is gone, with a warning naming it', async () => {
    const a = machine('kill-a', pgState('kill'));
    const b = machine('kill-b', pgState('kill'));
    writeFileSync(join(a, 'jobs', 'stuck.nomad.hcl'), job('stuck', '2m'));
    writeFileSync(join(b, 'jobs', 'quick.nomad.hcl'), job('quick'));

    const stuck = spawn(process.execPath, [DROVER, 'apply', '-auto-approve', 'jobs'], { cwd: a });
    const exited = once(stuck, 'exit');
    await waitForLock(b);
    stuck.kill('SIGKILL');
    await exited;

    const after = await drover(b, ['apply', '-auto-approve', '-lock-timeout', '30s', 'jobs']);
    expect(after.code).toBe(0);
    expect(after.stderr).toMatch(
      new RegExp(
        `^warning: took over the state lock of apply by ${userInfo().username}@${hostname()} ` +
          `pid ${stuck.pid} since \\S+: its connection to PostgreSQL is gone\\n$`,
      ),
    );
  }, 120_000);
});

describe('state migrate', () => {
  it('copies the whole state from local to postgres and back', async () => {
    const dir = machine('migrate', 'state {\n  backend = "local"\n}');
    writeFileSync(join(dir, 'jobs', 'web.nomad.hcl'), job('web'));
    expect((await drover(dir, ['apply', '-auto-approve', 'jobs'])).code).toBe(0);
    const local = await drover(dir, ['state', 'show']);

    const up = await drover(dir, [
      'state',
      'migrate',
      '-to',
      'postgres',
      '-to-url',
      db.url,
      '-to-schema',
      'moved',
    ]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('to   postgres state postgres://postgres@127.0.0.1:');

    // The same state, read through postgres: plan sees no change, the history is all there.
    writeFileSync(
      join(dir, 'drover.hcl'),
      `${pgState('moved')}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(root, 'alloc')}"\n}\n`,
    );
    const onPg = await drover(dir, ['state', 'show']);
    // The same, but for the audit trail: the migration appended its own record to it.
    expect(withoutTrail(onPg.stdout)).toEqual(withoutTrail(local.stdout));
    expect(operations(onPg.stdout)).toEqual(['apply', 'state migrate']);
    expect((await drover(dir, ['plan', '-detailed-exitcode', 'jobs'])).code).toBe(0);

    // Migrating again over it is refused unless it is the same or an older copy.
    const again = await drover(dir, ['state', 'migrate', '-to', 'local', '-to-path', 'back.json']);
    expect(again.code).toBe(0);
    const other = await drover(dir, [
      'state',
      'migrate',
      '-to',
      'local',
      '-to-path',
      '.drover/state.json',
    ]);
    expect(other.code).toBe(0); // the original file: same lineage, same serial
    const back = machine('migrate-back', `state {\n  path = "${join(dir, 'back.json')}"\n}`);
    const backShown = (await drover(back, ['state', 'show'])).stdout;
    expect(withoutTrail(backShown)).toEqual(withoutTrail(local.stdout));
    expect(operations(backShown)).toEqual(['apply', 'state migrate', 'state migrate']);

    const stranger = machine('stranger', pgState('stranger'));
    writeFileSync(join(stranger, 'jobs', 'x.nomad.hcl'), job('x'));
    expect((await drover(stranger, ['apply', '-auto-approve', 'jobs'])).code).toBe(0);
    const refused = await drover(dir, [
      'state',
      'migrate',
      '-to',
      'postgres',
      '-to-schema',
      'stranger',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already holds another state');
    expect(refused.stderr).toContain('migrate with -force to replace it');
  }, 120_000);
});

/** A `state show` without its audit trail. */
function withoutTrail(shown: string): unknown {
  const { audit: _trail, ...rest } = JSON.parse(shown) as { audit?: unknown };
  return rest;
}

/** The operations of a `state show`'s audit trail, oldest first. */
function operations(shown: string): string[] {
  return ((JSON.parse(shown) as { audit?: { operation: string }[] }).audit ?? []).map(
    (r) => r.operation,
  );
}

/** Waits until some drover holds the state lock (as `state unlock` without an id tells). */
async function waitForLock(dir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await drover(dir, ['state', 'unlock']);
    if (r.stdout.includes('The state is locked by')) return;
    await sleep(100);
  }
  throw new Error('no drover took the state lock');
}

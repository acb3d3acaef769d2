/**
 * Approvals bound to the plan, through the real CLI as a team would use them (mock driver on the
 * local node; local state, then PostgreSQL), with drover.hcl `approvals { required = 2,
 * allow_self = false }`: a change without a planfile is refused; a planfile is refused until two
 * people other than its author approved it, naming who did; an identical re-plan keeps the
 * approvals; a changed plan needs new ones; the apply's audit record names the approvals.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/state/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { drover } from './cli.js';
import { mockJob } from './mock-jobs.js';

const root = mkdtempSync(join(tmpdir(), 'drover-approvals-e2e-'));
mkdirSync(join(root, 'alloc'));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('drover_approvals');
});
afterAll(async () => {
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

function job(id: string, count: number): string {
  return mockJob(id, { count });
}

/** A directory of jobspecs with a drover.hcl requiring two approvals, not the author's. */
class Team {
  readonly dir: string;
  constructor(name: string, state: () => string) {
    this.dir = join(root, name);
    this.state = state;
    mkdirSync(join(this.dir, 'jobs'), { recursive: true });
  }
  private readonly state: () => string;
  configure(): void {
    writeFileSync(
      join(this.dir, 'drover.hcl'),
      `${this.state()}
approvals {
  required   = 2
  allow_self = false
}
node "local" {
  transport  = "local"
  alloc_root = "${join(root, 'alloc')}"
}
`,
    );
  }
  write(id: string, count: number): void {
    writeFileSync(join(this.dir, 'jobs', 'web.nomad.hcl'), job(id, count));
  }
  as(actor: string, ...args: string[]) {
    return drover(this.dir, args, { env: { DROVER_ACTOR: actor, CI: 'true' } });
  }
  hash(planfile: string): string {
    return (JSON.parse(readFileSync(join(this.dir, planfile), 'utf8')) as { hash: string }).hash;
  }
}

function scenario(team: Team, id: string): void {
  it('refuses a change without a planfile, and an unapproved planfile', async () => {
    team.configure();
    team.write(id, 1);
    const direct = await team.as('alice', 'apply', '-auto-approve', 'jobs');
    expect(direct.code).toBe(1);
    expect(direct.stderr).toContain(
      'approvals are required (drover.hcl: approvals { required = 2 }), so changes are applied only from approved planfiles: drover plan -out F, drover approve F, drover apply F',
    );
    expect((await team.as('alice', 'status', id)).code).not.toBe(0);

    const plan = await team.as('alice', 'plan', '-out', 'p1.plan', 'jobs');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      'This plan has 0 of 2 required approvals. To approve it: drover approve p1.plan',
    );
    const planfile = JSON.parse(readFileSync(join(team.dir, 'p1.plan'), 'utf8')) as {
      author: { actor: string };
    };
    expect(planfile.author.actor).toBe('alice');

    const none = await team.as('alice', 'apply', 'p1.plan');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      `plan ${team.hash('p1.plan')} is not approved: it has 0 of 2 required approvals; 2 approvals by other people needed (drover approve p1.plan). Nothing was changed.`,
    );
  });

  it('does not count the author, and refuses with one approval, naming the approver', async () => {
    const self = await team.as('alice', 'approve', 'p1.plan');
    expect(self.code).toBe(1);
    expect(self.stderr).toContain(
      'alice saved this planfile, and drover.hcl says approvals { allow_self = false }: someone else must approve it',
    );

    const bob = await team.as('bob', 'approve', '-m', 'looks right', 'p1.plan');
    expect(bob.stderr).toBe('');
    expect(bob.code).toBe(0);
    expect(bob.stdout).toContain(`Approved plan ${team.hash('p1.plan')} as bob.`);
    expect(bob.stdout).toMatch(/It has 1 of 2 required approvals: bob at \S+\. 1 more needed/);
    const again = await team.as('bob', 'approve', 'p1.plan');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('bob had approved plan');

    const one = await team.as('alice', 'apply', 'p1.plan');
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(
      /is not approved: it has 1 of 2 required approvals: bob at \S+; 1 more approval by another person needed/,
    );
  });

  it('keeps the approvals for an identical re-plan, and ignores its author among them', async () => {
    // carol approves alice's plan; carol's own identical plan has the same hash.
    expect((await team.as('carol', 'approve', 'p1.plan')).code).toBe(0);
    const replan = await team.as('carol', 'plan', '-out', 'p2.plan', 'jobs');
    expect(replan.code).toBe(0);
    expect(team.hash('p2.plan')).toBe(team.hash('p1.plan'));
    expect(replan.stdout).toMatch(
      /This plan has 1 of 2 required approvals: bob at \S+; not counted: carol, who saved the planfile \(approvals \{ allow_self = false \}\)\. To approve it: drover approve p2.plan/,
    );
    const refused = await team.as('carol', 'apply', 'p2.plan');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not counted: carol, who saved the planfile');
  });

  it('applies the plan once two people other than its author approved it', async () => {
    const dave = await team.as('dave', 'approve', '-json', 'p2.plan');
    expect(dave.stderr).toBe('');
    expect(dave.code).toBe(0);
    expect(JSON.parse(dave.stdout)).toMatchObject({
      plan_hash: team.hash('p2.plan'),
      approver: 'dave',
      recorded: true,
      required: 2,
      missing: 0,
      approvals: [{ approver: 'bob' }, { approver: 'dave' }],
    });
    const apply = await team.as('carol', 'apply', 'p2.plan');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('Apply complete.');

    const audit = await team.as('carol', 'audit', '-json');
    const records = (JSON.parse(audit.stdout) as { records: AuditRecord[] }).records;
    // plan -out recorded p1 for review (p2, the same plan, was recorded already).
    expect(records.map((r) => [r.operation, r.actor])).toEqual([
      ['plan', 'alice'],
      ['approve', 'bob'],
      ['approve', 'carol'],
      ['approve', 'dave'],
      ['apply', 'carol'],
    ]);
    const applied = records[4]!;
    expect(applied.plan_hash).toBe(team.hash('p2.plan'));
    expect(applied.approvals?.map((a) => [a.approver, a.message ?? null])).toEqual([
      ['bob', 'looks right'],
      ['dave', null],
    ]);
    // Approving a plan that can no longer apply is refused.
    const stale = await team.as('erin', 'approve', 'p1.plan');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('plan is stale');
    expect(stale.stderr).toContain('a plan that can no longer be applied cannot be approved');
  });

  it('needs new approvals for a changed plan', async () => {
    team.write(id, 2);
    const plan = await team.as('alice', 'plan', '-out', 'p3.plan', 'jobs');
    expect(plan.code).toBe(0);
    expect(team.hash('p3.plan')).not.toBe(team.hash('p2.plan'));
    expect(plan.stdout).toContain('This plan has 0 of 2 required approvals.');
    const refused = await team.as('alice', 'apply', 'p3.plan');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('it has 0 of 2 required approvals');
  });
}

describe('approvals (local state)', () => {
  scenario(new Team('local', () => ''), `approve-local-${process.pid}`);
});

describe('approvals (postgres state)', () => {
  scenario(
    new Team(
      'postgres',
      () => `state {\n  backend = "postgres"\n  url     = "${db.url}"\n  schema  = "approvals"\n}`,
    ),
    `approve-pg-${process.pid}`,
  );
});

import { describe, expect, it } from 'vitest';
import { describeOrigin } from '../../src/audit/origin.js';
import { auditRecordOf, resultOf } from '../../src/audit/record.js';
import { renderAuditText, selectAudit } from '../../src/audit/trail.js';
import { appendAudit, restoredWithTrail, type NewAuditRecord } from '../../src/state/audit.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { AuditRecord } from '../../src/state/types.js';
import type { Plan } from '../../src/generated/plan.js';
import type { ApplyResult } from '../../src/ops/execute.js';

const LINEAGE = '00000000-0000-4000-8000-000000000000';

function rec(
  seq: number,
  time: string,
  jobs: string[],
  extra: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    seq,
    time,
    duration_ms: 1500,
    actor: 'ci-bot',
    operation: 'apply',
    jobs: jobs.map((id) => ({ id, from_version: 0, to_version: 1, change: 'update' })),
    result: 'ok',
    exit_code: 0,
    ...extra,
  };
}

const trail = [
  rec(1, '2026-12-01T00:00:00.000Z', ['web']),
  rec(2, '2026-12-02T00:00:00.000Z', ['db']),
  rec(3, '2026-12-03T00:00:00.000Z', ['web', 'db']),
  rec(4, '2026-12-04T00:00:00.000Z', []),
];

describe('selecting the audit trail', () => {
  it('keeps the order, oldest first', () => {
    expect(selectAudit(trail, {}).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });
  it('by job, time and count (the newest N)', () => {
    expect(selectAudit(trail, { job: 'web' }).map((r) => r.seq)).toEqual([1, 3]);
    expect(
      selectAudit(trail, { since: new Date('2026-12-02T00:00:00Z') }).map((r) => r.seq),
    ).toEqual([2, 3, 4]);
    expect(selectAudit(trail, { limit: 2 }).map((r) => r.seq)).toEqual([3, 4]);
    expect(selectAudit(trail, { job: 'db', limit: 1 }).map((r) => r.seq)).toEqual([3]);
  });
});

describe('rendering the audit trail', () => {
  it('is one line per operation, then its details', () => {
    const text = renderAuditText([
      rec(7, '2026-12-03T00:00:00.000Z', ['web'], {
        operation: 'rollback',
        plan_hash: 'sha256:0123456789abcdef0123',
        git_commit: 'abcdef0123456789abcdef0123456789abcdef01',
        git_branch: 'main',
        git_author: 'Ada <ada@example.com>',
        message: 'too many',
        approvals: [
          {
            plan_hash: 'sha256:' + '0'.repeat(64),
            approver: 'bob',
            git_author: 'Bob <bob@example.com>',
            time: '2026-12-02T10:00:00.000Z',
            serial: 4,
          },
          { plan_hash: 'sha256:' + '0'.repeat(64), approver: 'dave', time: 'T', serial: 5 },
        ],
        result: 'reverted',
        exit_code: 3,
        jobs: [
          {
            id: 'web',
            from_version: 1,
            to_version: 2,
            change: 'update',
            result: 'failed',
            reverted_to: 0,
          },
        ],
      }),
      rec(8, '2026-12-04T00:00:00.000Z', [], {
        operation: 'state unlock',
        duration_ms: 20,
        detail: 'broke lock x',
        result: 'failed',
        exit_code: 1,
        error: 'boom',
      }),
    ]);
    expect(text).toBe(
      [
        '#7  2026-12-03T00:00:00.000Z  ci-bot  rollback  reverted (exit 3, 1.5s)  plan sha256:0123456789ab  git abcdef012345 (main)',
        '    web: version 1 → 2 (update, failed, reverted to version 0)',
        '    git author: Ada <ada@example.com>',
        '    message: too many',
        '    approved by bob (Bob <bob@example.com>) at 2026-12-02T10:00:00.000Z, dave at T',
        '#8  2026-12-04T00:00:00.000Z  ci-bot  state unlock  failed (exit 1, 20ms)',
        '    broke lock x',
        '    error: boom',
      ].join('\n'),
    );
  });
});

describe('audit records', () => {
  it('say ok, reverted or failed from the exit code', () => {
    expect(resultOf(0)).toBe('ok');
    expect(resultOf(5)).toBe('ok');
    expect(resultOf(3)).toBe('reverted');
    expect(resultOf(4)).toBe('failed');
    expect(resultOf(1)).toBe('failed');
    expect(resultOf(0, 'lost the lock')).toBe('failed');
  });

  it('name the jobs a plan changed, their versions and what became of them', () => {
    const plan = {
      hash: 'sha256:ff',
      changes: [],
      jobs: [
        { id: 'web', type: 'update', from_version: 1, to_version: 2 },
        { id: 'db', type: 'none', from_version: 0, to_version: 0 },
        { id: 'old', type: 'destroy', from_version: 4, to_version: null },
      ],
    } as unknown as Plan;
    const applied = {
      state: emptyState(LINEAGE),
      outcomes: [
        {
          job: 'web',
          outcome: { ok: false, result: 'failed', failures: [] },
          revert: { toVersion: 1, outcome: { ok: true, result: 'successful', failures: [] } },
        },
      ],
    } as unknown as ApplyResult;
    const r = auditRecordOf({
      operation: 'apply',
      started: new Date('2026-12-07T10:00:00Z'),
      ended: new Date('2026-12-07T10:00:02.5Z'),
      identity: { actor: 'ci-bot', git: { commit: 'c0ffee', branch: 'main', author: 'Ada <a@x>' } },
      exitCode: 3,
      message: 'ship it',
      plan,
      applied,
    });
    expect(r).toEqual({
      time: '2026-12-07T10:00:00.000Z',
      duration_ms: 2500,
      actor: 'ci-bot',
      git_author: 'Ada <a@x>',
      operation: 'apply',
      plan_hash: 'sha256:ff',
      git_commit: 'c0ffee',
      git_branch: 'main',
      message: 'ship it',
      jobs: [
        {
          id: 'web',
          from_version: 1,
          to_version: 2,
          change: 'update',
          result: 'failed',
          reverted_to: 1,
        },
        { id: 'old', from_version: 4, to_version: null, change: 'destroy' },
      ],
      result: 'reverted',
      exit_code: 3,
    });
  });
});

describe('the audit trail in state', () => {
  const op = (operation: string): NewAuditRecord => ({
    time: '2026-12-07T10:00:00.000Z',
    duration_ms: 1,
    actor: 'ci-bot',
    operation,
    jobs: [],
    result: 'ok',
    exit_code: 0,
  });

  it('numbers records like the event log, from states that have none', () => {
    const s = appendAudit(appendAudit(emptyState(LINEAGE), op('apply')), op('stop'));
    expect(s.audit?.map((r) => [r.seq, r.operation])).toEqual([
      [1, 'apply'],
      [2, 'stop'],
    ]);
  });

  it('is kept by a restore, whatever trail the snapshot had', () => {
    const current = appendAudit(appendAudit(emptyState(LINEAGE), op('apply')), op('stop'));
    const snapshot = { ...appendAudit(emptyState(LINEAGE), op('apply')), serial: 1 };
    const restored = restoredWithTrail(current, snapshot, op('state restore'));
    expect(restored.audit?.map((r) => r.operation)).toEqual(['apply', 'stop', 'state restore']);
    expect(restoredWithTrail(emptyState(LINEAGE), snapshot)).not.toHaveProperty('audit');
  });
});

describe('version origins', () => {
  it.each([
    [undefined, '(not recorded)'],
    [{ kind: 'file', file: 'jobs/web.nomad.hcl' }, 'applied from jobs/web.nomad.hcl'],
    [
      { kind: 'rollback', source_version: 0, reverted_from: 2, reason: 'too many' },
      'rollback to version 0 (from version 2): too many',
    ],
    [
      { kind: 'auto-revert', source_version: 1, reverted_from: 3 },
      'auto-revert from version 3 (to version 1)',
    ],
    [{ kind: 'scale', detail: 'group "web" count 3' }, 'scale: group "web" count 3'],
    [{ kind: 'dispatch' }, 'dispatch (drover job dispatch)'],
    [{ kind: 'periodic' }, 'periodic launch'],
  ] as const)('%j reads %s', (origin, text) => {
    expect(describeOrigin(origin)).toBe(text);
  });
});

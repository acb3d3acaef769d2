import { describe, expect, it } from 'vitest';
import { appendApproval, approvalsFor } from '../../src/state/approvals.js';
import { planBasis } from '../../src/plan/approvals.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';

const LINEAGE = '6f1c2d3e-0000-4000-8000-000000000000';
const H1 = `sha256:${'1'.repeat(64)}`;
const H2 = `sha256:${'2'.repeat(64)}`;
const at = (serial: number): StateSnapshot => ({ ...emptyState(LINEAGE), serial });
const approve = (s: StateSnapshot, approver: string, hash = H1): StateSnapshot => ({
  ...appendApproval(s, { plan_hash: hash, approver, time: '2026-01-01T00:00:00.000Z' }),
  serial: s.serial + 1, // as the write does
});

describe('approvals in state', () => {
  it('stamps each approval with the serial of its write, and finds them by hash', () => {
    const s = approve(approve(approve(at(4), 'alice'), 'bob', H2), 'carol');
    expect(s.approvals?.map((a) => [a.approver, a.serial])).toEqual([
      ['alice', 5],
      ['bob', 6],
      ['carol', 7],
    ]);
    expect(approvalsFor(s, H1).map((a) => a.approver)).toEqual(['alice', 'carol']);
    expect(approvalsFor(at(3), H1)).toEqual([]);
  });

  it('plans count the serial without the writes that only recorded approvals', () => {
    expect(planBasis(at(4))).toEqual({ lineage: LINEAGE, serial: 4 });
    const approved = approve(approve(at(4), 'alice'), 'bob');
    expect(planBasis(approved)).toEqual({ lineage: LINEAGE, serial: 4 });
    // A write of anything else counts, and so do the approvals under it.
    const moved = { ...approved, serial: 7 };
    expect(planBasis(moved).serial).toBe(7);
    expect(planBasis(approve(moved, 'carol')).serial).toBe(7);
  });

  it('writes that only changed ACL tokens, policies or roles leave plans fresh', () => {
    const token = (serial: number) => ({
      accessor_id: '00000000-0000-4000-8000-00000000000' + String(serial),
      secret_hash: `sha256:${'a'.repeat(64)}`,
      name: 't',
      type: 'management' as const,
      policies: [],
      global: true,
      create_time: '2026-01-01T00:00:00.000Z',
      create_index: serial,
      modify_index: serial,
    });
    const policy = { name: 'ro', description: '', rules: '', create_index: 7, modify_index: 8 };
    const acl = {
      bootstrapped: true,
      bootstrap_index: 5,
      tokens: { a: token(5), b: token(6) },
      policies: { ro: policy },
    };
    // Bootstrap (5), a token (6), a policy made (7) and changed (8) on top of serial 4.
    expect(planBasis({ ...at(8), acl }).serial).toBe(4);
    // Token b's write (6) is named by nothing once b is gone: counted, the plan is stale.
    expect(planBasis({ ...at(9), acl: { ...acl, tokens: { c: token(9) } } }).serial).toBe(6);
    expect(planBasis({ ...at(10), acl }).serial).toBe(10);
  });
});

import { describe, expect, it } from 'vitest';
import {
  approvalRefusal,
  countApprovals,
  describeCount,
  planfileRequired,
} from '../../src/plan/approvals.js';
import type { PlanApproval } from '../../src/state/types.js';

const H1 = `sha256:${'1'.repeat(64)}`;
const H2 = `sha256:${'2'.repeat(64)}`;
let serial = 0;
const by = (approver: string, hash = H1, extra: Partial<PlanApproval> = {}): PlanApproval => ({
  plan_hash: hash,
  approver,
  time: `2026-01-01T00:00:0${++serial % 10}.000Z`,
  serial,
  ...extra,
});
const plan = (author?: string) => ({ hash: H1, ...(author ? { author: { actor: author } } : {}) });
const two = { required: 2, allowSelf: true };
const twoNoSelf = { required: 2, allowSelf: false };

describe('countApprovals', () => {
  it('counts the approvals of the plan hash only', () => {
    const c = countApprovals(two, [by('alice', H2), by('bob'), by('carol', H2)], plan());
    expect(c.counted.map((a) => a.approver)).toEqual(['bob']);
    expect(c.missing).toBe(1);
  });

  it('counts each person once, however often they approved', () => {
    const c = countApprovals(two, [by('alice'), by('alice'), by('alice')], plan());
    expect(c.counted.map((a) => a.approver)).toEqual(['alice']);
    expect(c.missing).toBe(1);
    expect(describeCount(c)).not.toContain('not counted');
  });

  it('is satisfied by two distinct people', () => {
    const c = countApprovals(two, [by('alice'), by('bob')], plan());
    expect(c.missing).toBe(0);
    expect(c.counted.map((a) => a.approver)).toEqual(['alice', 'bob']);
  });

  it('counts the author with allow_self (the default)', () => {
    expect(countApprovals(two, [by('alice'), by('bob')], plan('alice')).missing).toBe(0);
  });

  it('ignores the author with allow_self = false, and says why', () => {
    const c = countApprovals(twoNoSelf, [by('alice'), by('bob')], plan('alice'));
    expect(c.counted.map((a) => a.approver)).toEqual(['bob']);
    expect(c.missing).toBe(1);
    expect(c.ignored.map((i) => [i.approval.approver, i.why])).toEqual([
      ['alice', 'saved the planfile (approvals { allow_self = false })'],
    ]);
  });

  it('with allow_self = false counts nobody for a planfile that does not name its author', () => {
    const c = countApprovals(twoNoSelf, [by('alice'), by('bob')], plan());
    expect(c.counted).toEqual([]);
    expect(c.missing).toBe(2);
  });

  it('needs nothing when nothing is required', () => {
    expect(countApprovals({ required: 0, allowSelf: true }, [], plan()).missing).toBe(0);
  });
});

describe('messages', () => {
  it('names who approved, who does not count, and how many are missing', () => {
    const alice = by('alice', H1, { git_author: 'Alice <a@x>', time: '2026-01-01T10:00:00.000Z' });
    const c = countApprovals(twoNoSelf, [alice, by('bob')], plan('bob'));
    expect(approvalRefusal(c, 'web.plan', H1)).toBe(
      `plan ${H1} is not approved: it has 1 of 2 required approvals: alice (Alice <a@x>) at ` +
        '2026-01-01T10:00:00.000Z; not counted: bob, who saved the planfile (approvals { allow_self = false }); ' +
        '1 more approval by another person needed (drover approve web.plan). Nothing was changed.',
    );
    const none = countApprovals(two, [], plan());
    expect(approvalRefusal(none, 'p', H1)).toContain(
      'it has 0 of 2 required approvals; 2 approvals by other people needed',
    );
  });

  it('tells how to work with approvals required', () => {
    expect(planfileRequired({ required: 2, allowSelf: true })).toContain(
      'drover plan -out F, drover approve F, drover apply F',
    );
  });
});

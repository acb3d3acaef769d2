/**
 * Whether a plan has the approvals drover.hcl requires (`approvals { required, allow_self }`),
 * and how to say so. Pure: the approvals recorded for the plan's hash, the rule and the plan's
 * author come in. Approvals count once per person (the approver's actor); with
 * `allow_self = false` the approval of the person who saved the planfile does not count.
 */
import type { Plan } from '../generated/plan.js';
import type { PlanApproval, StateSnapshot } from '../state/types.js';

/** drover.hcl `approvals` (config/ has the same shape; this layer does not import it). */
export interface ApprovalRule {
  required: number;
  allowSelf: boolean;
}

export interface ApprovalCount {
  required: number;
  /** The approvals that count: one per approver, the first they gave. */
  counted: PlanApproval[];
  /** Approvals of the plan that do not count, and why. */
  ignored: { approval: PlanApproval; why: string }[];
  /** How many more approvals by other people the plan needs. */
  missing: number;
}

export const NO_APPROVALS: ApprovalRule = { required: 0, allowSelf: true };

/*
 * An approval is a write to the state like any other, but it must not make the plan it approves
 * stale, nor change the hash of the same plan made again: plans count the state's serial
 * without the writes that only recorded approvals (nor those that only saved a plan for review
 * or recorded its rejection: state/plans).
 */
export interface PlanBasis {
  lineage: string;
  serial: number;
}

/**
 * The lineage and serial a plan is computed against and checked with: the state's serial less
 * the writes on top of it that only recorded approvals, saved plans or rejections, or changed
 * ACL tokens, policies or roles (each names the serial of its write, and such a write records
 * nothing else a plan reads). A write whose serial nothing names any more (a deleted token's)
 * counts: the plan is stale, never wrongly fresh.
 */
export function planBasis(
  state: Pick<StateSnapshot, 'lineage' | 'serial' | 'approvals' | 'plans' | 'acl'>,
): PlanBasis {
  const approvalWrites = new Set([
    ...(state.approvals ?? []).map((a) => a.serial),
    ...planRecordSerials(state),
    ...aclWriteSerials(state),
  ]);
  let serial = state.serial;
  while (serial > 0 && approvalWrites.has(serial)) serial--;
  return { lineage: state.lineage, serial };
}

/** The serials of the writes that only saved a plan for review or recorded a rejection of one. */
function planRecordSerials(state: Pick<StateSnapshot, 'plans'>): number[] {
  return Object.values(state.plans ?? {}).flatMap((saved) => [
    saved.serial,
    ...(saved.rejections ?? []).map((r) => r.serial),
  ]);
}

/**
 * The serials of the writes that made or last changed ACL objects (`drover server`'s ACL endpoints write nothing
 * else but their audit record), so that making a token after `plan -out` leaves the plan fresh.
 */
function aclWriteSerials(state: Pick<StateSnapshot, 'acl'>): number[] {
  const acl = state.acl;
  if (!acl) return [];
  return [
    ...(acl.bootstrap_index === undefined ? [] : [acl.bootstrap_index]),
    ...[...Object.values(acl.tokens), ...Object.values(acl.policies)].flatMap((o) => [
      o.create_index,
      o.modify_index,
    ]),
    ...Object.values(acl.roles ?? {}).flatMap((r) => [r.create_index, r.modify_index]),
  ];
}

/** Counts the approvals of `plan` among `approvals` (any hash: others are left out). */
export function countApprovals(
  rule: ApprovalRule,
  approvals: readonly PlanApproval[],
  plan: Pick<Plan, 'hash' | 'author'>,
): ApprovalCount {
  const counted: PlanApproval[] = [];
  const ignored: ApprovalCount['ignored'] = [];
  const author = plan.author?.actor;
  for (const a of approvals) {
    if (a.plan_hash !== plan.hash) continue;
    const why = notCounted(rule, a, author, counted);
    if (why) ignored.push({ approval: a, why });
    else counted.push(a);
  }
  return {
    required: rule.required,
    counted,
    ignored,
    missing: Math.max(0, rule.required - counted.length),
  };
}

function notCounted(
  rule: ApprovalRule,
  a: PlanApproval,
  author: string | undefined,
  counted: readonly PlanApproval[],
): string | undefined {
  if (counted.some((c) => c.approver === a.approver)) return 'approved more than once';
  if (rule.allowSelf) return undefined;
  if (author === undefined)
    return 'approved a planfile that does not say who saved it (allow_self = false cannot be checked)';
  return a.approver === author
    ? 'saved the planfile (approvals { allow_self = false })'
    : undefined;
}

/** `alice@ci (Alice <a@x>) at 2026-…`: an approval in a sentence. */
export function describeApproval(a: PlanApproval): string {
  return `${a.approver}${a.git_author ? ` (${a.git_author})` : ''} at ${a.time}`;
}

/** `1 of 2 required approvals: alice@ci … at …`, with what does not count. */
export function describeCount(c: ApprovalCount): string {
  const n = c.counted.length;
  const noun = (c.required || n) === 1 ? 'approval' : 'approvals';
  const who = n ? `: ${c.counted.map(describeApproval).join(', ')}` : '';
  const ignored = c.ignored
    .filter((i) => i.why !== 'approved more than once')
    .map((i) => `; not counted: ${i.approval.approver}, who ${i.why}`)
    .join('');
  return `${n}${c.required > 0 ? ` of ${c.required} required` : ''} ${noun}${who}${ignored}`;
}

/** Why `apply PLANFILE` refuses an under-approved plan, and what to do. */
export function approvalRefusal(c: ApprovalCount, planfile: string, hash: string): string {
  const others = c.counted.length > 0 ? ' more' : '';
  return (
    `plan ${hash} is not approved: it has ${describeCount(c)}; ` +
    `${c.missing}${others} approval${c.missing === 1 ? '' : 's'} by ${c.missing === 1 ? 'another person' : 'other people'} needed ` +
    `(drover approve ${planfile}). Nothing was changed.`
  );
}

/** Why a change that is not an approved planfile is refused while approvals are required. */
export function planfileRequired(rule: ApprovalRule): string {
  return (
    `approvals are required (drover.hcl: approvals { required = ${rule.required} }), so changes ` +
    `are applied only from approved planfiles: drover plan -out F, drover approve F, drover apply F. ` +
    `Nothing was changed.`
  );
}

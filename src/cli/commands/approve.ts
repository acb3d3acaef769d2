/**
 * `drover approve PLANFILE [-m MESSAGE]`: records that the person running it (DROVER_ACTOR in
 * CI, else user@host; the git author beside it) approves exactly this plan, by its hash. With
 * drover.hcl `approvals { required = N }`, `drover apply PLANFILE` runs it only once N people
 * have (see plan/approvals).
 */
import type { Command } from 'commander';
import { currentIdentity } from '../../audit/identity.js';
import { approvePlan } from '../../ops/index.js';
import { describeCount, NO_APPROVALS } from '../../plan/approvals.js';
import { readPlanfileOrThrow } from './plan.js';
import { auditRecordNow } from '../audit-trail.js';
import { printJson, type Output } from '../output.js';
import { withSession } from '../with-session.js';
import { LOCK_TIMEOUT_OPTION, lockTimeoutMs } from '../common.js';

interface ApproveOptions {
  config?: string;
  json?: boolean;
  message?: string;
  lockTimeout?: string;
}

export function registerApprove(program: Command, io: (json: boolean) => Output): void {
  program
    .command('approve')
    .description(
      'approve a saved plan (plan -out FILE): recorded in state, bound to the plan hash; apply FILE needs the approvals drover.hcl requires',
    )
    .argument('<planfile>', 'a plan saved with plan -out')
    .option('-m, --message <text>', 'why: recorded with the approval and in the audit trail')
    .option(...LOCK_TIMEOUT_OPTION)
    .option('--config <file>', 'the drover.hcl to use')
    .option('--json', 'print machine-readable JSON')
    .action(async (planfile: string, opts: ApproveOptions) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        const plan = readPlanfileOrThrow(planfile);
        const identity = currentIdentity();
        const started = new Date();
        const rule = session.config.approvals ?? NO_APPROVALS;
        const result = await approvePlan(session, {
          plan,
          rule,
          lockTimeoutMs: lockTimeoutMs(opts),
          approval: {
            plan_hash: plan.hash,
            approver: identity.actor,
            ...(identity.git.author ? { git_author: identity.git.author } : {}),
            time: started.toISOString(),
            ...(opts.message ? { message: opts.message } : {}),
          },
          audit: (count) => ({
            ...auditRecordNow('approve', started, 0, {
              detail: `approved the plan: it has ${describeCount(count)}`,
              ...(opts.message ? { message: opts.message } : {}),
            }),
            plan_hash: plan.hash,
          }),
        });
        const { count } = result;
        if (o.json) {
          printJson(o, {
            plan_hash: plan.hash,
            approver: identity.actor,
            ...(identity.git.author ? { git_author: identity.git.author } : {}),
            recorded: result.recorded,
            required: count.required,
            missing: count.missing,
            approvals: count.counted,
          });
        } else {
          const who = `${identity.actor}${identity.git.author ? ` (${identity.git.author})` : ''}`;
          o.out(
            result.recorded
              ? `Approved plan ${plan.hash} as ${who}.`
              : `${who} had approved plan ${plan.hash} already; nothing was recorded.`,
          );
          o.out(
            `It has ${describeCount(count)}.` +
              (count.missing > 0
                ? ` ${count.missing} more needed from ${count.missing === 1 ? 'another person' : 'other people'}.`
                : ` To apply it: drover apply ${planfile}`),
          );
        }
        process.exitCode = 0;
      });
    });
}

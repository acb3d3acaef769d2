/**
 * `drover approve PLANFILE [-m MESSAGE]`: records that the person running it (DROVER_ACTOR in
 * CI, else user@host; the git author beside it) approves exactly this plan, by its hash. With
 * drover.hcl `approvals { required = N }`, `drover apply PLANFILE` runs it only once N people
 * have (see plan/approvals). Through a server (-address) the token's actor approves the plan
 * saved there with that hash (cli/remote/approve).
 */
import type { Command } from 'commander';
import { currentIdentity } from '../../audit/identity.js';
import { approvePlan } from '../../ops/index.js';
import { describeCount, NO_APPROVALS, type ApprovalCount } from '../../plan/approvals.js';
import { readPlanfileOrThrow } from './plan.js';
import { auditRecordNow } from '../audit-trail.js';
import { printJson, type Output } from '../output.js';
import { withSession } from '../with-session.js';
import { LOCK_TIMEOUT_OPTION, lockTimeoutMs } from '../common.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteApprove } from '../remote/approve.js';

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
    .action(async (planfile: string, opts: ApproveOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote)
        return runRemote(o, remote, async (api) => {
          const plan = readPlanfileOrThrow(planfile);
          const r = await remoteApprove(api, plan, planfile, opts.message);
          printApproval(o, planfile, plan.hash, { actor: r.approver }, r.recorded, r.count);
        });
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
        printApproval(
          o,
          planfile,
          plan.hash,
          { actor: identity.actor, gitAuthor: identity.git.author },
          result.recorded,
          result.count,
        );
        process.exitCode = 0;
      });
    });
}

/** What an approval did: recorded or not, and what the plan has now. */
function printApproval(
  o: Output,
  planfile: string,
  hash: string,
  approver: { actor: string; gitAuthor?: string | undefined },
  recorded: boolean,
  count: ApprovalCount,
): void {
  const { actor, gitAuthor } = approver;
  if (o.json)
    return printJson(o, {
      plan_hash: hash,
      approver: actor,
      ...(gitAuthor ? { git_author: gitAuthor } : {}),
      recorded,
      required: count.required,
      missing: count.missing,
      approvals: count.counted,
    });
  const who = `${actor}${gitAuthor ? ` (${gitAuthor})` : ''}`;
  o.out(
    recorded
      ? `Approved plan ${hash} as ${who}.`
      : `${who} had approved plan ${hash} already; nothing was recorded.`,
  );
  o.out(
    `It has ${describeCount(count)}.` +
      (count.missing > 0
        ? ` ${count.missing} more needed from ${count.missing === 1 ? 'another person' : 'other people'}.`
        : ` To apply it: drover apply ${planfile}`),
  );
}

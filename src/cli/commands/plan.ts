import { redactPlan } from '../../plan/redact.js';
import type { Command } from 'commander';
import type { Plan } from '../../generated/plan.js';
import type { StateSnapshot } from '../../state/types.js';
import { naturalCompare } from '../../plan/diff.js';
import { unplacedAllocations } from '../../plan/unplaced.js';
import { checkPlanFresh, readPlanfile, writePlanfile } from '../../plan/planfile.js';
import { addJobInputOptions, LOCK_TIMEOUT_OPTION, lockTimeoutMs } from '../common.js';
import { printJson, type Output } from '../output.js';
import {
  executePlan,
  exitCodeOf,
  makePlan,
  observe,
  planHasChanges,
  planImages,
  recordRefresh,
  withStateLock,
  type ApplyResult,
  type Observed,
} from '../../ops/index.js';
import type { ProgressEvent } from '../../deploy/apply.js';
import type { Session } from '../session.js';
import { UserError, withSession } from '../with-session.js';
import { approve, printObserved, printPlan, ProgressView } from '../views.js';
import { checkStickyRollbacks, startAudit } from '../audit-trail.js';
import {
  driftedOf,
  observeForPlan,
  printPlanDrift,
  runDrift,
  withDrift,
  type PlanObserved,
} from '../drift-view.js';
import { cliApplyHooks, printPostHookFailures } from '../apply-hooks.js';
import { applyWithHooks, planWithHooks } from '../../ops/hooks.js';
import { atomicJson, orderDesired, printOrderSummary } from '../job-order.js';
import {
  approvalsNote,
  authoredPlan,
  refuseWithoutPlanfile,
  requireApprovals,
} from '../approvals.js';
import type { PlanApproval } from '../../state/types.js';
import { PRUNE_OPTION, withPrune } from '../prune.js';
import { changedJobs } from '../../plan/changed-jobs.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteApply, remotePlan } from '../remote/apply.js';
import { recordPlanfile } from '../saved-plan.js';

import { isPlanfile, loadDesired, type PlanOptions } from '../desired-jobs.js';
export type { PlanOptions, LoadedDesired } from '../desired-jobs.js';
export { isPlanfile, loadDesired } from '../desired-jobs.js';

export function addStateOptions(cmd: Command): Command {
  return cmd
    .option(
      '--config <file>',
      'the drover.hcl to use (default ./drover.hcl, else the embedded default)',
    )
    .option('--refresh <bool>', 'look at the hosts before planning (true|false)', 'true');
}

export function addApplyOptions(cmd: Command): Command {
  return cmd
    .option('--auto-approve', 'apply without asking for approval')
    .option(...LOCK_TIMEOUT_OPTION)
    .option('-m, --message <text>', 'why: recorded in the audit trail (drover audit)');
}

/** For commands that plan job files: go ahead with a jobspec equal to a version rolled back since. */
function addRollForwardOption(cmd: Command): Command {
  return cmd.option(
    '--roll-forward',
    'apply a jobspec even though the version it equals was rolled back (rollback or auto-revert) since',
  );
}

/** For commands that change something: save the plan instead of applying it. */
export function addOutOption(cmd: Command): Command {
  return cmd.option(
    '--out <file>',
    'save the plan to a file instead of applying it; `drover apply FILE` applies exactly it',
  );
}

export function registerPlan(program: Command, io: (json: boolean) => Output): void {
  addRollForwardOption(
    addStateOptions(
      addJobInputOptions(
        program
          .command('plan')
          .description('show what apply would change')
          .argument('<paths...>', 'job files or directories of them'),
      ),
    ),
  )
    .option('--out <file>', 'save the plan to a file that `drover apply FILE` applies exactly')
    .option(...PRUNE_OPTION)
    .option('--detailed-exitcode', 'exit 0 when nothing changes, 2 when something does')
    .option('--verbose', 'show unchanged fields too')
    .option(
      '--refresh-only',
      'compare what runs with what was applied (drover drift); exit 2 on drift',
    )
    .action(async (paths: string[], opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote) return runRemote(o, remote, (api) => remotePlan(api, o, paths, opts, cmd));
      if (opts.refreshOnly) return runDrift(o, paths, opts, (p) => jobIdsOf(o, p, opts));
      const loaded = loadDesired(o, paths, opts);
      if (!loaded) return fail(1);
      await withSession(o, opts, async (session) => {
        const observed = await observeForPlan(session, opts.refresh !== 'false', loaded.desired);
        const plan = planWithHooks(
          session.config.hooks ?? [],
          await withImages(
            session,
            planOfFiles(o, session, observed, loaded, paths, opts),
            observed,
            opts,
          ),
          false,
        );
        if (!o.json) printPlanDrift(o, observed);
        await showPlan(o, session, observed, plan, opts, false);
        process.exitCode = opts.detailedExitcode && planHasChanges(plan) ? 2 : 0;
      });
    });
}

export function registerApply(program: Command, io: (json: boolean) => Output): void {
  addRollForwardOption(
    addApplyOptions(
      addStateOptions(
        addJobInputOptions(
          program
            .command('apply')
            .description(
              'apply jobs (files or directories), or exactly a plan saved with plan -out',
            )
            .argument('<paths...>', 'job files or directories, or one planfile'),
        ),
      ),
    ),
  )
    .option('--verbose', 'show unchanged fields too')
    .option(...PRUNE_OPTION)
    .option('--detach', 'return once the first allocations started, with the deployment id')
    .option(
      '--atomic',
      'all or nothing: when a deployment fails, start no later job and put back every job this apply changed (exit 3)',
    )
    .action(async (paths: string[], opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote) return runRemote(o, remote, (api) => remoteApply(api, o, paths, opts, cmd));
      const planfile = paths.length === 1 && isPlanfile(paths[0]!) ? paths[0]! : undefined;
      const loaded = planfile
        ? { desired: [], diagnostics: [], ordering: [], sources: new Map<string, string>() }
        : loadDesired(o, paths, opts);
      if (!loaded) return fail(1);
      await withSession(o, opts, (session) =>
        lockedApply(o, session, opts, 'apply', async (observed) => {
          if (!planfile) {
            // The drifted allocations of the jobs applied are replaced.
            const drifted =
              opts.refresh === 'false'
                ? observed
                : await withDrift(session, observed, loaded.desired);
            if (!o.json) printPlanDrift(o, drifted);
            return { plan: planOfFiles(o, session, drifted, loaded, paths, opts), saved: false };
          }
          if (opts.prune !== undefined)
            throw new UserError(
              `-prune applies when planning: ${planfile} is applied exactly as it was planned, its prunes included. Plan again with -prune=${opts.prune} -out FILE to change them.`,
            );
          const saved = readPlanfileOrThrow(planfile);
          const fresh = checkPlanFresh(saved, observed.stored);
          if (!fresh.ok) throw new UserError(fresh.message);
          const approvals = requireApprovals(session.config, observed.stored, saved, planfile);
          return { plan: saved, saved: true, approvals };
        }),
      );
    });
}

/** A saved plan; a file that is not one (or is damaged) is a user error saying why. */
export function readPlanfileOrThrow(path: string): Plan {
  const read = readPlanfile(path);
  if ('error' in read)
    throw new UserError(read.error.summary + (read.error.detail ? `: ${read.error.detail}` : ''));
  return read.plan;
}

/**
 * The plan of job files against what was observed: sticky rollbacks checked, the jobs in their
 * order (drover.after, drover.wave), and the prunes last, after the ordered jobs.
 */
function planOfFiles(
  o: Output,
  session: Session,
  observed: PlanObserved,
  loaded: NonNullable<ReturnType<typeof loadDesired>>,
  paths: string[],
  opts: PlanOptions,
): Plan {
  const sticky = checkStickyRollbacks(observed.stored, loaded.desired, !!opts.rollForward);
  const ordered = orderDesired(o, loaded.desired, loaded.ordering, loaded.sources, observed.stored);
  const pruned = withPrune(ordered.desired, paths, opts, session.config, observed.stored);
  return makePlan(session, observed, pruned.desired, {
    warnings: [...loaded.diagnostics, ...sticky, ...pruned.warnings],
    ...(ordered.order ? { order: ordered.order } : {}),
    drifted: driftedOf(observed),
  });
}

/**
 * The plan with the images its nodes lack (copied from this machine, or pulled), found by
 * looking at the engines on both sides: not with -refresh=false, which looks at no host.
 */
function withImages(
  session: Session,
  plan: Plan,
  observed: Observed,
  opts: PlanOptions,
): Promise<Plan> {
  return opts.refresh === 'false'
    ? Promise.resolve(plan)
    : planImages(session, plan, observed.state);
}

/**
 * Prints a plan (and what refresh saw), saving it first when `-out` was given (with who saved
 * it, recorded in state for review, and saying how many approvals the plan has already).
 * `locked`: the caller holds the state lock.
 */
async function showPlan(
  o: Output,
  session: Session,
  observed: Observed,
  plan: Plan,
  opts: PlanOptions,
  locked: boolean,
): Promise<void> {
  const saved = opts.out ? authoredPlan(plan) : plan;
  if (opts.out) {
    writePlanfile(opts.out, saved);
    await recordPlanfile(o, session, saved, opts.out, locked);
  }
  if (o.json) printJson(o, redactPlan(plan));
  else {
    printObserved(o, observed);
    printPlan(o, plan, opts.verbose);
    if (opts.out) {
      o.out(`\nSaved the plan to ${opts.out}. To apply exactly it: drover apply ${opts.out}`);
      const note = approvalsNote(session.config, observed.stored, saved, opts.out);
      if (note) o.out(note);
    }
  }
}

/** The plan to apply; a saved one (a planfile) with the approvals that let it run. */
interface GotPlan {
  plan: Plan;
  saved: boolean;
  approvals?: PlanApproval[];
}

/**
 * Takes the state lock, observes, gets the plan, shows it, asks for approval (not for a saved
 * plan: it was reviewed when it was made, nor with `-auto-approve`), executes it, and sets the
 * exit code. With `-out` the plan is saved and nothing is applied. Nothing is written before
 * approval. With `-json`, apply streams JSON lines: the plan, one line per progress event
 * naming the plan step it belongs to, and the result.
 */
export async function lockedApply(
  o: Output,
  session: Session,
  opts: PlanOptions,
  operation: string,
  getPlan: (observed: Observed) => Promise<GotPlan> | GotPlan,
): Promise<void> {
  const timeoutMs = lockTimeoutMs(opts);
  await withStateLock(session, operation, timeoutMs, async () => {
    const observed = await observe(session, opts.refresh !== 'false', { locked: true });
    const got = await getPlan(observed);
    const saved = got.saved;
    // With approvals required, only an approved planfile changes anything.
    if (!saved && !opts.out) refuseWithoutPlanfile(session.config);
    // A saved plan says what it copies already; a new one looks at the engines now.
    const plan = planWithHooks(
      session.config.hooks ?? [],
      saved ? got.plan : await withImages(session, got.plan, observed, opts),
      saved,
    );
    if (opts.out && !saved) {
      await showPlan(o, session, observed, plan, opts, true);
      process.exitCode = 0;
      return;
    }
    const line = (value: unknown) => o.out(JSON.stringify(value));
    if (o.json) line({ type: 'plan', plan: redactPlan(plan) });
    else {
      printObserved(o, observed);
      printPlan(o, plan, opts.verbose);
    }
    if (!planHasChanges(plan)) {
      // Nothing to do on the hosts, but what refresh found is kept (Terraform does too).
      await recordRefresh(session, observed);
      if (o.json) line({ type: 'result', applied: false, exit_code: 0, jobs: [] });
      process.exitCode = 0;
      return;
    }
    if (!saved && !opts.autoApprove) {
      const ok = await approve(o, 'Do you want to perform these actions?');
      if (ok === 'no-tty')
        throw new UserError(
          `No terminal to ask for approval, so nothing was changed. Review the plan and run again with -auto-approve, or save it with -out FILE and apply exactly it with drover apply FILE.`,
        );
      if (!ok) {
        o.err('Apply cancelled: nothing was changed.');
        process.exitCode = 1;
        return;
      }
    }
    const view = new ProgressView(o);
    const onEvent = (ev: ProgressEvent) =>
      o.json ? line({ type: 'progress', ...ev }) : view.onEvent(ev);
    const audit = startAudit(session.store, operation, {
      plan,
      ...(opts.message ? { message: opts.message } : {}),
      ...(got.approvals?.length ? { approvals: got.approvals } : {}),
    });
    // drover.hcl's hooks run here, inside the lock: pre-apply before any change.
    const hooks = cliApplyHooks(o, session.config, plan, operation, {
      jsonLine: line,
      beforeOutput: () => view.done(),
    });
    const atomic = opts.atomic || (operation === 'apply' && session.config.atomic);
    const unplaced = unplacedAllocations(plan.jobs);
    const { result, code } = await applyWithHooks(
      hooks,
      (jobHooks) =>
        executePlan(session, plan, observed, onEvent, {
          ...(opts.detach ? { detach: true } : {}),
          ...(jobHooks ? { jobHooks } : {}),
          ...(atomic ? { atomic: true } : {}),
        }),
      // A job recorded with allocations nowhere to run is not a success a CI pipeline may pass.
      (r) => Math.max(exitCodeOf(r), unplaced > 0 ? 4 : 0),
    ).catch(async (err: unknown) => {
      await audit.failed(err, hooks.records);
      throw err;
    });
    view.done();
    await audit.done(code, result, hooks.records);
    if (o.json)
      line({
        type: 'result',
        applied: true,
        exit_code: code,
        unplaced,
        jobs: result.outcomes.map((r) => ({
          id: r.job,
          result: r.outcome.result,
          deployment_id: r.outcome.deploymentId ?? null,
          description: r.outcome.description ?? null,
          failures: r.outcome.failures,
          revert: r.revert
            ? {
                to_version: r.revert.toVersion ?? null,
                result: 'outcome' in r.revert ? r.revert.outcome.result : 'none',
              }
            : null,
        })),
        hooks: hooks.records,
        ...(result.atomic ? { atomic: atomicJson(result.atomic) } : {}),
      });
    else {
      printApplySummary(o, session, plan, result, unplaced);
      printPostHookFailures(o, hooks.failedAfter());
    }
    process.exitCode = code;
  });
}

function printApplySummary(
  o: Output,
  session: Session,
  plan: Plan,
  result: ApplyResult,
  unplaced: number,
): void {
  for (const r of result.outcomes) {
    const { outcome } = r;
    if (outcome.result === 'failed') {
      for (const x of outcome.failures)
        o.err(
          `${o.errStyle.error('error')}: ${r.job}: ${x.name} (${x.allocId.slice(0, 8)}): ${x.reason}`,
        );
      const deployed = plan.jobs.find((j) => j.id === r.job)?.deployment != null;
      if (r.notStarted) o.err(`${r.job}: not started: ${r.notStarted}.`);
      else if (!deployed)
        // batch, sysbatch and anything else rolled out without a deployment: nothing to revert.
        o.err(
          `${r.job}: allocations failed (the job rolls out without a deployment, so nothing is reverted); \`drover alloc status\` and \`drover logs\` show why.`,
        );
      else if (r.revert && 'outcome' in r.revert)
        o.err(
          r.revert.outcome.ok
            ? `${r.job}: the deployment failed; rolled back to job version ${r.revert.toVersion} (auto_revert).`
            : `${r.job}: the deployment failed, and so did the rollback to job version ${r.revert.toVersion}.`,
        );
      else if (r.revert)
        o.err(`${r.job}: the deployment failed and was not reverted: ${r.revert.why}.`);
      else if (!result.atomic)
        o.err(
          `${r.job}: the deployment failed and nothing was reverted (the job has no auto_revert).`,
        );
    } else if (outcome.result === 'detached')
      o.out(
        `\n${r.job}: deployment ${outcome.deploymentId ?? ''} is running (detached). Follow it with: drover deployment status ${r.job}; drover apply carries it on.`,
      );
    else if (outcome.result === 'awaiting-promotion')
      o.out(
        `\n${r.job}: canaries are healthy. ${outcome.description ?? ''}\nPromote them with: drover promote ${r.job}`,
      );
  }
  printOrderSummary(o, result);
  if (unplaced > 0)
    o.err(
      `${o.errStyle.error('error')}: ${unplaced} ${unplaced === 1 ? 'allocation' : 'allocations'} could not be placed (the plan's "Scheduler dry-run" says why); the job is recorded, and the next apply places ${unplaced === 1 ? 'it' : 'them'} once a node can take ${unplaced === 1 ? 'it' : 'them'}.`,
    );
  else if (result.outcomes.every((r) => r.outcome.ok)) {
    const waiting = result.outcomes.some((r) => r.outcome.result === 'awaiting-promotion');
    const detached = result.outcomes.some((r) => r.outcome.result === 'detached');
    o.out(
      o.style.bold(
        detached
          ? '\nApply started; the deployment goes on in state.'
          : waiting
            ? '\nApply complete; canaries wait for promotion.'
            : '\nApply complete.',
      ),
    );
  }
  printEndpoints(o, session, plan, result.state);
}

/**
 * Where the jobs an apply touched can be reached: every allocation of theirs that runs and is
 * healthy, not only the ones it placed (after a scale up, the others serve too).
 */
function printEndpoints(o: Output, session: Session, plan: Plan, state: StateSnapshot): void {
  const touched = new Set(changedJobs(plan).map((j) => j.id));
  const host = (node: string): string => {
    const spec = session.nodes.get(node);
    return spec?.transport === 'local' ? '127.0.0.1' : (spec?.address ?? node);
  };
  const lines = Object.values(state.allocations)
    .filter(
      (a) =>
        touched.has(a.job) &&
        a.desired_status === 'run' &&
        a.client_status === 'running' &&
        a.health?.healthy === true &&
        a.ports.length > 0,
    )
    .sort((a, b) => naturalCompare(a.name, b.name) || naturalCompare(a.id, b.id))
    .map(
      (a) =>
        `  ${a.name}: ${a.ports.map((port) => `${port.label} ${host(a.node)}:${port.value}`).join(', ')}`,
    );
  if (lines.length) o.out(`\nReachable at:\n${lines.join('\n')}`);
}

/** The ids of the jobs in `paths`; undefined (diagnostics printed) when they do not load. */
export function jobIdsOf(o: Output, paths: string[], opts: PlanOptions): Set<string> | undefined {
  const loaded = loadDesired(o, paths, opts);
  return loaded && new Set(loaded.desired.map((d) => d.id));
}

function fail(code: number): void {
  process.exitCode = code;
}

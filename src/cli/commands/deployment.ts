/** Deployments: promote canaries, look at a job's deployment, fail it. */
import type { Command } from 'commander';
import type { StateSnapshot } from '../../state/types.js';
import { printJson, type Output } from '../output.js';
import {
  isActiveDeployment,
  latestDeployment,
  observe,
  planFail,
  planPromote,
  resolveJobKey,
} from '../../ops/index.js';
import { lookUp, mutate, table } from './jobs.js';
import { selectedNamespace } from '../namespace.js';
import { jobIdentity } from '../../state/job-key.js';
import { UserError, withSession } from '../with-session.js';
import { addApplyOptions, addOutOption, addStateOptions, type PlanOptions } from './plan.js';
import type { Deployment } from '../../state/types.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteDeployment } from '../remote/deployment.js';
import { failRequest, promoteRequest, remoteChange } from '../remote/writes.js';

export function registerDeploymentCommands(program: Command, io: (json: boolean) => Output): void {
  // Like Nomad's `deployment promote`, promote asks no question: naming the job is the decision.
  addOutOption(
    addApplyOptions(
      addStateOptions(
        program
          .command('promote')
          .description('promote the healthy canaries of a job: the rest of the rollout proceeds')
          .argument('<job>'),
      ),
    ),
  )
    .option('--group <name>', 'promote only this group')
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, opts: PlanOptions & { group?: string }, cmd: Command) =>
        remoteChange(io, { ...opts, autoApprove: true }, cmd, (api, ns) =>
          promoteRequest(api, jobId, opts.group, ns),
        ) ??
        mutate(io, { ...opts, autoApprove: true }, 'promote', (session, observed) =>
          planPromote(session, observed, lookUp(observed, opts, jobId), opts.group),
        ),
    );

  const deployment = program
    .command('deployment')
    .description("look at or fail a job's deployment");
  addStateOptions(
    deployment.command('status').description("the job's latest deployment").argument('<job>'),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string, opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote)
        return runRemote(o, remote, async (api) =>
          // The server carries its deployments on: one is never left unattended.
          printDeployment(o, jobId, await remoteDeployment(api, jobId, cmd), false),
        );
      await withSession(o, opts, async (session) => {
        const { stored } = await observe(session, false);
        const d = latestDeployment(stored, resolveJobKey(stored, selectedNamespace(opts), jobId));
        if (!d) throw new UserError(`job "${jobId}" has no deployments`);
        const lock = await session.store.currentLock();
        printDeployment(o, jobId, d, isActiveDeployment(d) && !lock, jobIdentityAs(stored, d.job));
        process.exitCode = 0;
      });
    });

  addOutOption(
    addApplyOptions(
      addStateOptions(
        deployment
          .command('fail')
          .description("fail the job's deployment in progress; with auto_revert, roll back")
          .argument('<job>'),
      ),
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, opts: PlanOptions, cmd: Command) =>
        remoteChange(io, { ...opts, autoApprove: true }, cmd, (api, ns) =>
          failRequest(api, jobId, ns),
        ) ??
        mutate(io, { ...opts, autoApprove: true }, 'deployment fail', (session, observed) =>
          planFail(session, observed, lookUp(observed, opts, jobId)),
        ),
    );
}

/**
 * A job's deployment; `unattended` when it is active and nothing works on it (no lock held): an
 * apply interrupted, unless it waits for promotion.
 */
export function printDeployment(
  o: Output,
  jobId: string,
  d: Deployment,
  unattended: boolean,
  identity?: { job: string; namespace: string },
): void {
  const interrupted = unattended && !/promotion/.test(d.status_description);
  if (o.json) return printJson(o, { ...d, ...identity, interrupted });
  o.out(
    `ID          = ${d.id}\nJob Version = ${d.version}\nStatus      = ${d.status}\nDescription = ${d.status_description}`,
  );
  if (interrupted)
    o.out(
      `              (no drover is working on it: run drover apply to finish it, or drover deployment fail ${jobId})`,
    );
  o.out('');
  table(
    o,
    ['Task Group', 'Promoted', 'Desired', 'Canaries', 'Placed', 'Healthy', 'Unhealthy'],
    Object.entries(d.groups).map(([name, g]) => [
      name,
      g.desired_canaries > 0 ? String(g.promoted) : 'n/a',
      String(g.desired_total),
      String(g.desired_canaries),
      String(g.placed),
      String(g.healthy),
      String(g.unhealthy),
    ]),
  );
}

/** The job a record refers to by key, as `-json` shows it: `job` (its id) and `namespace`. */
function jobIdentityAs(state: StateSnapshot, key: string): { job: string; namespace: string } {
  const { id, namespace } = jobIdentity(state, key);
  return { job: id, namespace };
}

/** Deployments: promote canaries, look at a job's deployment, fail it. */
import type { Command } from 'commander';
import type { DesiredJob } from '../../plan/compute.js';
import type { Deployment, StateSnapshot } from '../../state/types.js';
import { patchDeploymentGroup } from '../../deploy/apply.js';
import { printJson, type Output } from '../output.js';
import { makePlan, observe } from '../planning.js';
import { table } from './jobs.js';
import { UserError, withSession } from '../with-session.js';
import { addApplyOptions, addStateOptions, lockedApply, type PlanOptions } from './plan.js';
import { decodeStoredJob } from '../../jobspec/stored.js';

const ACTIVE = new Set<Deployment['status']>([
  'running',
  'paused',
  'pending',
  'blocked',
  'unblocking',
]);

export function latestDeployment(state: StateSnapshot, job: string): Deployment | undefined {
  return Object.values(state.deployments)
    .filter((d) => d.job === job)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))[0];
}

export function registerDeploymentCommands(program: Command, io: (json: boolean) => Output): void {
  addApplyOptions(
    addStateOptions(
      program
        .command('promote')
        .description('promote the healthy canaries of a job: the rest of the rollout proceeds')
        .argument('<job>'),
    ),
  )
    .option('--group <name>', 'promote only this group')
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string, opts: PlanOptions & { group?: string }) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, (session) =>
        lockedApply(o, session, { ...opts, autoApprove: true }, 'promote', async (observed) => {
          const d = latestDeployment(observed.stored, jobId);
          if (!d || !ACTIVE.has(d.status))
            throw new UserError(`job "${jobId}" has no deployment in progress`);
          const groups = Object.entries(d.groups).filter(
            ([name, g]) =>
              g.desired_canaries > 0 && !g.promoted && (!opts.group || opts.group === name),
          );
          if (groups.length === 0)
            throw new UserError(
              opts.group
                ? `group "${opts.group}" has no canaries waiting for promotion`
                : `deployment ${d.id.slice(0, 8)} has no canaries waiting for promotion`,
            );
          let promoted = observed.stored;
          for (const [name] of groups)
            promoted = patchDeploymentGroup(promoted, d.id, name, () => ({ promoted: true }));
          promoted = await session.store.write(promoted, observed.stored.serial);
          o.out(
            `Promoted ${groups.map(([n]) => `group "${n}"`).join(', ')} of deployment ${d.id.slice(0, 8)}.\n`,
          );
          const next: Observed2 = {
            ...observed,
            stored: promoted,
            state: {
              ...observed.state,
              deployments: promoted.deployments,
              serial: promoted.serial,
            },
          };
          observed.stored = next.stored;
          observed.state = next.state;
          return {
            plan: makePlan(session, next, [currentVersion(promoted, jobId)]),
            saved: false,
          };
        }),
      );
    });

  const deployment = program
    .command('deployment')
    .description("look at or fail a job's deployment");
  addStateOptions(
    deployment.command('status').description("the job's latest deployment").argument('<job>'),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string, opts: PlanOptions) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        const { stored } = await observe(session, false);
        const d = latestDeployment(stored, jobId);
        if (!d) throw new UserError(`job "${jobId}" has no deployments`);
        const lock = await session.store.currentLock();
        const interrupted =
          ACTIVE.has(d.status) && !lock && !/promotion/.test(d.status_description);
        if (o.json) printJson(o, { ...d, interrupted });
        else {
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
        process.exitCode = 0;
      });
    });

  addApplyOptions(
    addStateOptions(
      deployment
        .command('fail')
        .description("fail the job's deployment in progress; with auto_revert, roll back")
        .argument('<job>'),
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string, opts: PlanOptions) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, (session) =>
        lockedApply(
          o,
          session,
          { ...opts, autoApprove: true },
          'deployment fail',
          async (observed) => {
            const d = latestDeployment(observed.stored, jobId);
            if (!d || !ACTIVE.has(d.status))
              throw new UserError(`job "${jobId}" has no deployment in progress`);
            const failed: StateSnapshot = {
              ...observed.stored,
              deployments: {
                ...observed.stored.deployments,
                [d.id]: {
                  ...d,
                  status: 'failed',
                  status_description: 'Deployment marked as failed by the user',
                  modified_at: new Date().toISOString(),
                },
              },
            };
            const written = await session.store.write(failed, observed.stored.serial);
            o.out(`Deployment ${d.id.slice(0, 8)} marked as failed.`);
            observed.stored = written;
            observed.state = {
              ...observed.state,
              deployments: written.deployments,
              serial: written.serial,
            };
            const job = written.jobs[jobId]!;
            const reverts = decodeStoredJob(job.versions[job.versions.length - 1]!).group.some(
              (g) => g.update?.auto_revert,
            );
            const stable = [...job.versions]
              .reverse()
              .find((v) => v.stable && v.version !== d.version);
            if (!reverts || !stable) {
              o.out(
                reverts
                  ? 'No earlier stable version to roll back to.'
                  : 'The job has no auto_revert: nothing is rolled back.',
              );
              return { plan: makePlan(session, observed, []), saved: false };
            }
            o.out(`Rolling back to job version ${stable.version} (auto_revert).\n`);
            const desired: DesiredJob = {
              kind: 'run',
              id: jobId,
              job: decodeStoredJob(stable),
              submitted: stable.submitted,
              source: stable.source,
              filename: stable.filename,
              skipCanary: true,
            };
            return { plan: makePlan(session, observed, [desired]), saved: false };
          },
        ),
      );
    });
}

type Observed2 = Awaited<ReturnType<typeof observe>>;

function currentVersion(state: StateSnapshot, jobId: string): DesiredJob {
  const v = state.jobs[jobId]!.versions[state.jobs[jobId]!.versions.length - 1]!;
  return {
    kind: 'run',
    id: jobId,
    job: decodeStoredJob(v),
    submitted: v.submitted,
    source: v.source,
    filename: v.filename,
  };
}

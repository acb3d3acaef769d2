/** Commands about recorded jobs: status, job history, rollback, stop, scale. */
import type { Command } from 'commander';
import type { NormalizedJob as Job } from '../../generated/normalized-job.js';
import { diffJobs } from '../../plan/diff.js';
import type { DesiredJob } from '../../plan/compute.js';
import { renderJobDiffText } from '../../plan/render-text.js';
import type { Allocation, JobState, JobVersion, StateSnapshot } from '../../state/types.js';
import { cloneValue } from '../../hcl/value.js';
import { printJson, type Output } from '../output.js';
import { makePlan, observe } from '../planning.js';
import { UserError, withSession } from '../with-session.js';
import { addApplyOptions, addStateOptions, lockedApply, type PlanOptions } from './plan.js';
import { decodeStoredJob } from '../../jobspec/stored.js';

export function registerJobCommands(
  program: Command,
  jobCmd: Command,
  io: (json: boolean) => Output,
): void {
  addStateOptions(
    program
      .command('status')
      .description('show jobs, or one job and its allocations')
      .argument('[job]'),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string | undefined, opts: PlanOptions) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        const { state, drift } = await observe(session, opts.refresh !== 'false');
        if (jobId) {
          const job = requireJob(state, jobId);
          const allocs = jobAllocs(state, jobId);
          if (o.json)
            printJson(o, { id: jobId, ...summary(jobId, job, state), allocations: allocs, drift });
          else printJobStatus(o, jobId, job, allocs, state);
        } else {
          const rows = Object.entries(state.jobs).map(([id, j]) => ({
            id,
            ...summary(id, j, state),
          }));
          if (o.json) printJson(o, { jobs: rows, drift });
          else if (rows.length === 0) o.out('No jobs.');
          else
            table(
              o,
              ['ID', 'Type', 'Version', 'Status', 'Running'],
              rows.map((r) => [
                r.id,
                r.type,
                String(r.version),
                r.status,
                `${r.running}/${r.desired}`,
              ]),
            );
        }
        process.exitCode = 0;
      });
    });

  jobCmd
    .command('history')
    .description('list the versions of a job; -p shows what changed in each')
    .argument('<job>')
    .option('-p', 'show the diff between each version and the one before')
    .option('--config <file>', 'the drover.hcl to use')
    .option('--json', 'print machine-readable JSON')
    .action(async (jobId: string, opts: { p?: boolean; config?: string; json?: boolean }) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        const state = await session.store.read();
        const job = requireJob(state, jobId);
        const versions = [...job.versions].reverse();
        if (o.json)
          printJson(o, {
            id: jobId,
            versions: versions.map((v) => ({
              version: v.version,
              submitted_at: v.submitted_at,
              stable: v.stable,
              status: v.status,
              filename: v.filename,
              ...(opts.p ? { diff: diffJobs(previous(job, v), decodeStoredJob(v)) } : {}),
            })),
          });
        else
          for (const v of versions) {
            o.out(
              `Version     = ${v.version}\nStable      = ${v.stable}\nSubmitted   = ${v.submitted_at}\nSource      = ${v.filename}`,
            );
            const prior = previous(job, v);
            if (opts.p && prior)
              o.out(
                `Diff        =\n${indent(renderJobDiffText(jobId, diffJobs(prior, decodeStoredJob(v)), { color: o.style }))}`,
              );
            o.out('');
          }
        process.exitCode = 0;
      });
    });

  addApplyOptions(
    addStateOptions(
      program
        .command('rollback')
        .description(
          'submit an earlier version again (default: the previous stable one), planned and applied like any other',
        )
        .argument('<job>')
        .argument('[version]', 'the version to go back to'),
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action((jobId: string, version: string | undefined, opts: PlanOptions) =>
      mutate(io, opts, 'rollback', (state) => {
        const job = requireJob(state, jobId);
        const current = job.versions[job.versions.length - 1]!;
        const target =
          version !== undefined
            ? job.versions.find((v) => v.version === Number(version))
            : [...job.versions].reverse().find((v) => v.stable && v.version !== current.version);
        if (!target)
          throw new UserError(
            version !== undefined
              ? `job "${jobId}" has no version ${version} (it has ${job.versions.map((v) => v.version).join(', ')})`
              : `job "${jobId}" has no earlier stable version to roll back to`,
          );
        // A rollback skips the canary phase: the version it returns to was healthy (nomad#10882).
        return [{ ...runDesired(jobId, target, decodeStoredJob(target)), skipCanary: true }];
      }),
    );

  addApplyOptions(
    addStateOptions(
      program.command('stop').description('stop every allocation of a job').argument('<job>'),
    ),
  )
    .option('--purge', 'also forget the job and its history')
    .option('--json', 'print machine-readable JSON')
    .action((jobId: string, opts: PlanOptions & { purge?: boolean }) =>
      mutate(
        io,
        opts,
        'stop',
        (state) => {
          requireJob(state, jobId);
          return [{ kind: 'stop', id: jobId, purge: Boolean(opts.purge) }];
        },
        { purge: Boolean(opts.purge) },
      ),
    );

  addApplyOptions(
    addStateOptions(
      program
        .command('scale')
        .description('change how many allocations of a group run')
        .argument('<job>')
        .argument('<group>')
        .argument('<count>'),
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action((jobId: string, groupName: string, countText: string, opts: PlanOptions) =>
      mutate(io, opts, 'scale', (state) => {
        const count = Number(countText);
        if (!Number.isInteger(count) || count < 0)
          throw new UserError(`count must be a whole number ≥ 0, got "${countText}"`);
        const job = requireJob(state, jobId);
        const latest = job.versions[job.versions.length - 1]!;
        const next = cloneValue(decodeStoredJob(latest));
        const group = next.group.find((g) => g.name === groupName);
        if (!group) throw new UserError(`job "${jobId}" has no group "${groupName}"`);
        group.count = count;
        const submitted = cloneValue(latest.submitted);
        const written = (submitted.group as { name: string; count?: number }[] | undefined)?.find(
          (g) => g.name === groupName,
        );
        if (written) written.count = count;
        return [runDesired(jobId, { ...latest, submitted }, next)];
      }),
    );
}

/** Plans and applies a change built from the recorded state, under the lock. */
async function mutate(
  io: (json: boolean) => Output,
  opts: PlanOptions,
  operation: string,
  build: (state: StateSnapshot) => DesiredJob[],
  extra: { purge?: boolean } = {},
): Promise<void> {
  const o = io(Boolean(opts.json));
  await withSession(o, opts, (session) =>
    lockedApply(
      o,
      session,
      opts,
      operation,
      (observed) => ({ plan: makePlan(session, observed, build(observed.stored)), saved: false }),
      extra,
    ),
  );
}

function runDesired(id: string, v: JobVersion, job: Job): DesiredJob {
  return { kind: 'run', id, job, submitted: v.submitted, source: v.source, filename: v.filename };
}

function requireJob(state: StateSnapshot, id: string): JobState {
  const job = state.jobs[id];
  if (!job || job.versions.length === 0) {
    const known = Object.keys(state.jobs);
    throw new UserError(
      `no job "${id}" in state${known.length ? ` (jobs: ${known.join(', ')})` : ''}`,
    );
  }
  return job;
}

function previous(job: JobState, v: JobVersion): Job | undefined {
  const i = job.versions.indexOf(v);
  return i > 0 ? decodeStoredJob(job.versions[i - 1]!) : undefined;
}

function jobAllocs(state: StateSnapshot, id: string): Allocation[] {
  return Object.values(state.allocations)
    .filter((a) => a.job === id)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

function summary(id: string, j: JobState, state: StateSnapshot) {
  const latest = j.versions[j.versions.length - 1]!;
  const job = decodeStoredJob(latest);
  const allocs = jobAllocs(state, id);
  const running = allocs.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  ).length;
  const desired = j.stopped ? 0 : job.group.reduce((n, g) => n + g.count, 0);
  const status = j.stopped
    ? 'dead (stopped)'
    : running === desired
      ? 'running'
      : running === 0
        ? 'pending'
        : 'degraded';
  return {
    type: job.type,
    version: latest.version,
    stable: latest.stable,
    status,
    running,
    desired,
  };
}

function printJobStatus(
  o: Output,
  id: string,
  j: JobState,
  allocs: Allocation[],
  state: StateSnapshot,
): void {
  const s = summary(id, j, state);
  o.out(
    `ID            = ${id}\nType          = ${s.type}\nVersion       = ${s.version}${s.stable ? ' (stable)' : ''}\nStatus        = ${s.status}\nRunning       = ${s.running}/${s.desired}\n`,
  );
  o.out(o.style.bold('Allocations'));
  const live = allocs.filter(
    (a) => a.desired_status === 'run' || Date.parse(a.modified_at) > Date.now() - 3_600_000,
  );
  if (live.length === 0) return void o.out('No allocations.');
  table(
    o,
    ['ID', 'Name', 'Node', 'Version', 'Desired', 'Status', 'Health', 'Ports'],
    live.map((a) => [
      a.id.slice(0, 8),
      a.name,
      a.node,
      String(a.version),
      a.desired_status,
      a.client_status,
      a.health ? (a.health.healthy ? 'healthy' : 'unhealthy') : '-',
      a.ports.map((p) => `${p.label}=${p.host_ip}:${p.value}`).join(' ') || '-',
    ]),
  );
}

export function table(o: Output, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  o.out(o.style.bold(line(head)));
  for (const r of rows) o.out(line(r));
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ').trimEnd();
}

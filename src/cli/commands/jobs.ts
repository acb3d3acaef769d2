/** Commands about recorded jobs: status, job history, rollback, stop, scale. */
import type { Command } from 'commander';
import type { NormalizedJob as Job } from '../../generated/normalized-job.js';
import { redactState } from '../../plan/redact.js';
import { renderJobDiffText } from '../../plan/render-text.js';
import type { Allocation, JobState, StateSnapshot } from '../../state/types.js';
import { printJson, type Output } from '../output.js';
import {
  childrenOf,
  observe,
  planRollback,
  planScale,
  planStop,
  requireJob,
  resolveJobKey,
  type EngineContext,
  type Observed,
} from '../../ops/index.js';
import type { Plan } from '../../generated/plan.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import { formatInZone, nextLaunch } from '../../jobspec/cron.js';
import { launchKind } from '../../jobspec/launch.js';
import { describeOrigin } from '../../audit/origin.js';
import { UserError, withSession } from '../with-session.js';
import type { Drift } from '../../deploy/refresh.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { namespaceOf, remoteStatusSnapshot } from '../remote/status.js';
import { remoteJobHistory } from '../remote/history.js';
import { jobHistory, type JobHistory } from '../../ops/history.js';
import {
  previousStable,
  remoteChange,
  revertRequest,
  scaleRequest,
  stopRequest,
} from '../remote/writes.js';
import { selectedNamespace, type NamespaceFlag } from '../namespace.js';
import { ALL_NAMESPACES, jobIdentity, jobKeysIn } from '../../state/job-key.js';
import {
  addApplyOptions,
  addOutOption,
  addStateOptions,
  lockedApply,
  type PlanOptions,
} from './plan.js';

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
    .action(async (jobId: string | undefined, opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote)
        return runRemote(o, remote, async (api) => {
          const namespace = namespaceOf(cmd);
          const state = await remoteStatusSnapshot(api, jobId, namespace);
          // The server observes the hosts itself: it reports no drift of its own here.
          printStatus(o, state, jobId, [], namespace);
        });
      await withSession(o, opts, async (session) => {
        const observed = await observe(session, opts.refresh !== 'false');
        printStatus(o, redactState(observed.state), jobId, observed.drift, selectedNamespace(opts));
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
    .action(
      async (
        jobId: string,
        opts: { p?: boolean; config?: string; json?: boolean; namespace?: string },
        cmd: Command,
      ) => {
        const o = io(Boolean(opts.json));
        const withDiffs = Boolean(opts.p);
        const remote = remoteTarget(cmd);
        if (remote)
          return runRemote(o, remote, async (api) =>
            printHistory(o, await remoteJobHistory(api, jobId, namespaceOf(cmd), withDiffs)),
          );
        await withSession(o, opts, async (session) => {
          const state = await session.store.read();
          const namespace = selectedNamespace(opts);
          const job = requireJob(state, resolveJobKey(state, namespace, jobId));
          printHistory(o, jobHistory(job, jobId, namespace, withDiffs));
          process.exitCode = 0;
        });
      },
    );

  addOutOption(
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
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, version: string | undefined, opts: PlanOptions, cmd: Command) =>
        remoteChange(io, opts, cmd, async (api, ns) =>
          revertRequest(
            jobId,
            version === undefined ? await previousStable(api, jobId, ns) : versionNumber(version),
            ns,
          ),
        ) ??
        mutate(io, opts, 'rollback', (session, observed) => {
          if (version !== undefined) versionNumber(version);
          return planRollback(
            session,
            observed,
            lookUp(observed, opts, jobId),
            version === undefined ? undefined : Number(version),
            opts.message,
          );
        }),
    );

  addOutOption(
    addApplyOptions(
      addStateOptions(
        program.command('stop').description('stop every allocation of a job').argument('<job>'),
      ),
    ),
  )
    .option('--purge', 'also forget the job and its history')
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, opts: PlanOptions & { purge?: boolean }, cmd: Command) =>
        remoteChange(io, opts, cmd, (_api, ns) => stopRequest(jobId, Boolean(opts.purge), ns)) ??
        mutate(io, opts, 'stop', (session, observed) =>
          planStop(session, observed, lookUp(observed, opts, jobId), Boolean(opts.purge)),
        ),
    );

  addOutOption(
    addApplyOptions(
      addStateOptions(
        program
          .command('scale')
          .description('change how many allocations of a group run')
          .argument('<job>')
          .argument('<group>')
          .argument('<count>'),
      ),
    ),
  )
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, groupName: string, countText: string, opts: PlanOptions, cmd: Command) =>
        remoteChange(io, opts, cmd, (_api, ns) =>
          scaleRequest(jobId, groupName, countNumber(countText), ns),
        ) ??
        mutate(io, opts, 'scale', (session, observed) =>
          planScale(
            session,
            observed,
            lookUp(observed, opts, jobId),
            groupName,
            countNumber(countText),
          ),
        ),
    );
}

/** `drover status [JOB]`: every job, or one with its allocations (on the state or through a server). */
export function printStatus(
  o: Output,
  state: StateSnapshot,
  jobId: string | undefined,
  drift: readonly Drift[],
  namespace: string,
): void {
  if (jobId) {
    const key = resolveJobKey(state, namespace, jobId);
    const job = requireJob(state, key);
    const allocs = jobAllocs(state, key);
    const shown = jobIdentity(state, key);
    if (o.json) printJson(o, { ...shown, ...summary(key, job, state), allocations: allocs, drift });
    else printJobStatus(o, key, job, allocs, state);
  } else {
    const rows = jobKeysIn(state, namespace).map((key) => ({
      ...jobIdentity(state, key),
      ...summary(key, state.jobs[key]!, state),
    }));
    const every = namespace === ALL_NAMESPACES;
    if (o.json) printJson(o, { jobs: rows, drift });
    else if (rows.length === 0) o.out(every ? 'No jobs.' : `No jobs in namespace "${namespace}".`);
    else
      table(
        o,
        [...(every ? ['Namespace'] : []), 'ID', 'Type', 'Version', 'Status', 'Running'],
        rows.map((r) => [
          ...(every ? [r.namespace] : []),
          r.id,
          r.type,
          String(r.version),
          r.status,
          `${r.running}/${r.desired}`,
        ]),
      );
  }
}

function versionNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new UserError(`version must be a whole number, got "${text}"`);
  return Number(text);
}

function countNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new UserError(`count must be a whole number ≥ 0, got "${text}"`);
  return Number(text);
}

/** Plans a change built by the operations layer from the observed state, and applies it under the lock. */
export async function mutate(
  io: (json: boolean) => Output,
  opts: PlanOptions,
  operation: string,
  build: (ctx: EngineContext, observed: Observed) => Plan,
): Promise<void> {
  const o = io(Boolean(opts.json));
  await withSession(o, opts, (session) =>
    lockedApply(o, session, opts, operation, (observed) => ({
      plan: build(session, observed),
      saved: false,
    })),
  );
}

/** The state key of the job a command names, in the selected namespace. */
export function lookUp(observed: Observed, opts: NamespaceFlag, id: string): string {
  return resolveJobKey(observed.stored, selectedNamespace(opts), id);
}

/** `job history`: the JSON as it is; the text with each version's diff against the one before. */
function printHistory(o: Output, history: JobHistory): void {
  if (o.json) return printJson(o, history);
  history.versions.forEach((v, i) => {
    o.out(
      `Version     = ${v.version}\nStable      = ${v.stable}\nSubmitted   = ${v.submitted_at}\nSource      = ${v.filename}\nOrigin      = ${describeOrigin(v.origin ?? undefined)}\nActor       = ${v.actor ?? '(not recorded)'}`,
    );
    // The oldest version has none before it to differ from.
    if (v.diff && i < history.versions.length - 1)
      o.out(`Diff        =\n${indent(renderJobDiffText(history.id, v.diff, { color: o.style }))}`);
    o.out('');
  });
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
  const template = launchKind(job);
  // A system or sysbatch job wants one allocation per node it runs on, not `count`.
  const perNode = job.type === 'system' || job.type === 'sysbatch';
  const desired =
    j.stopped || template
      ? 0
      : perNode
        ? allocs.filter((a) => a.desired_status === 'run').length
        : job.group.reduce((n, g) => n + g.count, 0);
  // Batch work is done when its allocations completed (Nomad then calls the job dead).
  const batch = job.type === 'batch' || job.type === 'sysbatch';
  const complete = allocs.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'complete',
  ).length;
  // Failed and not replaced (its reschedule attempts are used up, or not due yet).
  const failed = allocs.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'failed',
  ).length;
  const status = j.stopped
    ? 'dead (stopped)'
    : template
      ? 'running'
      : batch && desired > 0 && complete === desired
        ? 'complete'
        : desired > 0 && failed > 0 && running === 0 && complete + failed === desired
          ? 'failed'
          : running === desired
            ? 'running'
            : running === 0 && complete === 0
              ? 'pending'
              : 'degraded';
  return {
    type: job.type,
    ...(latest.launch ? { parent: jobIdentity(state, latest.launch.parent).id } : {}),
    ...(template ? launchSummary(id, job, state) : {}),
    version: latest.version,
    stable: latest.stable,
    status,
    running,
    ...(batch ? { complete } : {}),
    desired,
  };
}

/** A periodic or parameterized job: when it launches next, and the children it launched. */
interface LaunchSummary {
  periodic: boolean;
  parameterized: boolean;
  next_launch?: string | null;
  disabled?: boolean;
  children: { id: string; status: string }[];
}

function launchSummary(id: string, job: Job, state: StateSnapshot): LaunchSummary {
  const p = job.periodic;
  const next = p ? nextLaunch(p, new Date()) : undefined;
  return {
    periodic: Boolean(p),
    parameterized: Boolean(job.parameterized),
    ...(p
      ? {
          next_launch: next ? formatInZone(next, p.time_zone ?? 'UTC') : null,
          ...(p.enabled === false ? { disabled: true } : {}),
        }
      : {}),
    children: childrenOf(state, id).map((c) => ({
      id: jobIdentity(state, c).id,
      status: summary(c, state.jobs[c]!, state).status,
    })),
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
  const shown = jobIdentity(state, id);
  o.out(
    `ID            = ${shown.id}\nNamespace     = ${shown.namespace}\nType          = ${s.type}\n${s.parent ? `Parent        = ${s.parent}\n` : ''}Version       = ${s.version}${s.stable ? ' (stable)' : ''}\nStatus        = ${s.status}\nRunning       = ${s.running}/${s.desired}\n${s.complete !== undefined && !s.children ? `Complete      = ${s.complete}/${s.desired}\n` : ''}`,
  );
  if (s.children) return printLaunches(o, s);
  o.out(o.style.bold('Allocations'));
  const live = allocs.filter(
    (a) => a.desired_status === 'run' || Date.parse(a.modified_at) > Date.now() - 3_600_000,
  );
  if (live.length === 0) return void o.out('No allocations.');
  table(
    o,
    ['ID', 'Name', 'Node', 'Version', 'Desired', 'Status', 'Health', 'Ports'],
    live.map((a) => {
      // A stopped or finished allocation shows its final state: no health, no ports it holds.
      const active = isActive(a);
      return [
        a.id.slice(0, 8),
        a.name,
        a.node,
        String(a.version),
        a.desired_status,
        a.client_status,
        active && a.health ? (a.health.healthy ? 'healthy' : 'unhealthy') : '-',
        (active && a.ports.map((p) => `${p.label}=${p.host_ip}:${p.value}`).join(' ')) || '-',
      ];
    }),
  );
}

function printLaunches(o: Output, s: ReturnType<typeof summary>): void {
  if (s.periodic)
    o.out(
      `Periodic      = true\nNext Launch   = ${s.disabled ? 'none (disabled)' : (s.next_launch ?? 'none (no time matches its crons)')}\n  (launched by \`drover server\`, not built yet, or now with \`drover job periodic force\`)\n`,
    );
  if (s.parameterized)
    o.out('Parameterized = true\n  (each `drover job dispatch` launches a child job)\n');
  o.out(o.style.bold('Children'));
  if (!s.children?.length) return void o.out('No child jobs.');
  table(
    o,
    ['ID', 'Status'],
    s.children.map((c) => [c.id, c.status]),
  );
}

/** Wanted and not finished: its health and ports still mean something. */
function isActive(a: Allocation): boolean {
  return (
    a.desired_status === 'run' && (a.client_status === 'pending' || a.client_status === 'running')
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

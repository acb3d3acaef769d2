/**
 * `drover alloc status ALLOC`: Nomad's view of one allocation (command/alloc_status.go): who it
 * is and where, its statuses, deployment and health, addresses, each task's state with its
 * events, and its reschedule history with the allocations before and after it.
 */
import { jobIdentity } from '../../state/job-key.js';
import { formatMs } from '../../jobspec/duration.js';
import { recordedJob, rescheduleDecision } from '../../scheduler/index.js';
import type { Allocation, StateEvent, StateSnapshot, TaskState } from '../../state/types.js';
import { printJson, type Output } from '../output.js';
import { table } from './jobs.js';

/** The events of an allocation, oldest first. */
function allocEvents(state: StateSnapshot, a: Allocation): StateEvent[] {
  return state.events.filter((e) => e.alloc === a.id);
}

/** An event belongs to a task when it names it, and to every task when it names none. */
function taskEvents(events: readonly StateEvent[], task: string, tasks: readonly string[]) {
  const named = (e: StateEvent, t: string) => e.detail.includes(`task "${t}"`);
  return events.filter((e) => named(e, task) || !tasks.some((t) => named(e, t)));
}

/**
 * For a failed allocation not replaced yet, what its group's reschedule policy says now: when
 * its replacement is due, or that its attempts are used up (Nomad's "Reschedule Eligibility").
 */
function rescheduleEligibility(state: StateSnapshot, a: Allocation, now: number) {
  if (a.client_status !== 'failed' || a.desired_status !== 'run' || a.next_allocation)
    return undefined;
  const group = recordedJob(state, a.job, a.version)?.group.find((g) => g.name === a.group);
  const d = rescheduleDecision(a, group?.reschedule, now);
  return d.kind === 'exhausted'
    ? {
        eligible: false,
        text:
          d.attempts === 0
            ? 'no: the reschedule policy allows no attempts'
            : `no: ${d.attempted} of ${d.attempts} attempts within ${formatMs(d.intervalMs)} used`,
      }
    : {
        eligible: true,
        attempt: d.attempt,
        ...(d.kind === 'later' ? { due_at: new Date(d.dueAt).toISOString() } : {}),
        text:
          d.kind === 'later'
            ? `due at ${new Date(d.dueAt).toISOString()} (attempt ${d.attempt}${d.attempts ? ` of ${d.attempts}` : ''})`
            : `now: the next plan replaces it (attempt ${d.attempt}${d.attempts ? ` of ${d.attempts}` : ''})`,
      };
}

/** Everything `alloc status -json` prints. */
export function allocStatusJson(state: StateSnapshot, a: Allocation, now = Date.now()) {
  const tasks = Object.keys({ ...a.task_states, ...a.driver_handles });
  const events = allocEvents(state, a);
  const eligibility = rescheduleEligibility(state, a, now);
  const { id: job, namespace } = jobIdentity(state, a.job);
  return {
    ...a,
    job,
    namespace,
    ...(eligibility ? { reschedule_eligibility: eligibility } : {}),
    deployment_status: a.deployment_id ? state.deployments[a.deployment_id]?.status : undefined,
    tasks: Object.fromEntries(
      tasks.map((t) => [t, { ...a.task_states[t], events: taskEvents(events, t, tasks) }]),
    ),
    events,
  };
}

export function printAllocStatus(
  o: Output,
  state: StateSnapshot,
  a: Allocation,
  now = Date.now(),
): void {
  if (o.json) return printJson(o, allocStatusJson(state, a, now));
  const d = a.deployment_id ? state.deployments[a.deployment_id] : undefined;
  const rows: [string, string][] = [
    ['ID', a.id],
    ['Name', a.name],
    ['Node Name', a.node],
    ['Job ID', jobIdentity(state, a.job).id],
    ['Namespace', jobIdentity(state, a.job).namespace],
    ['Job Version', String(a.version)],
    ['Client Status', a.client_status],
    ['Client Description', a.client_description ?? '<none>'],
    ['Desired Status', a.desired_status],
    ['Created', a.created_at],
    ['Modified', a.modified_at],
  ];
  if (a.deployment_id) {
    rows.push(['Deployment ID', `${a.deployment_id}${d ? ` (${d.status})` : ''}`]);
    rows.push([
      'Deployment Health',
      a.health ? (a.health.healthy ? 'healthy' : 'unhealthy') : 'unset',
    ]);
    if (a.canary) rows.push(['Canary', 'true']);
  }
  if (a.previous_allocation) rows.push(['Previous Allocation', a.previous_allocation]);
  if (a.next_allocation) rows.push(['Replacement Alloc ID', a.next_allocation]);
  const tracker = a.reschedule_tracker?.events ?? [];
  if (tracker.length) rows.push(['Reschedule Attempts', String(tracker.length)]);
  const eligibility = rescheduleEligibility(state, a, now);
  if (eligibility) rows.push(['Reschedule Eligibility', eligibility.text]);
  const width = Math.max(...rows.map(([k]) => k.length));
  o.out(rows.map(([k, v]) => `${k.padEnd(width)} = ${v}`).join('\n'));

  if (a.ports.length) {
    o.out('');
    o.out(o.style.bold('Allocation Addresses:'));
    table(
      o,
      ['Label', 'Address', 'To'],
      a.ports.map((p) => [
        p.label,
        `${p.host_ip}:${p.value}`,
        p.to !== undefined ? String(p.to) : '-',
      ]),
    );
  }
  if (tracker.length) {
    o.out('');
    o.out(o.style.bold('Reschedule History:'));
    table(
      o,
      ['Time', 'Previous Allocation', 'Previous Node', 'Delay'],
      tracker.map((e) => [e.time, e.prev_alloc, e.prev_node, `${e.delay_ms / 1000}s`]),
    );
  }
  const events = allocEvents(state, a);
  const tasks = Object.keys({ ...a.task_states, ...a.driver_handles }).sort();
  if (tasks.length === 0) {
    o.out('');
    o.out('No task started.');
  }
  for (const t of tasks) printTask(o, t, a.task_states[t], taskEvents(events, t, tasks));
  if (tasks.length === 0 && events.length) printEvents(o, events);
}

function printTask(o: Output, name: string, st: TaskState | undefined, events: StateEvent[]): void {
  o.out('');
  o.out(o.style.bold(`Task "${name}" is "${st?.state ?? 'pending'}"`));
  const rows: [string, string][] = [
    ['Started At', st?.started_at ?? 'N/A'],
    ['Finished At', st?.finished_at ?? 'N/A'],
    ['Failed', String(st?.failed ?? false)],
    ['Exit Code', st?.exit_code !== undefined ? String(st.exit_code) : 'N/A'],
    ['Total Restarts', String(st?.restarts ?? 0)],
  ];
  if (st?.message) rows.push(['Last Message', st.message]);
  const width = Math.max(...rows.map(([k]) => k.length));
  o.out(rows.map(([k, v]) => `${k.padEnd(width)} = ${v}`).join('\n'));
  if (events.length) printEvents(o, events);
}

function printEvents(o: Output, events: readonly StateEvent[]): void {
  o.out('');
  o.out('Recent Events:');
  table(
    o,
    ['Time', 'Type', 'Description'],
    [...events].reverse().map((e) => [e.time, e.what, e.detail]),
  );
}

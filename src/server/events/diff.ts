/**
 * Two snapshots of the state → the Nomad events that took one to the other, as Nomad's state
 * store emits them for its table changes (nomad/state/events.go): topic, type, key, filter keys,
 * namespace and a payload keyed like Nomad's. Pure; every event carries the new state's index.
 *
 * drover's state keeps no evaluations: a new job version (or a stop) is reported as the
 * evaluation it would have made, with the stable id of src/server/nomad/ids.ts. The state's own
 * log (who did what, the server's decisions included) is the `Drover` topic, type `StateEvent`.
 */
import { jobIdentity, namespaceOfKey } from '../../state/job-key.js';
import { registrations } from '../../state/services.js';
import type { ServiceRegistration } from '../../template/context.js';
import type { Allocation, Deployment, NodeState, StateSnapshot } from '../../state/types.js';
import { jobStatus, jobView, type JobView } from '../nomad/common.js';
import type { NodeFactSource } from '../nomad/nodes.js';
import type { IndexedState, NomadEvent } from '../types.js';
import {
  NO_NODE_FACTS,
  allocationPayload,
  deploymentPayload,
  droverEvent,
  evaluationPayload,
  jobPayload,
  nodePayload,
  payloadInput,
  servicePayload,
  type PayloadInput,
} from './payloads.js';

/** The topic and type of the state's own event log (not one of Nomad's). */
export const DROVER_TOPIC = 'Drover' satisfies NomadEvent['Topic'];
export const DROVER_EVENT_TYPE = 'StateEvent';

type Topic = NomadEvent['Topic'];

interface Draft {
  Topic: Topic;
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[];
  Payload: Record<string, unknown>;
}

/**
 * The events between `prev` and `next`, in a stable order (nodes, jobs, evaluations,
 * deployments, allocations, services, then the state's log). No `prev`: nothing to compare with,
 * so no events (the first snapshot a server reads is its starting point, not a change).
 */
export function diffEvents(
  prev: StateSnapshot | undefined,
  next: IndexedState,
  nodeSource: NodeFactSource = NO_NODE_FACTS,
): NomadEvent[] {
  if (!prev) return [];
  const input = payloadInput(next, nodeSource);
  const drafts: Draft[] = [
    ...nodeEvents(prev, input),
    ...jobEvents(prev, input),
    ...deploymentEvents(prev, input),
    ...allocationEvents(prev, input),
    ...serviceEvents(prev, input),
    ...logEvents(prev, next.state),
  ];
  return drafts.map((d) => ({ ...d, Index: next.index }));
}

function nodeEvents(prev: StateSnapshot, input: PayloadInput): Draft[] {
  const out: Draft[] = [];
  for (const [name, node] of Object.entries(input.state.nodes)) {
    const before = prev.nodes[name];
    if (before === node) continue;
    const type = !before
      ? 'NodeRegistration'
      : (before.drain ?? false) !== (node.drain ?? false)
        ? 'NodeDrain'
        : before.eligibility !== node.eligibility
          ? 'NodeEligibility'
          : nodeChanged(before, node)
            ? 'NodeRegistration'
            : undefined;
    if (type) out.push(nodeDraft(type, node, input));
  }
  return out;
}

/** A node re-registers (in Nomad's words) when what it is or where it is changes. */
function nodeChanged(a: NodeState, b: NodeState): boolean {
  return (
    a.fingerprint?.fingerprinted_at !== b.fingerprint?.fingerprinted_at ||
    JSON.stringify(a.inventory) !== JSON.stringify(b.inventory)
  );
}

function nodeDraft(type: string, node: NodeState, input: PayloadInput): Draft {
  // Nomad's node events have no namespace: every namespace's subscriber sees them.
  return {
    Topic: 'Node',
    Type: type,
    Key: node.name,
    Namespace: '',
    FilterKeys: [],
    Payload: { Node: nodePayload(input, node) },
  };
}

function jobEvents(prev: StateSnapshot, input: PayloadInput): Draft[] {
  const out: Draft[] = [];
  // The previous state is only looked at for the jobs that changed.
  for (const [id, record] of Object.entries(input.state.jobs)) {
    if (prev.jobs[id] === record) continue;
    const [old, view] = [jobView(prev, id), input.lookups.viewOf(id)];
    if (!view) {
      // Purged in place: gone from the API as a purge that removed it.
      if (old) out.push(jobDraft('JobDeregistered', stopped(old), input));
      continue;
    }
    const type = jobChange(old, view);
    if (!type) continue;
    out.push(jobDraft(type, view, input));
    if (newVersion(old, view) || old?.record.stopped !== view.record.stopped)
      out.push(evaluationDraft(view, input));
  }
  for (const id of Object.keys(prev.jobs)) {
    // A purged job leaves the state: its last record is the payload, stopped.
    const old = id in input.state.jobs ? undefined : jobView(prev, id);
    if (old) out.push(jobDraft('JobDeregistered', stopped(old), input));
  }
  return out;
}

function stopped(view: JobView): JobView {
  return { ...view, record: { ...view.record, stopped: true }, status: 'dead' };
}

function jobChange(before: JobView | undefined, job: JobView): string | undefined {
  if (!before) return 'JobRegistered';
  if (!before.record.stopped && job.record.stopped) return 'JobDeregistered';
  if (before.record.stopped && !job.record.stopped) return 'JobRegistered';
  if (newVersion(before, job)) return 'JobRegistered';
  if (jobStatus(before) !== jobStatus(job) || before.latest.stable !== job.latest.stable)
    return 'JobRegistered';
  return undefined;
}

function newVersion(before: JobView | undefined, job: JobView): boolean {
  return before?.latest.version !== job.latest.version;
}

function jobDraft(type: string, view: JobView, input: PayloadInput): Draft {
  return {
    Topic: 'Job',
    Type: type,
    Key: view.jobId,
    Namespace: view.namespace,
    FilterKeys: [],
    Payload: { Job: jobPayload(input, view) },
  };
}

function evaluationDraft(view: JobView, input: PayloadInput): Draft {
  const evaluation = evaluationPayload(input, view);
  return {
    Topic: 'Evaluation',
    Type: 'EvaluationUpdated',
    Key: evaluation.ID as string,
    Namespace: view.namespace,
    FilterKeys: [view.jobId],
    Payload: { Evaluation: evaluation },
  };
}

function deploymentEvents(prev: StateSnapshot, input: PayloadInput): Draft[] {
  const out: Draft[] = [];
  for (const [id, d] of Object.entries(input.state.deployments)) {
    const before = prev.deployments[id];
    if (before === d) continue;
    const type = deploymentChange(before, d);
    if (type)
      out.push({
        Topic: 'Deployment',
        Type: type,
        Key: id,
        ...jobFacets(input.state, d.job),
        Payload: { Deployment: deploymentPayload(input, d) },
      });
  }
  return out;
}

function deploymentChange(before: Deployment | undefined, d: Deployment): string | undefined {
  if (!before || before.status !== d.status) return 'DeploymentStatusUpdate';
  const groups = Object.entries(d.groups);
  if (groups.some(([g, s]) => s.promoted && !before.groups[g]?.promoted))
    return 'DeploymentPromotion';
  const health = (x: Deployment) =>
    Object.values(x.groups)
      .map((s) => `${s.placed}/${s.healthy}/${s.unhealthy}/${s.placed_canaries.length}`)
      .join(',');
  if (health(before) !== health(d)) return 'DeploymentAllocHealth';
  if (before.status_description !== d.status_description) return 'DeploymentStatusUpdate';
  return undefined;
}

function allocationEvents(prev: StateSnapshot, input: PayloadInput): Draft[] {
  const out: Draft[] = [];
  for (const [id, a] of Object.entries(input.state.allocations)) {
    const before = prev.allocations[id];
    if (before === a) continue;
    const type = !before
      ? 'AllocationCreated'
      : before.desired_status !== a.desired_status
        ? 'AllocationUpdateDesiredStatus'
        : allocationChanged(before, a)
          ? 'AllocationUpdated'
          : undefined;
    if (type)
      out.push({
        Topic: 'Allocation',
        Type: type,
        Key: id,
        ...jobFacets(input.state, a.job, a.deployment_id ?? ''),
        Payload: { Allocation: allocationPayload(input, a) },
      });
  }
  return out;
}

/** What a client update changes; `modified_at` alone (a refresh that saw nothing new) is not one. */
function allocationChanged(a: Allocation, b: Allocation): boolean {
  return (
    a.client_status !== b.client_status ||
    a.client_description !== b.client_description ||
    a.next_allocation !== b.next_allocation ||
    a.health?.healthy !== b.health?.healthy ||
    a.stop_pending !== b.stop_pending ||
    a.collected !== b.collected ||
    JSON.stringify(a.task_states) !== JSON.stringify(b.task_states)
  );
}

/** Registrations by id, computed once per snapshot object (the next diff's `prev` is this one's `next`). */
const registered = new WeakMap<StateSnapshot, Map<string, ServiceRegistration>>();

function registrationsOf(state: StateSnapshot): Map<string, ServiceRegistration> {
  let byId = registered.get(state);
  if (!byId) {
    byId = new Map(registrations(state).map((r) => [r.ID, r]));
    registered.set(state, byId);
  }
  return byId;
}

function serviceEvents(prev: StateSnapshot, input: PayloadInput): Draft[] {
  const next = input.state;
  if (prev.allocations === next.allocations && prev.jobs === next.jobs) return [];
  const [before, after] = [registrationsOf(prev), registrationsOf(next)];
  const draft = (type: string, r: ServiceRegistration): Draft => ({
    Topic: 'Service',
    Type: type,
    Key: r.ID,
    Namespace: r.Namespace,
    FilterKeys: [r.JobID, r.ServiceName],
    Payload: { Service: servicePayload(input, r) },
  });
  const out: Draft[] = [];
  for (const [id, r] of after) {
    const b = before.get(id);
    if (!b || JSON.stringify(b) !== JSON.stringify(r)) out.push(draft('ServiceRegistration', r));
  }
  for (const [id, r] of before) if (!after.has(id)) out.push(draft('ServiceDeregistration', r));
  return out;
}

function logEvents(prev: StateSnapshot, next: StateSnapshot): Draft[] {
  const seen = prev.events.length > 0 ? prev.events[prev.events.length - 1]!.seq : 0;
  // The log only grows at its end: walk back to the first entry not seen.
  let from = next.events.length;
  while (from > 0 && next.events[from - 1]!.seq > seen) from--;
  return next.events.slice(from).map((e) => ({
    Topic: DROVER_TOPIC,
    Type: DROVER_EVENT_TYPE,
    Key: String(e.seq),
    Namespace: e.job ? namespaceOfKey(next, e.job) : '',
    FilterKeys: [e.job && jobIdentity(next, e.job).id, e.alloc, e.what, e.who].filter(
      (k): k is string => Boolean(k),
    ),
    Payload: { Event: droverEvent(e) },
  }));
}

/** An event about something of job `key`: its namespace, and its job id first among the keys. */
function jobFacets(
  state: StateSnapshot,
  key: string,
  ...more: string[]
): { Namespace: string; FilterKeys: string[] } {
  const { namespace, id } = jobIdentity(state, key);
  return { Namespace: namespace, FilterKeys: [id, ...more] };
}

/**
 * The objects inside event payloads (`{"Job": …}`, `{"Allocation": …}`, …). Nomad's events carry
 * the structs its read endpoints return, so every payload is the read mapper's (src/server/nomad/)
 * for the same object at the same index; only the state's own log (the `Drover` topic) is ours.
 */
import type { ServiceRegistration } from '../../template/context.js';
import type { Allocation, Deployment, NodeState, StateEvent } from '../../state/types.js';
import { fullAllocation } from '../nomad/allocations.js';
import type { JobView } from '../nomad/common.js';
import { nomadDeployment } from '../nomad/deployments.js';
import { nomadEvaluation } from '../nomad/evaluations.js';
import { fullJob } from '../nomad/jobs.js';
import { fullNode, nodeFacts, type NodeFactSource } from '../nomad/nodes.js';
import { registrationJson } from '../nomad/services.js';
import { lookups, type StateLookups } from '../nomad/state-index.js';
import type { IndexedState } from '../types.js';

type Json = Record<string, unknown>;

/** Without a server's settings (tests, a hub built alone): no configured nodes, Nomad's `dc1`. */
export const NO_NODE_FACTS: NodeFactSource = {
  nodes: new Map(),
  droverVersion: '',
  datacenter: 'dc1',
};

/**
 * What every payload of one publish is built from: the new state at its index and the state's
 * lookups (the decoded jobs, a job's allocations and deployments), made once per publish.
 */
export interface PayloadInput extends IndexedState {
  readonly lookups: StateLookups;
  readonly nodeSource: NodeFactSource;
}

export function payloadInput(next: IndexedState, nodeSource: NodeFactSource): PayloadInput {
  return { state: next.state, index: next.index, lookups: lookups(next.state), nodeSource };
}

/** api.Job of the job's latest version, as `GET /v1/job/:id` answers it. */
export function jobPayload(input: PayloadInput, view: JobView): Json {
  return fullJob(view, view.latest.version, input.index) ?? {};
}

/**
 * api.Evaluation of the job's latest version, as `GET /v1/evaluation/:id` answers it; a stop is
 * reported as the deregistration Nomad evaluates for it.
 */
export function evaluationPayload(input: PayloadInput, view: JobView): Json {
  const evaluation = nomadEvaluation(input.state, view, view.latest, input.index);
  return view.record.stopped ? { ...evaluation, TriggeredBy: 'job-deregister' } : evaluation;
}

export function allocationPayload(input: PayloadInput, alloc: Allocation): Json {
  return fullAllocation(input.state, alloc, input.index);
}

export function deploymentPayload(input: PayloadInput, d: Deployment): Json {
  return nomadDeployment(input.state, d, input.index);
}

export function nodePayload(input: PayloadInput, node: NodeState): Json {
  return fullNode(node, nodeFacts(input.nodeSource, node, input.index));
}

export function servicePayload(input: PayloadInput, r: ServiceRegistration): Json {
  return registrationJson(r, input.index);
}

/** One entry of the state's own event log (who did what), for the `Drover` topic. */
export function droverEvent(e: StateEvent): Json {
  return {
    Seq: e.seq,
    Time: e.time,
    Who: e.who,
    What: e.what,
    JobID: e.job ?? '',
    AllocID: e.alloc ?? '',
    Detail: e.detail,
  };
}

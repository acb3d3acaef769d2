/**
 * `POST /v1/node/:id/eligibility` and `/v1/node/:id/drain`: the engine's node builders
 * (planEligibility, planDrain) through the write path. A node is named by its drover name or by
 * the id the API reports for it.
 */
import type { Plan } from '../../generated/plan.js';
import { planDrain, planEligibility } from '../../ops/index.js';
import type { StateSnapshot } from '../../state/types.js';
import { evaluationId, stableUuid } from '../nomad/ids.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { applyWrite, bodyOf, queryMeta, type WriteOutcome } from './write-path.js';

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/node/:id/eligibility',
    access: { kind: 'node', level: 'write' },
    handler: eligibility,
  },
  {
    method: 'POST',
    path: '/v1/node/:id/drain',
    access: { kind: 'node', level: 'write' },
    handler: drain,
  },
];

/** {NodeID, Eligibility: "eligible" | "ineligible"}. */
async function eligibility(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  const wanted = body.Eligibility;
  if (wanted !== 'eligible' && wanted !== 'ineligible')
    throw new ApiError(400, `invalid scheduling eligibility "${String(wanted)}"`);
  const out = await applyWrite(req, 'node eligibility', (engine, observed) => {
    const node = requireNode(observed.stored, req.params.id!);
    return {
      plan: planEligibility(engine, observed, node, wanted === 'eligible'),
      extra: undefined,
    };
  });
  return nodeReply(out);
}

/**
 * {DrainSpec{Deadline, IgnoreSystemJobs}, MarkEligible}: a DrainSpec drains the node, none
 * cancels the drain. drover moves a drained node's allocations at once, so any deadline is met.
 */
async function drain(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  const spec = body.DrainSpec;
  if (spec !== undefined && spec !== null && (typeof spec !== 'object' || Array.isArray(spec)))
    throw new ApiError(400, 'DrainSpec must be an object');
  const enable = Boolean(spec);
  if (!enable && body.MarkEligible === false)
    throw new ApiError(
      400,
      'drover makes a node eligible again when its drain is cancelled: keeping it ineligible (MarkEligible = false) is not supported; set eligibility afterwards',
    );
  const ignoreSystemJobs = enable && (spec as Record<string, unknown>).IgnoreSystemJobs === true;
  const out = await applyWrite(
    req,
    enable ? 'node drain' : 'node drain cancel',
    (engine, observed) => {
      const node = requireNode(observed.stored, req.params.id!);
      return {
        plan: planDrain(engine, observed, node, enable, { ignoreSystemJobs }),
        extra: undefined,
      };
    },
  );
  return nodeReply(out);
}

/** The node's drover name from a name or the API's node id (404 when neither matches). */
export function requireNode(state: StateSnapshot, id: string): string {
  const found = Object.keys(state.nodes).find((name) => name === id || nodeId(name) === id);
  if (!found) throw new ApiError(404, 'node not found');
  return found;
}

/** The id the API reports for a node: stable across servers, derived from its name. */
export function nodeId(name: string): string {
  return stableUuid('node', name);
}

/** Nomad's NodeEligibilityUpdateResponse / NodeDrainUpdateResponse. */
function nodeReply(out: WriteOutcome<unknown>): ApiReply {
  return {
    json: {
      EvalIDs: evalIds(out.plan),
      EvalCreateIndex: out.index,
      NodeModifyIndex: out.index,
      ...queryMeta(out.index),
    },
    index: out.index,
  };
}

/** One evaluation per job the change moves, null when it moves none (as Nomad sends). */
function evalIds(plan: Plan): string[] | null {
  const ids = plan.jobs
    .filter((j) => j.type !== 'none')
    .map((j) => evaluationId(j.id, j.to_version ?? j.from_version ?? 0));
  return ids.length ? ids : null;
}

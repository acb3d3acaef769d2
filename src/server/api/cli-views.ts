/**
 * What `drover job history` and `drover node status` show, for the CLI through a server
 * (`-address`): the views of ops/history and ops/node-view on the server's state, in the form
 * the direct commands print, so that both print the same. Nomad's own endpoints do not carry
 * what these show (a version's source file, origin and actor; a node's transport, host volumes
 * and the resources its allocations use).
 */
import { jobHistory } from '../../ops/history.js';
import { OperationError, requireJob } from '../../ops/index.js';
import { nodeDetail, nodeRows } from '../../ops/node-view.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { flag, idParam } from './read-query.js';
import { requestedJobKey, requestNamespace } from './write-path.js';

/** A view's refusal (no such job, no such node) as a 404 with the direct command's text. */
function notFoundAs404<T>(view: () => T): T {
  try {
    return view();
  } catch (err) {
    if (err instanceof OperationError) throw new ApiError(404, err.message);
    throw err;
  }
}

async function history(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const id = idParam(req, 'id');
  const job = notFoundAs404(() => requireJob(now.state, requestedJobKey(req, id)));
  return {
    json: jobHistory(job, id, requestNamespace(req), flag(req, 'diffs', false)),
    index: now.index,
  };
}

// The server does not ask the nodes here: what its state knows is shown, none is `down` by a
// check made for this request (the direct command's -refresh=false).
const NONE_DOWN: ReadonlySet<string> = new Set();

async function nodes(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  return { json: { nodes: nodeRows(now.state, NONE_DOWN) }, index: now.index };
}

async function node(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const name = idParam(req, 'name');
  return { json: notFoundAs404(() => nodeDetail(now.state, NONE_DOWN, name)), index: now.index };
}

const nodeRead = { kind: 'node', level: 'read' } as const;

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/drover/job/:id/history',
    access: { kind: 'namespace', capability: 'read-job' },
    handler: history,
  },
  { method: 'GET', path: '/v1/drover/nodes', access: nodeRead, handler: nodes },
  { method: 'GET', path: '/v1/drover/node/:name', access: nodeRead, handler: node },
];

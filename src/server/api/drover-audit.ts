/**
 * `GET /v1/drover/audit?job=&namespace=`: the audit trail of state (`drover audit`), oldest
 * first, in Nomad's casing for the web UI (`form=state`: as the state holds them, for the CLI).
 * `job` keeps the records that changed that job.
 */
import { auditTrail } from '../../state/audit.js';
import type { AuditRecord } from '../../state/types.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';
import { ALL_NAMESPACES, splitJobKey } from '../../state/job-key.js';
import { requestNamespace } from './write-path.js';

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/drover/audit',
    access: { kind: 'namespace', capability: 'read-job' },
    blocking: true,
    cached: true,
    handler: audit,
  },
];

async function audit(req: ApiRequest): Promise<ApiReply> {
  const { state } = await req.server.current();
  const job = req.query.get('job');
  const every = req.namespace === ALL_NAMESPACES;
  const wanted = requestNamespace(req);
  const readable = (namespace: string) =>
    req.identity.allows({ kind: 'namespace', capability: 'read-job' }, namespace);
  const records = auditTrail(state).filter((r) => {
    const jobs = r.jobs.map((j) => splitJobKey(j.id));
    // A record shows only where the token may read every job it changed.
    if (!jobs.every((j) => readable(j.namespace))) return false;
    // Records that changed no job (node operations, approvals …) belong to the default namespace.
    const here =
      every || (jobs.length ? jobs.some((j) => j.namespace === wanted) : wanted === 'default');
    return here && (!job || jobs.some((j) => j.id === job));
  });
  // `form=state`: the records as the state holds them, for `drover audit` through a server.
  return { json: req.query.get('form') === 'state' ? records : records.map(auditJson) };
}

export function auditJson(r: AuditRecord): Record<string, unknown> {
  return {
    Seq: r.seq,
    Time: r.time,
    DurationMs: r.duration_ms,
    Actor: r.actor,
    GitAuthor: r.git_author ?? '',
    GitCommit: r.git_commit ?? '',
    GitBranch: r.git_branch ?? '',
    Command: r.operation,
    Jobs: r.jobs.map((j) => ({
      Namespace: splitJobKey(j.id).namespace,
      ID: splitJobKey(j.id).id,
      FromVersion: j.from_version,
      ToVersion: j.to_version,
      Change: j.change ?? '',
      Result: j.result ?? '',
      ...(j.reverted_to !== undefined ? { RevertedTo: j.reverted_to } : {}),
    })),
    PlanHash: r.plan_hash ?? '',
    Result: r.result,
    ExitCode: r.exit_code,
    Message: r.message ?? '',
    Detail: r.detail ?? '',
    Error: r.error ?? '',
    Approvals: (r.approvals ?? []).map((a) => ({
      By: a.approver,
      At: a.time,
      Message: a.message ?? '',
    })),
  };
}

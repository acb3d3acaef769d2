/**
 * `drover approve PLANFILE` through a server: the plan the file holds must be saved on the
 * server (plan -out on its state, or made through its API); the token's actor approves it there
 * (`POST /v1/drover/plan/:hash/approve`), counted with the server's approval rule.
 */
import type { ApiClient } from '../api-client.js';
import { ApiResponseError } from '../api-client.js';
import type { Plan } from '../../generated/plan.js';
import { countApprovals, type ApprovalCount } from '../../plan/approvals.js';
import type { PlanApproval } from '../../state/types.js';
import { UserError } from '../with-session.js';
import { seg } from './connection.js';

/** What the server says of a saved plan (`GET /v1/drover/plan/:hash`, and the approve answer). */
interface PlanSummary {
  Required: number;
  AllowSelf?: boolean;
  Approvals: { By: string; At: string; Message: string; GitAuthor?: string; Serial?: number }[];
}

export interface RemoteApproval {
  approver: string;
  recorded: boolean;
  count: ApprovalCount;
}

export async function remoteApprove(
  api: ApiClient,
  plan: Plan,
  planfile: string,
  message: string | undefined,
): Promise<RemoteApproval> {
  const path = `/v1/drover/plan/${seg(plan.hash)}`;
  const before = await api.request<PlanSummary>('GET', path).catch((err: unknown) => {
    if (err instanceof ApiResponseError && err.status === 404)
      throw new UserError(
        `plan ${plan.hash} (${planfile}) is not saved on the server at ${api.address}: only a plan saved on its state (plan -out without an address) or made through its API can be approved there`,
      );
    throw err;
  });
  const { Actor } = await api.request<{ Actor: string }>('GET', '/v1/drover/whoami');
  const after = await api.request<PlanSummary>(
    'POST',
    `${path}/approve`,
    message ? { Message: message } : {},
  );
  const approvals = after.Approvals.map((a): PlanApproval => ({
    plan_hash: plan.hash,
    approver: a.By,
    ...(a.GitAuthor ? { git_author: a.GitAuthor } : {}),
    time: a.At,
    ...(a.Message ? { message: a.Message } : {}),
    serial: a.Serial ?? 0,
  }));
  return {
    approver: Actor,
    recorded: after.Approvals.length > before.Approvals.length,
    // The server's rule: an older server that does not say whether self-approval counts allows it.
    count: countApprovals(
      { required: after.Required, allowSelf: after.AllowSelf ?? true },
      approvals,
      plan,
    ),
  };
}

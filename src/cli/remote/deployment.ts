/** `drover deployment status JOB` through a server: the job's latest deployment, for the direct view. */
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { UserError } from '../with-session.js';
import type { Deployment } from '../../state/types.js';
import { query, seg } from './connection.js';
import { deploymentOf, type Json } from './snapshot.js';
import { namespaceOf } from './status.js';

export async function remoteDeployment(
  api: ApiClient,
  jobId: string,
  cmd: Command,
): Promise<Deployment> {
  const d = await api.request<Json | null>(
    'GET',
    `/v1/job/${seg(jobId)}/deployment${query({ namespace: namespaceOf(cmd) })}`,
  );
  if (!d) throw new UserError(`job "${jobId}" has no deployments`);
  return deploymentOf(d);
}

/** `drover deployment status JOB` through a server: the job's latest deployment, the direct view. */
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { Output } from '../output.js';
import { UserError } from '../with-session.js';
import { printDeployment } from '../commands/deployment.js';
import { query, seg } from './connection.js';
import { deploymentOf, type Json } from './snapshot.js';
import { namespaceOf } from './status.js';

export async function remoteDeploymentStatus(
  api: ApiClient,
  o: Output,
  jobId: string,
  cmd: Command,
): Promise<void> {
  const d = await api.request<Json | null>(
    'GET',
    `/v1/job/${seg(jobId)}/deployment${query({ namespace: namespaceOf(cmd) })}`,
  );
  if (!d) throw new UserError(`job "${jobId}" has no deployments`);
  // The server carries its deployments on: one is never left unattended.
  printDeployment(o, jobId, deploymentOf(d), false);
}

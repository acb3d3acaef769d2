/** `drover job history JOB [-p]` through a server: the history as the server's state has it. */
import type { ApiClient } from '../api-client.js';
import type { JobHistory } from '../../ops/history.js';
import { query, seg } from './connection.js';

export function remoteJobHistory(
  api: ApiClient,
  jobId: string,
  namespace: string,
  withDiffs: boolean,
): Promise<JobHistory> {
  return api.request<JobHistory>(
    'GET',
    `/v1/drover/job/${seg(jobId)}/history${query({ namespace, diffs: withDiffs || undefined })}`,
  );
}

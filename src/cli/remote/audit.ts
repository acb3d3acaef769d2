/** `drover audit [JOB]` through a server: the audit trail of the server's state. */
import type { ApiClient } from '../api-client.js';
import type { AuditRecord } from '../../state/types.js';
import { ALL_NAMESPACES } from '../../state/job-key.js';
import { query } from './connection.js';

/**
 * Every record the token may read, as the state holds it, oldest first: of all namespaces, as
 * the direct command shows them (the server leaves out those of jobs the token may not read).
 */
export function remoteAuditTrail(api: ApiClient): Promise<AuditRecord[]> {
  return api.request<AuditRecord[]>(
    'GET',
    `/v1/drover/audit${query({ namespace: ALL_NAMESPACES, form: 'state' })}`,
  );
}

/**
 * Loads what the session may do. `GET /v1/drover/whoami` answers it; a server without that
 * endpoint (older than the web UI's API) is asked what Nomad's API can tell: ACLs off means
 * anyone may do anything, a management token may do anything, any other token gets read-only
 * pages (no write buttons rather than buttons that fail).
 */
import { ApiError, get } from './api';
import { loadCredentials } from './session';
import type { WhoAmI } from './permissions';

interface AgentSelf {
  config?: { ACL?: { Enabled?: boolean } };
}

/** Whether the server enforces ACLs: a server that refuses to say so does. */
export async function aclEnabled(): Promise<boolean> {
  try {
    const self = await get<AgentSelf>('/v1/agent/self');
    return self.data.config?.ACL?.Enabled === true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 401)) return true;
    throw err;
  }
}

export async function loadWho(): Promise<WhoAmI> {
  try {
    return (await get<WhoAmI>('/v1/drover/whoami')).data;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const actor = loadCredentials().actor || 'anonymous';
  const all: WhoAmI = {
    ACLEnabled: false,
    Actor: actor,
    Management: true,
    Namespaces: {},
    Node: 'write',
    ApproveRequired: 0,
  };
  if (!(await aclEnabled())) return all;
  const token = (await get<{ Type: string; Name: string }>('/v1/acl/token/self')).data;
  if (token.Type === 'management') return { ...all, ACLEnabled: true, Actor: token.Name };
  return {
    ACLEnabled: true,
    Actor: token.Name,
    Management: false,
    Namespaces: { '*': ['list-jobs', 'read-job', 'read-logs'] },
    Node: 'read',
    ApproveRequired: 0,
  };
}

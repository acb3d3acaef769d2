/**
 * Who the browser speaks as: the ACL token (or, with ACLs off, a name for the audit trail), kept
 * in localStorage and sent as a header, never in a URL.
 */
const TOKEN_KEY = 'drover.token';
const ACTOR_KEY = 'drover.actor';

export interface Credentials {
  token: string;
  actor: string;
}

export function loadCredentials(): Credentials {
  return {
    token: localStorage.getItem(TOKEN_KEY) ?? '',
    actor: localStorage.getItem(ACTOR_KEY) ?? '',
  };
}

export function saveCredentials(c: Credentials): void {
  localStorage.setItem(TOKEN_KEY, c.token);
  localStorage.setItem(ACTOR_KEY, c.actor);
}

export function clearCredentials(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ACTOR_KEY);
}

/** The headers every API call carries. */
export function authHeaders(c: Credentials): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.token) h['X-Nomad-Token'] = c.token;
  if (c.actor) h['X-Drover-Actor'] = c.actor;
  return h;
}

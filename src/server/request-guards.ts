/**
 * Two checks of every request that the web UI needs (issue 16), made once in the HTTP layer:
 *
 * - A forged request: a page on another site can make a browser send a write to this server
 *   (with the user's network position, and cookies were there any). Browsers send `Origin` with
 *   every cross-site write, so a non-GET request whose Origin is not this server is refused.
 * - The actor with ACLs off: the UI asks for a name at sign-in and sends it as `X-Drover-Actor`,
 *   so the audit trail says who acted; with ACLs on, the token's name is the actor and the
 *   header is ignored.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, type Identity } from './types.js';

export const ACTOR_HEADER = 'x-drover-actor';
const MAX_ACTOR_LENGTH = 128;

/** Throws 403 for a non-GET request whose `Origin` is present and names another host than `Host`. */
export function refuseForgedOrigin(method: string, headers: IncomingHttpHeaders): void {
  if (method === 'GET' || method === 'HEAD') return;
  const origin = headers.origin;
  if (origin === undefined) return;
  if (!sameHost(origin, headers.host))
    throw new ApiError(
      403,
      `Forbidden: the request comes from ${origin}, not from this server's own pages (${headers.host ?? 'no Host'})`,
    );
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    // `Origin: null` (a sandboxed frame, a file) and anything unparsable are not this server.
    return false;
  }
}

/** With ACLs off, the identity named by `X-Drover-Actor` when the request has one (400 when it is no name). */
export function withDeclaredActor(
  identity: Identity,
  headers: IncomingHttpHeaders,
  aclEnabled: boolean,
): Identity {
  const raw = headers[ACTOR_HEADER];
  if (aclEnabled || raw === undefined) return identity;
  const name = (Array.isArray(raw) ? raw[0]! : raw).trim();
  if (name === '') return identity;
  // eslint-disable-next-line no-control-regex
  if (name.length > MAX_ACTOR_LENGTH || /[\u0000-\u001f\u007f]/.test(name))
    throw new ApiError(
      400,
      `X-Drover-Actor must be a name of at most ${MAX_ACTOR_LENGTH} printable characters`,
    );
  return { ...identity, actor: { name } };
}

/**
 * `GET /v1/drover/whoami`: what the request's token may do, so the web UI shows only the buttons
 * it may use (the server still checks every call): its actor, whether it is a management token,
 * its capabilities per namespace name or glob (Nomad's policy expanded), its node level, and how
 * many approvals drover.hcl requires of a plan.
 */
import type { Acl } from '../acl/policy.js';
import { NAMESPACE_CAPABILITIES } from '../acl/policy.js';
import { ANONYMOUS_POLICY, aclForPolicies, aclForToken, secretOf } from '../acl/index.js';
import { aclOf, hashSecret, tokenBySecretHash } from '../acl/state.js';
import type { StateSnapshot } from '../../state/types.js';
import type { ApiReply, ApiRequest, Route } from '../types.js';

export const routes: Route[] = [
  { method: 'GET', path: '/v1/drover/whoami', access: { kind: 'public' }, handler: whoami },
];

/** Every capability but `deny`: what a management token (or ACLs off) may do everywhere. */
const EVERY_CAPABILITY = NAMESPACE_CAPABILITIES.filter((c) => c !== 'deny');

async function whoami(req: ApiRequest): Promise<ApiReply> {
  const { state } = await req.server.current();
  const enabled = req.server.settings.acl.enabled;
  const acl = enabled && !req.identity.management ? aclOfRequest(req, state) : undefined;
  return {
    json: {
      ACLEnabled: enabled,
      Actor: req.identity.actor.name,
      Management: req.identity.management,
      Namespaces: acl ? namespaceCapabilities(acl) : { '*': EVERY_CAPABILITY },
      Node: acl ? (acl.node ?? 'deny') : 'write',
      ApproveRequired: req.server.engine.config.approvals?.required ?? 0,
    },
  };
}

/**
 * The compiled policies of the request's token (the HTTP layer resolved and checked it already:
 * here only its rules are read back), or the anonymous policy's.
 */
function aclOfRequest(req: ApiRequest, state: StateSnapshot): Acl {
  const secret = secretOf(req.headers);
  const token = secret ? tokenBySecretHash(aclOf(state), hashSecret(secret)) : undefined;
  return token ? aclForToken(state, token) : aclForPolicies(state, [ANONYMOUS_POLICY]);
}

/** Each namespace rule (name or glob) with its capabilities; a denied namespace has none. */
export function namespaceCapabilities(acl: Acl): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, caps] of [...acl.namespaces, ...acl.globs])
    out[name] = caps.has('deny') ? [] : [...caps].sort();
  return out;
}

/**
 * The server's Authorizer: who a request's token is and what its policies allow. With ACLs off
 * every request may do everything (Nomad's nil ACL); with them on, no token means the policy
 * named `anonymous` (when there is one, else nothing), an unknown or expired secret is refused.
 * Compiled ACLs are kept per state read: a token, policy or role change is a new state.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AclToken, StateSnapshot } from '../../state/types.js';
import {
  ApiError,
  type Access,
  type Actor,
  type Authorizer,
  type Identity,
  type IndexedState,
  type ServerContext,
} from '../types.js';
import {
  MANAGEMENT_ACL,
  allowsLevel,
  allowsNamespaceOperation,
  allowsVariables,
  compileAcl,
  parsePolicy,
  policySource,
  type Acl,
  type ParsedPolicy,
} from './policy.js';
import { aclOf, hashSecret, isExpired, tokenBySecretHash, tokenPolicyNames } from './state.js';
import { allowsVariablePath } from './variables.js';

/** The policy an anonymous request gets, as in Nomad. */
export const ANONYMOUS_POLICY = 'anonymous';
export const ANONYMOUS_ACTOR: Actor = { name: 'anonymous' };

/** The secret a request carries: `X-Nomad-Token`, else `Authorization: Bearer …`. */
export function secretOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-nomad-token'];
  const token = Array.isArray(header) ? header[0] : header;
  if (token) return token.trim() || undefined;
  const auth = headers.authorization;
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return m?.[1]?.trim() || undefined;
}

/** Whether `acl` allows `access` in `namespace` (default `default`). */
export function aclAllows(acl: Acl, access: Access, namespace = 'default'): boolean {
  switch (access.kind) {
    case 'public':
      return true;
    case 'management':
      return acl.management;
    case 'namespace':
      if (access.capability === 'variable-read') return allowsVariables(acl, namespace, 'read');
      if (access.capability === 'variable-write') return allowsVariables(acl, namespace, 'write');
      return allowsNamespaceOperation(acl, namespace, access.capability);
    case 'node':
    case 'agent':
    case 'operator':
      return acl.management || allowsLevel(acl[access.kind], access.level);
    case 'variable':
      return allowsVariablePath(acl, namespace, access.path, access.op);
  }
}

export function identityOf(actor: Actor, acl: Acl): Identity {
  return {
    actor,
    management: acl.management,
    allows: (access, namespace) => aclAllows(acl, access, namespace),
  };
}

/** The identity of a request while ACLs are off: everything allowed. */
export const UNRESTRICTED: Identity = identityOf(ANONYMOUS_ACTOR, MANAGEMENT_ACL);

/** Compiles the policies a client token names; a name with no policy grants nothing (as in Nomad). */
export function aclForPolicies(state: StateSnapshot, names: readonly string[]): Acl {
  const policies = aclOf(state).policies;
  const parsed: ParsedPolicy[] = [];
  for (const name of names) {
    const policy = policies[name];
    if (!policy) continue;
    try {
      parsed.push(parsePolicy(policy.rules, policySource(name)));
    } catch {
      // Stored policies were checked when written; one that no longer parses grants nothing.
    }
  }
  return compileAcl(parsed);
}

/** A client token's ACL: its own policies and its roles', as the state has them now. */
export function aclForToken(state: StateSnapshot, token: AclToken): Acl {
  return token.type === 'management'
    ? MANAGEMENT_ACL
    : aclForPolicies(state, tokenPolicyNames(aclOf(state), token));
}

/** What the audit trail records as `who` for a token: its name (its accessor id when unnamed). */
export function actorOf(token: AclToken): Actor {
  return { name: token.name || token.accessor_id, accessorId: token.accessor_id };
}

export function createAuthorizer(ctx: ServerContext): Authorizer {
  // Per state read: the context hands out the same IndexedState until the state changes.
  let cache: { of: IndexedState; anonymous?: Identity; tokens: Map<string, Acl> } | undefined;
  return {
    async identify(secret: string | undefined): Promise<Identity> {
      if (!ctx.settings.acl.enabled) return UNRESTRICTED;
      const current = await ctx.current();
      const state = current.state;
      if (cache?.of !== current) cache = { of: current, tokens: new Map() };
      if (secret === undefined || secret === '') {
        cache.anonymous ??= identityOf(ANONYMOUS_ACTOR, aclForPolicies(state, [ANONYMOUS_POLICY]));
        return cache.anonymous;
      }
      const token = tokenBySecretHash(aclOf(state), hashSecret(secret));
      if (!token) throw new ApiError(403, 'ACL token not found');
      if (isExpired(token, ctx.engine.clock.now())) throw new ApiError(403, 'ACL token expired');
      let acl = cache.tokens.get(token.accessor_id);
      if (!acl) {
        acl = aclForToken(state, token);
        cache.tokens.set(token.accessor_id, acl);
      }
      return identityOf(actorOf(token), acl);
    },
  };
}

/**
 * The ACL part of the state (`acl` in state.schema.json): tokens by accessor id, policies by
 * name, roles by id, the bootstrap flag. Pure: each helper returns a new snapshot and leaves the rest alone.
 * A token keeps only the SHA-256 of its secret; the secret exists in the reply that creates it.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AclPolicy, AclRole, AclState, AclToken, StateSnapshot } from '../../state/types.js';

const EMPTY: AclState = { bootstrapped: false, tokens: {}, policies: {} };

/** The ACL state of a snapshot (never bootstrapped: empty). */
export function aclOf(state: Pick<StateSnapshot, 'acl'>): AclState {
  return state.acl ?? EMPTY;
}

/** What a token stores of its secret. */
export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** A new secret id: a random UUID, as Nomad's. */
export function newSecret(): string {
  return randomUUID();
}

/**
 * The token whose secret hashes to `hash`. Every token is compared, each in constant time, so
 * how long a lookup takes says nothing about which stored hash came close.
 */
export function tokenBySecretHash(acl: AclState, hash: string): AclToken | undefined {
  const wanted = Buffer.from(hash, 'utf8');
  let found: AclToken | undefined;
  for (const token of Object.values(acl.tokens)) {
    const stored = Buffer.from(token.secret_hash, 'utf8');
    if (stored.length === wanted.length && timingSafeEqual(stored, wanted) && !found) found = token;
  }
  return found;
}

/** Whether the token's expiration time has passed. */
export function isExpired(token: AclToken, now: number): boolean {
  return token.expiration_time !== undefined && Date.parse(token.expiration_time) <= now;
}

function withAcl(state: StateSnapshot, acl: AclState): StateSnapshot {
  return { ...state, acl };
}

/** The state after the bootstrap: the flag set (with the serial it is written at) and its token. */
export function withBootstrap(state: StateSnapshot, token: AclToken): StateSnapshot {
  const acl = aclOf(state);
  return withAcl(state, {
    ...acl,
    bootstrapped: true,
    bootstrap_index: state.serial + 1,
    tokens: { ...acl.tokens, [token.accessor_id]: token },
  });
}

export function withToken(state: StateSnapshot, token: AclToken): StateSnapshot {
  const acl = aclOf(state);
  return withAcl(state, { ...acl, tokens: { ...acl.tokens, [token.accessor_id]: token } });
}

export function withoutToken(state: StateSnapshot, accessorId: string): StateSnapshot {
  const acl = aclOf(state);
  const { [accessorId]: _gone, ...tokens } = acl.tokens;
  return withAcl(state, { ...acl, tokens });
}

export function withPolicy(state: StateSnapshot, policy: AclPolicy): StateSnapshot {
  const acl = aclOf(state);
  return withAcl(state, { ...acl, policies: { ...acl.policies, [policy.name]: policy } });
}

export function withoutPolicy(state: StateSnapshot, name: string): StateSnapshot {
  const acl = aclOf(state);
  const { [name]: _gone, ...policies } = acl.policies;
  return withAcl(state, { ...acl, policies });
}

/** The roles by id (none in a state written before roles). */
export function rolesOf(acl: AclState): Readonly<Record<string, AclRole>> {
  return acl.roles ?? {};
}

export function roleByName(acl: AclState, name: string): AclRole | undefined {
  return Object.values(rolesOf(acl)).find((r) => r.name === name);
}

/** The roles a token links to that exist now (a deleted role is simply gone). */
export function tokenRoles(acl: AclState, token: Pick<AclToken, 'roles'>): AclRole[] {
  const roles = rolesOf(acl);
  return (token.roles ?? []).flatMap((id) => (roles[id] ? [roles[id]] : []));
}

/**
 * The names of the policies a client token gets: its own, then its roles' as they are now, each
 * once. Resolved at every request, so a role's change applies at once.
 */
export function tokenPolicyNames(
  acl: AclState,
  token: Pick<AclToken, 'policies' | 'roles'>,
): string[] {
  return [...new Set([...token.policies, ...tokenRoles(acl, token).flatMap((r) => r.policies)])];
}

export function withRole(state: StateSnapshot, role: AclRole): StateSnapshot {
  const acl = aclOf(state);
  return withAcl(state, { ...acl, roles: { ...rolesOf(acl), [role.id]: role } });
}

export function withoutRole(state: StateSnapshot, id: string): StateSnapshot {
  const acl = aclOf(state);
  const { [id]: _gone, ...roles } = rolesOf(acl);
  return withAcl(state, { ...acl, roles });
}

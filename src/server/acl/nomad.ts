/**
 * ACL tokens and policies in Nomad's JSON (nomad/structs ACLToken, ACLTokenListStub, ACLPolicy,
 * ACLPolicyListStub), and the token a create or update request asks for, checked as Nomad's
 * ACLToken.Validate checks it, its role links resolved as Nomad's upsertTokens does. Pure.
 *
 * drover keeps only the hash of a secret: `SecretID` is the secret in the reply that creates a
 * token and where the caller sent it (`/v1/acl/token/self`, a read of its own token); elsewhere
 * (a management token reading another token, an update) it is absent, where Nomad would show
 * it: drover cannot, and an empty string would read as a token without a secret.
 */
import { createHash, randomUUID } from 'node:crypto';
import { durationNanos, formatDuration } from '../../jobspec/duration.js';
import type { AclPolicy, AclRole, AclState, AclToken } from '../../state/types.js';
import { ApiError } from '../types.js';
import { roleByName, rolesOf, tokenRoles } from './state.js';

/** Nomad's ACLTokenRoleLink: the role's id, and its name as it is now. */
export interface NomadAclTokenRoleLink {
  ID: string;
  Name: string;
}

export interface NomadAclToken {
  AccessorID: string;
  /** Absent when drover cannot show it (it keeps only the hash): see above. */
  SecretID?: string;
  Name: string;
  Type: 'client' | 'management';
  Policies: string[] | null;
  /** The roles it links to that exist (Nomad drops a deleted role's link on read); null: none. */
  Roles: NomadAclTokenRoleLink[] | null;
  Global: boolean;
  Hash: string;
  CreateTime: string;
  ExpirationTime?: string;
  ExpirationTTL: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export type NomadAclTokenStub = Omit<NomadAclToken, 'SecretID' | 'ExpirationTTL'>;

export interface NomadAclPolicy {
  Name: string;
  Description: string;
  Rules: string;
  Hash: string;
  JobACL: null;
  CreateIndex: number;
  ModifyIndex: number;
}

export type NomadAclPolicyStub = Pick<
  NomadAclPolicy,
  'Name' | 'Description' | 'Hash' | 'CreateIndex' | 'ModifyIndex'
>;

/**
 * The change index (what X-Nomad-Index says: serial + 1, see context.ts indexOf) of the write
 * that gave the state `serial`: the state records the serial a token or policy was written at,
 * the API reports the index a blocking query compares with.
 */
export function changeIndexOf(serial: number): number {
  return serial + 1;
}

/** A digest of what a token or policy says (Nomad's Hash, base64): changes when it changes. */
function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64');
}

/** A token's stub; `acl` gives its roles' names as they are now. */
export function tokenStub(t: AclToken, acl: AclState): NomadAclTokenStub {
  const roles = tokenRoles(acl, t).map((r) => ({ ID: r.id, Name: r.name }));
  return {
    AccessorID: t.accessor_id,
    Name: t.name,
    Type: t.type,
    // A management token has no policies, nor a client token made with roles only: nil slices.
    Policies: t.type === 'management' || t.policies.length === 0 ? null : [...t.policies],
    Roles: roles.length ? roles : null,
    Global: t.global,
    Hash: digest([
      t.name,
      t.type,
      t.policies,
      t.global,
      t.expiration_time ?? null,
      ...(t.roles?.length ? [t.roles] : []),
    ]),
    CreateTime: t.create_time,
    ...(t.expiration_time !== undefined ? { ExpirationTime: t.expiration_time } : {}),
    CreateIndex: changeIndexOf(t.create_index),
    ModifyIndex: changeIndexOf(t.modify_index),
  };
}

/** A token in Nomad's JSON, with `secret` when the caller knows it (else no SecretID). */
export function tokenJson(t: AclToken, acl: AclState, secret?: string): NomadAclToken {
  const ttl =
    t.expiration_time !== undefined
      ? formatDuration((Date.parse(t.expiration_time) - Date.parse(t.create_time)) * 1e6)
      : '';
  return {
    ...tokenStub(t, acl),
    ...(secret !== undefined ? { SecretID: secret } : {}),
    ExpirationTTL: ttl,
  };
}

/** Nomad's anonymous token, what `/v1/acl/token/self` answers a request without one. */
export function anonymousTokenJson(): NomadAclToken {
  return {
    AccessorID: 'anonymous',
    SecretID: 'anonymous',
    Name: 'Anonymous Token',
    Type: 'client',
    Policies: ['anonymous'],
    Roles: null,
    Global: false,
    Hash: digest(['anonymous']),
    CreateTime: '0001-01-01T00:00:00Z',
    ExpirationTTL: '',
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

export function policyStub(p: AclPolicy): NomadAclPolicyStub {
  return {
    Name: p.name,
    Description: p.description,
    Hash: digest([p.name, p.description, p.rules]),
    CreateIndex: changeIndexOf(p.create_index),
    ModifyIndex: changeIndexOf(p.modify_index),
  };
}

export function policyJson(p: AclPolicy): NomadAclPolicy {
  return { ...policyStub(p), Rules: p.rules, JobACL: null };
}

// ---------------------------------------------------------------------------------------------
// Requests

/** Nomad's defaults for `token_min_expiration_ttl` and `token_max_expiration_ttl`. */
export const MIN_TTL_MS = 60_000;
export const MAX_TTL_MS = 24 * 3_600_000;
const MAX_NAME = 256;
export const POLICY_NAME = /^[a-zA-Z0-9-]{1,128}$/;

/** The fields of an ACLToken a create or update request may carry. */
export interface TokenRequest {
  AccessorID?: string;
  Name?: string;
  Type?: string;
  Policies?: string[] | null;
  Roles?: RoleLinkRequest[] | null;
  Global?: boolean;
  ExpirationTime?: string | null;
  ExpirationTTL?: string | number | null;
}

/** A role a token links to, by id or (when no id is given) by name. */
export interface RoleLinkRequest {
  ID?: string;
  Name?: string;
}

function isRoleLink(v: unknown): v is RoleLinkRequest {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const link = v as Record<string, unknown>;
  return ['ID', 'Name'].every(
    (k) => link[k] === undefined || link[k] === null || typeof link[k] === 'string',
  );
}

export function asTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object (an ACLToken)');
  }
  const b = body as Record<string, unknown>;
  const str = (k: string) => {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') {
      throw new ApiError(400, `${k} must be a string`);
    }
  };
  ['AccessorID', 'Name', 'Type', 'ExpirationTime'].forEach(str);
  if (
    b.Policies !== undefined &&
    b.Policies !== null &&
    (!Array.isArray(b.Policies) || b.Policies.some((p) => typeof p !== 'string'))
  ) {
    throw new ApiError(400, 'Policies must be a list of policy names');
  }
  if (b.Global !== undefined && typeof b.Global !== 'boolean') {
    throw new ApiError(400, 'Global must be true or false');
  }
  if (
    b.Roles !== undefined &&
    b.Roles !== null &&
    (!Array.isArray(b.Roles) || !b.Roles.every(isRoleLink))
  ) {
    throw new ApiError(400, 'Roles must be a list of role links ({"ID": …} or {"Name": …})');
  }
  return b;
}

export interface TokenContext {
  /** The token updated (absent: a new token). */
  existing?: AclToken;
  /** Policies that exist, by name. */
  policies: Readonly<Record<string, AclPolicy>>;
  /** The ACL state its role links are resolved in. */
  acl: AclState;
  now: number;
  /** The state serial the write will have. */
  serial: number;
  /** The hash of a new token's secret (an update keeps the token's own). */
  secretHash: string;
}

/**
 * The token a request asks for, checked as Nomad checks it (name length, type and policies,
 * expiration within [1m, 24h] of its creation, only on create). Throws ApiError 400.
 */
export function tokenFromRequest(req: TokenRequest, ctx: TokenContext): AclToken {
  const problems: string[] = [];
  const name = req.Name ?? '';
  const type = req.Type ?? '';
  const policies = [...new Set(req.Policies ?? [])];
  // As Nomad's Validate, on the links asked for; each is then resolved to a role that exists.
  const links = req.Roles ?? [];
  if (name.length > MAX_NAME) problems.push('token name too long');
  if (type === 'client') {
    if (policies.length === 0 && links.length === 0) {
      problems.push('client token missing policies or roles');
    }
  } else if (type === 'management') {
    if (policies.length !== 0 || links.length !== 0) {
      problems.push('management token cannot be associated with policies or roles');
    }
  } else problems.push('token type must be client or management');
  for (const p of policies) {
    if (!Object.hasOwn(ctx.policies, p)) problems.push(`cannot find policy ${p}`);
  }
  const roles = resolveRoleLinks(ctx.acl, links, problems);
  const existing = ctx.existing;
  const createTime = existing?.create_time ?? new Date(ctx.now).toISOString();
  let expiration = existing?.expiration_time;
  if (!existing) expiration = expirationOf(req, ctx.now, problems);
  else if (req.Global !== undefined && req.Global !== existing.global) {
    problems.push('cannot toggle global mode');
  }
  if (problems.length > 0) throw new ApiError(400, `token invalid: ${problems.join('; ')}`);
  return {
    accessor_id: existing?.accessor_id ?? randomUUID(),
    secret_hash: existing?.secret_hash ?? ctx.secretHash,
    name,
    type: type as AclToken['type'],
    policies: type === 'management' ? [] : policies,
    ...(roles.length ? { roles } : {}),
    global: existing?.global ?? req.Global ?? false,
    create_time: createTime,
    ...(expiration !== undefined ? { expiration_time: expiration } : {}),
    create_index: existing?.create_index ?? ctx.serial,
    modify_index: ctx.serial,
  };
}

/**
 * The ids of the roles a token links to, each once: a link's ID, else its Name, must name a
 * role that exists ("cannot find role …" otherwise, as Nomad says).
 */
function resolveRoleLinks(
  acl: AclState,
  links: readonly RoleLinkRequest[],
  problems: string[],
): string[] {
  const roles = rolesOf(acl);
  const ids: string[] = [];
  for (const link of links) {
    const found: AclRole | undefined = link.ID
      ? roles[link.ID]
      : link.Name
        ? roleByName(acl, link.Name)
        : undefined;
    if (!found) problems.push(`cannot find role ${link.ID || link.Name || '""'}`);
    else if (!ids.includes(found.id)) ids.push(found.id);
  }
  return ids;
}

/** ExpirationTime, or CreateTime + ExpirationTTL, within Nomad's bounds. */
function expirationOf(req: TokenRequest, now: number, problems: string[]): string | undefined {
  let at: number | undefined;
  if (req.ExpirationTTL !== undefined && req.ExpirationTTL !== null && req.ExpirationTTL !== '') {
    const nanos = durationNanos(req.ExpirationTTL);
    if (nanos === undefined) {
      problems.push(`invalid ExpirationTTL ${JSON.stringify(req.ExpirationTTL)}`);
      return undefined;
    }
    if (nanos < 0) {
      problems.push(`token expiration TTL '${formatDuration(nanos)}' should not be negative`);
      return undefined;
    }
    if (nanos > 0) at = now + nanos / 1e6;
  }
  if (req.ExpirationTime) {
    const t = Date.parse(req.ExpirationTime);
    if (Number.isNaN(t)) {
      problems.push(`invalid ExpirationTime ${JSON.stringify(req.ExpirationTime)}`);
      return undefined;
    }
    at = t;
  }
  if (at === undefined) return undefined;
  if (at < now) problems.push('expiration time cannot be before create time');
  else if (at - now < MIN_TTL_MS) {
    problems.push(
      `expiration time cannot be less than ${formatDuration(MIN_TTL_MS * 1e6)} in the future`,
    );
  } else if (at - now > MAX_TTL_MS) {
    problems.push(
      `expiration time cannot be more than ${formatDuration(MAX_TTL_MS * 1e6)} in the future`,
    );
  }
  return new Date(at).toISOString();
}

/**
 * ACL roles in Nomad's JSON (nomad/structs ACLRole, ACLRoleListStub) and the role a create or
 * update request asks for, checked as Nomad's ACLRole.Validate and UpsertRoles check it: a name
 * of letters, digits and dashes unique among roles, a description of at most 256 characters,
 * at least one policy, every policy existing (each kept once). Pure.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AclRole, AclState } from '../../state/types.js';
import { ApiError } from '../types.js';
import { changeIndexOf } from './nomad.js';
import { roleByName, rolesOf } from './state.js';

/** Nomad's ACLRolePolicyLink. */
export interface NomadAclRolePolicyLink {
  Name: string;
}

export interface NomadAclRole {
  ID: string;
  Name: string;
  Description: string;
  Policies: NomadAclRolePolicyLink[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Nomad's list stub has the same fields as the role. */
export type NomadAclRoleStub = NomadAclRole;

export const ROLE_NAME = /^[a-zA-Z0-9-]{1,128}$/;
const MAX_DESCRIPTION = 256;

export function roleJson(r: AclRole): NomadAclRole {
  return {
    ID: r.id,
    Name: r.name,
    Description: r.description,
    Policies: r.policies.map((Name) => ({ Name })),
    // What Nomad's SetHash covers: the name, the description, the policy names.
    Hash: createHash('sha256')
      .update(JSON.stringify([r.name, r.description, r.policies]))
      .digest('base64'),
    CreateIndex: changeIndexOf(r.create_index),
    ModifyIndex: changeIndexOf(r.modify_index),
  };
}

/** The fields of an ACLRole a create or update request may carry. */
export interface RoleRequest {
  ID?: string;
  Name?: string;
  Description?: string;
  Policies?: { Name?: string }[] | null;
}

export function asRoleRequest(body: unknown): RoleRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object (an ACLRole)');
  }
  const b = body as Record<string, unknown>;
  for (const k of ['ID', 'Name', 'Description']) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') {
      throw new ApiError(400, `${k} must be a string`);
    }
  }
  const links = b.Policies;
  if (
    links !== undefined &&
    links !== null &&
    (!Array.isArray(links) ||
      links.some(
        (l) =>
          typeof l !== 'object' ||
          l === null ||
          typeof (l as Record<string, unknown>).Name !== 'string',
      ))
  ) {
    throw new ApiError(400, 'Policies must be a list of policy links ({"Name": …})');
  }
  return b;
}

export interface RoleContext {
  acl: AclState;
  /** The state serial the write will have. */
  serial: number;
}

/**
 * The role a request asks for: with an ID an update of that role (which must exist), without
 * one a new role (whose name must be free). Throws ApiError 400 with Nomad's words.
 */
export function roleFromRequest(req: RoleRequest, ctx: RoleContext): AclRole {
  const name = req.Name ?? '';
  const description = req.Description ?? '';
  const problems: string[] = [];
  if (!ROLE_NAME.test(name)) problems.push(`invalid name '${name}'`);
  if (description.length > MAX_DESCRIPTION) {
    problems.push(`description longer than ${MAX_DESCRIPTION}`);
  }
  const links = req.Policies ?? [];
  if (links.length < 1) problems.push('at least one policy should be specified');
  if (problems.length) throw new ApiError(400, `role invalid: ${problems.join('; ')}`);

  const existing = req.ID ? rolesOf(ctx.acl)[req.ID] : undefined;
  if (req.ID && !existing) throw new ApiError(400, `cannot find role ${req.ID}`);
  const holder = roleByName(ctx.acl, name);
  if (holder && holder.id !== existing?.id) {
    throw new ApiError(400, `role with name ${name} already exists`);
  }
  const policies: string[] = [];
  for (const { Name: policy = '' } of links) {
    if (!Object.hasOwn(ctx.acl.policies, policy)) {
      throw new ApiError(400, `cannot find policy ${policy}`);
    }
    if (!policies.includes(policy)) policies.push(policy);
  }
  return {
    id: existing?.id ?? randomUUID(),
    name,
    description,
    policies,
    create_index: existing?.create_index ?? ctx.serial,
    modify_index: ctx.serial,
  };
}

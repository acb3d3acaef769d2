/**
 * Nomad's ACL role endpoints (command/agent/acl_endpoint.go, nomad/acl_endpoint.go): list
 * (`prefix` on the id), create, read by id or name, update, delete. Writes need a management
 * token; a client token reads the roles it links to (and lists only those), as in Nomad. A role
 * grants through the tokens linked to it, resolved at each request (acl/index.ts).
 */
import { roleByName, rolesOf, withRole, withoutRole, aclOf } from '../acl/state.js';
import { asRoleRequest, roleFromRequest, roleJson } from '../acl/roles.js';
import { aclWrite } from '../acl/write.js';
import type { AclRole, StateSnapshot } from '../../state/types.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { acl, callerToken, permissionDenied } from './acl.js';

const MANAGEMENT = { kind: 'management' } as const;
/** Checked in the handler: a client token may read the roles it links to. */
const PUBLIC = { kind: 'public' } as const;

/** Whether the caller may read `role`: a management token any, another only its own. */
function mayRead(req: ApiRequest, state: StateSnapshot, role: Pick<AclRole, 'id'>): boolean {
  if (req.identity.management) return true;
  return callerToken(req, state)?.roles?.includes(role.id) ?? false;
}

async function listRoles(req: ApiRequest): Promise<ApiReply> {
  const { state, index } = await req.server.current();
  const prefix = req.query.get('prefix') ?? '';
  const roles = Object.values(rolesOf(aclOf(state)))
    .filter((r) => r.id.startsWith(prefix) && mayRead(req, state, r))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(roleJson);
  return { json: roles, index };
}

/** A role the caller may read, found by `find` (403 before 404, as Nomad checks the token first). */
async function readRole(
  req: ApiRequest,
  find: (state: StateSnapshot) => AclRole | undefined,
  linked: (state: StateSnapshot) => boolean,
): Promise<ApiReply> {
  const { state, index } = await req.server.current();
  if (!req.identity.management && !linked(state)) throw permissionDenied();
  const role = find(state);
  if (!role) throw new ApiError(404, 'ACL role not found');
  return { json: roleJson(role), index };
}

function getRole(req: ApiRequest): Promise<ApiReply> {
  const id = req.params.id ?? '';
  return readRole(
    req,
    (state) => rolesOf(aclOf(state))[id],
    (state) => mayRead(req, state, { id }),
  );
}

function getRoleByName(req: ApiRequest): Promise<ApiReply> {
  const name = req.params.name ?? '';
  const find = (state: StateSnapshot) => roleByName(aclOf(state), name);
  return readRole(req, find, (state) => {
    const role = find(state);
    return role !== undefined && mayRead(req, state, role);
  });
}

/** POST /v1/acl/role (create; an ID in the body updates, as Nomad) and /v1/acl/role/:id. */
async function upsertRole(req: ApiRequest): Promise<ApiReply> {
  const body = asRoleRequest(await req.json());
  const pathId = req.params.id;
  if (pathId !== undefined && body.ID !== pathId) {
    throw new ApiError(400, 'ACL role ID does not match request path');
  }
  const update = Boolean(body.ID);
  const { result, index } = await aclWrite(
    req.server,
    req.identity.actor,
    update ? 'acl role update' : 'acl role create',
    (state) => {
      const role = roleFromRequest(body, { acl: aclOf(state), serial: state.serial + 1 });
      return {
        state: withRole(state, role),
        result: roleJson(role),
        detail: `${update ? 'updated' : 'created'} role "${role.name}" (${role.id}: ${role.policies.join(', ')})`,
      };
    },
  );
  return { json: result, index };
}

async function deleteRole(req: ApiRequest): Promise<ApiReply> {
  const id = req.params.id ?? '';
  const { index } = await aclWrite(req.server, req.identity.actor, 'acl role delete', (state) => {
    const role = rolesOf(aclOf(state))[id];
    if (!role) throw new ApiError(404, 'ACL role not found');
    return {
      state: withoutRole(state, id),
      result: null,
      detail: `deleted role "${role.name}" (${id})`,
    };
  });
  return { index };
}

export const routes: Route[] = [
  { method: 'GET', path: '/v1/acl/roles', access: PUBLIC, blocking: true, handler: acl(listRoles) },
  { method: 'POST', path: '/v1/acl/role', access: MANAGEMENT, handler: acl(upsertRole) },
  {
    method: 'GET',
    path: '/v1/acl/role/name/:name',
    access: PUBLIC,
    blocking: true,
    handler: acl(getRoleByName),
  },
  {
    method: 'GET',
    path: '/v1/acl/role/:id',
    access: PUBLIC,
    blocking: true,
    handler: acl(getRole),
  },
  { method: 'POST', path: '/v1/acl/role/:id', access: MANAGEMENT, handler: acl(upsertRole) },
  { method: 'DELETE', path: '/v1/acl/role/:id', access: MANAGEMENT, handler: acl(deleteRole) },
];

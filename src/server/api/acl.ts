/**
 * Nomad's ACL endpoints (command/agent/acl_endpoint.go): bootstrap, tokens and policies (roles:
 * acl-roles.ts). With
 * ACLs off every one answers 400 "ACL support disabled", as Nomad does. A token's secret is in
 * the reply that creates it and nowhere else; the state keeps its hash.
 */
import { secretOf, ANONYMOUS_POLICY } from '../acl/index.js';
import { PolicyError, parsePolicy, policySource } from '../acl/policy.js';
import {
  aclOf,
  hashSecret,
  newSecret,
  tokenPolicyNames,
  withBootstrap,
  withPolicy,
  withToken,
  withoutPolicy,
  withoutToken,
} from '../acl/state.js';
import {
  POLICY_NAME,
  anonymousTokenJson,
  asTokenRequest,
  changeIndexOf,
  policyJson,
  policyStub,
  tokenFromRequest,
  tokenJson,
  tokenStub,
} from '../acl/nomad.js';
import { aclWrite } from '../acl/write.js';
import type { AclPolicy, AclToken, StateSnapshot } from '../../state/types.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MANAGEMENT = { kind: 'management' } as const;
/** Checked in the handler: a token may read itself and its own policies. */
const PUBLIC = { kind: 'public' } as const;

export function requireEnabled(req: ApiRequest): void {
  if (!req.server.settings.acl.enabled) throw new ApiError(400, 'ACL support disabled');
}

export function permissionDenied(): ApiError {
  return new ApiError(403, 'Permission denied');
}

/** A handler that first refuses when ACLs are off. */
export function acl(handler: (req: ApiRequest) => Promise<ApiReply>) {
  return async (req: ApiRequest): Promise<ApiReply> => {
    requireEnabled(req);
    return handler(req);
  };
}

async function read(req: ApiRequest): Promise<{ state: StateSnapshot; index: number }> {
  return req.server.current();
}

/** The caller's own token (absent: anonymous, or ACLs… never off here). */
export function callerToken(req: ApiRequest, state: StateSnapshot): AclToken | undefined {
  const id = req.identity.actor.accessorId;
  return id === undefined ? undefined : aclOf(state).tokens[id];
}

function label(t: AclToken): string {
  const roles = t.roles?.length ? `; roles ${t.roles.join(', ')}` : '';
  return `token "${t.name}" (accessor ${t.accessor_id}, ${t.type}${t.type === 'client' ? `: ${t.policies.join(', ')}${roles}` : ''})`;
}

/** Whether the request has a body (Nomad decodes the bootstrap's only when it has one). */
function hasBody(req: ApiRequest): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

// --- bootstrap --------------------------------------------------------------------------------

async function bootstrap(req: ApiRequest): Promise<ApiReply> {
  let secret = newSecret();
  if (hasBody(req)) {
    const body = (await req.json()) as { BootstrapSecret?: unknown } | null;
    const given = body?.BootstrapSecret;
    if (given !== undefined && given !== null && given !== '') {
      if (typeof given !== 'string' || !UUID.test(given)) {
        throw new ApiError(400, 'invalid acl bootstrap secret, must be a uuid');
      }
      secret = given;
    }
  }
  const { result, index } = await aclWrite(
    req.server,
    req.identity.actor,
    'acl bootstrap',
    (state) => {
      const current = aclOf(state);
      if (current.bootstrapped) {
        throw new ApiError(
          400,
          `ACL bootstrap already done (reset index: ${current.bootstrap_index === undefined ? 0 : changeIndexOf(current.bootstrap_index)})`,
        );
      }
      const token = tokenFromRequest(
        { Name: 'Bootstrap Token', Type: 'management', Global: true },
        {
          policies: {},
          acl: current,
          now: req.server.engine.clock.now(),
          serial: state.serial + 1,
          secretHash: hashSecret(secret),
        },
      );
      const next = withBootstrap(state, token);
      return {
        state: next,
        result: tokenJson(token, aclOf(next), secret),
        detail: `bootstrapped ACLs with ${label(token)}`,
      };
    },
  );
  return { json: result, index };
}

// --- tokens -----------------------------------------------------------------------------------

async function tokenSelf(req: ApiRequest): Promise<ApiReply> {
  const { state, index } = await read(req);
  const token = callerToken(req, state);
  if (!token) return { json: anonymousTokenJson(), index };
  // The caller sent the secret: echoing it back discloses nothing new.
  return { json: tokenJson(token, aclOf(state), secretOf(req.headers)), index };
}

async function listTokens(req: ApiRequest): Promise<ApiReply> {
  const { state, index } = await read(req);
  const tokens = Object.values(aclOf(state).tokens)
    .sort((a, b) => (a.accessor_id < b.accessor_id ? -1 : a.accessor_id > b.accessor_id ? 1 : 0))
    .map((t) => tokenStub(t, aclOf(state)));
  return { json: tokens, index };
}

async function getToken(req: ApiRequest): Promise<ApiReply> {
  const accessor = req.params.accessor ?? '';
  if (accessor === 'self') return tokenSelf(req);
  const { state, index } = await read(req);
  const own = req.identity.actor.accessorId === accessor;
  if (!req.identity.management && !own) throw permissionDenied();
  const token = aclOf(state).tokens[accessor];
  if (!token) throw new ApiError(404, 'ACL token not found');
  return {
    json: tokenJson(token, aclOf(state), own ? secretOf(req.headers) : undefined),
    index,
  };
}

/** POST /v1/acl/token (create, or update when the body names an AccessorID) and /v1/acl/token/:accessor. */
async function upsertToken(req: ApiRequest): Promise<ApiReply> {
  const body = asTokenRequest(await req.json());
  const pathAccessor = req.params.accessor;
  if (pathAccessor !== undefined && body.AccessorID !== pathAccessor) {
    throw new ApiError(400, 'ACL token accessor does not match request path');
  }
  const accessor = body.AccessorID || undefined;
  const secret = accessor === undefined ? newSecret() : undefined;
  const { result, index } = await aclWrite(
    req.server,
    req.identity.actor,
    accessor === undefined ? 'acl token create' : 'acl token update',
    (state) => {
      const acl = aclOf(state);
      const existing = accessor === undefined ? undefined : acl.tokens[accessor];
      if (accessor !== undefined && !existing) {
        throw new ApiError(400, `cannot find token ${accessor}`);
      }
      const token = tokenFromRequest(body, {
        ...(existing ? { existing } : {}),
        policies: acl.policies,
        acl,
        now: req.server.engine.clock.now(),
        serial: state.serial + 1,
        secretHash: secret === undefined ? '' : hashSecret(secret),
      });
      const next = withToken(state, token);
      return {
        state: next,
        result: tokenJson(token, aclOf(next), secret),
        detail: `${existing ? 'updated' : 'created'} ${label(token)}`,
      };
    },
  );
  return { json: result, index };
}

async function deleteToken(req: ApiRequest): Promise<ApiReply> {
  const accessor = req.params.accessor ?? '';
  const { index } = await aclWrite(req.server, req.identity.actor, 'acl token delete', (state) => {
    const token = aclOf(state).tokens[accessor];
    if (!token) throw new ApiError(400, `Cannot delete nonexistent tokens: ${accessor}`);
    return {
      state: withoutToken(state, accessor),
      result: null,
      detail: `deleted ${label(token)}`,
    };
  });
  return { index };
}

// --- policies ---------------------------------------------------------------------------------

/** The policies a non-management caller may read: its token's and its roles', or `anonymous` without one. */
function readablePolicies(req: ApiRequest, state: StateSnapshot): ReadonlySet<string> {
  const token = callerToken(req, state);
  return new Set(token ? tokenPolicyNames(aclOf(state), token) : [ANONYMOUS_POLICY]);
}

async function listPolicies(req: ApiRequest): Promise<ApiReply> {
  const { state, index } = await read(req);
  const readable = req.identity.management ? undefined : readablePolicies(req, state);
  const policies = Object.values(aclOf(state).policies)
    .filter((p) => readable === undefined || readable.has(p.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(policyStub);
  return { json: policies, index };
}

async function getPolicy(req: ApiRequest): Promise<ApiReply> {
  const name = req.params.name ?? '';
  const { state, index } = await read(req);
  if (!req.identity.management && !readablePolicies(req, state).has(name)) {
    throw permissionDenied();
  }
  const policy = aclOf(state).policies[name];
  if (!policy) throw new ApiError(404, 'ACL policy not found');
  return { json: policyJson(policy), index };
}

async function upsertPolicy(req: ApiRequest): Promise<ApiReply> {
  const name = req.params.name ?? '';
  const body = (await req.json()) as Partial<Record<'Name' | 'Description' | 'Rules', unknown>>;
  if (typeof body !== 'object' || body === null) {
    throw new ApiError(400, 'the request body must be a JSON object (an ACLPolicy)');
  }
  if (body.Name !== name) throw new ApiError(400, 'ACL policy name does not match request path');
  if (!POLICY_NAME.test(name)) throw new ApiError(400, `policy invalid: invalid name '${name}'`);
  const description = body.Description ?? '';
  const rules = body.Rules ?? '';
  if (typeof description !== 'string' || description.length > 256) {
    throw new ApiError(
      400,
      'policy invalid: description must be a string of at most 256 characters',
    );
  }
  if (typeof rules !== 'string') throw new ApiError(400, 'policy invalid: Rules must be a string');
  let warnings: string[];
  try {
    warnings = parsePolicy(rules, policySource(name)).warnings;
  } catch (e) {
    if (e instanceof PolicyError) throw new ApiError(400, `policy invalid: ${e.message}`);
    throw e;
  }
  const { index } = await aclWrite(req.server, req.identity.actor, 'acl policy apply', (state) => {
    const existing = aclOf(state).policies[name];
    const serial = state.serial + 1;
    const policy: AclPolicy = {
      name,
      description,
      rules,
      create_index: existing?.create_index ?? serial,
      modify_index: serial,
    };
    return {
      state: withPolicy(state, policy),
      result: null,
      detail: `${existing ? 'updated' : 'created'} policy "${name}"`,
    };
  });
  // Nomad answers nothing here (its client reads no body); drover says what it cannot enforce,
  // one `policy NAME:line:col: …` per line, as Nomad's job register gives its Warnings.
  return { index, json: { Warnings: warnings.join('\n') } };
}

async function deletePolicy(req: ApiRequest): Promise<ApiReply> {
  const name = req.params.name ?? '';
  const { index } = await aclWrite(req.server, req.identity.actor, 'acl policy delete', (state) => {
    if (!aclOf(state).policies[name]) throw new ApiError(404, 'ACL policy not found');
    return { state: withoutPolicy(state, name), result: null, detail: `deleted policy "${name}"` };
  });
  return { index };
}

/** The routes, `/v1/acl/token/self` before `/v1/acl/token/:accessor`. */
export const routes: Route[] = [
  { method: 'POST', path: '/v1/acl/bootstrap', access: PUBLIC, handler: acl(bootstrap) },
  { method: 'GET', path: '/v1/acl/token/self', access: PUBLIC, handler: acl(tokenSelf) },
  {
    method: 'GET',
    path: '/v1/acl/tokens',
    access: MANAGEMENT,
    blocking: true,
    handler: acl(listTokens),
  },
  { method: 'POST', path: '/v1/acl/token', access: MANAGEMENT, handler: acl(upsertToken) },
  {
    method: 'GET',
    path: '/v1/acl/token/:accessor',
    access: PUBLIC,
    blocking: true,
    handler: acl(getToken),
  },
  {
    method: 'POST',
    path: '/v1/acl/token/:accessor',
    access: MANAGEMENT,
    handler: acl(upsertToken),
  },
  {
    method: 'DELETE',
    path: '/v1/acl/token/:accessor',
    access: MANAGEMENT,
    handler: acl(deleteToken),
  },
  {
    method: 'GET',
    path: '/v1/acl/policies',
    access: PUBLIC,
    blocking: true,
    handler: acl(listPolicies),
  },
  {
    method: 'GET',
    path: '/v1/acl/policy/:name',
    access: PUBLIC,
    blocking: true,
    handler: acl(getPolicy),
  },
  { method: 'POST', path: '/v1/acl/policy/:name', access: MANAGEMENT, handler: acl(upsertPolicy) },
  {
    method: 'DELETE',
    path: '/v1/acl/policy/:name',
    access: MANAGEMENT,
    handler: acl(deletePolicy),
  },
];

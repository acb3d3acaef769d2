/**
 * Nomad's Variables endpoints (api/variables.go): `GET /v1/vars?prefix=` (metadata only),
 * `GET /v1/var/:path` (with its items), `PUT /v1/var/:path[?cas=N]` and
 * `DELETE /v1/var/:path[?cas=N]`. Each checks the token's `variables` path rules for the
 * Variable it touches (acl/variables: list, read, write, destroy). drover keeps Variables in
 * namespace `default` only. A lost check-and-set is 409 with the Variable as it is (null: there
 * is none), as Nomad answers it. The server seals with the keyring drover.hcl names (or
 * DROVER_VARIABLES_KEY in its environment), as `drover var put` does where the state is.
 */
import { removeVariable, writeVariable } from '../../ops/variables.js';
import type { VariableMeta } from '../../template/context.js';
import {
  listVariables,
  openVariable,
  variableMeta,
  variablesOf,
  VariableConflictError,
  VariableError,
} from '../../state/variables.js';
import { KeyringError, keyringForWriting, loadKeyring } from '../../state/variables-keyring.js';
import { DEFAULT_NAMESPACE, sanitizePath } from '../../state/variables-rules.js';
import { ApiError, NotLeaderError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { asApiErrors, optionalBodyOf } from './write-path.js';

/** The server waits this long for the state lock before a Variable write gives up. */
const VARIABLE_LOCK_TIMEOUT_MS = 30_000;

type Op = 'list' | 'read' | 'write' | 'destroy';

function keyringOptions(req: ApiRequest) {
  const file = req.server.engine.config.variablesKeyring;
  return { env: process.env, ...(file !== undefined ? { file } : {}) };
}

/** The `:path` of the request, as `drover var` takes it; 403 when the token may not `op` it. */
function requestPath(req: ApiRequest, op: Op): string {
  const path = sanitizePath(req.params.rest ?? '');
  if (!req.identity.allows({ kind: 'variable', op, path }, DEFAULT_NAMESPACE))
    throw new ApiError(403, 'Permission denied');
  return path;
}

/** Variables live in `default`: another namespace holds none. */
function inDefaultNamespace(req: ApiRequest): boolean {
  return req.namespace === DEFAULT_NAMESPACE || req.namespace === '*' || req.namespace === '';
}

/** A non-negative whole `cas` parameter; undefined when not given. */
function casParam(req: ApiRequest): number | undefined {
  const raw = req.query.get('cas');
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ApiError(400, `failed to parse cas: ${raw}`);
  return Number(raw);
}

/** A write on the leader; drover's refusals as 400, a lost check-and-set as Nomad's 409. */
async function variableWrite(req: ApiRequest, fn: () => Promise<ApiReply>): Promise<ApiReply> {
  if (!req.server.leadership().isLeader) throw new NotLeaderError('this server is not the leader');
  try {
    return await asApiErrors(fn);
  } catch (err) {
    if (err instanceof VariableConflictError)
      return { status: 409, json: err.current ? { ...err.current } : null };
    if (err instanceof VariableError || err instanceof KeyringError)
      throw new ApiError(400, err.message);
    throw err;
  }
}

async function list(req: ApiRequest): Promise<ApiReply> {
  const now = await req.server.current();
  const prefix = req.query.get('prefix') ?? '';
  const metas = inDefaultNamespace(req) ? listVariables(now.state, prefix) : [];
  const allowed = metas.filter((m) =>
    req.identity.allows({ kind: 'variable', op: 'list', path: m.Path }, DEFAULT_NAMESPACE),
  );
  return { json: allowed, index: now.index };
}

async function read(req: ApiRequest): Promise<ApiReply> {
  const path = requestPath(req, 'read');
  const now = await req.server.current();
  const stored = inDefaultNamespace(req) ? variablesOf(now.state)[path] : undefined;
  if (!stored) throw new ApiError(404, 'variable not found');
  const keyring = await loadKeyring(keyringOptions(req));
  let items: Record<string, string>;
  try {
    items = openVariable(stored, keyring);
  } catch (err) {
    if (err instanceof KeyringError) throw new ApiError(500, err.message);
    throw err;
  }
  return { json: { ...variableMeta(stored), Items: items }, index: now.index };
}

/** The body's `Items`: an object of strings (400 otherwise). */
function itemsOf(body: Record<string, unknown>): Record<string, string> {
  const items = body.Items;
  if (typeof items !== 'object' || items === null || Array.isArray(items))
    throw new ApiError(400, 'Items must be an object of strings');
  for (const v of Object.values(items))
    if (typeof v !== 'string') throw new ApiError(400, 'Items must be an object of strings');
  return items as Record<string, string>;
}

async function put(req: ApiRequest): Promise<ApiReply> {
  const path = requestPath(req, 'write');
  if (!inDefaultNamespace(req))
    throw new ApiError(400, `drover keeps Variables in namespace "default" only`);
  const body = await optionalBodyOf(req);
  const items = itemsOf(body);
  const cas = casParam(req);
  return variableWrite(req, async () => {
    const keyring = await keyringForWriting(keyringOptions(req), (file) =>
      req.server.log.warn('created the Variables keyring: back it up', { file }),
    );
    const written = await writeVariable(req.server.engine, keyring, {
      path,
      items,
      // Without `cas` Nomad writes whatever is there.
      ...(cas !== undefined ? { checkIndex: cas } : { force: true }),
      lockTimeoutMs: VARIABLE_LOCK_TIMEOUT_MS,
      who: req.identity.actor.name,
    });
    return { json: { ...written.meta, Items: items }, index: written.meta.ModifyIndex };
  });
}

async function purge(req: ApiRequest): Promise<ApiReply> {
  const path = requestPath(req, 'destroy');
  const cas = casParam(req);
  if (!inDefaultNamespace(req)) return { json: null };
  return variableWrite(req, async () => {
    const purged: VariableMeta | undefined = await removeVariable(req.server.engine, {
      path,
      ...(cas !== undefined ? { checkIndex: cas } : {}),
      lockTimeoutMs: VARIABLE_LOCK_TIMEOUT_MS,
      who: req.identity.actor.name,
    });
    // Nomad's body is empty (its client reads none); drover's CLI learns here what was purged.
    return { json: purged ? { ...purged } : null };
  });
}

const readAccess = { kind: 'namespace', capability: 'variable-read' } as const;
const writeAccess = { kind: 'namespace', capability: 'variable-write' } as const;

export const routes: Route[] = [
  { method: 'GET', path: '/v1/vars', access: readAccess, handler: list },
  { method: 'GET', path: '/v1/var/*', access: readAccess, handler: read },
  { method: 'PUT', path: '/v1/var/*', access: writeAccess, handler: put },
  { method: 'DELETE', path: '/v1/var/*', access: writeAccess, handler: purge },
];

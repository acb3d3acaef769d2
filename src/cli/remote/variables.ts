/**
 * `drover var put|get|list|purge` through a server (Nomad's /v1/var and /v1/vars): the server
 * seals and opens the items with its keyring; here nothing of a keyring is needed. A lost
 * check-and-set is told as the direct command tells it.
 */
import type { ApiClient } from '../api-client.js';
import { ApiResponseError } from '../api-client.js';
import type { VariableMeta } from '../../template/context.js';
import { VariableConflictError } from '../../state/variables.js';
import { UserError } from '../with-session.js';
import { query } from './connection.js';

/** What a Variable write asks: a check-and-set on `checkIndex` unless `force`. */
export interface VariableWrite {
  path: string;
  items: Readonly<Record<string, string>>;
  checkIndex?: number;
  force: boolean;
}

/** `/v1/var/a/b`: each segment encoded, the slashes kept. */
function varPath(path: string, params: Record<string, number | undefined> = {}): string {
  return `/v1/var/${path.split('/').map(encodeURIComponent).join('/')}${query(params)}`;
}

/** A 409 (the Variable as it is) as drover's conflict; anything else as it came. */
function conflictAs(path: string, checkIndex: number) {
  return (err: unknown): never => {
    if (err instanceof ApiResponseError && err.status === 409) {
      const current = JSON.parse(err.message) as VariableMeta | null;
      throw new UserError(
        new VariableConflictError(path, checkIndex, current ?? undefined).message,
      );
    }
    throw err;
  };
}

export async function remoteVarPut(
  api: ApiClient,
  req: VariableWrite,
): Promise<{ meta: VariableMeta; created: boolean }> {
  // As the direct command: without -force a write is a check-and-set (0: only if new).
  const cas = req.force ? undefined : (req.checkIndex ?? 0);
  const reply = await api
    .request<VariableMeta & { Items?: unknown }>('PUT', varPath(req.path, { cas }), {
      Namespace: 'default',
      Path: req.path,
      Items: req.items,
    })
    .catch(conflictAs(req.path, cas ?? 0));
  const { Items: _items, ...meta } = reply;
  return { meta, created: meta.CreateIndex === meta.ModifyIndex };
}

export async function remoteVarGet(
  api: ApiClient,
  path: string,
): Promise<{ meta: VariableMeta; items: Record<string, string> }> {
  const reply = await api
    .request<VariableMeta & { Items: Record<string, string> }>('GET', varPath(path))
    .catch((err: unknown) => {
      if (err instanceof ApiResponseError && err.status === 404)
        throw new UserError('Variable not found');
      throw err;
    });
  const { Items, ...meta } = reply;
  return { meta, items: Items };
}

export function remoteVarList(api: ApiClient, prefix: string): Promise<VariableMeta[]> {
  return api.request<VariableMeta[]>('GET', `/v1/vars${query({ prefix: prefix || undefined })}`);
}

/** The Variable purged; undefined when the path held none. */
export async function remoteVarPurge(
  api: ApiClient,
  path: string,
  checkIndex: number | undefined,
): Promise<VariableMeta | undefined> {
  const purged = await api
    .request<VariableMeta | null>('DELETE', varPath(path, { cas: checkIndex }))
    .catch(conflictAs(path, checkIndex ?? 0));
  return purged ?? undefined;
}

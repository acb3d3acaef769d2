/**
 * What Nomad's list endpoints share: the `namespace`, `prefix`, `filter` (go-bexpr),
 * `per_page` + `next_token` (the next page's first token in `X-Nomad-NextToken`) and `reverse`
 * parameters, applied in Nomad's order (namespace and prefix select, the filter runs on what
 * would be returned, paging counts what passed the filter). And the small things every read
 * handler does: URL-decoded ids, 404s worded as Nomad's.
 */
import { compileFilter, FilterError } from '../nomad/bexpr.js';
import { namespaceMatches } from '../nomad/common.js';
import type { ApiReply, ApiRequest, IndexedState } from '../types.js';
import { ApiError } from '../types.js';

type Json = Record<string, unknown>;

/** A query's `filter`, compiled; 400 with go-bexpr's complaint when it does not parse. */
export function requestFilter(req: ApiRequest): ((datum: unknown) => boolean) | undefined {
  try {
    return compileFilter(req.query.get('filter'));
  } catch (err) {
    if (err instanceof FilterError)
      throw new ApiError(400, `failed to read filter expression: ${err.message}`);
    throw err;
  }
}

export interface ListOptions<T> {
  /** The paging token of an item (its ID); items are listed in token order. */
  token: (item: T) => string;
  /** What `prefix` matches (default: the token). */
  prefixOf?: (item: T) => string;
  /** The JSON the filter sees (default: the item itself). */
  filterView?: (item: T) => unknown;
}

/** Applies namespace, prefix, filter, order and paging to `items`; the reply carries the page. */
export function listReply<T>(
  req: ApiRequest,
  now: IndexedState,
  items: readonly T[],
  opts: ListOptions<T>,
): ApiReply {
  const page = listPage(req, items, opts);
  return {
    json: page.items,
    index: now.index,
    ...(page.nextToken ? { headers: { 'X-Nomad-NextToken': page.nextToken } } : {}),
  };
}

/**
 * Whether a listed object is in the request's namespace (`*`: any) and one the token may read:
 * `?namespace=*` lists only the namespaces the token's policies grant. Objects without a
 * namespace are in `default` (the nodes' list asks for `*`).
 */
export function visibleIn(req: ApiRequest, item: unknown): boolean {
  const ns = (item as { Namespace?: unknown }).Namespace;
  if (typeof ns !== 'string' || ns === '') return namespaceMatches(req.namespace);
  return (
    namespaceMatches(req.namespace, ns) &&
    (req.identity.allows(LIST, ns) || req.identity.allows(READ, ns))
  );
}

/**
 * An object read by its id: found whatever `?namespace=` says, as Nomad finds it (ids are
 * unique across namespaces), and shown only when the token may read the object's own namespace.
 */
export function readableById<T>(req: ApiRequest, item: T | undefined): T | undefined {
  if (item === undefined) return undefined;
  const ns = (item as { Namespace?: unknown }).Namespace;
  const namespace = typeof ns === 'string' && ns !== '' ? ns : 'default';
  if (!req.identity.allows(READ, namespace)) throw new ApiError(403, 'Permission denied');
  return item;
}

const LIST = { kind: 'namespace', capability: 'list-jobs' } as const;
const READ = { kind: 'namespace', capability: 'read-job' } as const;

export function listPage<T>(
  req: ApiRequest,
  items: readonly T[],
  opts: ListOptions<T>,
): { items: T[]; nextToken?: string } {
  items = items.filter((item) => visibleIn(req, item));
  const filter = requestFilter(req);
  const prefix = req.query.get('prefix') ?? '';
  const reverse = req.query.get('reverse') === 'true';
  const prefixOf = opts.prefixOf ?? opts.token;
  const sorted = [...items]
    .filter((item) => prefixOf(item).startsWith(prefix))
    .sort((a, b) => cmp(opts.token(a), opts.token(b)) * (reverse ? -1 : 1));
  const selected = filter ? sorted.filter((i) => filter(opts.filterView?.(i) ?? i)) : sorted;
  const next = req.query.get('next_token') ?? '';
  const start =
    next === ''
      ? 0
      : indexOrEnd(
          selected.findIndex((i) => cmp(opts.token(i), next) * (reverse ? -1 : 1) >= 0),
          selected.length,
        );
  const perPage = perPageOf(req);
  const end = perPage > 0 ? Math.min(start + perPage, selected.length) : selected.length;
  const page = selected.slice(start, end);
  return end < selected.length
    ? { items: page, nextToken: opts.token(selected[end]!) }
    : { items: page };
}

function indexOrEnd(i: number, length: number): number {
  return i < 0 ? length : i;
}

function perPageOf(req: ApiRequest): number {
  const raw = req.query.get('per_page');
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `failed to parse per_page: ${raw}`);
  return n;
}

/**
 * A single object's reply, or Nomad's 404 text. Its X-Nomad-Index is the object's own
 * ModifyIndex, as Nomad's (a blocking query on it wakes when it changes, not when anything
 * else does), or `index` when given, else the state's.
 */
export function objectReply(
  now: IndexedState,
  json: Json | undefined,
  notFound: string,
  index?: number,
): ApiReply {
  if (json === undefined) throw new ApiError(404, notFound);
  const own = typeof json.ModifyIndex === 'number' ? json.ModifyIndex : now.index;
  return { json, index: index ?? own };
}

/**
 * A path parameter as the object's id. The router decodes segments; a client that encoded a
 * `/` of a launched child's id (`batch%2Fperiodic-1700000000`) may reach a handler with the
 * escape still in place (a `*` rest), so a remaining escape is decoded once more.
 */
export function idParam(req: ApiRequest, name: string): string {
  const raw = req.params[name] ?? '';
  if (!/%[0-9A-Fa-f]{2}/.test(raw)) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A boolean query parameter (`true`/`false`), with Nomad's default when absent. */
export function flag(req: ApiRequest, name: string, fallback: boolean): boolean {
  const raw = req.query.get(name);
  if (raw === null || raw === '') return fallback;
  return raw === 'true' || raw === '1';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The HTTP layer of Nomad's API: one request → route → token → access check → blocking wait →
 * handler → headers and body. Handlers only answer; everything Nomad does the same way for every
 * endpoint lives here (X-Nomad-* headers, plain-text errors, PUT ≡ POST, the body limit, metrics).
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { OperationError } from '../ops/context.js';
import { parseDuration, MILLISECOND } from '../jobspec/duration.js';
import {
  GZIP_MIN_BYTES,
  ReplyCache,
  gzippedBody,
  requestKey,
  shouldGzip,
  viewKey,
  type SerializedReply,
} from './reply-cache.js';
import type { Forwarder } from './forward.js';
import { refuseForgedOrigin, withDeclaredActor } from './request-guards.js';
import { createRouter, type Router } from './router.js';
import {
  ApiError,
  NotLeaderError,
  type ApiReply,
  type ApiRequest,
  type Authorizer,
  type Identity,
  type Route,
  type ServerContext,
  type ServerSettings,
} from './types.js';

/** Nomad's default and longest blocking wait. */
export const MAX_WAIT_MS = 300_000;
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

export interface HttpOptions {
  context: ServerContext;
  routes: readonly Route[];
  /** Who a token is; absent: ACLs off, everyone may do everything. */
  authorizer?: Authorizer;
  /** Largest request body in bytes (default 16 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** Aborts every open request (blocking queries, streams) when the server shuts down. */
  shutdown?: AbortSignal;
  /** Bytes of serialized answers of `cached` routes kept per state index (default 64 MiB; 0: none). */
  replyCacheBytes?: number;
  /** Hands a follower's writes to the leader; absent: a follower refuses them (500 "No cluster leader"). */
  forwarder?: Forwarder;
}

/** With ACLs off every request is the anonymous management identity (as Nomad's). */
export const aclsOff: Authorizer = {
  identify: () => Promise.resolve(openIdentity),
};

const openIdentity: Identity = {
  actor: { name: 'anonymous' },
  management: true,
  allows: () => true,
};

/** The request handler (usable with any node:http server, and in tests). */
export function createApiHandler(
  opts: HttpOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const router = createRouter(opts.routes);
  // Every open request listens for the shutdown: as many listeners as requests in flight.
  if (opts.shutdown) setMaxListeners(0, opts.shutdown);
  const cache = opts.replyCacheBytes === 0 ? undefined : new ReplyCache(opts.replyCacheBytes);
  return (req, res) => {
    void handle(opts, router, cache, req, res);
  };
}

/** An HTTP server, HTTPS when `settings.tls` is set (client certificates required with verifyClient). */
export function createServer(opts: HttpOptions): Server {
  const handler = createApiHandler(opts);
  const tls = opts.context.settings.tls;
  return tls ? createHttpsServer(tlsOptions(tls), handler) : createHttpServer(handler);
}

export function tlsOptions(tls: NonNullable<ServerSettings['tls']>) {
  return {
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    ...(tls.ca !== undefined ? { ca: readFileSync(tls.ca) } : {}),
    requestCert: tls.verifyClient,
    rejectUnauthorized: tls.verifyClient,
  };
}

async function handle(
  opts: HttpOptions,
  router: Router,
  cache: ReplyCache | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const ctx = opts.context;
  const url = new URL(req.url ?? '/', 'http://drover');
  const method = req.method ?? 'GET';
  const match = router.match(method, url.pathname);
  const endpoint = match.kind === 'found' ? match.route.path : 'unknown';
  const aborted = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) aborted.abort();
  };
  res.on('close', onClose);
  const onShutdown = () => aborted.abort();
  opts.shutdown?.addEventListener('abort', onShutdown, { once: true });
  try {
    refuseForgedOrigin(method, req.headers);
    if (match.kind === 'none') throw new ApiError(404, `Invalid URL: ${url.pathname}`);
    if (match.kind === 'method') {
      res.setHeader('Allow', match.allowed.join(', '));
      throw new ApiError(405, `Invalid method: ${method}`);
    }
    const identity = withDeclaredActor(
      await (opts.authorizer ?? aclsOff).identify(tokenOf(req)),
      req.headers,
      ctx.settings.acl.enabled,
    );
    const namespace = url.searchParams.get('namespace') || 'default';
    if (!identity.allows(match.route.access, namespace))
      throw new ApiError(403, 'Permission denied');
    const leadership = ctx.leadership();
    if (opts.forwarder && method !== 'GET' && !leadership.isLeader && leadership.leader) {
      // Writes are the leader's; a write without a known leader fails in its handler, as on
      // Nomad's followers. Routes that write nothing (parse, plan) are forwarded all the same.
      await opts.forwarder.forward(req, res, leadership.leader, aborted.signal);
      return;
    }
    const route = match.route;
    const query = route.blocking ? blockingQuery(url.searchParams) : undefined;
    const deadline = query ? performance.now() + query.waitMs : 0;
    const body = memo(() => readJson(req, opts.bodyLimit ?? DEFAULT_BODY_LIMIT));
    const request = (): ApiRequest => ({
      method,
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      namespace,
      identity,
      server: ctx,
      json: body,
      signal: aborted.signal,
    });
    const cacheKey =
      cache && route.cached && method === 'GET'
        ? `${viewKey(identity)}\n${requestKey(url.pathname, url.searchParams)}`
        : undefined;
    // A blocking query answers once the index of what it reads passes `index` (not the state's:
    // a write elsewhere changes nothing it reads), or when its wait is over. Each change of the
    // state runs the handler again, as Nomad's blockingRPC re-runs its query.
    for (;;) {
      const before = await ctx.current();
      let answer: SerializedReply;
      if (cache && cacheKey !== undefined) {
        // The same state, route, query and view: the same bytes (see reply-cache.ts).
        answer = await cache.answer(before.index, cacheKey, async () =>
          serialize(await route.handler(request()), before.index),
        );
      } else {
        const reply = await route.handler(request());
        if ('stream' in reply) {
          await sendStream(ctx, res, reply, before.index, aborted.signal);
          return;
        }
        answer = serialize(reply, before.index);
      }
      const remaining = deadline - performance.now();
      if (!query || answer.index > query.index || remaining <= 0 || aborted.signal.aborted) {
        const key = cacheKey;
        await writeSerialized(ctx, req, res, answer, (bytes) => {
          if (key !== undefined) cache?.addBytes(key, bytes);
        });
        return;
      }
      await ctx.waitForIndex(before.index, remaining, aborted.signal);
    }
  } catch (err) {
    sendError(ctx, res, err, method, url.pathname);
  } finally {
    opts.shutdown?.removeEventListener('abort', onShutdown);
    // A body the handler did not read is drained, so the connection can be reused.
    if (!req.readableEnded) req.resume();
    const code = String(res.statusCode);
    ctx.metrics.increment('api.requests', { endpoint, code });
    ctx.metrics.sample('api.request_duration', performance.now() - started, { endpoint });
  }
}

/** The request's token: `X-Nomad-Token`, else `Authorization: Bearer …`. */
export function tokenOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const nomad = req.headers['x-nomad-token'];
  if (typeof nomad === 'string' && nomad !== '') return nomad;
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

/**
 * `index` and `wait` of a blocking query (the wait with Nomad's jitter of up to wait/16);
 * undefined when the request does not block (no index, or 0).
 */
function blockingQuery(query: URLSearchParams): { index: number; waitMs: number } | undefined {
  const indexText = query.get('index');
  if (indexText === null) return undefined;
  const index = Number(indexText);
  if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(index))
    throw new ApiError(400, 'Invalid index');
  if (index === 0) return undefined;
  const waitMs = parseWait(query.get('wait'));
  return { index, waitMs: waitMs + Math.random() * (waitMs / 16) };
}

/** `wait` as Nomad reads it (Go's time.ParseDuration), at most 5 minutes; absent: 5 minutes. */
export function parseWait(text: string | null): number {
  if (text === null || text === '') return MAX_WAIT_MS;
  const r = parseDuration(text);
  if (!r.ok || r.nanos < 0) throw new ApiError(400, 'Invalid wait time');
  return Math.min(MAX_WAIT_MS, r.nanos / MILLISECOND);
}

function leaderHeaders(ctx: ServerContext): Record<string, string> {
  const l = ctx.leadership();
  return {
    'X-Nomad-KnownLeader': String(l.leader !== undefined),
    'X-Nomad-LastContact': String(Math.round(l.lastContactMs)),
  };
}

/** A streamed answer (event stream, followed logs), written until it ends or `signal` aborts. */
async function sendStream(
  ctx: ServerContext,
  res: ServerResponse,
  reply: Extract<ApiReply, { stream: unknown }>,
  stateIndex: number,
  signal: AbortSignal,
): Promise<void> {
  for (const [k, v] of Object.entries(leaderHeaders(ctx))) res.setHeader(k, v);
  res.setHeader('X-Nomad-Index', String(Math.max(1, stateIndex)));
  await reply.stream(res, signal);
  if (!res.writableEnded) res.end();
}

/** A reply as the bytes and headers it is sent with (the leader's headers are added per send). */
function serialize(reply: ApiReply, stateIndex: number): SerializedReply {
  if ('stream' in reply) throw new Error('a streamed answer cannot be serialized once and kept');
  const index = Math.max(1, reply.index ?? stateIndex);
  const isText = reply.text !== undefined;
  return {
    status: reply.status ?? 200,
    index,
    headers: {
      'X-Nomad-Index': String(index),
      'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      ...reply.headers,
    },
    body: Buffer.from(isText ? reply.text! : JSON.stringify(reply.json ?? null)),
  };
}

/** Writes an answer, gzipped when the client accepts it (as Nomad's API); `onGzipped` learns its size once. */
async function writeSerialized(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  answer: SerializedReply,
  onGzipped?: (bytes: number) => void,
): Promise<void> {
  const gzip = shouldGzip(req.headers['accept-encoding'], answer.body.length);
  const first = answer.gzipped === undefined;
  const body = gzip ? await gzippedBody(answer) : answer.body;
  if (gzip && first) onGzipped?.(body.length);
  res.writeHead(answer.status, {
    ...leaderHeaders(ctx),
    ...answer.headers,
    'Content-Length': String(body.length),
    ...(answer.body.length >= GZIP_MIN_BYTES ? { Vary: 'Accept-Encoding' } : {}),
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  res.end(body);
}

/** Errors as Nomad's: a status and a plain-text message; never a stack to the client. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof ApiError) return { status: err.status, message: err.message };
  if (err instanceof NotLeaderError) return { status: 500, message: 'No cluster leader' };
  if (err instanceof OperationError) return { status: 400, message: err.message };
  return { status: 500, message: err instanceof Error ? err.message : String(err) };
}

function sendError(
  ctx: ServerContext,
  res: ServerResponse,
  err: unknown,
  method: string,
  path: string,
): void {
  const { status, message } = errorStatus(err);
  if (status >= 500 && !(err instanceof NotLeaderError))
    ctx.log.error(`${method} ${path}: ${message}`, {
      method,
      path,
      status,
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
    });
  if (res.headersSent) {
    // A stream that failed midway: nothing more can be said to the client.
    res.destroy();
    return;
  }
  const body = message.endsWith('\n') ? message : `${message}\n`;
  res.writeHead(status, {
    ...leaderHeaders(ctx),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** The request body as JSON: 413 past `limit`, 400 when it does not parse. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw new ApiError(413, `Request body too large (limit ${limit} bytes)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, `Request body too large (limit ${limit} bytes)`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new ApiError(400, 'Request body is empty; a JSON object was expected');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError(400, `Request body is not JSON: ${(e as Error).message}`);
  }
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

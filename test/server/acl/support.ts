/**
 * A real ServerContext for ACL tests: drover.hcl in a temp dir with local state, the CLI's
 * session as the engine, createServerContext over it. Requests go to the route handlers of
 * src/server/api/acl.ts and acl-roles.ts directly (the core's HTTP layer is not built yet): the harness does
 * what the router will do — match the route, identify the token, check the route's access —
 * and turns an ApiError into its status and text.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { openSession, type Session } from '../../../src/cli/session.js';
import { createServerContext } from '../../../src/server/context.js';
import { createAuthorizer, secretOf } from '../../../src/server/acl/index.js';
import { routes as tokenRoutes } from '../../../src/server/api/acl.js';
import { routes as roleRoutes } from '../../../src/server/api/acl-roles.js';
import {
  ApiError,
  type ApiRequest,
  type Route,
  type ServerContext,
  type ServerSettings,
} from '../../../src/server/types.js';
import { testServerSettings } from '../settings.js';

const routes: Route[] = [...tokenRoutes, ...roleRoutes];

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  index?: number;
}

export interface AclServer {
  ctx: ServerContext;
  session: Session;
  statePath: string;
  /** Every line the server logged, with its fields. */
  logs: string[];
  call(
    method: Route['method'],
    path: string,
    opts?: {
      token?: string;
      bearer?: string;
      body?: unknown;
      namespace?: string;
      query?: Record<string, string>;
    },
  ): Promise<Reply>;
  /** A request as the HTTP layer hands it over: method, path, headers, parsed body. */
  dispatch(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: unknown,
    namespace?: string,
    query?: Record<string, string>,
  ): Promise<Reply>;
  close(): Promise<void>;
}

export function settings(aclEnabled: boolean): ServerSettings {
  return testServerSettings({ port: 4646, acl: { enabled: aclEnabled } });
}

/** `/v1/acl/token/:accessor` against `/v1/acl/token/abc`: the params, or undefined. */
function match(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(got[i]!);
    else if (w !== got[i]) return undefined;
  }
  return params;
}

export async function startAclServer(opts: {
  aclEnabled: boolean;
  /** The engine's clock (default: the system's). */
  now?: () => number;
}): Promise<AclServer> {
  const dir = await mkdtemp(join(tmpdir(), 'drover-acl-'));
  const statePath = join(dir, 'state.json');
  const config = join(dir, 'drover.hcl');
  await writeFile(config, `state {\n  backend = "local"\n  path    = "${statePath}"\n}\n`);
  const diags = new Diagnostics();
  const session = await openSession(config, diags);
  if (!session) throw new Error(diags.items.map((d) => d.summary).join('; '));
  const logs: string[] = [];
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const ctx = createServerContext({
    settings: settings(opts.aclEnabled),
    engine: opts.now
      ? { ...session, clock: { now: opts.now, sleep: (ms: number) => session.clock.sleep(ms) } }
      : session,
    events: { since: () => [], subscribe: () => () => undefined },
    metrics: { increment: () => undefined, gauge: () => undefined, sample: () => undefined },
    log: { info: line('info'), warn: line('warn'), error: line('error') },
  });
  const authorizer = createAuthorizer(ctx);
  return {
    ctx,
    session,
    statePath,
    logs,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token !== undefined) headers['x-nomad-token'] = o.token;
      if (o.bearer !== undefined) headers.authorization = `Bearer ${o.bearer}`;
      if (o.body !== undefined) headers['content-length'] = String(JSON.stringify(o.body).length);
      return dispatch(method, path, headers, o.body, o.namespace, o.query);
    },
    dispatch,
    async close() {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    },
  };

  async function dispatch(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: unknown,
    ns?: string,
    query?: Record<string, string>,
  ): Promise<Reply> {
    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const params = match(route, method, path);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (!found) return { status: 404, text: `no route for ${method} ${path}` };
    try {
      const identity = await authorizer.identify(secretOf(headers));
      const namespace = ns ?? 'default';
      if (!identity.allows(found.route.access, namespace)) {
        throw new ApiError(403, 'Permission denied');
      }
      const req: ApiRequest = {
        method,
        path,
        params: found.params,
        query: new URLSearchParams(query),
        headers,
        namespace,
        identity,
        server: ctx,
        json: () => Promise.resolve(body),
        signal: new AbortController().signal,
      };
      const reply = await found.route.handler(req);
      if ('stream' in reply) throw new Error('ACL routes do not stream');
      return {
        status: reply.status ?? 200,
        ...(reply.json !== undefined ? { json: reply.json } : {}),
        ...(reply.text !== undefined ? { text: reply.text } : {}),
        ...(reply.index !== undefined ? { index: reply.index } : {}),
      };
    } catch (e) {
      if (e instanceof ApiError) return { status: e.status, text: e.message };
      throw e;
    }
  }
}

export async function stateText(server: AclServer): Promise<string> {
  return readFile(server.statePath, 'utf8');
}

/**
 * The ACL routes over real HTTP or HTTPS on loopback (TLS verifying client certificates when a
 * CA is given), for the CLI's client: until the core's HTTP layer lands, the test's own.
 */
export async function serveHttp(
  server: AclServer,
  tls?: { cert: string; key: string; clientCa: string },
): Promise<{ address: string; close(): Promise<void> }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://x');
        const method = req.method === 'PUT' ? 'POST' : (req.method ?? 'GET');
        const reply = await server.dispatch(
          method,
          url.pathname,
          req.headers,
          text ? (JSON.parse(text) as unknown) : undefined,
          undefined,
          Object.fromEntries(url.searchParams),
        );
        if (reply.json !== undefined) {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(reply.json));
        } else {
          res.writeHead(reply.status, { 'content-type': 'text/plain' });
          res.end(reply.text ?? '');
        }
      })().catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
    });
  };
  const http = tls
    ? createHttpsServer(
        {
          cert: await readFile(tls.cert),
          key: await readFile(tls.key),
          ca: await readFile(tls.clientCa),
          requestCert: true,
          rejectUnauthorized: true,
        },
        handler,
      )
    : createHttpServer(handler);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    address: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

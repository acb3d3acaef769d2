/**
 * A server for the stream tests until the core's HTTP layer can be merged: a real ServerContext
 * (createServerContext over the CLI's session of a drover.hcl in a temp dir: a local state file,
 * real drivers, the local transport), this part's event hub and metrics, and the given routes
 * served over node:http on 127.0.0.1 with a minimal router (method, `:param` segments, JSON /
 * text / stream replies, the client's going away as the request's signal). `sync()` does what the
 * core does when the state's index moves: publishes the difference to the hub.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { openSession, type Session } from '../../../src/cli/session.js';
import { createServerContext } from '../../../src/server/context.js';
import { createEventHub, type PublishingEventHub } from '../../../src/server/events/index.js';
import { createMetrics, type ReportingMetrics } from '../../../src/server/metrics/index.js';
import {
  ApiError,
  type ApiRequest,
  type Identity,
  type IndexedState,
  type Route,
  type ServerContext,
  type ServerSettings,
} from '../../../src/server/types.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { testServerSettings } from '../settings.js';

export interface StreamServer {
  url: string;
  ctx: ServerContext;
  session: Session;
  hub: PublishingEventHub;
  metrics: ReportingMetrics;
  /** Publishes what changed in the state since the last sync. */
  sync(): Promise<IndexedState>;
  /** Applies `change` to the state under a write (as a server write would) and syncs. */
  mutate(change: (s: StateSnapshot) => void): Promise<IndexedState>;
  close(): Promise<void>;
}

const everything: Identity = {
  actor: { name: 'test' },
  management: true,
  allows: () => true,
};

export function settings(): ServerSettings {
  return testServerSettings();
}

export async function startStreamServer(dir: string, routes: Route[]): Promise<StreamServer> {
  const diags = new Diagnostics();
  const session = await openSession(join(dir, 'drover.hcl'), diags);
  if (!session) throw new Error(`cannot open drover.hcl in ${dir}: ${JSON.stringify(diags)}`);
  // The change index floors at 1, so serial 0 and 1 look alike to the server: start at 1.
  const initial = await session.store.read();
  if (initial.serial === 0) await session.store.write(initial, 0);
  const hub = createEventHub();
  const metrics = createMetrics();
  const quiet = { info() {}, warn() {}, error() {} };
  const ctx = createServerContext({
    settings: settings(),
    engine: session,
    events: hub,
    metrics,
    log: quiet,
  });
  let last: StateSnapshot | undefined = (await ctx.current()).state;
  const sync = async () => {
    const now = await ctx.current();
    hub.publish(last, now);
    last = now.state;
    await hub.settled();
    return now;
  };
  const server = createServer((req, res) => void serve(routes, ctx, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ctx,
    session,
    hub,
    metrics,
    sync,
    async mutate(change) {
      await ctx.write({ name: 'test' }, 'test', async (engine) => {
        const state = structuredClone(await engine.store.read());
        change(state);
        await engine.store.write(state, state.serial);
      });
      return sync();
    },
    async close() {
      await closeServer(server);
      await session.close();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function match(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i]!.startsWith(':')) params[want[i]!.slice(1)] = decodeURIComponent(got[i]!);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

async function serve(
  routes: Route[],
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  try {
    for (const route of routes) {
      const params = match(route, req.method ?? 'GET', url.pathname);
      if (!params) continue;
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        params,
        query: url.searchParams,
        headers: req.headers,
        namespace: url.searchParams.get('namespace') ?? 'default',
        identity: everything,
        server: ctx,
        json: () => Promise.resolve(undefined),
        signal: abort.signal,
      };
      const reply = await route.handler(request);
      if ('stream' in reply) {
        await reply.stream(res, abort.signal);
        return;
      }
      const headers = { ...reply.headers, 'X-Nomad-Index': String(reply.index ?? 1) };
      if (reply.json !== undefined) {
        res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(reply.json));
      } else {
        res.writeHead(reply.status ?? 200, { 'Content-Type': 'text/plain', ...headers });
        res.end(reply.text ?? '');
      }
      return;
    }
    res.writeHead(404).end('Invalid URL');
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 500;
    if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end((err as Error).message);
  }
}

/** A streamed response read line by line as it arrives. */
export interface LineReader {
  status: number;
  headers: Headers;
  /** The next line (without its newline); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>;
  /** Lines until the response ends. */
  rest(): Promise<string[]>;
  /** Goes away (aborts the request). */
  close(): void;
}

export async function openLines(url: string): Promise<LineReader> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let ended = false;
  const pull = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    buffered += decoder.decode(value as Uint8Array, { stream: true });
    return true;
  };
  const next = async (timeoutMs = 5_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!buffered.includes('\n')) {
      if (ended) throw new Error(`stream ended; left: ${JSON.stringify(buffered)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no line in time');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no line in time')), left);
      });
      try {
        await Promise.race([pull(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    const nl = buffered.indexOf('\n');
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    return line;
  };
  return {
    status: res.status,
    headers: res.headers,
    next,
    async rest() {
      while (await pull());
      const lines = buffered.split('\n');
      buffered = '';
      return lines.filter((l) => l !== '');
    },
    close: () => abort.abort(),
  };
}

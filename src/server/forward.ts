/**
 * Write forwarding: a follower hands a write to the leader (whose address the lease names) and
 * relays the answer, as Nomad's servers forward RPCs to theirs. Method, path, query, body and the
 * token headers go as they came; HTTPS with the server's own CA (and its certificate as the
 * client's, for a leader that verifies clients) when TLS is on.
 *
 * When the leader cannot be reached the request fails with NotLeaderError, which the HTTP layer
 * answers Nomad's way (500 "No cluster leader"); the reason goes to the log.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { NotLeaderError, type ServerLog, type ServerSettings } from './types.js';

/** Marks a forwarded request: a server that is not the leader either never forwards it again. */
export const FORWARDED_HEADER = 'x-drover-forwarded-by';
/** How long connecting to the leader may take before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Request headers that travel to the leader (the rest are this hop's own). */
const FORWARDED_REQUEST_HEADERS = [
  'x-nomad-token',
  'authorization',
  'content-type',
  'content-length',
  'accept',
  'accept-encoding',
  'user-agent',
] as const;
/** Answer headers that describe this hop's connection, not the answer. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding']);

export interface Forwarder {
  /**
   * Sends `req` to `leader` (host:port) and writes its answer to `res`. Throws NotLeaderError,
   * before anything is written, when there is no leader to send it to or it cannot be reached.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    leader: string | undefined,
    signal: AbortSignal,
  ): Promise<void>;
  /** Closes the kept-alive connections to the leader. */
  close(): void;
}

export interface ForwarderOptions {
  settings: Pick<ServerSettings, 'name' | 'tls'>;
  /** This server's own host:port (a lease naming it is stale: never forward to oneself). */
  self: () => string;
  log: ServerLog;
}

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const tls = opts.settings.tls;
  const agent = tls
    ? new HttpsAgent({
        keepAlive: true,
        ...(tls.ca !== undefined ? { ca: readFileSync(tls.ca) } : {}),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
      })
    : new HttpAgent({ keepAlive: true });
  const request = tls ? httpsRequest : httpRequest;
  const scheme = tls ? 'https' : 'http';

  return {
    async forward(req, res, leader, signal) {
      const what = `${req.method ?? 'POST'} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      if (leader === undefined) throw new NotLeaderError('no leader is known');
      if (leader === opts.self())
        throw new NotLeaderError(`the lease names this server (${leader}) but it does not lead`);
      const from = req.headers[FORWARDED_HEADER];
      if (from !== undefined)
        throw new NotLeaderError(`forwarded by ${String(from)} to a server that does not lead`);

      const headers: Record<string, string> = { [FORWARDED_HEADER]: opts.settings.name };
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const upstream = request(`${scheme}://${leader}${req.url ?? '/'}`, {
        method: req.method ?? 'POST',
        headers,
        agent,
        signal,
      });
      const connectTimer = setTimeout(
        () => upstream.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      upstream.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      let answer: IncomingMessage;
      try {
        [answer] = await Promise.all([
          new Promise<IncomingMessage>((resolve, reject) => {
            upstream.once('response', resolve);
            upstream.once('error', reject);
          }),
          pipeline(req, upstream),
        ]);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        opts.log.warn(`forwarding ${what} to the leader at ${leader} failed: ${why}`, {
          leader,
        });
        throw new NotLeaderError(`the leader at ${leader} cannot be reached: ${why}`);
      } finally {
        clearTimeout(connectTimer);
      }
      const relayed: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && !HOP_HEADERS.has(k)) relayed[k] = v;
      res.writeHead(answer.statusCode ?? 502, relayed);
      await pipeline(answer, res);
    },
    close: () => agent.destroy(),
  };
}

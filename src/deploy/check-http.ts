/**
 * One HTTP/1.1 request over a stream drover already opened to the task's port (directly, or
 * through an SSH port forward), so the host needs no HTTP client. Redirects are not followed:
 * the stream reaches one port of one host and nowhere else.
 */
import { request, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { CheckStatus } from './check-spec.js';

/** Bytes of a response body kept as the check's output (Consul keeps 4 KiB). */
export const OUTPUT_LIMIT = 4 * 1024;

export interface HttpCheckRequest {
  /** Host name or address for the Host header, TLS server name and the output. */
  host: string;
  port: number;
  protocol: 'http' | 'https';
  method: string;
  path: string;
  header?: Record<string, string[]>;
  body?: string;
  tls_server_name?: string;
  tls_skip_verify?: boolean;
  /** Status rules: Consul's (2xx passing, 429 warning) or Nomad's (below 400 passing). */
  provider: 'consul' | 'nomad';
}

export interface HttpCheckResult {
  status: CheckStatus;
  output: string;
  code?: number;
}

/**
 * Sends the request over `stream` and classifies the response. The caller owns the deadline:
 * aborting `signal` destroys the stream and resolves with a critical result.
 */
export async function httpCheck(
  stream: Duplex,
  req: HttpCheckRequest,
  signal?: AbortSignal,
): Promise<HttpCheckResult> {
  const url = `${req.protocol}://${hostPort(req.host, req.port)}${req.path}`;
  const say = (text: string): string => `HTTP ${req.method} ${url}: ${text}`;
  let socket: Duplex = stream;
  try {
    if (req.protocol === 'https') socket = await startTls(stream, req, signal);
    const res = await exchange(socket, req, signal);
    const body = await readLimited(res, OUTPUT_LIMIT);
    const code = res.statusCode ?? 0;
    const status = classifyHttpStatus(code, req.provider);
    const location = res.headers.location;
    const redirect =
      code >= 300 && code < 400 && location ? ` (redirect to ${location} not followed)` : '';
    const text = `${code} ${res.statusMessage ?? ''}`.trimEnd();
    return { status, code, output: say(`${text}${redirect}${body ? ` Output: ${body}` : ''}`) };
  } catch (err) {
    return { status: 'critical', output: say(errorText(err)) };
  } finally {
    socket.destroy();
    stream.destroy();
  }
}

/**
 * The check status of an HTTP status code. Consul: 2xx passing, 429 warning, anything else
 * critical. Nomad's own checker: anything below 400 passing. A 3xx passes for both: the task
 * answered, and Consul would have followed the redirect, which drover cannot.
 */
export function classifyHttpStatus(code: number, provider: 'consul' | 'nomad'): CheckStatus {
  if (provider === 'nomad') return code > 0 && code < 400 ? 'passing' : 'critical';
  if (code >= 200 && code < 400) return 'passing';
  if (code === 429) return 'warning';
  return 'critical';
}

function exchange(
  socket: Duplex,
  req: HttpCheckRequest,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, values] of Object.entries(req.header ?? {})) {
      if (values.length > 0) headers[name] = values.length === 1 ? values[0]! : values;
    }
    const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
    if (!has('user-agent')) headers['User-Agent'] = 'drover health check';
    if (!has('accept')) headers.Accept = 'text/plain, text/*, */*';
    // The check is one request on its own connection.
    if (!has('connection')) headers.Connection = 'close';
    const body = req.body ?? '';
    if (body !== '' && !has('content-length')) {
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const r = request({
      method: req.method,
      host: req.host,
      port: req.port,
      path: req.path,
      headers,
      // No agent: with one (even `agent: false`) Node dials on its own and ignores this.
      createConnection: () => socket,
      ...(signal ? { signal } : {}),
    });
    r.once('response', resolve);
    r.once('error', reject);
    r.end(body === '' ? undefined : body);
  });
}

function startTls(
  stream: Duplex,
  req: HttpCheckRequest,
  signal: AbortSignal | undefined,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const servername = req.tls_server_name ?? (isIP(req.host) ? undefined : req.host);
    const tls = tlsConnect({
      socket: stream,
      rejectUnauthorized: !req.tls_skip_verify,
      ...(servername ? { servername } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const abort = () => tls.destroy(new Error('aborted'));
    signal?.addEventListener('abort', abort, { once: true });
    tls.once('secureConnect', () => {
      signal?.removeEventListener('abort', abort);
      resolve(tls);
    });
    tls.once('error', (e: Error) => {
      signal?.removeEventListener('abort', abort);
      reject(e);
    });
  });
}

/** Reads at most `limit` bytes of the body, then lets the rest go. */
async function readLimited(res: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      const b = chunk as Buffer;
      chunks.push(b);
      size += b.length;
      if (size >= limit) break;
    }
  } catch {
    // A body cut short still leaves a status to judge by.
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8').trim();
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err.name === 'AbortError' || code === 'ABORT_ERR') return 'request aborted';
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

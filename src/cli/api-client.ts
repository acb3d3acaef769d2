/**
 * The CLI's client to a running `drover server`: Nomad's HTTP API over HTTP or HTTPS (a CA to
 * trust, a client certificate for servers that verify clients), the token in `X-Nomad-Token`.
 * Flags win over the environment, as in Nomad's CLI: `-address` / DROVER_ADDR, `-token` /
 * DROVER_TOKEN, `-ca-cert` / DROVER_CACERT, `-client-cert` / DROVER_CLIENT_CERT, `-client-key` /
 * DROVER_CLIENT_KEY. A refusal is the server's own text.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UserError } from './with-session.js';

export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';

/** The flags every command that talks to a server takes. */
export interface ApiFlags {
  address?: string;
  token?: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface ApiClientOptions {
  address: string;
  token?: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

/** The flags, else the environment, else the defaults. Empty values count as not given. */
export function apiClientOptions(flags: ApiFlags, env: NodeJS.ProcessEnv): ApiClientOptions {
  const pick = (flag: string | undefined, name: string) => flag || env[name] || undefined;
  const token = pick(flags.token, 'DROVER_TOKEN');
  const caCert = pick(flags.caCert, 'DROVER_CACERT');
  const clientCert = pick(flags.clientCert, 'DROVER_CLIENT_CERT');
  const clientKey = pick(flags.clientKey, 'DROVER_CLIENT_KEY');
  return {
    address: pick(flags.address, 'DROVER_ADDR') ?? DEFAULT_ADDRESS,
    ...(token ? { token } : {}),
    ...(caCert ? { caCert } : {}),
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
  };
}

/** A request the server refused: its status and its text. */
export class ApiResponseError extends UserError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly address: string;
  /** Sends the request; the parsed JSON answer (undefined for an empty one). */
  request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T>;
  /** GETs a streamed answer (a log): the response, to read as it comes; `signal` ends it. */
  stream(path: string, signal?: AbortSignal): Promise<IncomingMessage>;
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read ${flag} ${file}: ${(e as Error).message}`);
  }
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  let base: URL;
  try {
    base = new URL(opts.address.includes('://') ? opts.address : `http://${opts.address}`);
  } catch {
    throw new UserError(
      `-address ${JSON.stringify(opts.address)} is not a URL (e.g. ${DEFAULT_ADDRESS})`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UserError(`-address must be http:// or https://, got ${opts.address}`);
  }
  if (Boolean(opts.clientCert) !== Boolean(opts.clientKey)) {
    throw new UserError('-client-cert and -client-key go together: give both or neither');
  }
  const tls =
    base.protocol === 'https:'
      ? {
          ...(opts.caCert ? { ca: readPem(opts.caCert, '-ca-cert') } : {}),
          ...(opts.clientCert ? { cert: readPem(opts.clientCert, '-client-cert') } : {}),
          ...(opts.clientKey ? { key: readPem(opts.clientKey, '-client-key') } : {}),
        }
      : {};
  const address = base.origin;
  /** Sends a request; resolves with a 2xx answer, rejects with the server's text otherwise. */
  const send = (
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> => {
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers['x-nomad-token'] = opts.token;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const transport = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = transport(
        url,
        { method, headers, ...tls, ...(signal ? { signal } : {}) },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(res);
          collect(res).then(
            (text) =>
              reject(new ApiResponseError(status, text.trim() || `HTTP ${status} from ${address}`)),
            reject,
          );
        },
      );
      req.on('error', (e) =>
        reject(new UserError(`cannot reach the drover server at ${address}: ${e.message}`)),
      );
      req.end(payload);
    });
  };
  return {
    address,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const text = await collect(await send(method, path, body));
      try {
        return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
      } catch {
        throw new UserError(
          `${address} answered ${method} ${new URL(path, base).pathname} with text that is not JSON`,
        );
      }
    },
    stream: (path, signal) => send('GET', path, undefined, signal),
  };
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

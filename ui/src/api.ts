/** The UI's one door to drover's HTTP API: JSON in and out, the session's headers, API errors. */
import { authHeaders, loadCredentials } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  data: T;
  /** X-Nomad-Index of the answer (0 when the endpoint does not send one). */
  index: number;
}

async function failure(r: Response): Promise<ApiError> {
  const text = (await r.text()).trim();
  return new ApiError(r.status, text || `${r.status} ${r.statusText}`);
}

/** Sends one request; throws ApiError on a non-2xx answer. */
export async function request(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = authHeaders(loadCredentials());
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const r = await fetch(path, init);
  if (!r.ok) throw await failure(r);
  return r;
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<Answer<T>> {
  const r = await request('GET', path, undefined, signal);
  return { data: (await r.json()) as T, index: Number(r.headers.get('X-Nomad-Index') ?? 0) };
}

/** A write (POST; drover's router treats PUT and POST alike). Answers the parsed JSON or null. */
export async function post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
  const r = await request('POST', path, body);
  const text = await r.text();
  return (text ? JSON.parse(text) : null) as T;
}

export async function del<T = unknown>(path: string): Promise<T> {
  const r = await request('DELETE', path);
  const text = await r.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** `path` with a query built from `params` (empty values left out). */
export function withQuery(
  path: string,
  params: Record<string, string | number | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  if (!s) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${s}`;
}

/** An id as one path segment (a periodic child's id holds a `/`). */
export const seg = (id: string): string => encodeURIComponent(id);

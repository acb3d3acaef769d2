// Types of load.mjs, for the tests that import it.
import type { Agent, IncomingHttpHeaders } from 'node:http';
export function requestRate(
  base: string,
  path: () => string,
  opts: { concurrency: number; durationMs: number; headers?: Record<string, string> },
): Promise<{ rps: number; ok: number; failed: number }>;
export function get(
  url: string,
  agent?: Agent,
  headers?: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>;
export function blockingLatency(
  base: string,
  path: string,
  write: () => Promise<void>,
): Promise<number>;
export const AS_NOMAD_CLIENT: Record<string, string>;
export function openEventStreams(base: string, count: number): Promise<{ close(): void }>;

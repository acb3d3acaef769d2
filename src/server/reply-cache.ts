/**
 * Serialized answers of read routes, kept while the state index does not move: a list of 1,000
 * jobs is ~0.5 MB of JSON whose JSON.stringify alone costs milliseconds, and clients poll it.
 * An answer is a function of the state at an index, the route and query, and what the caller
 * may see, so that is its key; when the index moves every answer is dropped (a newer state is
 * the only one answered). Concurrent requests for one key share one computation. Bounded in
 * bytes: the least recently used answers go first.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Identity } from './types.js';

const gzipAsync = promisify(gzip);

/** Nomad's API gzips through gziphandler; answers smaller than this are not worth it. */
export const GZIP_MIN_BYTES = 1400;
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** An answer ready to be written: status, headers and the body as bytes. */
export interface SerializedReply {
  readonly status: number;
  readonly index: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The body gzipped, made on first demand and kept with the answer. */
  gzipped?: Promise<Buffer>;
}

/** The body gzipped once per answer (the cached answer keeps it). */
export function gzippedBody(reply: SerializedReply): Promise<Buffer> {
  return (reply.gzipped ??= gzipAsync(reply.body));
}

/** Whether the client takes gzip and the body is worth compressing. */
export function shouldGzip(acceptEncoding: string | string[] | undefined, size: number): boolean {
  if (size < GZIP_MIN_BYTES || acceptEncoding === undefined) return false;
  const accepted = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  return accepted.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * What a caller may see: every management token (and everyone with ACLs off) sees the same;
 * any other token its own policies' view. Policies live in the state, so a policy change moves
 * the index and drops the answers made under the old one.
 */
export function viewKey(identity: Identity): string {
  return identity.management ? 'management' : `token:${identity.actor.accessorId ?? 'anonymous'}`;
}

/** Path and query; `index` and `wait` only say when to answer, not what. */
export function requestKey(path: string, query: URLSearchParams): string {
  const params = [...query.entries()]
    .filter(([k]) => k !== 'index' && k !== 'wait')
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return `${path}?${new URLSearchParams(params).toString()}`;
}

interface Entry {
  answer: Promise<SerializedReply>;
  bytes: number;
}

export class ReplyCache {
  private index = 0;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly limitBytes = DEFAULT_CACHE_BYTES) {}

  /**
   * The answer for `key` at state index `index`: the kept one, or `make`'s (kept when it
   * succeeds and fits). An index older than the newest seen is answered without keeping.
   */
  answer(
    index: number,
    key: string,
    make: () => Promise<SerializedReply>,
  ): Promise<SerializedReply> {
    if (index < this.index) return make();
    if (index > this.index) this.clear(index);
    const found = this.entries.get(key);
    if (found) {
      // Most recently used last: eviction takes the first.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.answer;
    }
    const entry: Entry = { answer: make(), bytes: 0 };
    this.entries.set(key, entry);
    entry.answer.then(
      (reply) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = reply.body.length;
        this.bytes += entry.bytes;
        this.evict();
      },
      () => {
        // A failure is not kept: the next request tries again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.answer;
  }

  /** Counts a gzipped body kept with an answer, so the bound covers it. */
  addBytes(key: string, bytes: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.bytes += bytes;
    this.bytes += bytes;
    this.evict();
  }

  /** Answers kept and their bytes. */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private clear(index: number): void {
    this.index = index;
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.limitBytes) return;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}

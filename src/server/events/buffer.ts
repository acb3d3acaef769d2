/**
 * The events kept for `index` replay: bounded by count and by the bytes of their JSON, oldest
 * dropped first (Nomad's event buffer is bounded by count; bytes keep a burst of large job
 * payloads from holding the server's memory).
 */
import type { NomadEvent } from '../types.js';
import { eventJson } from './encode.js';

export interface BufferLimits {
  /** Events kept at most (default 2,000). */
  maxEvents: number;
  /** Bytes of their JSON kept at most (default 8 MiB). */
  maxBytes: number;
}

export const DEFAULT_BUFFER_LIMITS: BufferLimits = { maxEvents: 2_000, maxBytes: 8 * 1024 * 1024 };

export class EventBuffer {
  private events: NomadEvent[] = [];
  /** Index of the oldest kept event in `events` (a ring without copying on every drop). */
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: BufferLimits = DEFAULT_BUFFER_LIMITS) {}

  append(batch: readonly NomadEvent[]): void {
    for (const e of batch) {
      this.events.push(e);
      this.bytes += eventJson(e).length;
    }
    while (
      this.size() > 0 &&
      (this.size() > this.limits.maxEvents || this.bytes > this.limits.maxBytes)
    ) {
      this.bytes -= eventJson(this.events[this.head]!).length;
      this.head++;
    }
    // Compact once the dropped prefix is as long as what is kept.
    if (this.head > 0 && this.head >= this.events.length - this.head) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Kept events with Index > `after`, oldest first. */
  since(after: number): NomadEvent[] {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.Index > after) hi = mid;
      else lo = mid + 1;
    }
    return this.events.slice(lo);
  }

  size(): number {
    return this.events.length - this.head;
  }

  byteSize(): number {
    return this.bytes;
  }
}

/**
 * The server's event hub: the core calls `publish` with the state it had and the state it now
 * reads whenever the change index moves (whoever wrote: CLI, API or controller); the hub turns
 * the difference into Nomad events (just after `publish` returns, in order), keeps them for
 * `index` replay and hands them to subscribers (the `/v1/event/stream` connections).
 */
import type { StateSnapshot } from '../../state/types.js';
import type { NodeFactSource } from '../nomad/nodes.js';
import type { EventHub, IndexedState, NomadEvent } from '../types.js';
import { DEFAULT_BUFFER_LIMITS, EventBuffer, type BufferLimits } from './buffer.js';
import { diffEvents } from './diff.js';

export { DROVER_EVENT_TYPE, DROVER_TOPIC, diffEvents } from './diff.js';
export { batchLine, eventJson } from './encode.js';
export type { BufferLimits } from './buffer.js';

export interface EventHubOptions {
  buffer?: Partial<BufferLimits>;
  /** Told when a subscriber throws (the others still get the batch). */
  onListenerError?: (err: unknown) => void;
  /** The configured nodes, version and datacenter Node payloads report (as `GET /v1/node/:id`). */
  nodeFacts?: NodeFactSource;
}

export interface PublishingEventHub extends EventHub {
  publish(prev: StateSnapshot | undefined, next: IndexedState): void;
  /** Open subscriptions (a stream that ended must leave none behind). */
  subscribers(): number;
  /** Events and bytes kept for replay. */
  buffered(): { events: number; bytes: number };
  /** Resolves once every change published so far is diffed and delivered. */
  settled(): Promise<void>;
}

export function createEventHub(opts: EventHubOptions = {}): PublishingEventHub {
  const buffer = new EventBuffer({ ...DEFAULT_BUFFER_LIMITS, ...opts.buffer });
  const listeners = new Set<(events: readonly NomadEvent[]) => void>();
  let lastIndex = 0;
  // Changes are diffed after the caller returns: the core publishes on the path that releases
  // blocking queries, which must not wait for a diff of a large state.
  const queue: [StateSnapshot | undefined, IndexedState][] = [];
  let draining = false;
  const drain = () => {
    draining = false;
    for (let change = queue.shift(); change; change = queue.shift()) deliver(...change);
  };
  const deliver = (prev: StateSnapshot | undefined, next: IndexedState) => {
    const events = diffEvents(prev, next, opts.nodeFacts);
    if (events.length === 0) return;
    buffer.append(events);
    for (const listener of [...listeners]) {
      try {
        listener(events);
      } catch (err) {
        opts.onListenerError?.(err);
      }
    }
  };
  return {
    publish(prev, next) {
      // The same index twice (two readers noticed one change) is one change.
      if (prev && next.index <= lastIndex) return;
      lastIndex = Math.max(lastIndex, next.index);
      queue.push([prev, next]);
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    },
    since: (after) => buffer.since(after),
    subscribe(listener) {
      const own = (events: readonly NomadEvent[]) => listener(events);
      listeners.add(own);
      return () => listeners.delete(own);
    },
    subscribers: () => listeners.size,
    buffered: () => ({ events: buffer.size(), bytes: buffer.byteSize() }),
    settled: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

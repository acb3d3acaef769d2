/**
 * The server's view of the state (a cached read with its change index, waits for the index to
 * move) and its write path (under the state lock, after observing the fleet). The first cut:
 * one server that is always the leader, the index polled from the store; leader election, change
 * notification and the event hub replace the parts marked below.
 */
import { observe } from '../ops/observe.js';
import { withStateLock } from '../ops/lock.js';
import type { EngineContext } from '../ops/context.js';
import type { StateSnapshot } from '../state/types.js';
import type {
  Actor,
  EventHub,
  IndexedState,
  Leadership,
  Metrics,
  ServerContext,
  ServerLog,
  ServerSettings,
  WriteBody,
} from './types.js';

/** How long a write waits for a CLI that holds the state lock. */
const WRITE_LOCK_TIMEOUT_MS = 60_000;
/** How often the store is re-read while someone waits for the index to move. */
const POLL_MS = 250;

export interface ContextParts {
  settings: ServerSettings;
  engine: EngineContext;
  events: EventHub;
  metrics: Metrics;
  log: ServerLog;
  leadership?: () => Leadership;
}

export function indexOf(state: StateSnapshot): number {
  return Math.max(1, state.serial);
}

export function createServerContext(parts: ContextParts): ServerContext {
  let cached: IndexedState | undefined;
  const read = async (): Promise<IndexedState> => {
    const state = await parts.engine.store.read();
    // By serial, not index: serials 0 and 1 share index 1 (the index is floored at 1).
    if (cached?.state.serial !== state.serial || cached.state.lineage !== state.lineage) {
      cached = { state, index: indexOf(state) };
    }
    return cached;
  };
  const alwaysLeader = (): Leadership => ({
    isLeader: true,
    leader: `${parts.settings.address}:${parts.settings.port}`,
    epoch: 1,
    lastContactMs: 0,
  });
  return {
    settings: parts.settings,
    engine: parts.engine,
    events: parts.events,
    metrics: parts.metrics,
    log: parts.log,
    current: read,
    async waitForIndex(index: number, waitMs: number, signal?: AbortSignal) {
      const deadline = Date.now() + waitMs;
      let now = await read();
      while (now.index <= index && Date.now() < deadline && !signal?.aborted) {
        await sleep(Math.min(POLL_MS, deadline - Date.now()), signal);
        now = await read();
      }
      return now;
    },
    leadership: parts.leadership ?? alwaysLeader,
    async write<T>(actor: Actor, operation: string, body: WriteBody<T>): Promise<T> {
      return withStateLock(parts.engine, operation, WRITE_LOCK_TIMEOUT_MS, async () => {
        const observed = await observe(parts.engine, true, { locked: true });
        parts.log.info(`${operation} by ${actor.name}`, { operation, actor: actor.name });
        const result = await body(parts.engine, observed);
        await read();
        return result;
      });
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

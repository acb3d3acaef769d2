/**
 * The server's view of the state (a cached read with its change index, waits for the index to
 * move) and its write path (as the leader, under the state lock, after observing the fleet).
 *
 * With a change feed (changes.ts: fs.watch on the local state's directory, LISTEN/NOTIFY on
 * postgres) the cached state is served until the feed says the store may have moved, and waiters
 * are released the moment it has. Without one (tests of single endpoints) every read goes to the
 * store and waits poll it.
 */
import { observe } from '../ops/observe.js';
import { withStateLock } from '../ops/lock.js';
import type { EngineContext } from '../ops/context.js';
import type { StateSnapshot } from '../state/types.js';
import type { ChangeFeed } from './changes.js';
import {
  NotLeaderError,
  type Actor,
  type EventHub,
  type IndexedState,
  type Leadership,
  type Metrics,
  type ServerContext,
  type ServerLog,
  type ServerSettings,
  type WriteBody,
} from './types.js';

/** How long a write waits for a CLI that holds the state lock. */
const WRITE_LOCK_TIMEOUT_MS = 60_000;
/** How often the store is re-read while someone waits, when there is no change feed. */
const POLL_MS = 250;

export interface ContextParts {
  settings: ServerSettings;
  engine: EngineContext;
  events: EventHub;
  metrics: Metrics;
  log: ServerLog;
  leadership?: () => Leadership;
  /** Tells when the store may have changed; absent: polling. */
  changes?: ChangeFeed;
  /** Called once per move of the index, with the state before (undefined at the first read). */
  onChange?: (prev: StateSnapshot | undefined, next: IndexedState) => void;
}

/** A ServerContext that can also be shut down (the change feed stopped, waiters released). */
export interface RunningContext extends ServerContext {
  /** Writes running now (shutdown lets them finish). */
  writesInFlight(): number;
  close(): Promise<void>;
}

export function indexOf(state: StateSnapshot): number {
  // serial + 1: never 0 (Nomad's index floor), and the first write (serial 0 → 1) moves it.
  return state.serial + 1;
}

interface Waiter {
  index: number;
  resolve: (s: IndexedState) => void;
}

export function createServerContext(parts: ContextParts): RunningContext {
  let cached: IndexedState | undefined;
  /** Set by the feed: the cache may be behind the store. */
  let dirty = true;
  let reading: Promise<IndexedState> | undefined;
  let again = false;
  let writes = 0;
  const waiters = new Set<Waiter>();

  const adopt = (state: StateSnapshot): IndexedState => {
    const index = indexOf(state);
    if (cached && cached.index === index) return cached;
    const prev = cached;
    cached = { state, index };
    try {
      parts.onChange?.(prev?.state, cached);
    } catch (err) {
      parts.log.error(`publishing the change to index ${index} failed: ${String(err)}`);
    }
    for (const w of waiters)
      if (index > w.index) {
        waiters.delete(w);
        w.resolve(cached);
      }
    return cached;
  };

  /** One read at a time; a signal during a read makes one more read after it. */
  const refresh = (): Promise<IndexedState> => {
    if (reading) {
      again = true;
      return reading;
    }
    dirty = false;
    reading = parts.engine.store
      .read()
      .then(adopt)
      .finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          void refresh().catch((err: unknown) => parts.log.warn(readFailed(err)));
        }
      });
    return reading;
  };

  const current = async (): Promise<IndexedState> => {
    if (parts.changes && cached && !dirty) return cached;
    if (reading) await reading.catch(() => undefined);
    if (parts.changes && cached && !dirty) return cached;
    return refresh();
  };

  parts.changes?.start(() => {
    dirty = true;
    if (waiters.size > 0 || parts.onChange)
      void refresh().catch((err: unknown) => parts.log.warn(readFailed(err)));
  });

  const alwaysLeader = (): Leadership => ({
    isLeader: true,
    leader: `${parts.settings.address}:${parts.settings.port}`,
    epoch: 1,
    lastContactMs: 0,
  });
  const leadership = parts.leadership ?? alwaysLeader;

  const waitFed = (index: number, waitMs: number, signal?: AbortSignal) =>
    new Promise<IndexedState>((resolve) => {
      const waiter: Waiter = { index, resolve: (s) => finish(s) };
      const timer = setTimeout(() => void current().then(finish, () => finish(cached!)), waitMs);
      const onAbort = () => finish(cached!);
      function finish(s: IndexedState) {
        clearTimeout(timer);
        waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(s);
      }
      waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  return {
    settings: parts.settings,
    engine: parts.engine,
    events: parts.events,
    metrics: parts.metrics,
    log: parts.log,
    current,
    async waitForIndex(index: number, waitMs: number, signal?: AbortSignal) {
      let now = await current();
      if (now.index > index || signal?.aborted || waitMs <= 0) return now;
      if (parts.changes) return waitFed(index, waitMs, signal);
      const deadline = Date.now() + waitMs;
      while (now.index <= index && Date.now() < deadline && !signal?.aborted) {
        await sleep(Math.min(POLL_MS, deadline - Date.now()), signal);
        now = await refresh();
      }
      return now;
    },
    leadership,
    async write<T>(actor: Actor, operation: string, body: WriteBody<T>): Promise<T> {
      if (!leadership().isLeader) throw new NotLeaderError('this server is not the leader');
      writes++;
      const started = performance.now();
      try {
        return await withStateLock(parts.engine, operation, WRITE_LOCK_TIMEOUT_MS, async () => {
          const observed = await observe(parts.engine, true, { locked: true });
          parts.log.info(`${operation} by ${actor.name}`, { operation, actor: actor.name });
          const result = await body(parts.engine, observed);
          dirty = true;
          await refresh();
          return result;
        });
      } finally {
        writes--;
        parts.metrics.sample('state.write_duration', performance.now() - started, { operation });
      }
    },
    async wrote() {
      dirty = true;
      // A read already under way may have started before the write: read once more after it.
      if (reading) await reading.catch(() => undefined);
      await refresh();
    },
    writesInFlight: () => writes,
    async close() {
      await parts.changes?.stop();
      for (const w of [...waiters]) w.resolve(cached!);
      waiters.clear();
    },
  };
}

function readFailed(err: unknown): string {
  return `reading the state after a change failed: ${err instanceof Error ? err.message : String(err)}`;
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

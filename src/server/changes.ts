/**
 * Change feeds: what tells the server the state may have moved, so a blocking query returns
 * within milliseconds of a write by anyone (a CLI beside the server, another server, this one).
 *
 *   local     fs.watch on the state file's directory (writes replace the file by rename), with
 *             a slow stat poll as a fallback for file systems that do not report changes
 *   postgres  LISTEN on the channel every write's transaction NOTIFYs (see the postgres store),
 *             with a slow poll as a fallback for a lost connection
 *
 * A signal means "read again": the context re-reads and compares the index.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type pg from 'pg';
import { connectClient, type PgTarget } from '../state/postgres/connect.js';
import { changeChannel } from '../state/postgres/schema.js';

export interface ChangeFeed {
  /** Starts reporting; `signal` may be called often and spuriously. */
  start(signal: () => void): void;
  stop(): Promise<void>;
}

/** How often the fallback polls look. */
const LOCAL_POLL_MS = 1_000;
const POSTGRES_POLL_MS = 5_000;

/** Watches the local state file `path` (its directory, created if missing). */
export function localChangeFeed(path: string, onError?: (message: string) => void): ChangeFeed {
  const dir = dirname(path);
  const name = basename(path);
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    start(signal) {
      void (async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => undefined);
        if (stopped) return;
        try {
          watcher = watch(dir, { persistent: false }, (_event, file) => {
            // Some platforms do not name the file: then anything in the directory counts.
            if (file === null || file === name) signal();
          });
          watcher.on('error', (e) => onError?.(`watching ${dir} failed: ${e.message}`));
        } catch (e) {
          onError?.(
            `cannot watch ${dir} (${(e as Error).message}); polling every ${LOCAL_POLL_MS} ms`,
          );
        }
        let last = await fileStamp(path);
        poll = setInterval(() => {
          void fileStamp(path).then((now) => {
            if (now !== last) {
              last = now;
              signal();
            }
          });
        }, LOCAL_POLL_MS);
        poll.unref();
      })();
    },
    stop() {
      stopped = true;
      watcher?.close();
      if (poll) clearInterval(poll);
      return Promise.resolve();
    },
  };
}

/** What changes with every write of the file (a rename makes a new inode). */
async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'missing';
  }
}

/** LISTENs for the writes of the postgres state in `schema`. */
export function postgresChangeFeed(
  target: PgTarget,
  schema: string,
  onError?: (message: string) => void,
): ChangeFeed {
  let client: pg.Client | undefined;
  let poll: NodeJS.Timeout | undefined;
  let stopped = false;
  let connecting = false;
  const channel = changeChannel(schema);
  const listen = async (signal: () => void) => {
    if (connecting || stopped) return;
    connecting = true;
    try {
      const c = await connectClient(target);
      c.on('notification', () => signal());
      c.on('end', () => {
        if (client === c) client = undefined;
      });
      await c.query(`LISTEN ${channel}`);
      if (stopped) await c.end().catch(() => undefined);
      else {
        client = c;
        // Writes made while there was no listener are picked up now.
        signal();
      }
    } catch (e) {
      onError?.(`listening for state changes failed: ${(e as Error).message}; retrying`);
    } finally {
      connecting = false;
    }
  };
  return {
    start(signal) {
      void listen(signal);
      poll = setInterval(() => {
        if (client) return;
        void listen(signal);
        signal();
      }, POSTGRES_POLL_MS);
      poll.unref();
    },
    async stop() {
      stopped = true;
      if (poll) clearInterval(poll);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

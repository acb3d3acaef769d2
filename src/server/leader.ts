/**
 * Leader election over a lease (lease.ts). The leader renews every ttl/3 and stops acting the
 * moment a renewal fails, is too slow, or finds the lease gone, or when its own clock says the
 * lease ran out without a renewal; followers try to take the lease about once a second, so a
 * dead leader is replaced within the lease's ttl plus that second. Listeners hear of every gain
 * and loss (the controller runs only on the leader).
 *
 * `fence(store)` makes the leader's writes check the lease: inside the write's transaction on
 * postgres, just before it on the local backend.
 */
import { randomUUID } from 'node:crypto';
import { PostgresStateStore } from '../state/postgres/store.js';
import type { StateStore } from '../state/store.js';
import type { Holder, LeaseBackend, PgLease } from './lease.js';
import { NotLeaderError, type Leadership, type ServerLog } from './types.js';

/** How often a follower looks for a free lease (at most; ttl/3 when shorter). */
const FOLLOWER_POLL_MS = 1_000;

export interface Election {
  leadership(): Leadership;
  /** `listener(true)` on gaining leadership, `(false)` on losing it; returns the unsubscribe. */
  onLeadershipChange(listener: (isLeader: boolean) => void): () => void;
  /** The first attempt (awaited), then the loop in the background. */
  start(): Promise<void>;
  /** Stops the loop and gives the lease up if held. */
  stop(): Promise<void>;
  /** The store with every write checked against this server's lease. */
  fence(store: StateStore): StateStore;
}

export interface ElectionOptions {
  backend: LeaseBackend | PgLease;
  name: string;
  /** host:port of this server's API. */
  address: string;
  ttlMs: number;
  log: ServerLog;
  now?: () => number;
}

export function createElection(opts: ElectionOptions): Election {
  const now = opts.now ?? Date.now;
  const me: Holder = { id: randomUUID(), name: opts.name, address: opts.address };
  const listeners = new Set<(isLeader: boolean) => void>();
  let leader = false;
  let epoch = 0;
  /** Our lease holds until then, by our clock (set from the start of the last good renewal). */
  let validUntil = 0;
  let knownLeader: string | undefined;
  let lastContact = 0;
  let timer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let stopped = false;
  let ticking: Promise<void> | undefined;

  const tell = (isLeader: boolean) => {
    for (const l of listeners) {
      try {
        l(isLeader);
      } catch (err) {
        opts.log.error(`a leadership listener failed: ${String(err)}`);
      }
    }
  };
  const gain = (at: number, newEpoch: number) => {
    leader = true;
    epoch = newEpoch;
    knownLeader = opts.address;
    extend(at);
    opts.log.info(`${opts.name} is the leader (epoch ${epoch})`, { epoch, address: opts.address });
    tell(true);
  };
  const lose = (why: string) => {
    if (!leader) return;
    leader = false;
    knownLeader = undefined;
    clearTimeout(watchdog);
    opts.log.warn(`${opts.name} lost leadership (epoch ${epoch}): ${why}`, { epoch });
    tell(false);
  };
  const extend = (at: number) => {
    validUntil = at + opts.ttlMs;
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => lose('the lease ran out before a renewal succeeded'),
      Math.max(0, validUntil - now()),
    );
    watchdog.unref();
  };

  const tick = async () => {
    const at = now();
    if (leader) {
      try {
        if (await opts.backend.renew(me, epoch, opts.ttlMs)) {
          if (leader) extend(at);
        } else lose('the lease was taken or had expired');
      } catch (err) {
        lose(`renewing the lease failed: ${(err as Error).message}`);
      }
      return;
    }
    try {
      const view = await opts.backend.acquire(me, opts.ttlMs);
      if (view.mine) {
        if (!stopped) gain(at, view.epoch);
        else await opts.backend.release(me, view.epoch);
        return;
      }
      knownLeader = view.live ? view.address : undefined;
      if (view.live) lastContact = now();
    } catch (err) {
      knownLeader = undefined;
      opts.log.warn(`looking at the leader lease failed: ${(err as Error).message}`);
    }
  };

  const schedule = () => {
    if (stopped) return;
    const every = leader
      ? Math.max(50, Math.floor(opts.ttlMs / 3))
      : Math.min(FOLLOWER_POLL_MS, Math.floor(opts.ttlMs / 3));
    timer = setTimeout(() => {
      ticking = tick().finally(() => {
        ticking = undefined;
        schedule();
      });
    }, every);
  };

  const isLeaderNow = () => leader && now() < validUntil;

  const verify = async () => {
    if (!isLeaderNow())
      throw new NotLeaderError('this server is not the leader; nothing was written');
    await opts.backend.verify(me, epoch);
  };

  return {
    leadership: () => {
      const leads = isLeaderNow();
      // A follower's last look at the lease says nothing once a whole lease time has passed
      // since: the leader it saw may be gone (X-Nomad-KnownLeader must not claim one then).
      const known =
        knownLeader !== undefined && (leads || (!leader && now() - lastContact <= opts.ttlMs))
          ? knownLeader
          : undefined;
      return {
        isLeader: leads,
        ...(known !== undefined ? { leader: known } : {}),
        epoch,
        lastContactMs: leads || lastContact === 0 ? 0 : now() - lastContact,
      };
    },
    onLeadershipChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await tick();
      if (!leader)
        opts.log.info(
          `${opts.name} is a follower` + (knownLeader ? ` (the leader is ${knownLeader})` : ''),
        );
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      const wasLeader = leader;
      lose('the server is stopping');
      if (wasLeader) {
        await opts.backend
          .release(me, epoch)
          .catch((err: unknown) =>
            opts.log.warn(`giving up the lease failed: ${(err as Error).message}`),
          );
      }
      await opts.backend.close();
    },
    fence(store) {
      const backend = opts.backend;
      if (store instanceof PostgresStateStore && 'guard' in backend) {
        store.guardWrites(async (c) => {
          if (!isLeaderNow())
            throw new NotLeaderError('this server is not the leader; nothing was written');
          await backend.guard(c, me, epoch);
        });
        return store;
      }
      return fencedStore(store, verify);
    },
  };
}

/** `store` with `verify` run before every write (a backend that cannot check inside one). */
export function fencedStore(store: StateStore, verify: () => Promise<void>): StateStore {
  return {
    read: () => store.read(),
    write: async (next, expectSerial) => {
      await verify();
      return store.write(next, expectSerial);
    },
    replace: async (snapshot, o) => {
      await verify();
      return store.replace(snapshot, o);
    },
    snapshotRestore: async (file, o) => {
      await verify();
      return store.snapshotRestore(file, o);
    },
    lock: (info, o) => store.lock(info, o),
    forceUnlock: (id) => store.forceUnlock(id),
    currentLock: () => store.currentLock(),
    snapshotSave: (file) => store.snapshotSave(file),
    describe: () => store.describe(),
    close: () => store.close(),
  };
}

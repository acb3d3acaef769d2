/**
 * Leadership on a real PostgreSQL: exactly one of two servers leads, the other follows and knows
 * the leader; a write fenced with an epoch that moved is refused inside its transaction (nothing
 * written); a leader whose lease is taken stops acting; the NOTIFY of every write reaches a
 * listener within milliseconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresChangeFeed } from '../../../src/server/changes.js';
import { createElection, type Election } from '../../../src/server/leader.js';
import { pgLease, type Holder } from '../../../src/server/lease.js';
import { NotLeaderError, type ServerLog } from '../../../src/server/types.js';
import { PostgresStateStore } from '../../../src/state/postgres/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { eventually } from './process.js';

let db: TestDatabase;
const closers: (() => Promise<unknown>)[] = [];
const quiet: ServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  db = await createTestDatabase('drover_leader');
});
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await db.drop();
});

function store(schema: string): PostgresStateStore {
  const s = new PostgresStateStore({ url: db.url, schema });
  closers.push(() => s.close());
  return s;
}

function election(schema: string, name: string, ttlMs: number): Election {
  const e = createElection({
    backend: pgLease({ url: db.url }, schema),
    name,
    address: `${name}:4646`,
    ttlMs,
    log: quiet,
  });
  closers.push(() => e.stop());
  return e;
}

describe('the postgres lease', () => {
  it('one leader, one follower that knows it; the leader stops acting when its lease is taken', async () => {
    await store('l1').read(); // migrates: the lease table exists
    const a = election('l1', 'a', 1500);
    const b = election('l1', 'b', 1500);
    const changes: boolean[] = [];
    a.onLeadershipChange((isLeader) => changes.push(isLeader));
    await a.start();
    await b.start();
    expect(a.leadership()).toMatchObject({ isLeader: true, leader: 'a:4646', epoch: 1 });
    expect(b.leadership()).toMatchObject({ isLeader: false, leader: 'a:4646' });
    // Someone takes the lease from under a (as if a had paused past its ttl).
    await db.query(
      `UPDATE l1.server_lease SET holder = 'intruder', address = 'x:1', epoch = epoch + 1, expires_at = now() + interval '1 hour'`,
    );
    await eventually(() => Promise.resolve(!a.leadership().isLeader), 1500, 'a steps down');
    expect(changes).toEqual([true, false]);
    expect(b.leadership()).toMatchObject({ isLeader: false });
    await eventually(
      () => Promise.resolve(b.leadership().leader === 'x:1'),
      2000,
      'b sees the new holder',
    );
  });

  it('a follower takes an expired lease within its ttl plus a second', async () => {
    await store('l2').read();
    const lease = pgLease({ url: db.url }, 'l2');
    closers.push(() => lease.close());
    const dead: Holder = { id: 'dead', name: 'dead', address: 'dead:1' };
    expect(await lease.acquire(dead, 1000)).toMatchObject({ mine: true, epoch: 1 });
    const b = election('l2', 'b', 1000);
    await b.start();
    expect(b.leadership().isLeader).toBe(false);
    const took = await eventually(
      () => Promise.resolve(b.leadership().isLeader),
      2000 + 1000,
      'b takes the lease',
    );
    expect(took).toBeLessThan(2000);
    expect(b.leadership()).toMatchObject({ leader: 'b:4646', epoch: 2 });
  });

  it('refuses a write fenced with an epoch that moved, inside its transaction', async () => {
    const s = store('l3');
    await s.read();
    const lease = pgLease({ url: db.url }, 'l3');
    closers.push(() => lease.close());
    const old: Holder = { id: 'old', name: 'old', address: 'old:1' };
    const next: Holder = { id: 'new', name: 'new', address: 'new:1' };
    const held = await lease.acquire(old, 60_000);
    s.guardWrites((c) => lease.guard(c, old, held.epoch));
    const first = await s.read();
    const written = await s.write(first, first.serial);
    expect(written.serial).toBe(first.serial + 1);

    // The lease expires and another server takes it: epoch + 1.
    await db.query(`UPDATE l3.server_lease SET expires_at = now() - interval '1 second'`);
    expect(await lease.acquire(next, 60_000)).toMatchObject({ mine: true, epoch: held.epoch + 1 });
    const refused = await s.write(written, written.serial).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect(String(refused)).toMatch(/epoch 1\) is gone: the lease is at epoch 2, held by new:1/);
    const meta = await db.query<{ serial: string }>('SELECT serial FROM l3.meta');
    expect(Number(meta.rows[0]!.serial)).toBe(written.serial);
  });

  it('every write NOTIFYs its listeners at commit', async () => {
    const s = store('l4');
    await s.read();
    const feed = postgresChangeFeed({ url: db.url }, 'l4');
    closers.push(() => feed.stop());
    const signals: number[] = [];
    feed.start(() => signals.push(Date.now()));
    await eventually(() => Promise.resolve(signals.length > 0), 5000, 'the feed listens');
    const before = signals.length;
    const state = await s.read();
    const wrote = Date.now();
    await s.write(state, state.serial);
    await eventually(() => Promise.resolve(signals.length > before), 1000, 'the NOTIFY arrives');
    expect(signals[before]! - wrote).toBeLessThan(50);
  });
});

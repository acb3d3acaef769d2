/**
 * Leadership on the local backend: the server lock file beside the state. The first server leads,
 * a second one follows and refuses writes (context.write and the fenced store alike), a lock file
 * left by a dead process is taken over.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElection, type Election } from '../../../src/server/leader.js';
import { fileLease, serverLockPath } from '../../../src/server/lease.js';
import { NotLeaderError, type ServerLog } from '../../../src/server/types.js';
import { testServerContext, type TestServerContext } from './support.js';

const quiet: ServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
let t: TestServerContext;
const elections: Election[] = [];

function election(name: string): Election {
  const e = createElection({
    backend: fileLease(t.session.config.state.path),
    name,
    address: `${name}:4646`,
    ttlMs: 3000,
    log: quiet,
  });
  elections.push(e);
  return e;
}

beforeAll(async () => {
  t = await testServerContext();
});
afterAll(async () => {
  for (const e of elections) await e.stop();
  await t.close();
});

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the local server lock', () => {
  it('the first server leads; the lock file names its address beside the state', async () => {
    const a = election('a');
    await a.start();
    expect(a.leadership()).toMatchObject({ isLeader: true, leader: 'a:4646', epoch: 1 });
    const lock = JSON.parse(readFileSync(serverLockPath(t.session.config.state.path), 'utf8')) as {
      pid: number;
      operation: string;
    };
    expect(lock).toMatchObject({ pid: process.pid, operation: 'server a:4646' });
    const fenced = a.fence(t.session.store);
    const s = await fenced.read();
    expect((await fenced.write(s, s.serial)).serial).toBe(s.serial + 1);
  });

  it('a second server follows, knows the leader, and refuses writes', async () => {
    const b = election('b');
    await b.start();
    expect(b.leadership()).toMatchObject({ isLeader: false, leader: 'a:4646' });
    const fenced = b.fence(t.session.store);
    const s = await fenced.read();
    expect(await refusal(fenced.write(s, s.serial))).toBeInstanceOf(NotLeaderError);
    expect((await t.session.store.read()).serial).toBe(s.serial);
  });

  it('a server context that is not the leader refuses writes before taking the lock', async () => {
    const follower = await testServerContext({
      leadership: () => ({ isLeader: false, leader: 'a:4646', epoch: 1, lastContactMs: 5 }),
      feed: false,
    });
    try {
      const ran: string[] = [];
      const e = await refusal(
        follower.context.write({ name: 'tester' }, 'test', () => {
          ran.push('body');
          return Promise.resolve();
        }),
      );
      expect(e).toBeInstanceOf(NotLeaderError);
      expect(ran).toEqual([]);
    } finally {
      await follower.close();
    }
  });

  it("the leader's giving up lets the follower take over; a dead holder's file is taken over", async () => {
    const [a, b] = elections as [Election, Election];
    await a.stop();
    const path = serverLockPath(t.session.config.state.path);
    // b polls at most every second.
    const deadline = Date.now() + 3000;
    while (!b.leadership().isLeader && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(b.leadership()).toMatchObject({ isLeader: true, leader: 'b:4646' });
    await b.stop();
    expect(existsSync(path)).toBe(false);

    // A lock file whose pid is gone (on this host) is taken over by the next server.
    writeFileSync(
      path,
      JSON.stringify({
        id: 'gone',
        owner: 'me',
        host: (await import('node:os')).hostname(),
        pid: 2 ** 22 + 12345,
        operation: 'server gone:1',
        created_at: new Date().toISOString(),
      }),
    );
    const c = election('c');
    await c.start();
    expect(c.leadership().isLeader).toBe(true);
  });
});

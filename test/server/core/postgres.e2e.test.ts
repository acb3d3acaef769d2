/**
 * Two real `drover server` processes on one PostgreSQL state: exactly one leads, the other
 * follows; kill -9 of the leader, and the other answers /v1/status/leader with itself and acts
 * as the leader within lease_ttl + 2 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { eventually, startServerProcess, type ServerProcess } from './process.js';

const TTL_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'drover-server-pg-'));
let db: TestDatabase;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('drover_server_e2e');
  writeFileSync(
    join(dir, 'drover.hcl'),
    `state {\n  backend = "postgres"\n  url = "${db.url}"\n}\n` +
      `node "local" {\n  transport = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
      `server {\n  lease_ttl = "${TTL_MS / 1000}s"\n}\n`,
  );
});

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function leaderSeenBy(s: ServerProcess): Promise<string | undefined> {
  const r = await fetch(`${s.url}/v1/status/leader`);
  return r.status === 200 ? ((await r.json()) as string) : undefined;
}

async function acts(s: ServerProcess): Promise<boolean> {
  const self = (await (await fetch(`${s.url}/v1/agent/self`)).json()) as {
    stats: { nomad: { leader: string } };
  };
  return self.stats.nomad.leader === 'true';
}

describe('two servers on postgres', () => {
  it('one leads, the other takes over within lease_ttl + 2 s of a kill -9', async () => {
    const a = await startServerProcess(dir, ['-name', 'a']);
    servers.push(a);
    const b = await startServerProcess(dir, ['-name', 'b']);
    servers.push(b);
    const aAddr = a.url.replace('http://', '');
    const bAddr = b.url.replace('http://', '');
    expect(await leaderSeenBy(a)).toBe(aAddr);
    expect(await leaderSeenBy(b)).toBe(aAddr);
    expect(await acts(a)).toBe(true);
    expect(await acts(b)).toBe(false);

    const killed = Date.now();
    await a.stop('SIGKILL');
    await eventually(
      async () => (await leaderSeenBy(b)) === bAddr && (await acts(b)),
      TTL_MS + 2000 + 1000,
      'b takes over',
    );
    const took = Date.now() - killed;
    expect(took).toBeLessThanOrEqual(TTL_MS + 2000);
    expect(b.stderr()).toMatch(/b is the leader \(epoch 2\)/);
    expect(await b.stop('SIGTERM')).toBe(0);
  });
});

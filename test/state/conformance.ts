/**
 * The StateStore contract, run on every backend (store-conformance.test.ts): reads, writes
 * checked against the serial and the lineage, locking with holder info, timeouts, forceUnlock
 * and the dead-holder rule, snapshots, the event log, and a drover killed mid-write.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/errors.js';
import { appendEvent } from '../../src/state/events.js';
import { appendAudit, type NewAuditRecord } from '../../src/state/audit.js';
import { appendApproval, type NewApproval } from '../../src/state/approvals.js';
import { appendRejection, savePlan, type NewSavedPlan } from '../../src/state/plans.js';
import type { Plan } from '../../src/generated/plan.js';
import { planBasis } from '../../src/plan/approvals.js';
import { newLockInfo, type LockInfo, type StateStore } from '../../src/state/store.js';
import type { AclPolicy, AclToken, JobState, StateSnapshot } from '../../src/state/types.js';
import {
  hashSecret,
  withBootstrap,
  withPolicy,
  withToken,
  withoutPolicy,
  withoutToken,
} from '../../src/server/acl/state.js';
import { sampleState, withoutIndexes } from './sample.js';

export interface StoreOptions {
  warn?: (message: string) => void;
}

/** One backend under test; `reset` gives every test an empty state of its own. */
export interface Backend {
  name: string;
  reset(): void;
  /** A new store on the current state (as another drover would open it). */
  store(opts?: StoreOptions): StateStore;
  /** The argument fixture processes open the current state with (see fixtures/open-store.ts). */
  spec(): string;
  /** How the takeover warning explains that a killed holder is gone. */
  deadHolder: string;
}

const T1 = '2026-01-02T03:04:05.000Z';
const T2 = '2026-01-02T04:04:05.000Z';
const T3 = '2026-01-02T05:04:05.000Z';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function stateError(p: Promise<unknown>): Promise<StateError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StateError);
  return e as StateError;
}

function step(state: StateSnapshot, n: number): StateSnapshot {
  return appendEvent(state, {
    time: '2026-01-02T03:04:05.000Z',
    who: 'test@host',
    what: 'alloc.start',
    detail: `step ${n}`,
  });
}

// A real second drover process; see fixtures/hold-lock.ts and fixtures/write-loop.ts.
const here = fileURLToPath(new URL('.', import.meta.url));
const register = pathToFileURL(join(here, 'fixtures', 'ts-register.mjs')).href;

interface Holder {
  child: ChildProcess;
  info: LockInfo;
  release(): void;
  exited: Promise<unknown>;
}

async function spawnHolder(spec: string): Promise<Holder> {
  const child = spawn(
    process.execPath,
    ['--import', register, join(here, 'fixtures', 'hold-lock.ts'), spec, 'apply'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    exited.then(() => 'exited before taking the lock'),
  ]);
  if (!first.startsWith('locked ')) throw new Error(`lock holder: ${first}`);
  return {
    child,
    info: JSON.parse(first.slice('locked '.length)) as LockInfo,
    release: () => child.stdin.write('release\n'),
    exited,
  };
}

/** Starts the writer and kills it after `writes` writes plus `extraMs`; the last serial it reported. */
async function crashWriter(spec: string, writes: number, extraMs: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', register, join(here, 'fixtures', 'write-loop.ts'), spec],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  let last = -1;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^wrote (\d+)$/.exec(line);
      if (m) last = Number(m[1]);
      if (m && --writes <= 0) break;
    }
    if (extraMs > 0) await new Promise((r) => setTimeout(r, extraMs));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return last;
}

export function describeStoreConformance(backend: Backend): void {
  describe(`StateStore conformance: ${backend.name}`, () => {
    const opened: StateStore[] = [];
    let warnings: string[];
    const store = (): StateStore => {
      const s = backend.store({ warn: (m) => warnings.push(m) });
      opened.push(s);
      return s;
    };
    let dir: string;

    beforeEach(async () => {
      warnings = [];
      dir = await mkdtemp(join(tmpdir(), 'drover-conformance-'));
      backend.reset();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    });

    describe('read and write', () => {
      it('reads an empty state with a new lineage, the same on every read of one store', async () => {
        const s = store();
        const a = await s.read();
        expect(a).toEqual({
          format_version: 1,
          lineage: a.lineage,
          serial: 0,
          nodes: {},
          jobs: {},
          allocations: {},
          deployments: {},
          events: [],
        });
        expect(a.lineage).toMatch(UUID);
        expect((await s.read()).lineage).toBe(a.lineage);
        expect((await store().read()).lineage).not.toBe(a.lineage);
        expect(await store().currentLock()).toBeUndefined();
      });

      it('round-trips a full state, seen by another store', async () => {
        const s = store();
        const next = sampleState(await s.read());
        const written = await s.write(next, 0);
        expect(withoutIndexes(written)).toEqual(withoutIndexes({ ...next, serial: 1 }));
        expect(await store().read()).toEqual(written);
      });

      it.each([
        ['the same store', false],
        ['a new store per write', true],
      ])(
        'stamps what each write changes with its serial, written through %s',
        async (_how, freshEach) => {
          let s = store();
          const write = async (x: StateSnapshot, f: (x: StateSnapshot) => StateSnapshot) => {
            if (freshEach) s = store();
            const out = await s.write(f(x), x.serial);
            expect(await store().read()).toEqual(out);
            return out;
          };
          const idx = (o: object) => {
            const { create_index, modify_index, alloc_modify_index } = o as Record<string, unknown>;
            return { create_index, modify_index, alloc_modify_index };
          };
          const alloc = (x: StateSnapshot, change: object) => ({
            ...x,
            allocations: { ...x.allocations, a1: { ...x.allocations.a1!, ...change } },
          });
          const v1 = await s.write(sampleState(await s.read()), 0);
          expect(idx(v1.nodes.local!)).toEqual({ create_index: 1, modify_index: 1 });
          expect(idx(v1.jobs.web!)).toEqual({ create_index: 1, modify_index: 1 });
          expect(v1.jobs.web!.versions[0]!.create_index).toBe(1);
          expect(idx(v1.allocations.a1!)).toEqual({
            create_index: 1,
            modify_index: 1,
            alloc_modify_index: 1,
          });
          expect(idx(v1.deployments.d1!)).toEqual({ create_index: 1, modify_index: 1 });

          // What the client reports: ModifyIndex moves, AllocModifyIndex and the job stay.
          const v2 = await write(v1, (x) => ({
            ...alloc(x, { task_states: {}, modified_at: T2 }),
            nodes: { ...x.nodes, other: { ...x.nodes.local!, name: 'other' } },
          }));
          expect(idx(v2.allocations.a1!)).toEqual({
            create_index: 1,
            modify_index: 2,
            alloc_modify_index: 1,
          });
          expect(idx(v2.nodes.other!)).toEqual({ create_index: 2, modify_index: 2 });
          expect(v2.nodes.local).toBe(v1.nodes.local);
          expect(idx(v2.jobs.web!)).toEqual({ create_index: 1, modify_index: 1 });

          // The server stops it: AllocModifyIndex moves, and the job's (its status may change).
          const v3 = await write(v2, (x) => alloc(x, { desired_status: 'stop' }));
          expect(idx(v3.allocations.a1!)).toMatchObject({ modify_index: 3, alloc_modify_index: 3 });
          expect(idx(v3.jobs.web!)).toEqual({ create_index: 1, modify_index: 3 });
          expect(idx(v3.deployments.d1!)).toEqual({ create_index: 1, modify_index: 1 });

          // A new version gets its own index; the first keeps its own.
          const web = v3.jobs.web!;
          const v4 = await write(v3, (x) => ({
            ...x,
            jobs: {
              ...x.jobs,
              web: { ...web, versions: [...web.versions, { ...web.versions[0]!, version: 1 }] },
            },
          }));
          expect(v4.jobs.web!.versions.map((v) => v.create_index)).toEqual([1, 4]);
          expect(idx(v4.jobs.web!)).toEqual({ create_index: 1, modify_index: 4 });

          // Nothing but an event: no object moves.
          const v5 = await write(v4, (x) => step(x, 5));
          expect(idx(v5.jobs.web!)).toEqual({ create_index: 1, modify_index: 4 });
          expect(idx(v5.allocations.a1!).modify_index).toBe(3);

          // An allocation removed (garbage collected) moves its job.
          const { a1: _gone, ...rest } = v5.allocations;
          const v6 = await write(v5, (x) => ({ ...x, allocations: rest }));
          expect(idx(v6.jobs.web!)).toEqual({ create_index: 1, modify_index: 6 });
          expect(idx(v6.deployments.d1!)).toEqual({ create_index: 1, modify_index: 1 });
        },
      );

      it('sets serial to expectSerial + 1 on every write and keeps the lineage', async () => {
        const s = store();
        const first = await s.read();
        let cur = first;
        for (const want of [1, 2, 3]) {
          cur = await s.write({ ...cur, serial: 99 }, cur.serial);
          expect(cur.serial).toBe(want);
          expect(cur.lineage).toBe(first.lineage);
          expect((await store().read()).serial).toBe(want);
        }
      });

      it('refuses a write against a serial that moved (stale), writing nothing', async () => {
        const a = store();
        const b = store();
        const base = await a.write(await a.read(), 0);
        const seenByA = await a.read();
        await b.write(sampleState(await b.read()), base.serial);
        const before = await store().read();
        const e = await stateError(a.write(step(seenByA, 1), seenByA.serial));
        expect(e.code).toBe('stale');
        expect(e.message).toBe(
          'the state changed since it was read (it is at serial 2, this change was made against ' +
            'serial 1); plan again',
        );
        expect(await store().read()).toEqual(before);
      });

      it('refuses to write a state of another lineage', async () => {
        const s = store();
        const cur = await s.write(await s.read(), 0);
        const other = { ...cur, lineage: '00000000-0000-4000-8000-000000000000' };
        const e = await stateError(s.write(other, 1));
        expect(e.code).toBe('lineage');
        expect(e.message).toContain('lineage 00000000-0000-4000-8000-000000000000');
        expect((await store().read()).lineage).toBe(cur.lineage);
      });

      it('refuses an invalid state as a bug, not a user error, before and after a first write', async () => {
        const s = store();
        const bad = { ...(await s.read()), jobs: { web: { stopped: 'no' } } } as unknown;
        const e: unknown = await s.write(bad as StateSnapshot, 0).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(Error);
        expect(e).not.toBeInstanceOf(StateError);
        expect((e as Error).message).toContain('/jobs/web: must have required property');
        expect((await store().read()).serial).toBe(0);

        const cur = await s.write(sampleState(await s.read()), 0);
        const a1 = cur.allocations.a1!;
        const worse = {
          ...cur,
          allocations: { ...cur.allocations, a1: { ...a1, client_status: 'sleeping' } },
        } as unknown as StateSnapshot;
        const e2: unknown = await s.write(worse, cur.serial).catch((err: unknown) => err);
        expect((e2 as Error).message).toContain('/allocations/a1/client_status');
        expect(await store().read()).toEqual(cur);
      });

      it('reads back what was written as independent copies', async () => {
        const s = store();
        const written = await s.write(step(sampleState(await s.read()), 1), 0);
        const a = await s.read();
        expect(a).toEqual(written);
        a.jobs = {};
        delete a.allocations.a1;
        expect(await s.read()).toEqual(written);
        expect(await store().read()).toEqual(written);
      });

      // Every kind of change, each seen by a store that wrote it (which knows what it wrote last)
      // and by a fresh store (which knows nothing), and each write seen by others.
      it.each([
        ['the same store', false],
        ['a new store per write', true],
      ])('keeps every change, written through %s', async (_how, freshEach) => {
        let s = store();
        let cur = await s.write(sampleState(await s.read()), 0);
        const job = cur.jobs.web!;
        const version = job.versions[0]!;
        const changes: ((x: StateSnapshot) => StateSnapshot)[] = [
          (x) => ({ ...x, jobs: { ...x.jobs, api: { versions: [version], stopped: false } } }),
          (x) => ({
            ...x,
            jobs: {
              ...x.jobs,
              web: { ...job, versions: [...job.versions, { ...version, version: 1 }] },
            },
          }),
          (x) => ({
            ...x,
            jobs: { ...x.jobs, web: { ...x.jobs.web!, stopped: true, purged: true } },
          }),
          // A version dropped: its running allocation moves on with it (a state whose allocation
          // runs a version it does not have is refused on read).
          (x) => ({
            ...x,
            jobs: { ...x.jobs, web: { ...x.jobs.web!, versions: [x.jobs.web!.versions[1]!] } },
            allocations: { ...x.allocations, a1: { ...x.allocations.a1!, version: 1 } },
          }),
          (x) => {
            const { api: _gone, ...jobs } = x.jobs;
            return { ...x, jobs };
          },
          (x) => ({
            ...x,
            allocations: {
              ...x.allocations,
              a2: { ...x.allocations.a1!, id: 'a2', index: 1 },
              a1: { ...x.allocations.a1!, client_status: 'complete' },
            },
          }),
          (x) => ({ ...x, allocations: { a2: x.allocations.a2! }, deployments: {} }),
          (x) => ({ ...x, nodes: { ...x.nodes, other: { ...x.nodes.local!, name: 'other' } } }),
          (x) => step(step(x, 2), 3),
          (x) => ({ ...x, events: x.events.slice(0, 1) }), // not drover's way, but kept exactly
          (x) => step(x, 4),
          (x) => x, // nothing changed but the serial
        ];
        for (const change of changes) {
          const next = change(cur);
          if (freshEach) s = store();
          cur = await s.write(next, cur.serial);
          expect(withoutIndexes(cur)).toEqual(withoutIndexes({ ...next, serial: cur.serial }));
          const seen = await store().read();
          expect(seen).toEqual(cur);
          expect(Object.keys(seen.allocations)).toEqual(Object.keys(cur.allocations));
          expect(Object.keys(seen.jobs)).toEqual(Object.keys(cur.jobs));
        }
        const web: JobState | undefined = cur.jobs.web;
        expect(web?.versions.map((v) => v.version)).toEqual([1]);
        expect(cur.events.map((e) => e.seq)).toEqual([1, 2]);
      });

      // ACLs of drover server: tokens (hashed) and policies in rows of their own, the bootstrap
      // flag with them; every change seen by the store that wrote it and by a fresh one.
      it.each([
        ['the same store', false],
        ['a new store per write', true],
      ])('keeps ACL tokens and policies, written through %s', async (_how, freshEach) => {
        let s = store();
        let cur = await s.write(sampleState(await s.read()), 0);
        const token = (id: string, name: string, policies: string[]): AclToken => ({
          accessor_id: id,
          secret_hash: hashSecret(`secret of ${name}`),
          name,
          type: policies.length ? 'client' : 'management',
          policies,
          global: false,
          create_time: T1,
          ...(policies.length ? { expiration_time: T3 } : {}),
          create_index: 2,
          modify_index: 2,
        });
        const policy = (name: string, rules: string): AclPolicy => ({
          name,
          description: `${name} access`,
          rules,
          create_index: 3,
          modify_index: 3,
        });
        const root = token('11111111-1111-4111-8111-111111111111', 'root', []);
        const ci = token('22222222-2222-4222-8222-222222222222', 'ci', ['readonly']);
        const changes: ((x: StateSnapshot) => StateSnapshot)[] = [
          (x) => withBootstrap(x, root),
          (x) => withPolicy(x, policy('readonly', 'namespace "default" { policy = "read" }')),
          (x) => withToken(x, ci),
          (x) => withPolicy(x, policy('readonly', 'namespace "*" { policy = "read" }')),
          (x) => withToken(x, { ...ci, policies: ['readonly', 'ops'], modify_index: 6 }),
          (x) => withoutToken(x, root.accessor_id),
          (x) => withoutPolicy(x, 'readonly'),
          (x) => withoutToken(x, ci.accessor_id),
        ];
        for (const change of changes) {
          const next = change(cur);
          if (freshEach) s = store();
          cur = await s.write(next, cur.serial);
          expect(cur).toEqual({ ...next, serial: cur.serial });
          expect(await store().read()).toEqual(cur);
        }
        expect(cur.acl).toEqual({
          bootstrapped: true,
          bootstrap_index: 2,
          tokens: {},
          policies: {},
        });
      });

      it('appends events in order over many writes', async () => {
        const s = store();
        let cur = await s.read();
        for (let i = 1; i <= 25; i++) cur = await s.write(step(cur, i), cur.serial);
        const seen = await store().read();
        expect(seen.events.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
        expect(seen.events.at(-1)?.detail).toBe('step 25');
      });
    });

    describe('locking', () => {
      it('records the holder and releases it; releasing twice is fine', async () => {
        const s = store();
        const info = newLockInfo('apply', new Date('2026-01-02T03:04:05Z'));
        expect(info).toMatchObject({ host: hostname(), pid: process.pid, operation: 'apply' });
        const lock = await s.lock(info, { timeoutMs: 0 });
        expect(await store().currentLock()).toEqual(info);
        await lock.release();
        await lock.release();
        expect(await store().currentLock()).toBeUndefined();
        await (await store().lock(newLockInfo('plan'), { timeoutMs: 0 })).release();
      });

      it('fails at once with timeout 0, then after waiting, naming the holder', async () => {
        const held = await store().lock(newLockInfo('apply'), { timeoutMs: 0 });
        const s = store();
        let started = Date.now();
        const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 0 }));
        expect(Date.now() - started).toBeLessThan(1000);
        expect(e.code).toBe('locked');
        const i = held.info;
        expect(e.message).toContain(
          `state is locked by ${i.owner}@${i.host} (pid ${i.pid}, apply) since ${i.created_at}`,
        );
        expect(e.message).toContain(`drover state unlock ${i.id}`);
        expect(e.lock).toEqual({ info: i, stale: false });

        started = Date.now();
        const e2 = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 450 }));
        expect(e2.code).toBe('locked');
        expect(Date.now() - started).toBeGreaterThanOrEqual(440);
        await held.release();
        await (await s.lock(newLockInfo('plan'), { timeoutMs: 0 })).release();
      });

      it('lets release remove only its own lock', async () => {
        const s = store();
        const mine = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
        expect(await store().forceUnlock(mine.info.id)).toEqual(mine.info);
        const theirs = await store().lock(newLockInfo('plan'), { timeoutMs: 0 });
        await mine.release(); // late release after someone else took over: a no-op
        expect(await store().currentLock()).toEqual(theirs.info);
        await theirs.release();
      });

      it('forceUnlock refuses another id, and breaks the lock given its id or none', async () => {
        const held = await store().lock(newLockInfo('apply'), { timeoutMs: 0 });
        const s = store();
        const e = await stateError(s.forceUnlock('not-it'));
        expect(e.code).toBe('locked');
        const i = held.info;
        expect(e.message).toBe(
          `the state lock is ${i.id}, held by ${i.owner}@${i.host} (pid ${i.pid}, apply), not ` +
            'not-it; nothing was unlocked',
        );
        expect(await s.currentLock()).toEqual(i);
        expect(await s.forceUnlock(i.id)).toEqual(i);
        expect(await s.currentLock()).toBeUndefined();
        expect(await s.forceUnlock()).toBeUndefined();
        const again = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
        expect(await store().forceUnlock()).toEqual(again.info);
      });
    });

    describe('two processes', () => {
      let holder: Holder | undefined;
      afterEach(async () => {
        if (holder && holder.child.exitCode === null && holder.child.signalCode === null) {
          holder.child.kill('SIGKILL');
          await holder.exited;
        }
        holder = undefined;
      });

      it('waits for the timeout, then fails naming the other process; its lock guards writes', async () => {
        holder = await spawnHolder(backend.spec());
        expect(holder.info.pid).toBe(holder.child.pid);
        const s = store();
        const started = Date.now();
        const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 400 }));
        expect(Date.now() - started).toBeGreaterThanOrEqual(390);
        expect(e.lock).toEqual({ info: holder.info, stale: false });
        expect(e.message).toContain(
          `state is locked by ${holder.info.owner}@${hostname()} (pid ${holder.child.pid}, apply)`,
        );
        expect((await stateError(s.write(await s.read(), 0))).code).toBe('locked');
      });

      it('gets the lock once the other process releases it within the timeout', async () => {
        holder = await spawnHolder(backend.spec());
        const s = store();
        const started = Date.now();
        const waiting = s.lock(newLockInfo('plan'), { timeoutMs: 10_000 });
        setTimeout(() => holder?.release(), 300);
        const lock = await waiting;
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        await holder.exited;
        expect(holder.child.exitCode).toBe(0);
        expect(await s.currentLock()).toEqual(lock.info);
        expect(warnings).toEqual([]);
        await lock.release();
      });

      it('takes over the lock of a killed holder, with a warning naming it', async () => {
        holder = await spawnHolder(backend.spec());
        holder.child.kill('SIGKILL');
        await holder.exited;
        const s = store();
        const lock = await s.lock(newLockInfo('plan'), { timeoutMs: 10_000 });
        const i = holder.info;
        expect(warnings).toEqual([
          `took over the state lock of apply by ${i.owner}@${i.host} pid ${i.pid} since ` +
            `${i.created_at}: ${backend.deadHolder}`,
        ]);
        expect(await store().currentLock()).toEqual(lock.info);
        await lock.release();
      });

      it('a drover killed while writing leaves a whole state, at least as new as its last write', async () => {
        const plain = store();
        await plain.write(sampleState(await plain.read()), 0);
        for (const [writes, extraMs] of [
          [3, 0],
          [2, 23],
        ] as const) {
          const before = (await store().read()).serial;
          const reported = await crashWriter(backend.spec(), writes, extraMs);
          const s = store();
          // The next drover takes over the dead writer's lock and reads a valid state.
          const lock = await s.lock(newLockInfo('apply'), { timeoutMs: 10_000 });
          const state = await s.read();
          expect(state.serial).toBeGreaterThanOrEqual(reported);
          expect(state.serial).toBeGreaterThan(before);
          // Every write added one allocation and one event, never half of that.
          expect(Object.keys(state.allocations).length).toBe(state.serial);
          expect(state.events.length).toBe(state.serial);
          await lock.release();
        }
      }, 120_000);
    });

    describe('snapshots', () => {
      it('saves the current state and restores it with serial = current + 1', async () => {
        const s = store();
        const v1 = await s.write(sampleState(await s.read()), 0);
        const file = join(dir, 'snap.json');
        await s.snapshotSave(file);
        expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(v1);
        const v2 = await s.write({ ...v1, jobs: {}, allocations: {} }, 1);
        await s.write(v2, 2);
        const restored = await store().snapshotRestore(file);
        expect(withoutIndexes(restored)).toEqual(withoutIndexes({ ...v1, serial: 4 }));
        expect(await store().read()).toEqual(restored);
        // The store that restored knows what it wrote: its next write builds on it.
        expect((await s.write(step(await s.read(), 9), 4)).events.length).toBe(2);
      });

      it('keeps the audit trail across a restore and appends the restore to it', async () => {
        const s = store();
        const op = (operation: string, time: string): NewAuditRecord => ({
          time,
          duration_ms: 5,
          actor: 'ci-bot',
          git_author: 'Ada <ada@example.com>',
          operation,
          git_commit: 'a'.repeat(40),
          jobs: [{ id: 'web', from_version: null, to_version: 0, change: 'create' }],
          result: 'ok',
          exit_code: 0,
        });
        const v1 = await s.write(appendAudit(sampleState(await s.read()), op('apply', T1)), 0);
        expect(v1.audit?.map((r) => r.seq)).toEqual([1]);
        const file = join(dir, 'snap.json');
        await s.snapshotSave(file);
        // Two more operations after the snapshot, appended one write at a time.
        const v2 = await s.write(appendAudit(v1, op('scale', T2)), 1);
        const v3 = await s.write(appendAudit(v2, op('rollback', T3)), 2);
        expect(await store().read()).toEqual(v3);

        const restore = { ...op('state restore', T3), jobs: [], detail: `restored from ${file}` };
        const restored = await store().snapshotRestore(file, { audit: restore });
        expect(restored.jobs).toEqual(v1.jobs);
        expect(restored.audit?.map((r) => [r.seq, r.operation])).toEqual([
          [1, 'apply'],
          [2, 'scale'],
          [3, 'rollback'],
          [4, 'state restore'],
        ]);
        expect(await store().read()).toEqual(restored);
      });

      it('keeps approvals, one write each, and drops them on a restore (plans are stale then)', async () => {
        const s = store();
        const hash = (c: string) => `sha256:${c.repeat(64)}`;
        const approval = (approver: string, h: string): NewApproval => ({
          plan_hash: h,
          approver,
          git_author: 'Ada <ada@example.com>',
          time: T1,
        });
        const v1 = await s.write(sampleState(await s.read()), 0);
        const file = join(dir, 'snap.json');
        await s.snapshotSave(file);
        const v2 = await s.write(appendApproval(v1, approval('alice', hash('a'))), 1);
        const v3 = await s.write(appendApproval(v2, approval('bob', hash('a'))), 2);
        expect(v3.approvals?.map((a) => [a.approver, a.serial])).toEqual([
          ['alice', 2],
          ['bob', 3],
        ]);
        expect(await store().read()).toEqual(v3);
        // Only approvals were written since serial 1: a plan made then is not stale.
        expect(planBasis(v3)).toEqual({ lineage: v3.lineage, serial: 1 });
        // Any other write makes them stale; approvals on top of it count from it.
        const v4 = await s.write(step(v3, 7), 3);
        const v5 = await s.write(appendApproval(v4, approval('carol', hash('b'))), 4);
        expect(await store().read()).toEqual(v5);
        expect(planBasis(v5).serial).toBe(4);
        const restored = await store().snapshotRestore(file);
        expect('approvals' in restored).toBe(false);
        expect(await store().read()).toEqual(restored);
      });

      it('keeps saved plans and rejections, one write each, without making plans stale', async () => {
        const s = store();
        const hash = (c: string) => `sha256:${c.repeat(64)}`;
        const saved = (h: string): NewSavedPlan => ({
          plan: { hash: h, format_version: 2 } as unknown as Plan,
          created_by: 'alice@ci',
          created_at: T1,
          source: 'cli',
        });
        const v1 = await s.write(sampleState(await s.read()), 0);
        const file = join(dir, 'snap.json');
        await s.snapshotSave(file);
        const v2 = await s.write(savePlan(v1, saved(hash('a'))), 1);
        const v3 = await s.write(
          appendRejection(v2, hash('a'), { by: 'bob', time: T1, message: 'not today' }),
          2,
        );
        const v4 = await s.write(
          appendApproval(v3, { plan_hash: hash('a'), approver: 'carol', time: T1 }),
          3,
        );
        expect(await store().read()).toEqual(v4);
        expect(v4.plans?.[hash('a')]?.serial).toBe(2);
        expect(v4.plans?.[hash('a')]?.rejections?.map((r) => [r.by, r.serial])).toEqual([
          ['bob', 3],
        ]);
        // Saving, rejecting and approving only: a plan made at serial 1 is still fresh.
        expect(planBasis(v4)).toEqual({ lineage: v4.lineage, serial: 1 });
        const v5 = await s.write(step(v4, 7), 4);
        const v6 = await s.write(savePlan(v5, saved(hash('b'))), 5);
        expect(await store().read()).toEqual(v6);
        expect(planBasis(v6).serial).toBe(5);
        const restored = await store().snapshotRestore(file);
        expect('plans' in restored).toBe(false);
        expect(await store().read()).toEqual(restored);
      });

      it('keeps the current ACLs across a restore (a revoked token stays revoked)', async () => {
        const s = store();
        const token = (id: string, name: string): AclToken => ({
          accessor_id: id,
          secret_hash: hashSecret(name),
          name,
          type: 'management',
          policies: [],
          global: true,
          create_time: T1,
          create_index: 1,
          modify_index: 1,
        });
        const old = token('11111111-1111-4111-8111-111111111111', 'old');
        const v1 = await s.write(withBootstrap(sampleState(await s.read()), old), 0);
        const file = join(dir, 'snap.json');
        await s.snapshotSave(file);
        const fresh = token('22222222-2222-4222-8222-222222222222', 'fresh');
        const v2 = await s.write(withToken(withoutToken(v1, old.accessor_id), fresh), 1);
        const restored = await store().snapshotRestore(file);
        expect(restored.acl).toEqual(v2.acl);
        expect(await store().read()).toEqual(restored);
      });

      it('refuses a snapshot of another lineage unless forced', async () => {
        const s = store();
        const mine = await s.write(await s.read(), 0);
        const theirs = {
          ...sampleState(mine),
          lineage: '00000000-0000-4000-8000-000000000001',
          serial: 7,
        };
        const file = join(dir, 'theirs.json');
        await writeFile(file, JSON.stringify(theirs));
        const e = await stateError(s.snapshotRestore(file));
        expect(e.code).toBe('lineage');
        expect(e.message).toBe(
          `snapshot ${file} belongs to lineage ${theirs.lineage}, but the state is lineage ` +
            `${mine.lineage}; restore it with -force to replace the state anyway`,
        );
        expect(await store().read()).toEqual(mine);
        const forced = await s.snapshotRestore(file, { force: true });
        expect(withoutIndexes(forced)).toEqual(withoutIndexes({ ...theirs, serial: 2 }));
        expect(await store().read()).toEqual(forced);
      });

      it('restores into a state that does not exist yet', async () => {
        const theirs = { ...sampleState(await store().read()), serial: 5 };
        const file = join(dir, 'snap.json');
        await writeFile(file, JSON.stringify(theirs));
        expect(withoutIndexes(await store().snapshotRestore(file))).toEqual(
          withoutIndexes({ ...theirs, serial: 1 }),
        );
      });

      it('refuses a corrupt snapshot, naming the file', async () => {
        const s = store();
        const cur = await s.write(await s.read(), 0);
        const file = join(dir, 'bad.json');
        await writeFile(file, JSON.stringify({ ...cur, serial: -1 }));
        const e = await stateError(s.snapshotRestore(file));
        expect(e.code).toBe('corrupt');
        expect(e.message).toBe(
          `snapshot ${file} does not match the state schema:\n  /serial: must be >= 0`,
        );
        expect(await store().read()).toEqual(cur);
      });
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { StateError } from '../../src/state/errors.js';
import { DEFAULT_STATE_PATH, LocalStateStore, lockPathFor } from '../../src/state/local.js';
import { newLockInfo, type LockInfo } from '../../src/state/store.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { sampleState } from './sample.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dir: string;
let statePath: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-state-'));
  statePath = join(dir, '.drover', 'state.json');
  lockPath = join(dir, '.drover', 'state.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function store(): LocalStateStore {
  return new LocalStateStore({ path: statePath });
}

/** The rejection of `p`, which must be a StateError. */
async function stateError(p: Promise<unknown>): Promise<StateError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StateError);
  return e as StateError;
}

function lockInfo(over: Partial<LockInfo> = {}): LockInfo {
  return {
    id: '11111111-2222-3333-4444-555555555555',
    owner: 'alice',
    host: 'build-7',
    pid: 123,
    operation: 'apply',
    created_at: '2026-01-02T03:04:05.000Z',
    ...over,
  };
}

describe('paths', () => {
  it('defaults to .drover/state.json with the lock beside it', () => {
    expect(DEFAULT_STATE_PATH).toBe('.drover/state.json');
    const s = new LocalStateStore();
    expect(s.path).toBe(join(process.cwd(), '.drover', 'state.json'));
    expect(s.lockPath).toBe(join(process.cwd(), '.drover', 'state.lock'));
    expect(s.backupPath).toBe(join(process.cwd(), '.drover', 'state.json.backup'));
  });

  it.each([
    ['.drover/state.json', join('.drover', 'state.lock')],
    ['/srv/x/prod.json', '/srv/x/prod.lock'],
    ['/srv/x/prod.tfstate', '/srv/x/prod.tfstate.lock'],
  ])('lock for %s is %s', (state, lock) => {
    expect(lockPathFor(state)).toBe(lock);
  });
});

describe('read and write', () => {
  it('reads a missing file as an empty state with a new lineage, and writes nothing', async () => {
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
    expect((await s.read()).lineage).toBe(a.lineage); // the same store agrees with itself
    expect((await store().read()).lineage).not.toBe(a.lineage); // a new state is a new lineage
    await expect(stat(join(dir, '.drover'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('round-trips a full state through the file', async () => {
    const s = store();
    const next = sampleState(await s.read());
    const written = await s.write(next, 0);
    expect(written).toEqual({ ...next, serial: 1 });
    expect(await store().read()).toEqual(written);
    expect(JSON.parse(await readFile(statePath, 'utf8'))).toEqual(written);
  });

  it('sets serial to expectSerial + 1 on every write and keeps the lineage', async () => {
    const s = store();
    const first = await s.read();
    let cur = first;
    for (const want of [1, 2, 3]) {
      // The serial the caller puts in the snapshot does not matter; expectSerial does.
      cur = await s.write({ ...cur, serial: 99 }, cur.serial);
      expect(cur.serial).toBe(want);
      expect(cur.lineage).toBe(first.lineage);
      expect((await store().read()).serial).toBe(want);
    }
  });

  it('leaves only the state and its backup behind (no temp files)', async () => {
    const s = store();
    let cur = await s.read();
    for (let i = 0; i < 3; i++) cur = await s.write(sampleState(cur), cur.serial);
    expect((await readdir(join(dir, '.drover'))).sort()).toEqual([
      'state.json',
      'state.json.backup',
    ]);
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
  });

  it('keeps the previous state as state.json.backup', async () => {
    const s = store();
    const v1 = await s.write(await s.read(), 0);
    await expect(stat(`${statePath}.backup`)).rejects.toMatchObject({ code: 'ENOENT' });
    const v1Bytes = await readFile(statePath, 'utf8');
    await s.write(sampleState(v1), 1);
    expect(await readFile(`${statePath}.backup`, 'utf8')).toBe(v1Bytes);
  });

  it('refuses a write against a serial that moved (stale)', async () => {
    const a = store();
    const b = store();
    const base = await a.write(await a.read(), 0);
    const seenByA = await a.read();
    await b.write(sampleState(await b.read()), base.serial); // b gets in first: serial 2
    const before = await readFile(statePath, 'utf8');
    const e = await stateError(a.write(seenByA, seenByA.serial));
    expect(e.code).toBe('stale');
    expect(e.message).toBe(
      'the state changed since it was read (it is at serial 2, this change was made against ' +
        'serial 1); plan again',
    );
    expect(await readFile(statePath, 'utf8')).toBe(before);
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

  it('refuses to write an invalid state as a bug, not a user error', async () => {
    const s = store();
    const bad = { ...(await s.read()), jobs: { web: { stopped: 'no' } } } as unknown;
    const e: unknown = await s.write(bad as StateSnapshot, 0).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(StateError);
    expect((e as Error).message).toContain('/jobs/web: must have required property');
    await expect(stat(statePath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('a state file drover cannot read', () => {
  const valid = (over: Record<string, unknown>) =>
    JSON.stringify({
      format_version: 1,
      lineage: '6f1c2a7e-0b1d-4c55-9a57-0e6f3f1f2a10',
      serial: 4,
      nodes: {},
      jobs: {},
      allocations: {},
      deployments: {},
      events: [],
      ...over,
    });

  it.each([
    ['bad JSON', '{"format_version": 1,', 'corrupt', 'is not valid JSON'],
    ['an empty file', '', 'corrupt', 'is not valid JSON'],
    ['a wrong type', valid({ serial: 'four' }), 'corrupt', '/serial: must be integer'],
    ['an unknown property', valid({ extra: 1 }), 'corrupt', '/: unknown property "extra"'],
    ['a bad lineage', valid({ lineage: 'x' }), 'corrupt', '/lineage: must match format "uuid"'],
    ['a missing section', valid({ jobs: undefined }), 'corrupt', "required property 'jobs'"],
    [
      'an unknown format_version',
      valid({ format_version: 2, whatever: true }),
      'version',
      'has format_version 2, but this drover reads only format_version 1',
    ],
  ])('is refused for %s and never overwritten', async (_case, text, code, message) => {
    await mkdir(join(dir, '.drover'));
    await writeFile(statePath, text);
    const s = store();

    const onRead = await stateError(s.read());
    expect(onRead.code).toBe(code);
    expect(onRead.message).toContain(`state file ${statePath}`);
    expect(onRead.message).toContain(message);

    const onWrite = await stateError(s.write(sampleState(fresh()), 4));
    expect(onWrite.code).toBe(code);
    expect(await readFile(statePath, 'utf8')).toBe(text);
    expect(await readdir(join(dir, '.drover'))).toEqual(['state.json']);
  });

  // A valid snapshot to attempt the write with (the broken file cannot provide one).
  function fresh(): StateSnapshot {
    return JSON.parse(valid({})) as StateSnapshot;
  }
});

describe('atomic writes', () => {
  it('removes its temp file when the final rename fails', async () => {
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x'); // rename over a non-empty directory fails
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['target']);
  });
});

describe('locking in one process', () => {
  it('records the holder in the lock file and releases it', async () => {
    const s = store();
    const info = newLockInfo('apply', new Date('2026-01-02T03:04:05Z'));
    expect(info).toMatchObject({ host: hostname(), pid: process.pid, operation: 'apply' });
    const lock = await s.lock(info, { timeoutMs: 0 });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(info);
    expect(await s.currentLock()).toEqual(info);
    await lock.release();
    await lock.release(); // twice is fine
    expect(await s.currentLock()).toBeUndefined();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails at once with timeout 0, naming the holder', async () => {
    await mkdir(join(dir, '.drover'));
    const holder = lockInfo();
    await writeFile(lockPath, JSON.stringify(holder));
    const started = Date.now();
    const e = await stateError(store().lock(newLockInfo('plan'), { timeoutMs: 0 }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.code).toBe('locked');
    expect(e.message).toBe(
      'state is locked by alice@build-7 (pid 123, apply) since 2026-01-02T03:04:05.000Z; if ' +
        'that drover is gone, run `drover state unlock 11111111-2222-3333-4444-555555555555`',
    );
    expect(e.lock).toEqual({ info: holder, stale: false });
  });

  it('waits up to the timeout before failing', async () => {
    const s = store();
    const held = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
    const started = Date.now();
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 450 }));
    const waited = Date.now() - started;
    expect(e.code).toBe('locked');
    expect(waited).toBeGreaterThanOrEqual(440);
    expect(waited).toBeLessThan(2000);
    await held.release();
    await (await s.lock(newLockInfo('plan'), { timeoutMs: 0 })).release();
  });

  it('lets release remove only its own lock', async () => {
    const s = store();
    const mine = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
    await s.forceUnlock(mine.info.id);
    const theirs = await s.lock(newLockInfo('plan'), { timeoutMs: 0 });
    await mine.release(); // late release after someone else took over: a no-op
    expect(await s.currentLock()).toEqual(theirs.info);
  });

  it.each([
    ['same host, dead pid', { host: 'here', pid: 123 }, true],
    ['same host, live pid', { host: 'here', pid: 456 }, false],
    ['other host, dead pid', { host: 'there', pid: 123 }, false],
  ])('reports %s as stale: %s', async (_case, over, stale) => {
    await mkdir(join(dir, '.drover'));
    const holder = lockInfo(over);
    await writeFile(lockPath, JSON.stringify(holder));
    const probe = { host: 'here', pidAlive: (pid: number) => pid !== 123 };
    const s = new LocalStateStore({ path: statePath, probe });
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 0 }));
    expect(e.lock?.stale).toBe(stale);
    const staleText = `pid ${holder.pid} is no longer running on this host, so the lock looks stale`;
    if (stale) expect(e.message).toContain(staleText);
    else expect(e.message).not.toContain('stale');
    // Stale or not, nothing breaks the lock but a person.
    expect(await s.currentLock()).toEqual(holder);
  });

  it('reports an unreadable lock file and lets `unlock unreadable` remove it', async () => {
    await mkdir(join(dir, '.drover'));
    await writeFile(lockPath, ''); // a crash between creating the file and writing it
    const s = store();
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 0 }));
    expect(e.message).toBe(
      `state is locked, but the lock file ${lockPath} cannot be read (a drover may have crashed ` +
        'while taking it); if no drover is running, run `drover state unlock unreadable`',
    );
    expect((await s.currentLock())?.id).toBe('unreadable');
    expect((await s.forceUnlock('unreadable'))?.id).toBe('unreadable');
    expect(await s.currentLock()).toBeUndefined();
  });
});

describe('forceUnlock', () => {
  beforeEach(async () => {
    await mkdir(join(dir, '.drover'));
    await writeFile(lockPath, JSON.stringify(lockInfo()));
  });

  it('refuses another id and keeps the lock', async () => {
    const s = store();
    const e = await stateError(s.forceUnlock('not-it'));
    expect(e.code).toBe('locked');
    expect(e.message).toBe(
      'the state lock is 11111111-2222-3333-4444-555555555555, held by alice@build-7 (pid 123, ' +
        'apply), not not-it; nothing was unlocked',
    );
    expect(await s.currentLock()).toEqual(lockInfo());
  });

  it.each([
    ['its id', '11111111-2222-3333-4444-555555555555'],
    ['no id', undefined],
  ])('breaks the lock given %s and returns what it was', async (_case, id) => {
    const s = store();
    expect(await s.forceUnlock(id)).toEqual(lockInfo());
    expect(await s.currentLock()).toBeUndefined();
    expect(await s.forceUnlock(id)).toBeUndefined();
    await (await s.lock(newLockInfo('apply'), { timeoutMs: 0 })).release();
  });
});

describe('snapshots', () => {
  it('saves the current state and restores it with serial = current + 1', async () => {
    const s = store();
    const v1 = await s.write(sampleState(await s.read()), 0);
    const file = join(dir, 'snap.json');
    await s.snapshotSave(file);
    expect(await readFile(file, 'utf8')).toBe(await readFile(statePath, 'utf8'));

    const v2 = await s.write({ ...v1, jobs: {}, allocations: {} }, 1);
    await s.write(v2, 2);
    const restored = await s.snapshotRestore(file);
    expect(restored).toEqual({ ...v1, serial: 4 });
    expect(await store().read()).toEqual(restored);
  });

  it('refuses a snapshot of another lineage unless forced', async () => {
    const s = store();
    const mine = await s.write(await s.read(), 0);
    const other = new LocalStateStore({ path: join(dir, 'other', 'state.json') });
    const theirs = await other.write(sampleState(await other.read()), 0);
    const file = join(dir, 'theirs.json');
    await other.snapshotSave(file);

    const e = await stateError(s.snapshotRestore(file));
    expect(e.code).toBe('lineage');
    expect(e.message).toBe(
      `snapshot ${file} belongs to lineage ${theirs.lineage}, but the state is lineage ` +
        `${mine.lineage}; restore it with -force to replace the state anyway`,
    );
    expect(await store().read()).toEqual(mine);

    const forced = await s.snapshotRestore(file, { force: true });
    expect(forced).toEqual({ ...theirs, serial: 2 });
  });

  it('restores into a state that does not exist yet', async () => {
    const other = new LocalStateStore({ path: join(dir, 'other', 'state.json') });
    const theirs = await other.write(sampleState(await other.read()), 0);
    await other.write(theirs, 1);
    const file = join(dir, 'snap.json');
    await other.snapshotSave(file);
    expect(await store().snapshotRestore(file)).toEqual({ ...theirs, serial: 1 });
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

// A real second drover process takes the lock; see fixtures/hold-lock.ts.
const here = fileURLToPath(new URL('.', import.meta.url));
const register = pathToFileURL(join(here, 'fixtures', 'ts-register.mjs')).href;
const holdLock = join(here, 'fixtures', 'hold-lock.ts');

interface Holder {
  child: ChildProcess;
  info: LockInfo;
  release(): void;
  exited: Promise<unknown>;
}

async function spawnHolder(path: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', register, holdLock, path, 'apply'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
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

describe('two processes racing for the lock', () => {
  let holder: Holder | undefined;

  afterEach(async () => {
    if (holder && holder.child.exitCode === null && holder.child.signalCode === null) {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
    holder = undefined;
  });

  it('waits for the timeout, then fails naming the other process', async () => {
    holder = await spawnHolder(statePath);
    expect(holder.info.pid).toBe(holder.child.pid);
    const s = store();
    const started = Date.now();
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 400 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(e.code).toBe('locked');
    expect(e.lock).toEqual({ info: holder.info, stale: false });
    expect(e.message).toContain(
      `state is locked by ${holder.info.owner}@${hostname()} (pid ${holder.child.pid}, apply)`,
    );
    // The other process's lock also guards plain writes.
    expect((await stateError(s.write(await s.read(), 0))).code).toBe('locked');
  });

  it('gets the lock once the other process releases it within the timeout', async () => {
    holder = await spawnHolder(statePath);
    const s = store();
    const started = Date.now();
    const waiting = s.lock(newLockInfo('plan'), { timeoutMs: 10_000 });
    setTimeout(() => holder?.release(), 300);
    const lock = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await holder.exited;
    expect(holder.child.exitCode).toBe(0);
    expect(await s.currentLock()).toEqual(lock.info);
    await lock.release();
  });

  it('reports the lock of a killed process as stale until someone unlocks it', async () => {
    holder = await spawnHolder(statePath);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const s = store();
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 0 }));
    expect(e.lock).toEqual({ info: holder.info, stale: true });
    expect(e.message).toBe(
      `state is locked by ${holder.info.owner}@${hostname()} (pid ${holder.info.pid}, apply) ` +
        `since ${holder.info.created_at}; pid ${holder.info.pid} is no longer running on this ` +
        `host, so the lock looks stale: run \`drover state unlock ${holder.info.id}\` to break it`,
    );
    expect(await s.forceUnlock(holder.info.id)).toEqual(holder.info);
    await (await s.lock(newLockInfo('plan'), { timeoutMs: 0 })).release();
  });
});

import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { StateError } from '../../src/state/errors.js';
import { DEFAULT_STATE_PATH, LocalStateStore, lockPathFor } from '../../src/state/local.js';
import { newLockInfo, type LockInfo } from '../../src/state/store.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { sampleState } from './sample.js';
import { smallDisk, type SmallDisk } from '../reliability/support/faults.js';

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

describe('the state file', () => {
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

describe('the lock file', () => {
  it('takes over the lock of a dead process on this host, with a warning naming it', async () => {
    await mkdir(join(dir, '.drover'));
    const holder = lockInfo({ host: 'here', pid: 123 });
    await writeFile(lockPath, JSON.stringify(holder));
    const warnings: string[] = [];
    const probe = { host: 'here', pidAlive: (pid: number) => pid !== 123 };
    const s = new LocalStateStore({ path: statePath, probe, warn: (m) => warnings.push(m) });
    const lock = await s.lock(newLockInfo('plan'), { timeoutMs: 0 });
    expect(warnings).toEqual([
      'took over the state lock of apply by alice@here pid 123 since 2026-01-02T03:04:05.000Z: ' +
        'that process is gone',
    ]);
    expect(await s.currentLock()).toEqual(lock.info);
    await lock.release();
  });

  it.each([
    ['same host, live pid', { host: 'here', pid: 456 }],
    ['other host, dead pid', { host: 'there', pid: 123 }],
  ])('leaves the lock of %s alone', async (_case, over) => {
    await mkdir(join(dir, '.drover'));
    const holder = lockInfo(over);
    await writeFile(lockPath, JSON.stringify(holder));
    const probe = { host: 'here', pidAlive: (pid: number) => pid !== 123 };
    const s = new LocalStateStore({ path: statePath, probe });
    const e = await stateError(s.lock(newLockInfo('plan'), { timeoutMs: 0 }));
    expect(e.lock?.stale).toBe(false);
    expect(e.message).not.toContain('stale');
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

describe('a disk that is full', () => {
  // A tmpfs of its own (root mounts it, as the reliability suite's faults do).
  let disk: SmallDisk | undefined;
  afterEach(async () => {
    await disk?.unmount();
    disk = undefined;
  });

  it('names the file it could not write and leaves the last complete state', async () => {
    disk = await smallDisk(join(dir, '.drover'), 256);
    const s = store();
    const lock = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
    try {
      const v1 = await s.write(sampleState(await s.read()), 0);
      const v1Bytes = await readFile(statePath, 'utf8');
      disk.fill(0);
      const e = await stateError(s.write(sampleState(v1), v1.serial));
      expect(e.code).toBe('unwritable');
      expect(e.message).toBe(
        `cannot write the state file ${statePath}: no space left on the device (ENOSPC). ` +
          `Nothing was half-written: the state file still holds serial 1, its last complete ` +
          `write. Free space on the filesystem of ${join(dir, '.drover')} and run the command ` +
          `again: it carries on from what the state records.`,
      );
      expect(await readFile(statePath, 'utf8')).toBe(v1Bytes);
      // No temporary copy is left to take the space.
      expect((await readdir(join(dir, '.drover'))).sort()).toEqual([
        'filler',
        'state.json',
        'state.lock',
      ]);
      await disk.free();
      expect((await s.write(sampleState(v1), v1.serial)).serial).toBe(2);
    } finally {
      await lock.release();
    }
  });
});

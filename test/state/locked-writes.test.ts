/**
 * Writes while this store holds the lock (an apply): it trusts its own last write instead of
 * re-reading the file, yet refuses a file someone changed under it, and keeps one backup per
 * operation. (A drover killed while writing: the conformance suite, on every backend.)
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { appendEvent } from '../../src/state/events.js';
import { StateError } from '../../src/state/errors.js';
import { LocalStateStore } from '../../src/state/local.js';
import { newLockInfo, type Lock } from '../../src/state/store.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { parseState } from '../../src/state/validate.js';
import { sampleState } from './sample.js';

let dir: string;
let statePath: string;
let backupPath: string;
let lock: Lock | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-locked-'));
  statePath = join(dir, '.drover', 'state.json');
  backupPath = `${statePath}.backup`;
});

afterEach(async () => {
  await lock?.release();
  lock = undefined;
  await rm(dir, { recursive: true, force: true });
});

function store(): LocalStateStore {
  return new LocalStateStore({ path: statePath });
}

async function locked(s: LocalStateStore): Promise<LocalStateStore> {
  lock = await s.lock(newLockInfo('apply'), { timeoutMs: 0 });
  return s;
}

/** One step of an apply: one more event. */
function step(state: StateSnapshot, n: number): StateSnapshot {
  return appendEvent(state, {
    time: '2026-01-02T03:04:05.000Z',
    who: 'test@host',
    what: 'alloc.start',
    detail: `step ${n}`,
  });
}

async function stateError(p: Promise<unknown>): Promise<StateError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StateError);
  return e as StateError;
}

describe('a state file changed under a held lock', () => {
  it('is refused when someone broke the lock and wrote a newer serial', async () => {
    const s = await locked(store());
    let cur = await s.write(sampleState(await s.read()), 0);
    cur = await s.write(step(cur, 1), cur.serial);

    // Another drover breaks the lock (`state unlock`), writes serial 3 and lets go.
    const other = store();
    await other.forceUnlock();
    await other.write(step(await other.read(), 99), 2);
    const theirs = await readFile(statePath, 'utf8');

    const e = await stateError(s.write(step(cur, 2), cur.serial));
    expect(e.code).toBe('stale');
    expect(e.message).toBe(
      'the state changed since it was read (it is at serial 3, this change was made against ' +
        'serial 2); plan again',
    );
    expect(await readFile(statePath, 'utf8')).toBe(theirs);
  });

  it('is refused when the file was replaced while the lock file still names us', async () => {
    const s = await locked(store());
    let cur = await s.write(sampleState(await s.read()), 0);
    cur = await s.write(step(cur, 1), cur.serial);
    // A drover that ignores the lock (or a person) puts serial 3 in place.
    const theirs = JSON.stringify({ ...step(cur, 99), serial: 3 });
    await writeFileAtomic(statePath, theirs);

    const e = await stateError(s.write(step(cur, 2), cur.serial));
    expect(e.code).toBe('stale');
    expect(e.message).toContain('(it is at serial 3, this change was made against serial 2)');
    expect(await readFile(statePath, 'utf8')).toBe(theirs);
  });

  it('is refused when the file was replaced with the same serial', async () => {
    const s = await locked(store());
    let cur = await s.write(sampleState(await s.read()), 0);
    cur = await s.write(step(cur, 1), cur.serial);
    // Someone puts back an edited copy of the file without going through drover.
    const edited = { ...cur, events: cur.events.slice(0, -1) };
    await writeFileAtomic(statePath, JSON.stringify(edited));

    const e = await stateError(s.write(step(cur, 2), cur.serial));
    expect(e.code).toBe('stale');
    expect(e.message).toBe(
      `the state file ${statePath} was changed by someone else while this drover held the ` +
        'lock (it is still at serial 2); plan again',
    );
    expect(JSON.parse(await readFile(statePath, 'utf8'))).toEqual(edited);
  });

  it('is refused when it was edited in place to the same size', async () => {
    const s = await locked(store());
    let cur = await s.write(sampleState(await s.read()), 0);
    cur = await s.write(step(cur, 1), cur.serial);
    const before = await readFile(statePath, 'utf8');
    const edited = before.replace('"step 1"', '"step X"');
    expect(edited.length).toBe(before.length);
    await writeFile(statePath, edited); // same inode, same size: only the times tell

    const e = await stateError(s.write(step(cur, 2), cur.serial));
    expect(e.code).toBe('stale');
    expect(await readFile(statePath, 'utf8')).toBe(edited);
  });

  it('is refused when the file became unreadable', async () => {
    const s = await locked(store());
    const cur = await s.write(sampleState(await s.read()), 0);
    await writeFile(statePath, '{"format_version": 1,');
    const e = await stateError(s.write(step(cur, 1), cur.serial));
    expect(e.code).toBe('corrupt');
    expect(await readFile(statePath, 'utf8')).toBe('{"format_version": 1,');
  });

  it('is refused with `locked` when another drover took the broken lock', async () => {
    const s = await locked(store());
    const cur = await s.write(sampleState(await s.read()), 0);
    await s.forceUnlock();
    await writeFile(
      join(dir, '.drover', 'state.lock'),
      JSON.stringify({ ...newLockInfo('apply'), host: 'elsewhere', pid: 1 }),
    );
    const e = await stateError(s.write(step(cur, 1), cur.serial));
    expect(e.code).toBe('locked');
    expect(e.message).toContain('state is locked by');
  });

  it('is accepted when only touched (same bytes)', async () => {
    const s = await locked(store());
    let cur = await s.write(sampleState(await s.read()), 0);
    await writeFile(statePath, await readFile(statePath, 'utf8'));
    cur = await s.write(step(cur, 1), cur.serial);
    expect(cur.serial).toBe(2);
    expect((await store().read()).serial).toBe(2);
  });
});

describe('the backup', () => {
  it('is the state before the operation, however many writes it made', async () => {
    const plain = store();
    const v1 = await plain.write(sampleState(await plain.read()), 0);
    const beforeApply = await readFile(statePath, 'utf8');

    const s = await locked(store());
    let cur = v1;
    for (let i = 1; i <= 5; i++) {
      cur = await s.write(step(cur, i), cur.serial);
      expect(await readFile(backupPath, 'utf8')).toBe(beforeApply);
    }
    await lock?.release();
    const afterFirstApply = await readFile(statePath, 'utf8');

    // The next operation backs up the state the first one left.
    await locked(s);
    for (let i = 6; i <= 8; i++) cur = await s.write(step(cur, i), cur.serial);
    expect(await readFile(backupPath, 'utf8')).toBe(afterFirstApply);
    expect(parseState(afterFirstApply, 'backup').serial).toBe(6);
    expect((await s.read()).serial).toBe(9);
  });

  it('is not made when the state did not exist before the operation', async () => {
    const s = await locked(store());
    let cur = await s.read();
    for (let i = 0; i < 3; i++) cur = await s.write(step(cur, i), cur.serial);
    expect(await readdir(join(dir, '.drover'))).toEqual(['state.json', 'state.lock']);
  });
});

describe('validation under the lock', () => {
  it('still refuses an invalid change after the first write, as a bug', async () => {
    const s = await locked(store());
    const cur = await s.write(sampleState(await s.read()), 0);
    const before = await readFile(statePath, 'utf8');
    const a1 = cur.allocations.a1;
    const bad = {
      ...cur,
      allocations: { ...cur.allocations, a1: { ...a1, client_status: 'sleeping' } },
    } as unknown as StateSnapshot;
    const e: unknown = await s.write(bad, cur.serial).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(StateError);
    expect((e as Error).message).toContain('/allocations/a1/client_status');
    const badEvent = { ...cur, events: [...cur.events, { seq: 2 }] } as unknown as StateSnapshot;
    const e2: unknown = await s.write(badEvent, cur.serial).catch((err: unknown) => err);
    expect((e2 as Error).message).toContain('/events/1: must have required property');
    expect(await readFile(statePath, 'utf8')).toBe(before);
    // A valid write goes through afterwards.
    expect((await s.write(step(cur, 1), cur.serial)).serial).toBe(2);
  });

  it('reads back exactly what was written, as independent copies', async () => {
    const s = await locked(store());
    const written = await s.write(step(sampleState(await s.read()), 1), 0);
    const a = await s.read();
    expect(a).toEqual(written);
    a.jobs = {};
    expect(await s.read()).toEqual(written);
    expect(await store().read()).toEqual(written);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateRecorder } from '../../src/deploy/recorder.js';
import { LocalStateStore } from '../../src/state/local.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rec-'));
  dirs.push(dir);
  return new LocalStateStore({ path: join(dir, 'state.json') });
}

describe('StateRecorder', () => {
  it('writes changes in order, coalescing those made during a write, with events', async () => {
    const s = store();
    const initial = await s.read();
    const rec = new StateRecorder(s, initial, () => new Date('2026-01-01T00:00:00Z'), 'me@here');
    const writes = Array.from({ length: 20 }, (_, i) =>
      rec.record(
        (st) => ({ ...st, jobs: { ...st.jobs, [`j${i}`]: { versions: [], stopped: false } } }),
        { what: 'test.step', detail: `step ${i}` },
      ),
    );
    await Promise.all(writes);
    const onDisk = await s.read();
    expect(Object.keys(onDisk.jobs)).toHaveLength(20);
    expect(onDisk.events.map((e) => e.detail)).toEqual(writes.map((_, i) => `step ${i}`));
    expect(onDisk.events[0]).toMatchObject({
      seq: 1,
      who: 'me@here',
      time: '2026-01-01T00:00:00.000Z',
    });
    // Fewer writes than changes: the ones made during a write went out together.
    expect(onDisk.serial).toBeLessThan(20);
    expect(onDisk.serial).toBeGreaterThanOrEqual(2);
    expect(rec.state.serial).toBe(onDisk.serial);
  });

  it('refuses to write when someone else moved the state on, and keeps refusing', async () => {
    const s = store();
    const initial = await s.read();
    const rec = new StateRecorder(s, initial);
    await rec.record((st) => st);
    const other = await s.read();
    await s.write(other, other.serial);
    await expect(rec.record((st) => st)).rejects.toThrow();
    await expect(rec.record((st) => st)).rejects.toThrow();
  });

  it('keeps a deferred change in memory at once and writes it with the next write', async () => {
    const s = store();
    const rec = new StateRecorder(s, await s.read(), undefined, 'me@here', 60_000);
    const job = (id: string) => (st: Awaited<ReturnType<typeof s.read>>) => ({
      ...st,
      jobs: { ...st.jobs, [id]: { versions: [], stopped: false } },
    });
    rec.defer(job('deferred'));
    expect(Object.keys(rec.state.jobs)).toEqual(['deferred']);
    expect((await s.read()).jobs).toEqual({});
    await rec.record(job('urgent'));
    expect(Object.keys((await s.read()).jobs).sort()).toEqual(['deferred', 'urgent']);
  });

  it('writes a deferred change on its own once deferMs has passed', async () => {
    const s = store();
    const rec = new StateRecorder(s, await s.read(), undefined, 'me@here', 20);
    rec.defer((st) => ({ ...st, jobs: { later: { versions: [], stopped: false } } }));
    expect((await s.read()).serial).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const onDisk = await s.read();
    expect(Object.keys(onDisk.jobs)).toEqual(['later']);
    expect(onDisk.serial).toBe(1);
  });
});

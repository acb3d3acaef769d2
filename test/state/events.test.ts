import { describe, expect, it } from 'vitest';
import { appendEvent, appendEvents, eventsFor, nextSeq } from '../../src/state/events.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { StateEvent } from '../../src/state/types.js';

const base = emptyState('6f1c2a7e-0b1d-4c55-9a57-0e6f3f1f2a10');
const time = '2026-01-02T03:04:05.000Z';
const ev = (what: string, more: Partial<StateEvent> = {}) => ({
  time,
  who: 'alice@host',
  what,
  detail: what,
  ...more,
});

describe('events', () => {
  it.each([
    [[], 1],
    [[{ ...ev('a'), seq: 1 }], 2],
    [[{ ...ev('a'), seq: 7 }], 8],
  ])('nextSeq(%j) is %i', (events, want) => {
    expect(nextSeq(events)).toBe(want);
  });

  it('numbers appended events from 1 and keeps counting', () => {
    const one = appendEvent(base, ev('job.submit', { job: 'web' }));
    const three = appendEvents(one, [ev('alloc.start', { alloc: 'a1' }), ev('alloc.start')]);
    expect(three.events.map((e) => [e.seq, e.what])).toEqual([
      [1, 'job.submit'],
      [2, 'alloc.start'],
      [3, 'alloc.start'],
    ]);
    expect(three.events[0]).toEqual({ seq: 1, ...ev('job.submit', { job: 'web' }) });
  });

  it('does not touch the state it was given', () => {
    const before = structuredClone(base);
    const after = appendEvent(base, ev('job.submit'));
    expect(base).toEqual(before);
    expect(after).not.toBe(base);
    expect(appendEvents(base, [])).toBe(base);
  });

  it('drops keys left undefined', () => {
    const s = appendEvent(base, ev('job.stop', { job: undefined, alloc: undefined }));
    expect(Object.keys(s.events[0]!).sort()).toEqual(['detail', 'seq', 'time', 'what', 'who']);
  });

  it('filters the log by job and allocation', () => {
    const s = appendEvents(base, [
      ev('job.submit', { job: 'web' }),
      ev('alloc.start', { job: 'web', alloc: 'a1' }),
      ev('job.submit', { job: 'db' }),
    ]);
    expect(eventsFor(s, { job: 'web' }).map((e) => e.seq)).toEqual([1, 2]);
    expect(eventsFor(s, { alloc: 'a1' }).map((e) => e.seq)).toEqual([2]);
    expect(eventsFor(s, { job: 'db', alloc: 'a1' })).toEqual([]);
  });
});

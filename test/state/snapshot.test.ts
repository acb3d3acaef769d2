import { describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/state/events.js';
import {
  emptyState,
  serializeState,
  serializeStateBytes,
  type EntryTexts,
} from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { sampleState } from './sample.js';

const sample = (): StateSnapshot => sampleState(emptyState('3f2b1a7e-0000-4000-8000-000000000000'));

const bytes = (state: StateSnapshot): string =>
  serializeStateBytes(state, new WeakMap()).toString('utf8');

describe('serializeStateBytes', () => {
  it('writes the same text as serializeState, in UTF-8', () => {
    const state = appendEvent(sample(), {
      time: '2026-01-02T03:04:06.000Z',
      who: 'me@here',
      what: 'refresh',
      detail: 'web[0]: pending → running (found…)',
    });
    expect(bytes(state)).toBe(serializeState(state));
    const empty = emptyState('3f2b1a7e-0000-4000-8000-000000000000');
    expect(bytes(empty)).toBe(serializeState(empty));
  });

  it('keeps the key order, integer-like keys and undefined entries as JSON.stringify does', () => {
    const state = {
      ...sample(),
      jobs: {
        b: { versions: [], stopped: false },
        '10': undefined,
        '2': { versions: [], stopped: true },
      },
    } as unknown as StateSnapshot;
    expect(bytes(state)).toBe(serializeState(state));
  });

  it('reuses the text of an unchanged entry and serialises a replaced one anew', () => {
    const texts: EntryTexts = new WeakMap();
    const first = sample();
    serializeStateBytes(first, texts);
    const alloc = Object.values(first.allocations)[0]!;
    expect(texts.get(alloc)?.bytes.toString()).toBe(`"${alloc.id}":${JSON.stringify(alloc)}`);

    // Derived without mutation, as drover's recorder does: a new allocation object and an event.
    const next = appendEvent(
      {
        ...first,
        allocations: { ...first.allocations, [alloc.id]: { ...alloc, client_status: 'complete' } },
      },
      { time: '2026-01-02T03:04:06.000Z', who: 'me@here', what: 'alloc.stop', detail: 'done' },
    );
    const text = serializeStateBytes(next, texts).toString('utf8');
    expect(text).toBe(serializeState(next));
    expect(JSON.parse(text).allocations[alloc.id].client_status).toBe('complete');
    // The job entry was reused: the bytes cached for it are the ones written.
    const [id, job] = Object.entries(first.jobs)[0]!;
    const cached = texts.get(job)!.bytes;
    expect(serializeStateBytes(next, texts).includes(cached)).toBe(true);
    expect(cached.toString()).toBe(`"${id}":${JSON.stringify(job)}`);
    // Under another key the same object is serialised with that key.
    const moved = { ...next, jobs: { other: job } };
    expect(serializeStateBytes(moved, texts).toString('utf8')).toBe(serializeState(moved));
  });
});

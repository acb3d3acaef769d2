import { describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/state/events.js';
import {
  emptyState,
  serializeState,
  serializeStateReusing,
  type EntryTexts,
} from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { sampleState } from './sample.js';

const sample = (): StateSnapshot => sampleState(emptyState('3f2b1a7e-0000-4000-8000-000000000000'));

describe('serializeStateReusing', () => {
  it('writes the same text as serializeState', () => {
    const state = sample();
    expect(serializeStateReusing(state, new WeakMap())).toBe(serializeState(state));
    const empty = emptyState('3f2b1a7e-0000-4000-8000-000000000000');
    expect(serializeStateReusing(empty, new WeakMap())).toBe(serializeState(empty));
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
    expect(serializeStateReusing(state, new WeakMap())).toBe(serializeState(state));
  });

  it('reuses the text of an unchanged entry and serialises a replaced one anew', () => {
    const texts: EntryTexts = new WeakMap();
    const first = sample();
    serializeStateReusing(first, texts);
    const alloc = Object.values(first.allocations)[0]!;
    expect(texts.get(alloc)).toBe(JSON.stringify(alloc));

    // Derived without mutation, as drover's recorder does: a new allocation object and an event.
    const next = appendEvent(
      {
        ...first,
        allocations: { ...first.allocations, [alloc.id]: { ...alloc, client_status: 'complete' } },
      },
      { time: '2026-01-02T03:04:06.000Z', who: 'me@here', what: 'alloc.stop', detail: 'done' },
    );
    const text = serializeStateReusing(next, texts);
    expect(text).toBe(serializeState(next));
    expect(JSON.parse(text).allocations[alloc.id].client_status).toBe('complete');
    // The job entry was reused: its cached text is what was written.
    const job = Object.values(first.jobs)[0]!;
    expect(texts.get(job)).toBe(JSON.stringify(job));
  });
});

/** The stamping of per-object indexes (state/indexes.ts) on states an older drover wrote. */
import { describe, expect, it } from 'vitest';
import { snapshotPrior, stampIndexes } from '../../src/state/indexes.js';
import { emptyState } from '../../src/state/snapshot.js';
import { sampleState, withoutIndexes } from './sample.js';

const old = sampleState(emptyState('00000000-0000-4000-8000-000000000000'));

describe('stampIndexes over a state without indexes', () => {
  it('leaves unchanged objects without indexes (the API then reports the state index)', () => {
    const next = { ...old, events: [...old.events] };
    const out = stampIndexes(snapshotPrior(old), next, 9);
    expect(out).toBe(next);
    expect(out.allocations.a1!.modify_index).toBeUndefined();
  });

  it('stamps a changed old object with its ModifyIndex but invents no CreateIndex', () => {
    const a1 = { ...old.allocations.a1!, client_status: 'complete' as const };
    const out = stampIndexes(snapshotPrior(old), { ...old, allocations: { a1 } }, 9);
    expect(out.allocations.a1).toMatchObject({ modify_index: 9 });
    expect(out.allocations.a1!.create_index).toBeUndefined();
    // A client change: no AllocModifyIndex; the job's status may move: its ModifyIndex does.
    expect(out.allocations.a1!.alloc_modify_index).toBeUndefined();
    expect(out.jobs.web!.modify_index).toBe(9);
    expect(out.nodes.local).toBe(old.nodes.local);
    expect(withoutIndexes(out)).toEqual({ ...old, allocations: { a1 } });
  });
});

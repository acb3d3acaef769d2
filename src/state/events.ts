/**
 * The append-only event log. Pure: each helper returns a new snapshot and never mutates the
 * one it was given; the caller supplies the time so the log is reproducible in tests.
 */
import type { StateEvent, StateSnapshot } from './types.js';

/** An event before it is numbered. */
export type NewEvent = Omit<StateEvent, 'seq'>;

/** The number the next event gets: one past the last, 1 for an empty log. */
export function nextSeq(events: readonly StateEvent[]): number {
  const last = events[events.length - 1];
  return last ? last.seq + 1 : 1;
}

/** Appends events in order, numbering them after the last one recorded. */
export function appendEvents(state: StateSnapshot, added: readonly NewEvent[]): StateSnapshot {
  if (added.length === 0) return state;
  const first = nextSeq(state.events);
  const numbered = added.map((e, i): StateEvent => ({ seq: first + i, ...withoutUndefined(e) }));
  return { ...state, events: [...state.events, ...numbered] };
}

export function appendEvent(state: StateSnapshot, event: NewEvent): StateSnapshot {
  return appendEvents(state, [event]);
}

/** The events about one job (or one allocation), oldest first. */
export function eventsFor(
  state: StateSnapshot,
  about: { job?: string; alloc?: string },
): StateEvent[] {
  return state.events.filter(
    (e) =>
      (about.job === undefined || e.job === about.job) &&
      (about.alloc === undefined || e.alloc === about.alloc),
  );
}

// JSON drops `{ job: undefined }` anyway; dropping it here too keeps an entry (event, audit
// record) in memory equal to the same entry read back from the file.
export function withoutUndefined<T extends object>(e: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v;
  return out as T;
}

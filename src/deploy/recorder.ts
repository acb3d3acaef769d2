/**
 * Records an apply's progress in state as it happens, so an interrupted apply leaves a state
 * the next plan repairs. Holds the current snapshot in memory; changes are applied in order
 * and written one write at a time, changes that arrive during a write going out together in
 * the next one (steps on many hosts run in parallel, the state file is one).
 */
import { hostname } from 'node:os';
import { appendEvents, type NewEvent } from '../state/events.js';
import { currentUser, type StateStore } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';

export type StateChange = (state: StateSnapshot) => StateSnapshot;

export class StateRecorder {
  private pending: StateChange[] = [];
  private pendingEvents: Omit<NewEvent, 'time' | 'who'>[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly store: StateStore,
    private current: StateSnapshot,
    private readonly now: () => Date = () => new Date(),
    private readonly who: string = whoami(),
  ) {}

  /** The snapshot with every recorded change applied (written or about to be). */
  get state(): StateSnapshot {
    return this.pending.reduce((s, change) => change(s), this.current);
  }

  /** Applies a change and an optional event; resolves once they are written. */
  async record(change: StateChange, event?: Omit<NewEvent, 'time' | 'who'>): Promise<void> {
    this.pending.push(change);
    if (event) this.pendingEvents.push(event);
    await this.flush();
  }

  /** Writes everything recorded so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
    if (this.pending.length === 0 && this.pendingEvents.length === 0) return;
    this.flushing = this.writeOnce().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async writeOnce(): Promise<void> {
    const changes = this.pending;
    const events = this.pendingEvents;
    this.pending = [];
    this.pendingEvents = [];
    const time = this.now().toISOString();
    let next = changes.reduce((s, change) => change(s), this.current);
    next = appendEvents(
      next,
      events.map((e) => ({ ...e, time, who: this.who })),
    );
    try {
      this.current = await this.store.write(next, this.current.serial);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }
}

function whoami(): string {
  return `${currentUser()}@${hostname()}`;
}

/**
 * Records an apply's progress in state as it happens, so an interrupted apply leaves a state
 * the next plan repairs. Holds the current snapshot in memory; changes are applied in order
 * and written one write at a time, changes that arrive during a write going out together in
 * the next one (steps on many hosts run in parallel, the state file is one).
 *
 * Every write is synced to disk, and a sync makes the host's engine wait for the disk too (its
 * own database syncs queue behind ours): 50 containers starting on one host ran ~10 % slower
 * with one synced write per start. Changes the next plan can rebuild from the hosts (a started
 * task's handle, which recovery finds by drover's labels) are therefore `defer`red: applied in
 * memory at once, written with the next write or within `deferMs`. So are changes nothing waits
 * on (a deployment's counts, health verdicts, its end): every write rewrites the whole state, so
 * an apply of N jobs with several writes each grew with N². The one write a step must wait for
 * is the one that records an allocation before its tasks start; deferred changes ride along.
 */
import { currentActor } from '../audit/identity.js';
import { appendEvent, type NewEvent } from '../state/events.js';
import type { StateStore } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';

export type StateChange = (state: StateSnapshot) => StateSnapshot;

export class StateRecorder {
  /** The snapshot with every recorded change applied, written or not. */
  private latest: StateSnapshot;
  /** Whether `latest` holds changes not yet handed to the store. */
  private unwritten = false;
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private deferred: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: StateStore,
    private current: StateSnapshot,
    private readonly now: () => Date = () => new Date(),
    /** Who acts: named by every event, and by the job versions an apply records. */
    readonly who: string = currentActor(),
    private readonly deferMs = DEFAULT_DEFER_MS,
  ) {
    this.latest = current;
  }

  /**
   * The snapshot with every recorded change applied (written or about to be). Changes are
   * applied as they are recorded, once: re-applying the unwritten ones on every read cost as
   * much as their number times the state's size.
   */
  get state(): StateSnapshot {
    return this.latest;
  }

  /** Applies a change and an optional event; resolves once they are written. */
  async record(change: StateChange, event?: StateEvent): Promise<void> {
    this.apply(change, event);
    await this.flush();
  }

  /**
   * Applies a change (and its event) the next plan could rebuild or that nothing waits on: in
   * memory now, on disk with the next write, at the latest `deferMs` from now. A failed write
   * surfaces at the next `record` or `flush`.
   */
  defer(change: StateChange, event?: StateEvent): void {
    this.apply(change, event);
    this.deferred ??= setTimeout(() => {
      this.deferred = undefined;
      this.flush().catch(() => undefined);
    }, this.deferMs);
  }

  /** Writes everything recorded so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
    if (!this.unwritten) return;
    this.flushing = this.writeOnce().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private apply(change: StateChange, event: StateEvent | undefined): void {
    let next = change(this.latest);
    if (event)
      next = appendEvent(next, { ...event, time: this.now().toISOString(), who: this.who });
    this.latest = next;
    this.unwritten = true;
  }

  private async writeOnce(): Promise<void> {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    const next = this.latest;
    this.unwritten = false;
    try {
      this.current = await this.store.write(next, this.current.serial);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    // Changes recorded during the write go out with the next one, on top of the new serial.
    this.latest =
      this.latest === next ? this.current : { ...this.latest, serial: this.current.serial };
  }
}

/** An event as a step records it; the recorder adds the time and who. */
export type StateEvent = Omit<NewEvent, 'time' | 'who'>;

/** How long a deferred change may wait for a write of its own. */
const DEFAULT_DEFER_MS = 1_000;

/**
 * Runs every check of one allocation on its interval and keeps what their results add up to
 * (check-state.ts): per-check status, the allocation's check health and since when, and the
 * restarts check_restart asks for. Time comes from an injected clock so tests drive it.
 *
 * Like Consul and Nomad, a check runs again `interval` after its previous run finished, and
 * never twice at once; unlike them the first run is immediate, so a rollout waits no longer
 * than it must.
 */
import type { CheckSpec } from './check-spec.js';
import { runCheck, type CheckResult, type CheckTarget } from './check-run.js';
import {
  allocCheckHealth,
  applyResult,
  initialCheckState,
  type AllocCheckHealth,
  type CheckState,
} from './check-state.js';

/** A clock with cancellable timers (a pending timer must not keep drover running). */
export interface WatchClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export const systemWatchClock: WatchClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

export type RunCheck = (
  spec: CheckSpec,
  target: CheckTarget,
  signal?: AbortSignal,
) => Promise<CheckResult>;

export interface CheckWatcherOptions {
  clock?: WatchClock;
  /** Runs one check once; `runCheck` unless a test gives its own. */
  run?: RunCheck;
  /** When the tasks started, for check_restart's grace; the clock's now by default. */
  startedAt?: number;
  /** Told of every result and the check's state after it. */
  onResult?: (spec: CheckSpec, state: CheckState, result: CheckResult) => void;
}

/** A restart check_restart asks for. */
export interface RestartRequest {
  /** The task to restart; undefined: every task of the allocation (a group service's check). */
  task?: string;
  /** Ids of the checks that asked. */
  checks: string[];
  reason: string;
}

export interface CheckHealth extends AllocCheckHealth {
  /** When the allocation's checks entered this status (ms). */
  since: number;
}

interface Entry {
  spec: CheckSpec;
  state: CheckState;
  dueAt: number;
  running?: Promise<void>;
  /** Bumped on restart, so a result from before it is dropped. */
  generation: number;
}

export class CheckWatcher {
  readonly specs: readonly CheckSpec[];
  private readonly target: CheckTarget;
  private readonly clock: WatchClock;
  private readonly run: RunCheck;
  private readonly onResult: CheckWatcherOptions['onResult'];
  private readonly entries = new Map<string, Entry>();
  private abort = new AbortController();
  private timer: unknown;
  private started = false;
  private current: CheckHealth;

  constructor(specs: readonly CheckSpec[], target: CheckTarget, opts: CheckWatcherOptions = {}) {
    this.specs = specs;
    this.target = target;
    this.clock = opts.clock ?? systemWatchClock;
    this.run = opts.run ?? runCheck;
    this.onResult = opts.onResult;
    const now = this.clock.now();
    const startedAt = opts.startedAt ?? now;
    for (const spec of specs) {
      this.entries.set(spec.id, {
        spec,
        state: initialCheckState(spec, startedAt),
        dueAt: now,
        generation: 0,
      });
    }
    this.current = { ...allocCheckHealth(specs, this.stateMap()), since: now };
  }

  /** Starts running the checks on their own: each now, then on its interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  /** Stops the timers, cancels checks in flight and waits for them to settle. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.all([...this.entries.values()].flatMap((e) => (e.running ? [e.running] : [])));
    this.abort = new AbortController();
  }

  /** Runs every check that is due and not already running; resolves when those finish. */
  runDue(): Promise<void> {
    const now = this.clock.now();
    const launched: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.running || entry.dueAt > now) continue;
      launched.push(this.launch(entry));
    }
    return Promise.all(launched).then(() => undefined);
  }

  /** When the next check is due (ms), or undefined without checks. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (!e.running && (next === undefined || e.dueAt < next)) next = e.dueAt;
    }
    return next;
  }

  /** Applies a result to a check as if it had just run (for callers that run checks themselves). */
  record(id: string, result: CheckResult): void {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`no check "${id}" in this allocation`);
    const now = this.clock.now();
    entry.state = applyResult(entry.spec, entry.state, result, now);
    entry.dueAt = now + entry.spec.interval_ms;
    this.refreshHealth(now);
    this.onResult?.(entry.spec, entry.state, result);
  }

  state(id: string): CheckState | undefined {
    return this.entries.get(id)?.state;
  }

  states(): ReadonlyMap<string, CheckState> {
    return this.stateMap();
  }

  /** The allocation's check health: healthy, unhealthy (a check is critical) or pending. */
  health(): CheckHealth {
    return this.current;
  }

  /** The restarts check_restart asks for, one per task, until `restarted` is called. */
  restartDue(): RestartRequest[] {
    const byTask = new Map<string | undefined, RestartRequest>();
    for (const { spec, state } of this.entries.values()) {
      if (!state.restart_due) continue;
      const req = byTask.get(spec.task) ?? {
        ...(spec.task !== undefined ? { task: spec.task } : {}),
        checks: [],
        reason: '',
      };
      req.checks.push(spec.id);
      const why = `healthcheck: check ${JSON.stringify(spec.name)} unhealthy`;
      req.reason = req.reason ? `${req.reason}; ${why}` : why;
      byTask.set(spec.task, req);
    }
    return [...byTask.values()];
  }

  /**
   * Tells the watcher a task was restarted (undefined: the whole allocation): its checks start
   * over, with a fresh grace, and run again now.
   */
  restarted(task?: string): void {
    const now = this.clock.now();
    for (const entry of this.entries.values()) {
      if (task !== undefined && entry.spec.task !== task) continue;
      entry.state = initialCheckState(entry.spec, now);
      entry.dueAt = now;
      entry.generation++;
    }
    this.refreshHealth(now);
    this.schedule();
  }

  private launch(entry: Entry): Promise<void> {
    const signal = this.abort.signal;
    const generation = entry.generation;
    const running = Promise.resolve()
      .then(() => this.run(entry.spec, this.target, signal))
      .catch((err: unknown) => ({
        status: 'critical' as const,
        output: err instanceof Error ? err.message : String(err),
      }))
      .then((result) => {
        // A check cancelled by stop(), or begun before a restart, says nothing about the task.
        if (!signal.aborted && generation === entry.generation) this.record(entry.spec.id, result);
      })
      .finally(() => {
        entry.running = undefined;
        this.schedule();
      });
    entry.running = running;
    return running;
  }

  /** Arms one timer for the earliest due check. */
  private schedule(): void {
    if (!this.started) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    const next = this.nextDueAt();
    if (next === undefined) return;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        void this.runDue();
        this.schedule();
      },
      Math.max(0, next - this.clock.now()),
    );
  }

  private refreshHealth(now: number): void {
    const health = allocCheckHealth(this.specs, this.stateMap());
    this.current =
      health.status === this.current.status
        ? { ...health, since: this.current.since }
        : { ...health, since: now };
  }

  private stateMap(): Map<string, CheckState> {
    return new Map([...this.entries].map(([id, e]) => [id, e.state]));
  }
}

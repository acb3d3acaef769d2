/**
 * The `mock` driver: tasks that run no process. Each task's life is a function of its config
 * and an injectable clock, so deployment logic can be tested fast and exactly:
 *
 *   config {
 *     run_for       = "10s"   # exits this long after it starts; absent or "0": runs until stopped
 *     exit_code     = 0       # the exit code when run_for ends
 *     healthy_after = "1s"    # checkHealthy turns true this long after the start
 *     fail_health   = false   # checkHealthy never turns true
 *     start_error   = "…"     # start fails with this message
 *   }
 *
 * Handles carry everything `inspect` needs, so a new driver instance (a new drover process)
 * reads them the same way; stops live in the instance, as does an event log tests can read.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { durationNanos } from '../../src/jobspec/duration.js';
import type { NormalizedTask as Task } from '../../src/generated/normalized-job.js';
import type { DriverHandle } from '../../src/state/types.js';
import type {
  ChangeClass,
  ConfigProblem,
  Driver,
  DriverCapabilities,
  ExecOptions,
  LogOptions,
  TaskContext,
  TaskRef,
  TaskStatus,
  Transport,
} from '../types.js';
import { classifyTaskChange } from './process-common.js';
import { signalName } from './supervisor.js';

const NAME = 'mock';

export interface MockDriverOptions {
  /** Milliseconds since the epoch; tests pass a clock they advance by hand. */
  now?: () => number;
}

export interface MockTaskHandle extends DriverHandle {
  id: string;
  alloc_id: string;
  task: string;
  /** Epoch milliseconds. */
  started_at: number;
  /** Undefined: runs until stopped. */
  run_for_ms?: number;
  exit_code: number;
  healthy_after_ms: number;
  fail_health: boolean;
}

export interface MockEvent {
  at: number;
  kind: 'start' | 'stop' | 'signal';
  /** The signal sent, for kind 'signal'. */
  signal?: string;
  id: string;
  alloc_id: string;
  task: string;
}

interface MockConfig {
  runForMs?: number;
  exitCode: number;
  healthyAfterMs: number;
  failHealth: boolean;
  startError?: string;
}

const KEYS = ['run_for', 'exit_code', 'healthy_after', 'fail_health', 'start_error'];

/** Checks a mock `config` block. */
export function validateMockConfig(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const type = (pointer: string, detail: string): void => {
    problems.push({ pointer, summary: 'Incorrect attribute value type', detail });
  };
  for (const key of ['run_for', 'healthy_after']) {
    const v = config[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number') {
      type(`/${key}`, `"${key}" must be a duration such as "10s".`);
    } else if (durationNanos(v) === undefined || (durationNanos(v) ?? 0) < 0) {
      problems.push({
        pointer: `/${key}`,
        summary: 'Invalid duration',
        detail: `"${key}" must be a duration such as "10s"; ${JSON.stringify(v)} is not one.`,
      });
    }
  }
  const exit = config.exit_code;
  if (
    exit !== undefined &&
    (typeof exit !== 'number' || !Number.isInteger(exit) || exit < 0 || exit > 255)
  ) {
    type('/exit_code', '"exit_code" must be a whole number from 0 to 255.');
  }
  if (config.fail_health !== undefined && typeof config.fail_health !== 'boolean') {
    type('/fail_health', '"fail_health" must be true or false.');
  }
  if (config.start_error !== undefined && typeof config.start_error !== 'string') {
    type('/start_error', '"start_error" must be a string.');
  }
  for (const key of Object.keys(config)) {
    if (KEYS.includes(key)) continue;
    problems.push({
      pointer: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      summary: 'Unsupported argument',
      detail: `An argument named "${key}" is not expected in a mock config; it takes ${KEYS.map((k) => `"${k}"`).join(', ')}.`,
    });
  }
  return problems;
}

function readConfig(config: Record<string, unknown> | undefined): MockConfig {
  const c = config ?? {};
  const ms = (v: unknown): number | undefined => {
    const nanos = typeof v === 'string' || typeof v === 'number' ? durationNanos(v) : undefined;
    return nanos === undefined ? undefined : nanos / 1e6;
  };
  const runFor = ms(c.run_for);
  return {
    ...(runFor !== undefined && runFor > 0 ? { runForMs: runFor } : {}),
    exitCode: typeof c.exit_code === 'number' ? c.exit_code : 0,
    healthyAfterMs: ms(c.healthy_after) ?? 0,
    failHealth: c.fail_health === true,
    ...(typeof c.start_error === 'string' && c.start_error !== ''
      ? { startError: c.start_error }
      : {}),
  };
}

export class MockDriver implements Driver {
  readonly name = NAME;
  private readonly now: () => number;
  /** Handle id → when it was stopped. */
  private readonly stops = new Map<string, number>();
  private readonly log: MockEvent[] = [];
  /** Tasks this instance started, by handle id. */
  private readonly started = new Map<string, MockTaskHandle>();

  constructor(opts: MockDriverOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  capabilities(): DriverCapabilities {
    return { exec: true, needsDocker: false, signal: true };
  }

  validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validateMockConfig(config);
  }

  classifyChange(prior: Task, next: Task): ChangeClass {
    return classifyTaskChange(prior, next);
  }

  detect(
    _transport: Transport,
  ): Promise<{ detected: boolean; healthy: boolean; attributes: Record<string, string> }> {
    return Promise.resolve({ detected: true, healthy: true, attributes: { 'driver.mock': '1' } });
  }

  start(ctx: TaskContext): Promise<DriverHandle> {
    const config = readConfig(ctx.task.config);
    if (config.startError !== undefined) {
      return Promise.reject(new Error(`mock: ${config.startError}`));
    }
    const handle: MockTaskHandle = {
      driver: NAME,
      id: randomUUID(),
      alloc_id: ctx.allocId,
      task: ctx.task.name,
      started_at: this.now(),
      ...(config.runForMs === undefined ? {} : { run_for_ms: config.runForMs }),
      exit_code: config.exitCode,
      healthy_after_ms: config.healthyAfterMs,
      fail_health: config.failHealth,
    };
    this.started.set(handle.id, handle);
    this.record('start', handle, handle.started_at);
    return Promise.resolve(handle);
  }

  stop(
    handle: DriverHandle,
    _transport: Transport,
    _opts: { killTimeoutMs: number; signal?: string },
  ): Promise<void> {
    const h = asMockHandle(handle);
    if (!this.stops.has(h.id) && this.state(h, this.now()).state === 'running') {
      const at = this.now();
      this.stops.set(h.id, at);
      this.record('stop', h, at);
    }
    return Promise.resolve();
  }

  signal(handle: DriverHandle, _transport: Transport, signal: string): Promise<void> {
    const h = asMockHandle(handle);
    if (this.state(h, this.now()).state !== 'running')
      return Promise.reject(new Error(`mock task "${h.task}" is not running`));
    if (!signalName(signal))
      return Promise.reject(new Error(`unknown signal ${JSON.stringify(signal)}`));
    this.log.push({
      at: this.now(),
      kind: 'signal',
      id: h.id,
      alloc_id: h.alloc_id,
      task: h.task,
      signal,
    });
    return Promise.resolve();
  }

  inspect(handle: DriverHandle, _transport: Transport): Promise<TaskStatus> {
    return Promise.resolve(this.state(asMockHandle(handle), this.now()));
  }

  /** Takes over a task another instance started: a host that outlives one drover process. */
  adopt(handle: DriverHandle): void {
    const h = asMockHandle(handle);
    this.started.set(h.id, h);
  }

  /** The latest task this instance started for the allocation's task (the mock's "host"). */
  recover(ref: TaskRef, _transport: Transport): Promise<DriverHandle | undefined> {
    const found = [...this.started.values()].filter(
      (h) => h.alloc_id === ref.allocId && h.task === ref.task,
    );
    return Promise.resolve(found.at(-1));
  }

  /** Whether the task counts as healthy at `now`: running, not fail_health, past healthy_after. */
  checkHealthy(handle: DriverHandle, now: number = this.now()): boolean {
    const h = asMockHandle(handle);
    return (
      !h.fail_health &&
      this.state(h, now).state === 'running' &&
      now >= h.started_at + h.healthy_after_ms
    );
  }

  /** Starts and stops in the order they happened. */
  events(): readonly MockEvent[] {
    return this.log;
  }

  /** How many tasks of this instance run at `now`. */
  runningCount(now: number = this.now()): number {
    let n = 0;
    for (const h of this.started.values()) if (this.state(h, now).state === 'running') n++;
    return n;
  }

  logs(handle: DriverHandle, _transport: Transport, opts: LogOptions): Readable {
    const h = asMockHandle(handle);
    const lines = opts.stderr
      ? []
      : [`mock task "${h.task}" of allocation ${h.alloc_id} started\n`];
    return Readable.from(opts.tail === undefined ? lines : lines.slice(-opts.tail));
  }

  exec(
    handle: DriverHandle,
    _transport: Transport,
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<number> {
    const h = asMockHandle(handle);
    if (this.state(h, this.now()).state !== 'running') {
      opts.stderr.write(`mock task "${h.task}" is not running\n`);
      return Promise.resolve(1);
    }
    opts.stdout.write(`${argv.join(' ')}\n`);
    return Promise.resolve(0);
  }

  private record(kind: MockEvent['kind'], h: MockTaskHandle, at: number): void {
    this.log.push({ at, kind, id: h.id, alloc_id: h.alloc_id, task: h.task });
  }

  private state(h: MockTaskHandle, now: number): TaskStatus {
    const startedAt = new Date(h.started_at).toISOString();
    if (now < h.started_at) return { state: 'pending', failed: false, restarts: 0 };
    const stopAt = this.stops.get(h.id);
    const exitAt = h.run_for_ms === undefined ? undefined : h.started_at + h.run_for_ms;
    if (exitAt !== undefined && now >= exitAt && (stopAt === undefined || exitAt <= stopAt)) {
      return {
        state: 'dead',
        failed: h.exit_code !== 0,
        exitCode: h.exit_code,
        restarts: 0,
        startedAt,
        finishedAt: new Date(exitAt).toISOString(),
        message: `exited with code ${h.exit_code}`,
      };
    }
    if (stopAt !== undefined && now >= stopAt) {
      return {
        state: 'dead',
        failed: false,
        restarts: 0,
        startedAt,
        finishedAt: new Date(stopAt).toISOString(),
        message: 'stopped',
      };
    }
    return { state: 'running', failed: false, restarts: 0, startedAt };
  }
}

export function asMockHandle(handle: DriverHandle): MockTaskHandle {
  const { id, alloc_id, task, started_at, exit_code, healthy_after_ms, fail_health, run_for_ms } =
    handle;
  if (
    handle.driver !== NAME ||
    typeof id !== 'string' ||
    typeof task !== 'string' ||
    typeof started_at !== 'number'
  ) {
    throw new Error(`not a mock task handle: ${JSON.stringify(handle)}`);
  }
  return {
    driver: NAME,
    id,
    alloc_id: typeof alloc_id === 'string' ? alloc_id : '',
    task,
    started_at,
    ...(typeof run_for_ms === 'number' ? { run_for_ms } : {}),
    exit_code: typeof exit_code === 'number' ? exit_code : 0,
    healthy_after_ms: typeof healthy_after_ms === 'number' ? healthy_after_ms : 0,
    fail_health: fail_health === true,
  };
}

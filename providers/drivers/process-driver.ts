/**
 * What raw_exec, exec and java share once a task runs: stop, destroy, inspect, logs, exec and
 * recover all work on a supervised task directory through the transport. Subclasses add how a
 * task starts, how its config is checked and how the host is detected.
 */
import type { Readable } from 'node:stream';
import type { NormalizedTask as Task } from '../../src/generated/normalized-job.js';
import type { DriverHandle } from '../../src/state/types.js';
import type {
  ChangeClass,
  ConfigProblem,
  Detection,
  Driver,
  DriverCapabilities,
  ExecOptions,
  LogOptions,
  ShellDetection,
  TaskContext,
  TaskObservation,
  TaskRef,
  TaskStatus,
  Transport,
} from '../types.js';
import {
  asProcessHandle,
  buildRecoverScript,
  classifyTaskChange,
  destroyProcessTask,
  execInProcessTask,
  handleFromRecovery,
  inspectProcessTask,
  parseKeyValues,
  processTaskLogs,
  shellOf,
  signalProcessTask,
  stopProcessTask,
  taskLayout,
  type ProcessTaskHandle,
} from './process-common.js';
import { inspectProcessDrift } from './process-drift.js';

export abstract class ProcessDriver implements Driver {
  abstract readonly name: string;
  abstract validateConfig(config: Record<string, unknown>): ConfigProblem[];
  abstract shellDetection(): ShellDetection;
  abstract start(ctx: TaskContext): Promise<DriverHandle>;
  /** The command line `start` runs the task with (behind the supervisor and any wrapper). */
  protected abstract taskArgv(ctx: TaskContext): string[];

  async inspectTask(handle: DriverHandle, ctx: TaskContext): Promise<TaskObservation> {
    return inspectProcessDrift(this.handle(handle), ctx, this.taskArgv(ctx));
  }

  async detect(transport: Transport): Promise<Detection> {
    const d = this.shellDetection();
    return d.read(await shellOf(transport, this.name).sh(d.script, { timeoutMs: d.timeoutMs }));
  }

  capabilities(): DriverCapabilities {
    return { exec: true, needsDocker: false, signal: true };
  }

  classifyChange(prior: Task, next: Task): ChangeClass {
    return classifyTaskChange(prior, next);
  }

  async stop(
    handle: DriverHandle,
    transport: Transport,
    opts: { killTimeoutMs: number; signal?: string },
  ): Promise<void> {
    await stopProcessTask(this.handle(handle), transport, opts);
  }

  /**
   * Removes the allocation directory (logs included) and what the task's start set up (exec's
   * cgroup), SIGKILLing anything still running in it. Not part of the Driver interface: `stop`
   * keeps the directory so logs stay readable.
   */
  async destroy(handle: DriverHandle, transport: Transport): Promise<void> {
    await destroyProcessTask(this.handle(handle), transport);
  }

  async signal(handle: DriverHandle, transport: Transport, signal: string): Promise<void> {
    await signalProcessTask(this.handle(handle), transport, signal);
  }

  async inspect(handle: DriverHandle, transport: Transport): Promise<TaskStatus> {
    return inspectProcessTask(this.handle(handle), transport);
  }

  /** By the task directory `<alloc_root>/<alloc-id>/<task>`, which every start creates first. */
  async recover(ref: TaskRef, transport: Transport): Promise<DriverHandle | undefined> {
    const r = await shellOf(transport, this.name).sh(
      buildRecoverScript(taskLayout(ref.allocDir, ref.task)),
      {
        timeoutMs: 30_000,
      },
    );
    if (r.code !== 0) throw new Error(`cannot look for task "${ref.task}": ${r.stderr.trim()}`);
    return handleFromRecovery(this.name, ref, parseKeyValues(r.stdout));
  }

  logs(handle: DriverHandle, transport: Transport, opts: LogOptions): Readable {
    return processTaskLogs(this.handle(handle), transport, opts);
  }

  async exec(
    handle: DriverHandle,
    transport: Transport,
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<number> {
    return execInProcessTask(this.handle(handle), transport, argv, opts);
  }

  protected handle(handle: DriverHandle): ProcessTaskHandle {
    return asProcessHandle(handle, this.name);
  }
}

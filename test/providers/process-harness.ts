// Shared by the driver tests: task contexts, and tasks on the real machine cleaned up after.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Task } from '../../src/generated/jobspec.js';
import type { DriverHandle } from '../../src/state/types.js';
import { LocalTransport } from '../../providers/transports/local.js';
import type {
  Driver,
  NodeSpec,
  RunOptions,
  RunResult,
  TaskContext,
  TaskStatus,
  Transport,
} from '../../providers/types.js';
import { normalizeTask } from '../normalized.js';

export const isRoot = process.getuid?.() === 0;

export function hasProgram(name: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${name}`]).status === 0;
}

export function node(allocRoot: string): NodeSpec {
  return { name: 'local', transport: 'local', datacenter: 'dc1', meta: {}, alloc_root: allocRoot };
}

/**
 * The local machine as a non-root SSH user would see it: every script runs as `nobody`.
 * Needs root to drop to nobody.
 */
export class NobodyTransport extends LocalTransport {
  override sh(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(
      ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '/bin/sh', '-c', script],
      opts,
    );
  }
}

type Stoppable = Driver & { destroy(handle: DriverHandle, transport: Transport): Promise<void> };

export interface ContextSpec {
  config: Record<string, unknown>;
  env?: Record<string, string>;
  task?: Partial<Task>;
  restart?: Partial<TaskContext['restart']>;
}

/**
 * The context of the `n`th task a test starts: task `web` of allocation `<random>-0000-4000-8000-<n>`
 * of job `job`, under `root` on the transport's node.
 */
export function taskContext(
  driver: string,
  spec: ContextSpec,
  transport: Transport,
  root: string,
  n: number,
): TaskContext {
  // Random first 8 characters: the container name's part, unique across files and runs.
  const allocId = `${randomBytes(4).toString('hex')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const task: Task = {
    name: 'web',
    driver,
    config: spec.config,
    kill_timeout: '2s',
    ...spec.task,
  };
  return {
    allocId,
    name: `job-group-web-${allocId.slice(0, 8)}`,
    jobId: 'job',
    jobVersion: 0,
    group: 'group',
    task: normalizeTask(task),
    allocIndex: 0,
    node: transport.node,
    transport,
    ports: [],
    env: { NOMAD_ALLOC_ID: allocId, NOMAD_TASK_NAME: task.name, ...spec.env },
    allocDir: join(root, allocId),
    labels: {},
    restart: { attempts: 0, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail', ...spec.restart },
  };
}

/** A temp alloc root, contexts on it, and cleanup of every task a test started. */
export class Harness {
  root = '';
  transport!: LocalTransport;
  private started: { driver: Stoppable; handle: DriverHandle; transport: Transport }[] = [];
  private allocs = 0;

  constructor(
    private readonly prefix: string,
    private readonly driverName: string,
  ) {}

  async setup(opts: { worldWritable?: boolean } = {}): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), this.prefix));
    if (opts.worldWritable) await chmod(this.root, 0o777);
    this.transport = new LocalTransport(node(this.root));
  }

  async cleanup(): Promise<void> {
    for (const { driver, handle, transport } of this.started.reverse()) {
      await driver.stop(handle, transport, { killTimeoutMs: 0, signal: 'SIGKILL' });
      await driver.destroy(handle, transport);
    }
    this.started = [];
  }

  async teardown(): Promise<void> {
    await this.cleanup();
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  context(spec: ContextSpec, transport: Transport = this.transport): TaskContext {
    return taskContext(this.driverName, spec, transport, this.root, ++this.allocs);
  }

  /** Starts a task and remembers it for cleanup (also when start throws after creating it). */
  async start<H extends DriverHandle>(driver: Stoppable, ctx: TaskContext): Promise<H> {
    const handle = (await driver.start(ctx)) as H;
    this.track(driver, handle, ctx.transport);
    return handle;
  }

  /** Remembers a task started otherwise, for cleanup. */
  track(driver: Stoppable, handle: DriverHandle, transport: Transport = this.transport): void {
    this.started.push({ driver, handle, transport });
  }

  /** Removes an allocation directory a failed start left behind. */
  async forget(ctx: TaskContext): Promise<void> {
    await rm(ctx.allocDir, { recursive: true, force: true });
  }
}

/** Polls inspect until `done` holds (or `ms` pass) and returns the last status. */
export async function until(
  driver: Driver,
  transport: Transport,
  handle: DriverHandle,
  done: (s: TaskStatus) => boolean,
  ms = 10_000,
): Promise<TaskStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await driver.inspect(handle, transport);
    if (done(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a log until it holds `needle` (or `ms` pass) and returns it. */
export async function logUntil(
  driver: Driver,
  transport: Transport,
  handle: DriverHandle,
  needle: string,
  opts: { stderr?: boolean; ms?: number } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.ms ?? 10_000);
  for (;;) {
    const out = await text(
      driver.logs(handle, transport, { stderr: opts.stderr ?? false, follow: false }),
    );
    if (out.includes(needle) || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether a process (or, with a negative pid, a process group) exists and is no zombie. */
export function running(pid: number): boolean {
  const r = spawnSync('/bin/sh', [
    '-c',
    pid > 0
      ? `grep -q '^State:[[:space:]]*[^Z]' /proc/${pid}/status 2>/dev/null`
      : `ps -e -o pgid=,stat= | awk -v g=${-pid} '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'`,
  ]);
  return r.status === 0;
}

/** Live processes (no zombies) whose environment `matches`, read from /proc. */
export function processesWithEnv(matches: (env: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!matches(readFileSync(`/proc/${name}/environ`, 'latin1').split('\0'))) continue;
      if (/^State:\s*Z/m.test(readFileSync(`/proc/${name}/status`, 'latin1'))) continue;
      out.push(Number(name));
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return out;
}

/**
 * Live processes whose environment says they belong to the allocation: what the drivers find a
 * task's processes by, read here independently of them.
 */
export function allocProcesses(allocId: string): number[] {
  return processesWithEnv((env) => env.includes(`NOMAD_ALLOC_ID=${allocId}`));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

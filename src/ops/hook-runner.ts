/**
 * Runs one hook command on this machine: without a shell, in its own process group (so a
 * timeout kills everything it started, not only the first process), its output passed on line
 * by line as it comes and the last part of it kept.
 */
import { spawn } from 'node:child_process';

/** How much of a hook's output is kept for the audit trail. */
export const HOOK_OUTPUT_LIMIT = 64 * 1024;

export interface HookRunSpec {
  command: readonly [string, ...string[]];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Each line of output as it comes (the last one without a newline at the end, too). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long the group gets after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /** How much output is kept (default 64 KiB). */
  outputLimit?: number;
}

export interface HookRunOutcome {
  result: 'ok' | 'failed' | 'timeout';
  /** null when it did not start or was ended by a signal. */
  exitCode: number | null;
  durationMs: number;
  /** stdout and stderr interleaved as they came: the last `outputLimit` bytes. */
  output: string;
  /** Bytes dropped from the start of the output. */
  truncatedBytes: number;
  /** Why it could not start, or that it was killed. */
  error?: string;
}

/** Signals that end drover, passed on to a running hook's process group. */
const PASSED_ON = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** After the hook's own process exits, how long pipes a child of it still holds are waited for. */
const STRAGGLER_MS = 500;

export function runHookCommand(spec: HookRunSpec): Promise<HookRunOutcome> {
  const started = Date.now();
  const tail = new OutputTail(spec.outputLimit ?? HOOK_OUTPUT_LIMIT);
  const [program, ...args] = spec.command;
  return new Promise((resolvePromise) => {
    const child = spawn(program, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // its own process group, killed whole on timeout
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let settled = false;
    // In a group of its own the hook gets no Ctrl-C from the terminal: drover passes it on, then
    // ends as it would have (the signal raised again with no handler left).
    const passOn = (signal: NodeJS.Signals) => {
      killGroup(child.pid, 'SIGTERM');
      for (const s of PASSED_ON) process.removeListener(s, passOn);
      process.kill(process.pid, signal);
    };
    for (const s of PASSED_ON) process.once(s, passOn);
    const timers: NodeJS.Timeout[] = [];
    const finish = (o: Omit<HookRunOutcome, 'durationMs' | 'output' | 'truncatedBytes'>) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      for (const s of PASSED_ON) process.removeListener(s, passOn);
      // What the hook started and left behind when it timed out goes too, grace or not.
      if (timedOut) killGroup(child.pid, 'SIGKILL');
      splitters.forEach((s) => s.flush());
      resolvePromise({
        ...o,
        durationMs: Date.now() - started,
        output: tail.text(),
        truncatedBytes: tail.dropped,
      });
    };
    const splitters = (['stdout', 'stderr'] as const).map((name) => {
      const s = new LineSplitter((line) => spec.onLine?.(line, name));
      child[name].on('data', (chunk: Buffer) => {
        tail.push(chunk);
        s.push(chunk);
      });
      return s;
    });
    child.on('error', (err) => finish({ result: 'failed', exitCode: null, error: err.message }));
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGTERM');
        timers.push(setTimeout(() => killGroup(child.pid, 'SIGKILL'), spec.killGraceMs ?? 2000));
      }, spec.timeoutMs),
    );
    const outcome = (code: number | null, signal: NodeJS.Signals | null) =>
      timedOut
        ? {
            result: 'timeout' as const,
            exitCode: code,
            error: `timed out after ${spec.timeoutMs}ms; its process group was killed`,
          }
        : code === 0
          ? { result: 'ok' as const, exitCode: 0 }
          : {
              result: 'failed' as const,
              exitCode: code,
              ...(signal ? { error: `killed by ${signal}` } : {}),
            };
    child.on('close', (code, signal) => finish(outcome(code, signal)));
    // A process the hook left running in the background may hold its pipes open: not waited for.
    child.on('exit', (code, signal) => {
      if (settled) return;
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(outcome(code, signal));
        }, STRAGGLER_MS),
      );
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Gone already.
  }
}

/** The last `limit` bytes of a stream, and how many came before them. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0]!;
      const over = this.size - this.limit;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Cuts a byte stream into lines (UTF-8 safe: bytes are joined before decoding). */
class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      this.emit(buf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      buf = buf.subarray(nl + 1);
    }
    this.pending = Buffer.from(buf);
  }

  flush(): void {
    if (this.pending.length) this.emit(this.pending.toString('utf8'));
    this.pending = Buffer.alloc(0);
  }
}

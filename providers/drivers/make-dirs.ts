/**
 * Creates directories on a node's host with `mkdir -p`, folding together the requests that
 * arrive while one is running: the containers of a rollout starting on one host share one or
 * two shell sessions instead of one each (over SSH every session is a process on the host,
 * about 5 ms of its CPU, while the engine there is busy starting the same containers).
 * Each request still gets its own answer: one failing directory fails only its own caller.
 */
import type { Shell } from '../types.js';
import { shQuote } from './supervisor.js';

interface Request {
  dirs: readonly string[];
  resolve: () => void;
  reject: (err: Error) => void;
}

class DirQueue {
  private waiting: Request[] = [];
  private running = false;

  constructor(private readonly shell: Shell) {}

  add(dirs: readonly string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ dirs, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0);
        await this.run(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async run(batch: readonly Request[]): Promise<void> {
    let failures: Map<number, string>;
    try {
      const r = await this.shell.sh(mkdirScript(batch.map((b) => b.dirs)));
      failures = parseFailures(r.stdout);
      // No report at all but a failed shell: every request failed the same way.
      if (r.code !== 0 && failures.size === 0) {
        const why = r.stderr.trim() || `exit ${r.code}`;
        batch.forEach((_, i) => failures.set(i, why));
      }
    } catch (err) {
      for (const b of batch) b.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    batch.forEach((b, i) => {
      const why = failures.get(i);
      if (why === undefined) b.resolve();
      else b.reject(new Error(why));
    });
  }
}

const queues = new WeakMap<Shell, DirQueue>();

/** `mkdir -p` of `dirs` on the shell's host; rejects with mkdir's own message. */
export function makeDirs(shell: Shell, dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return Promise.resolve();
  let queue = queues.get(shell);
  if (!queue) queues.set(shell, (queue = new DirQueue(shell)));
  return queue.add(dirs);
}

/** One `mkdir -p` per request; a failing one prints `FAILED <index> <message on one line>`. */
export function mkdirScript(requests: readonly (readonly string[])[]): string {
  return requests
    .map(
      (dirs, i) =>
        `e=$(mkdir -p -- ${dirs.map(shQuote).join(' ')} 2>&1) || ` +
        `printf 'FAILED ${i} %s\\n' "$(printf '%s' "$e" | tr '\\n' ' ')"`,
    )
    .join('\n');
}

export function parseFailures(stdout: string): Map<number, string> {
  const failures = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const m = /^FAILED (\d+) ?(.*)$/.exec(line);
    if (m) failures.set(Number(m[1]), m[2]!.trim() || 'mkdir failed');
  }
  return failures;
}

/**
 * Worker threads that run fuzz inputs under a time cap and a memory cap: each worker has V8
 * `resourceLimits`, and a watchdog terminates one that holds an input past the time cap (a
 * hang). A worker that dies (out of memory, a crash of the thread) is replaced.
 */
import { Worker } from 'node:worker_threads';

export interface Caps {
  /** The time cap of an input: `timeMs`, plus `timeMsPerMb` for each MB of it (linear is fine). */
  timeMs: number;
  timeMsPerMb: number;
  heapMb: number;
}

export function timeCapMs(caps: Caps, chars: number): number {
  return Math.round(caps.timeMs + (caps.timeMsPerMb * chars) / 1_000_000);
}

export type Verdict =
  | { kind: 'ok'; ms: number }
  | { kind: 'crash'; ms: number; detail: string }
  | { kind: 'hang'; ms: number }
  | { kind: 'memory'; ms: number; detail: string };

interface Job {
  kind: string;
  text: string;
  done: (v: Verdict) => void;
}

const WORKER = new URL('./b-fuzz-worker.mjs', import.meta.url);

class Slot {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;

  constructor(private readonly caps: Caps) {}

  private start(): Promise<void> {
    const worker = new Worker(WORKER, {
      resourceLimits: {
        maxOldGenerationSizeMb: this.caps.heapMb,
        maxYoungGenerationSizeMb: Math.max(16, this.caps.heapMb / 8),
        stackSizeMb: 4,
      },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (err: Error) =>
        reject(new Error(`the fuzz worker runs the built dist/ (npm run build): ${err.message}`)),
      );
    });
  }

  async run(job: Job): Promise<void> {
    if (!this.worker) this.ready = this.start();
    await this.ready;
    const worker = this.worker!;
    const t0 = performance.now();
    const ms = (): number => Math.round(performance.now() - t0);
    const verdict = await new Promise<Verdict>((resolve) => {
      const cleanup = (): void => {
        clearTimeout(watchdog);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (m: { crash?: string }): void => {
        cleanup();
        resolve(m.crash ? { kind: 'crash', ms: ms(), detail: m.crash } : { kind: 'ok', ms: ms() });
      };
      const onError = (err: Error & { code?: string }): void => {
        cleanup();
        this.worker = undefined;
        resolve(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? { kind: 'memory', ms: ms(), detail: err.message }
            : { kind: 'crash', ms: ms(), detail: `worker died: ${err.message}` },
        );
      };
      const onExit = (code: number): void => {
        cleanup();
        this.worker = undefined;
        resolve({ kind: 'crash', ms: ms(), detail: `worker exited with ${code}` });
      };
      const watchdog = setTimeout(
        () => {
          cleanup();
          this.worker = undefined;
          void worker.terminate();
          resolve({ kind: 'hang', ms: ms() });
        },
        timeCapMs(this.caps, job.text.length),
      );
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ kind: job.kind, text: job.text });
    });
    job.done(verdict);
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/** Runs `next()`'s inputs on `size` workers until it returns undefined. */
export async function runPool(
  size: number,
  caps: Caps,
  next: () => { kind: string; text: string; done: (v: Verdict) => void } | undefined,
): Promise<void> {
  const slots = Array.from({ length: size }, () => new Slot(caps));
  try {
    await Promise.all(
      slots.map(async (slot) => {
        for (let job = next(); job; job = next()) await slot.run(job);
      }),
    );
  } finally {
    await Promise.all(slots.map((s) => s.close()));
  }
}

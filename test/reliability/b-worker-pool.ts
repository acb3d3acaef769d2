/**
 * A pool of long-lived worker threads that run fuzz inputs under a time cap and a memory cap:
 * one worker per slot handles input after input (it makes each input itself from its number),
 * each worker has V8 `resourceLimits`, and a watchdog terminates one that holds an input past
 * the time cap (a hang). A worker is replaced only after a crash of the thread, a hang, the
 * heap cap, or a heap that an input left above half the cap (so the next input has its room).
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

export interface FuzzJob {
  kind: string;
  /** The input's number: the worker makes input (kind, n) with b-mutate.mjs's fuzzInput. */
  n: number;
  done: (v: Verdict) => void;
}

/** What the pool did besides running inputs. */
export interface PoolFigures {
  /** Workers started: one per slot, plus one after each crash, hang, memory cap or heap left high. */
  workers: number;
  /** Of those, replacements of a worker whose heap stayed above half the cap after an input. */
  heapRestarts: number;
}

const WORKER = new URL('./b-fuzz-worker.mjs', import.meta.url);

type Message =
  { ready: true } | { started: number } | { done: true; crash?: string; heapMb: number };

class Slot {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly caps: Caps,
    private readonly seeds: Record<string, readonly string[]>,
    private readonly figures: PoolFigures,
  ) {}

  private start(): Promise<void> {
    this.figures.workers++;
    const worker = new Worker(WORKER, {
      workerData: { seeds: this.seeds },
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

  /** Forgets the worker (terminating it): the next input starts a fresh one. */
  private drop(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  async run(job: FuzzJob): Promise<void> {
    if (!this.worker) this.ready = this.start();
    await this.ready;
    const worker = this.worker!;
    const t0 = performance.now();
    const ms = (): number => Math.round(performance.now() - t0);
    const verdict = await new Promise<Verdict>((resolve) => {
      // Until the worker says how long the input is, the base cap (making it takes little).
      let watchdog = setTimeout(onHang, this.caps.timeMs);
      function onHang(): void {
        finish({ kind: 'hang', ms: ms() }, true);
      }
      const finish = (v: Verdict, dead: boolean): void => {
        clearTimeout(watchdog);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (dead) this.drop(worker);
        resolve(v);
      };
      const onMessage = (m: Message): void => {
        if ('started' in m) {
          clearTimeout(watchdog);
          watchdog = setTimeout(onHang, timeCapMs(this.caps, m.started) - ms());
          return;
        }
        if (!('done' in m)) return;
        const high = m.heapMb > this.caps.heapMb / 2;
        if (high) this.figures.heapRestarts++;
        finish(
          m.crash ? { kind: 'crash', ms: ms(), detail: m.crash } : { kind: 'ok', ms: ms() },
          high,
        );
      };
      const onError = (err: Error & { code?: string }): void =>
        finish(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? { kind: 'memory', ms: ms(), detail: err.message }
            : { kind: 'crash', ms: ms(), detail: `worker died: ${err.message}` },
          true,
        );
      const onExit = (code: number): void =>
        finish({ kind: 'crash', ms: ms(), detail: `worker exited with ${code}` }, true);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ kind: job.kind, n: job.n });
    });
    job.done(verdict);
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/** Runs `next()`'s inputs on `size` long-lived workers until it returns undefined. */
export async function runPool(
  size: number,
  caps: Caps,
  seeds: Record<string, readonly string[]>,
  next: () => FuzzJob | undefined,
): Promise<PoolFigures> {
  const figures: PoolFigures = { workers: 0, heapRestarts: 0 };
  const slots = Array.from({ length: size }, () => new Slot(caps, seeds, figures));
  try {
    await Promise.all(
      slots.map(async (slot) => {
        for (let job = next(); job; job = next()) await slot.run(job);
      }),
    );
  } finally {
    await Promise.all(slots.map((s) => s.close()));
  }
  return figures;
}

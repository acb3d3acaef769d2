/**
 * Loads `validate`'s job files and hands their reports over in file order: on worker threads,
 * one per core, when there are enough files to repay starting them (each thread loads the
 * pipeline and warms up on its own), else on this thread. Only this thread prints, so the
 * output is the same either way.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobFileReport } from '../../jobspec/file-reports.js';
import type { JobInputOptions } from '../job-input-options.js';

/** Below this many files per thread, starting a thread costs more than it saves (measured). */
const FILES_PER_THREAD = 150;
/** More threads than this only add memory: the files are small and the work short. */
const MAX_THREADS = 4;
/** Files per message: small enough that threads finish together, large enough to be cheap. */
const BATCH = 16;

/**
 * A small young generation per thread: V8 would grow it to 16 MB semi-spaces for the short-lived
 * objects of parsing, and each thread's pages count in the process's peak memory (1,000 files:
 * 129 MB → 103 MB, no slower).
 */
const resourceLimits = { maxYoungGenerationSizeMb: 2 };

const workerScript = new URL('./validate-worker.js', import.meta.url);

export async function forEachJobFileReport(
  files: readonly string[],
  options: JobInputOptions,
  each: (report: JobFileReport) => void,
): Promise<void> {
  const threads = Math.min(
    availableParallelism(),
    MAX_THREADS,
    Math.floor(files.length / FILES_PER_THREAD),
  );
  // Run from the TypeScript sources (tests), there is no compiled worker to start.
  if (threads < 2 || !existsSync(fileURLToPath(workerScript))) {
    const { jobFileReporter } = await import('./validate-load.js');
    const report = jobFileReporter(options);
    for (const file of files) each(report(file));
    return;
  }
  await inWorkers(files, options, threads, each);
}

async function inWorkers(
  files: readonly string[],
  options: JobInputOptions,
  threads: number,
  each: (report: JobFileReport) => void,
): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(files.slice(i, i + BATCH));
  // Batches come back in any order; each is handed over once all before it have been.
  const done = new Map<number, JobFileReport[]>();
  let handed = 0;
  let sent = 0;
  const handOver = (): void => {
    for (let reports; (reports = done.get(handed)); handed++) {
      done.delete(handed);
      for (const r of reports) each(r);
    }
  };
  const workerData: JobInputOptions = { var: options.var ?? [], varFile: options.varFile ?? [] };
  const run = (worker: Worker): Promise<void> =>
    new Promise((resolve, reject) => {
      let current = -1;
      const next = (): void => {
        if (sent === batches.length) return resolve();
        current = sent++;
        worker.postMessage(batches[current]);
      };
      worker.on('message', (reports: JobFileReport[]) => {
        done.set(current, reports);
        handOver();
        next();
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`validate worker exited (${code})`)));
      next();
    });
  const workers = Array.from(
    { length: threads },
    () => new Worker(workerScript, { workerData, resourceLimits }),
  );
  try {
    await Promise.all(workers.map(run));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

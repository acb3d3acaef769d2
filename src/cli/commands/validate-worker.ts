/**
 * A worker thread of `validate` (see validate-files.ts): gets batches of job files, answers
 * each with their reports in the same order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JobInputOptions } from '../job-input-options.js';
import { jobFileReporter } from './validate-load.js';

const report = jobFileReporter(workerData as JobInputOptions);
const port = parentPort!;
port.on('message', (batch: string[]) => port.postMessage(batch.map(report)));

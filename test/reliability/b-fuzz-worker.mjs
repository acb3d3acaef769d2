// A worker thread of the fuzz part (parts/fuzz.ts), long-lived: for each input number it is
// sent it makes the input itself (b-mutate.mjs, from the seeds in workerData), says how long it
// is (the watchdog's cap grows with it), runs it through drover's own parse, evaluate, validate
// and decode (the built dist/, as `drover` runs them) and answers whether it ended in a result
// or a diagnostic ("ok") or in anything else ("crash"). Between inputs it checks its heap.
// JavaScript because a worker thread loads plain modules, not vitest's TypeScript.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzInput } from './b-mutate.mjs';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const [{ loadJobSource }, { Diagnostics }, { driverConfigCheck }, config, planfile, state] =
  await Promise.all([
    load('src/jobspec/load.js'),
    load('src/diag/diagnostic.js'),
    load('providers/config-validators.js'),
    load('src/config/load.js'),
    load('src/plan/planfile.js'),
    load('src/state/validate.js'),
  ]);
const { isStateError } = await load('src/state/errors.js');

const noFiles = {
  readFile: (path) => {
    throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
  },
};
const host = { cwd: '/fuzz', home: '/home/fuzz', username: 'fuzz', isRoot: false };

/** Each kind's run: returns normally for a result or diagnostics; throws only on a crash. */
const targets = {
  jobspec(text) {
    const diags = new Diagnostics();
    const inputs = { vars: [], varFiles: [], env: {} };
    const loaded = loadJobSource(
      text,
      '/fuzz/job.nomad.hcl',
      { inputs, files: noFiles, drivers: driverConfigCheck, now: () => new Date(0) },
      diags,
    );
    // The normalized job and the sensitive pointers are made on first read: read them.
    if (loaded) void [loaded.job, loaded.sensitive];
  },
  config(text) {
    config.loadConfigSource(text, 'drover.hcl', new Diagnostics(), {
      host,
      env: {},
      readFile: noFiles.readFile,
      fileExists: () => false,
    });
  },
  planfile(text) {
    planfile.parsePlanfile(text, 'fuzz.tfplan');
  },
  state(text) {
    try {
      state.parseState(text, 'state.json');
    } catch (err) {
      if (!isStateError(err)) throw err;
    }
  },
};

/** The heap an input left behind, in MB: the pool restarts a worker that keeps growing. */
const heapMb = () => Math.round(getHeapStatistics().used_heap_size / 1_048_576);

parentPort.on('message', ({ kind, n }) => {
  const text = fuzzInput(workerData.seeds, kind, n);
  parentPort.postMessage({ started: text.length });
  let crash;
  try {
    targets[kind](text);
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    crash = detail.split('\n').slice(0, 4).join(' | ');
  }
  parentPort.postMessage({ done: true, crash, heapMb: heapMb() });
});
parentPort.postMessage({ ready: true });

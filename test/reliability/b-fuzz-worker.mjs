// A worker thread of the fuzz part (parts/fuzz.ts): runs one mutated input at a time through
// drover's own parse, evaluate, validate and decode (the built dist/, as `drover` runs them)
// and answers whether it ended in a result or a diagnostic ("ok") or in anything else ("crash").
// JavaScript because a worker thread loads plain modules, not vitest's TypeScript.
import { parentPort } from 'node:worker_threads';

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

parentPort.on('message', ({ id, kind, text }) => {
  try {
    targets[kind](text);
    parentPort.postMessage({ id, crash: undefined });
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    parentPort.postMessage({ id, crash: detail.split('\n').slice(0, 4).join(' | ') });
  }
});
parentPort.postMessage({ ready: true });

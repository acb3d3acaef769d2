// Records the plan benchmark's starting state: runs drover's real `apply` command in this process
// (the same argv, config, planner, executor, recorder and mock driver as `drover apply`), with one
// difference: the state store keeps the snapshot in memory while the apply runs and writes the
// state file once at the end, instead of rewriting the whole file after every recorded step.
//
// Why: today the local backend rewrites (and re-reads, re-validates, backs up and clones) the
// whole state on every step, about five per job, so applying 1,000 jobs in one go grows with the
// square of the job count (about 17 s for 100 jobs, half an hour for 1,000). The plan benchmark
// measures planning, not that; the real apply is timed separately on fewer jobs.
//
//   node bench/plan/seed-apply.mjs DIST_DIR PROJECT_DIR [apply flags...]
// Prints one JSON line last: { exitCode, stateWrites, maxRssKB }.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { selfReport } from '../lib/measure.mjs';

const [dist, project, ...flags] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
const { LocalStateStore } = await load('src/state/local.js');
const { main } = await load('src/cli/main.js');

const proto = LocalStateStore.prototype;
const diskRead = proto.read;
const diskWrite = proto.write;
let memory;
let stateWrites = 0;
proto.read = async function read() {
  return memory === undefined ? diskRead.call(this) : structuredClone(memory);
};
proto.write = async function write(next, expectSerial) {
  const current = memory ?? (await diskRead.call(this));
  if (current.serial !== expectSerial) {
    throw new Error(`seed: write against serial ${expectSerial}, state is at ${current.serial}`);
  }
  stateWrites++;
  // The recorder only derives new snapshots from what it gets back, so no defensive copy.
  memory = { ...next, serial: expectSerial + 1 };
  return memory;
};

// Output of the apply (the 1,000-job plan, progress lines) is not wanted, only its exit code.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
let exitCode;
try {
  process.chdir(project);
  exitCode = await main([
    'apply',
    '-auto-approve',
    '-config',
    join(project, 'drover.hcl'),
    ...flags,
    join(project, 'jobs'),
  ]);
} finally {
  process.stdout.write = write;
}
if (exitCode === 0 && memory !== undefined) {
  const store = new LocalStateStore({ path: join(project, 'state', 'state.json') });
  const onDisk = await diskRead.call(store);
  await diskWrite.call(store, { ...memory, lineage: onDisk.lineage }, onDisk.serial);
}
process.exitCode = exitCode;
console.log(selfReport({ exitCode, stateWrites }));

// Benchmark (issue 15): Nomad's HTTP API as a real `drover server` process serves it, over a state
// of 1,000 jobs (each with one running allocation) written directly as a snapshot.
//
// 1. `GET /v1/jobs` and `GET /v1/job/:id/allocations` (the id rotating over every job): requests/s
//    with keep-alive and `--concurrency` requests in flight for `--duration` seconds each, asking
//    for gzip as Nomad's Go API client does; goal ≥ 2,000/s. The job
//    list once more without gzip, for comparison.
// 2. A blocking query (`GET /v1/jobs?index=N`, then `GET /v1/job/:id/allocations?index=N`) held
//    by the server, then a state write as the CLI makes one (under the state lock, through the
//    local store) that changes an allocation of that job: median milliseconds from the write's
//    commit (the store's write returned: the file is in place; the lock is still held) to the
//    whole answer having reached the client, over `--writes` writes each; goal ≤ 50 ms.
// 3. 200 open `/v1/event/stream` connections: the server's heap + external memory after a forced
//    GC with them open, minus before (and per stream); goal ≤ 50 MB.
//
// Options: --jobs=N (1000), --concurrency=N (32), --duration=S (5), --writes=N (10),
// --streams=N (200), --keep (leave the generated project).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './lib/measure.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import {
  AS_NOMAD_CLIENT,
  blockingLatency,
  openEventStreams,
  requestRate,
} from './server-api/load.mjs';
import { startServer } from './server-api/process.mjs';
import { generateState, writeProject } from './server-api/state.mjs';

export const name = 'server-api';
export const description =
  'drover server over 1,000 jobs: /v1/jobs and job allocations requests/s, blocking-query latency after a write, memory of 200 event streams';
export const options = ['jobs', 'concurrency', 'duration', 'writes', 'streams', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const cli = join(root, 'bin/drover.js');

const RPS_GOAL = 2_000;
const BLOCKING_GOAL_MS = 50;
const STREAMS_GOAL_MB = 50;
const MB = 1024 * 1024;

export async function run(opts = {}, log = () => {}) {
  const jobs = Number(opts.jobs ?? 1000);
  const concurrency = Number(opts.concurrency ?? 32);
  const durationMs = Number(opts.duration ?? 5) * 1000;
  const writes = Number(opts.writes ?? 10);
  const streams = Number(opts.streams ?? 200);
  ensureCliBuilt(root, log);
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-server-api-'));
  let server;
  try {
    const state = await generateState(dist, jobs);
    const config = writeProject(dir, state);
    log(`wrote a state of ${jobs} jobs; starting drover server…`);
    server = await startServer(cli, config);
    log(`listening on ${server.url}`);

    const ids = Object.keys(state.jobs);
    let next = 0;
    const rate = async (label, path, headers = AS_NOMAD_CLIENT) => {
      const r = await requestRate(server.url, path, { concurrency, durationMs, headers });
      log(`${label}: ${Math.round(r.rps)} requests/s (${r.ok} ok, ${r.failed} failed)`);
      return {
        what: label,
        value: r.rps,
        unit: 'requests/s',
        goal: `≥ ${RPS_GOAL}`,
        met: r.rps >= RPS_GOAL,
      };
    };
    const jobsRow = await rate('GET /v1/jobs', () => '/v1/jobs');
    // The same without gzip: ~0.5 MB a request, where the loopback and the client set the pace.
    const jobsPlainRow = await rate('GET /v1/jobs, no Accept-Encoding', () => '/v1/jobs', {});
    const allocsRow = await rate(
      'GET /v1/job/:id/allocations',
      () => `/v1/job/${ids[next++ % ids.length]}/allocations`,
    );

    const write = await stateWriter(dist, join(dir, 'state', 'state.json'));
    const blockingRow = async (path, jobId) => {
      const latencies = [];
      for (let i = 0; i < writes; i++)
        latencies.push(await blockingLatency(server.url, path, () => write(jobId)));
      const ms = median(latencies);
      log(`blocking ${path} returned a median ${ms.toFixed(1)} ms after the write`);
      return {
        what: `blocking ${path}?index=N, after a write`,
        value: ms,
        unit: 'ms (median)',
        goal: `≤ ${BLOCKING_GOAL_MS}`,
        met: ms <= BLOCKING_GOAL_MS,
        latencies,
      };
    };
    // The list of every job, and one job's allocations: what the release of a blocking query
    // costs apart from the answer it computes.
    const blockingJobs = await blockingRow('/v1/jobs');
    // A job's allocations answer with that job's index: the write changes one of them.
    const blockingAllocs = await blockingRow(`/v1/job/${ids[0]}/allocations`, ids[0]);

    // Heap + external memory after a full GC, before and with the streams open: what the
    // streams hold (RSS keeps what a GC freed and can even shrink meanwhile).
    const before = await server.memory();
    const open = await openEventStreams(server.url, streams);
    await new Promise((r) => setTimeout(r, 1_000));
    const during = await server.memory();
    open.close();
    const held = (m) => m.heapUsed + m.external;
    const streamMB = (held(during) - held(before)) / MB;
    const perStreamKB = (held(during) - held(before)) / 1024 / streams;
    log(
      `${streams} event streams: heap+external ${(held(before) / MB).toFixed(1)} → ${(held(during) / MB).toFixed(1)} MB ` +
        `(${perStreamKB.toFixed(1)} KB a stream; RSS ${Math.round(before.rss / MB)} → ${Math.round(during.rss / MB)} MB)`,
    );
    const streamsRow = {
      what: `${streams} open event streams (${perStreamKB.toFixed(1)} KB each)`,
      value: streamMB,
      unit: 'MB of heap+external',
      goal: `≤ ${STREAMS_GOAL_MB}`,
      met: streamMB <= STREAMS_GOAL_MB,
      perStreamKB,
      rssMB: { before: before.rss / MB, during: during.rss / MB },
    };

    const rows = [jobsRow, jobsPlainRow, allocsRow, blockingJobs, blockingAllocs, streamsRow];
    return {
      name,
      title: `Benchmark "${name}": drover server's HTTP API over ${jobs} jobs`,
      columns: [
        { key: 'what', label: 'what', align: 'left' },
        { key: 'value', label: 'measured', format: (v) => v.toFixed(v < 100 ? 1 : 0) },
        { key: 'unit', label: 'unit', align: 'left' },
        { key: 'goal', label: 'goal', align: 'left' },
        { key: 'met', label: 'met', align: 'left', format: (v) => (v ? 'yes' : 'NO') },
      ],
      rows,
      notes: [
        `requests/s: ${concurrency} requests in flight over keep-alive connections for ${durationMs / 1000} s per endpoint, ` +
          'the load generator on the same machine as the server, reading each answer whole (not parsed nor inflated); ' +
          "with Accept-Encoding: gzip as Nomad's Go API client sends it, unless the row says otherwise.",
        `blocking: median of ${writes} writes (one allocation changed, of the job whose allocations are asked for, and one event appended, under the state lock, through the local store, as the CLI writes), ` +
          "from the store's write returning (the new state file in place, before the lock is released) to the blocking query's whole answer received.",
        `streams: the server's heap used + external memory (process.memoryUsage(), the server run with --expose-gc and a full GC forced before each sample) with ${streams} streams connected and greeted, minus before.`,
      ],
      goals: [
        { text: `GET /v1/jobs ≥ ${RPS_GOAL} requests/s`, met: jobsRow.met },
        { text: `GET /v1/job/:id/allocations ≥ ${RPS_GOAL} requests/s`, met: allocsRow.met },
        {
          text: `a blocking query returns within ${BLOCKING_GOAL_MS} ms of the write`,
          met: blockingJobs.met && blockingAllocs.met,
        },
        { text: `${streams} event streams cost ≤ ${STREAMS_GOAL_MB} MB`, met: streamsRow.met },
      ],
      data: { jobs, concurrency, durationMs, writes, streams },
    };
  } finally {
    await server?.stop();
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A write as the CLI makes one: under the lock, one allocation touched (of job `jobId`, else the
 * next in turn) and one event appended. Resolves with the time the write committed: when the
 * store's write returned, before the lock's release (which syncs the directory, and which a
 * blocking query does not wait for).
 */
async function stateWriter(dist, path) {
  const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
  const { LocalStateStore } = await load('src/state/local.js');
  const { newLockInfo } = await load('src/state/store.js');
  const store = new LocalStateStore({ path });
  let n = 0;
  return async (jobId) => {
    const lock = await store.lock(newLockInfo('bench'), { timeoutMs: 10_000 });
    try {
      const cur = await store.read();
      const all = Object.entries(cur.allocations);
      const mine = jobId === undefined ? all : all.filter(([, a]) => a.job === jobId);
      if (mine.length === 0) throw new Error(`job ${jobId} has no allocation to change`);
      const [id, alloc] = mine[n % mine.length];
      n++;
      await store.write(
        {
          ...cur,
          allocations: {
            ...cur.allocations,
            [id]: { ...alloc, modified_at: new Date().toISOString() },
          },
          events: [
            ...cur.events,
            {
              seq: (cur.events.at(-1)?.seq ?? 0) + 1,
              time: new Date().toISOString(),
              who: 'bench@host',
              what: 'alloc.health',
              alloc: id,
              detail: `bench write ${n}`,
            },
          ],
        },
        cur.serial,
      );
      return performance.now();
    } finally {
      await lock.release();
    }
  };
}

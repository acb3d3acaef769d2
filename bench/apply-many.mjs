// Benchmark (issue 11): `drover apply` of N new small jobs, for N = 10, 100 and 1,000, on the
// `mock` driver (nothing runs: drover's own cost) and on `raw_exec` (a supervised `sleep` per job
// on the local node). Goal: the time per job stays flat, within 1.5× from 10 jobs to 1,000.
//
// Each run is a fresh project (bench/apply-many/project.mjs: N one-task service jobs, health by
// task state, min_healthy_time 0 s, one local node, a state file of its own) and one timed whole
// `node bin/drover.js apply -auto-approve` process; the state it leaves is checked (every job
// recorded, every allocation running) and, for raw_exec, so are the processes, which are ended
// (by the pids their supervisors recorded) before the next run. The reference ("peer") column is
// drover's own time per job at the smallest N: no external tool here applies N jobs of
// mock or raw_exec tasks (docker compose runs containers; Nomad is not installed).
//
// Options (from bench/run.mjs): --sizes=10,100,1000, --drivers=mock,raw_exec, --runs=N (3 for
// sizes under 500, one run above; medians are reported), --profile (CPU-profile one more apply of
// the largest size per driver and log the hot spots), --keep (leave the last project of each
// size).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/measure.mjs';
import { writeApplyManyProject, DRIVER_CONFIG } from './apply-many/project.mjs';
import { stopTaskProcesses, taskProcesses } from './apply-many/processes.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import { hotSpots } from './plan/profile.mjs';
import { measureLines, progressEvents } from './rollout/timeline.mjs';

export const name = 'apply-many';
export const description =
  'apply of N new small jobs (mock and raw_exec), N = 10, 100, 1,000: time per job flat within 1.5×';
/** The options this benchmark understands (see the header). */
export const options = ['sizes', 'drivers', 'runs', 'profile', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');

/** Issue 11: per-job time at the largest N at most this many times that at the smallest. */
const FLAT_GOAL = 1.5;

/** `10,100,1000` → [10, 100, 1000], sorted; refuses anything but positive whole numbers. */
export function parseSizes(text) {
  const sizes = String(text)
    .split(',')
    .map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--sizes takes positive whole numbers, comma-separated (got ${text})`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** `mock,raw_exec` → ['mock', 'raw_exec']; refuses a driver the benchmark has no job for. */
export function parseDrivers(text) {
  const drivers = String(text)
    .split(',')
    .map((s) => s.trim());
  const unknown = drivers.filter((d) => !(d in DRIVER_CONFIG));
  if (unknown.length)
    throw new Error(`--drivers: unknown ${unknown} (known: ${Object.keys(DRIVER_CONFIG)})`);
  return drivers;
}

/**
 * Per driver, per-job time at the largest size over that at the smallest (the goal), and over
 * that at the next smaller size (`fromNext`): at the smallest size, start-up weighs most, so the
 * second ratio shows better how the cost of one more job grows.
 */
export function flatness(rows) {
  const out = {};
  for (const driver of new Set(rows.map((r) => r.driver))) {
    const mine = rows.filter((r) => r.driver === driver).sort((a, b) => a.jobs - b.jobs);
    const last = mine[mine.length - 1];
    const against = (r) => ({
      from: r.jobs,
      ratio: last.msPerJob / r.msPerJob,
      cpuRatio: last.cpuMsPerJob / r.cpuMsPerJob,
    });
    out[driver] = {
      to: last.jobs,
      ...against(mine[0]),
      fromNext: against(mine[Math.max(0, mine.length - 2)]),
    };
  }
  return out;
}

export async function run(opts = {}, log = () => {}) {
  const sizes = parseSizes(opts.sizes ?? '10,100,1000');
  const drivers = parseDrivers(opts.drivers ?? 'mock,raw_exec');
  const runsFor = (n) => Number(opts.runs ?? (n < 500 ? 3 : 1));
  ensureCliBuilt(root, log);
  const loadBefore = loadavg()[0];

  const rows = [];
  const profiles = {};
  for (const driver of drivers) {
    for (const jobs of sizes) {
      const measured = [];
      for (let i = 0; i < runsFor(jobs); i++) {
        const keep = opts.keep && i === runsFor(jobs) - 1;
        const m = await applyOnce(driver, jobs, { keep, log });
        measured.push(m);
        log(
          `${driver} × ${jobs}, run ${i + 1}/${runsFor(jobs)}: ${Math.round(m.wallMs)} ms ` +
            `(${fixed(m.wallMs / jobs, 1)} ms/job, CPU ${fixed(m.cpuMs / jobs, 1)} ms/job; ` +
            `plan ${Math.round(m.planMs)} ms; ` +
            `${fixed(m.stateKB, 0)} KB state, serial ${m.serial})`,
        );
      }
      const wallMs = median(measured.map((m) => m.wallMs));
      rows.push({
        tool: `drover apply, ${driver}`,
        driver,
        jobs,
        runs: measured.length,
        wallMs,
        planMs: median(measured.map((m) => m.planMs)),
        msPerJob: wallMs / jobs,
        cpuMsPerJob: median(measured.map((m) => m.cpuMs)) / jobs,
        peakRssMB: median(measured.map((m) => m.maxRssKB)) / 1024,
        stateKB: median(measured.map((m) => m.stateKB)),
        serial: median(measured.map((m) => m.serial)),
      });
    }
    if (opts.profile) {
      const largest = sizes[sizes.length - 1];
      profiles[driver] = await profileOnce(driver, largest, log);
    }
  }
  const flat = flatness(rows);
  for (const r of rows) {
    const ref = rows.find((x) => x.driver === r.driver && x.jobs === flat[r.driver].from);
    r.vsSmallest = r.msPerJob / ref.msPerJob;
  }

  const notes = [
    'Each row: a fresh project and state, one whole `node bin/drover.js apply -auto-approve` ' +
      'process (start-up, parsing, planning and applying included), median of the runs; ' +
      '"plan s" is the time until the first allocation started; CPU is user + system time of ' +
      'the process (steadier than wall time on a busy machine); "writes" is the state serial ' +
      'the apply left (one per state write). One-task service jobs, health by task state, ' +
      'min_healthy_time 0 s, one local node.',
    'Peer: drover itself at the smallest N (the issue asks for a flat time per job). No ' +
      'external tool applies mock or raw_exec jobs here: docker compose runs containers, and ' +
      'Nomad is not installed.',
    ...Object.entries(flat).map(
      ([driver, f]) =>
        `${driver}: per-job time at ${f.to} jobs is ${fixed(f.ratio, 2)}× that at ${f.from} jobs ` +
        `(CPU time per job: ${fixed(f.cpuRatio, 2)}×), ${fixed(f.fromNext.ratio, 2)}× that at ` +
        `${f.fromNext.from} jobs (CPU: ${fixed(f.fromNext.cpuRatio, 2)}×; start-up weighs less there).`,
    ),
    `machine: ${availableParallelism()} CPUs, load average ${fixed(loadBefore, 1)} before and ` +
      `${fixed(loadavg()[0], 1)} after.`,
  ];

  return {
    name,
    title: `Benchmark "${name}": drover apply of N new small jobs, N = ${sizes.join(', ')}`,
    columns: [
      { key: 'tool', label: 'tool', align: 'left' },
      { key: 'jobs', label: 'jobs' },
      { key: 'runs', label: 'runs' },
      { key: 'wallMs', label: 'wall s', format: (v) => fixed(v / 1000, 2) },
      { key: 'planMs', label: 'plan s', format: (v) => fixed(v / 1000, 2) },
      { key: 'msPerJob', label: 'ms/job', format: (v) => fixed(v, 1) },
      { key: 'vsSmallest', label: `× N=${sizes[0]} (peer)`, format: (v) => fixed(v, 2) },
      { key: 'cpuMsPerJob', label: 'CPU ms/job', format: (v) => fixed(v, 1) },
      { key: 'serial', label: 'writes' },
      { key: 'peakRssMB', label: 'peak RSS MB', format: (v) => fixed(v, 1) },
      { key: 'stateKB', label: 'state KB', format: (v) => fixed(v, 0) },
    ],
    rows,
    notes,
    goals: Object.entries(flat).map(([driver, f]) => ({
      text: `${driver}: time per job at ${f.to} jobs ≤ ${FLAT_GOAL}× that at ${f.from} jobs`,
      met: f.ratio <= FLAT_GOAL,
    })),
    data: {
      sizes,
      drivers,
      flatness: flat,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
      ...(opts.profile ? { profiles } : {}),
    },
  };
}

/** One fresh project, one timed apply, its result checked, its processes ended. */
async function applyOnce(driver, jobs, { keep = false, log, node = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-apply-many-'));
  const project = writeApplyManyProject(dir, jobs, driver);
  try {
    const m = await measureLines(
      process.execPath,
      [...node, cli, 'apply', '-auto-approve', '-config', project.config, project.jobs],
      { cwd: dir },
    );
    if (!m.stdout.includes('Apply complete.'))
      throw new Error(
        `drover apply did not complete:\n${m.stdout.split('\n').slice(-30).join('\n')}`,
      );
    const state = JSON.parse(readFileSync(project.state, 'utf8'));
    checkApplied(state, jobs);
    if (driver === 'raw_exec') {
      const alive = taskProcesses(project.alloc).supervisors.length;
      if (alive !== jobs) throw new Error(`${alive} of ${jobs} raw_exec supervisors are running`);
    }
    const first = progressEvents(m.lines)[0];
    return {
      ...m,
      planMs: first ? first.ms : NaN,
      stateKB: Buffer.byteLength(readFileSync(project.state)) / 1024,
      serial: state.serial,
      dir,
    };
  } finally {
    if (driver === 'raw_exec') await stopTaskProcesses(project.alloc);
    if (keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Every job recorded with a stable version and one running allocation. */
function checkApplied(state, jobs) {
  const recorded = Object.values(state.jobs).filter((j) => j.versions.at(-1)?.stable);
  const running = Object.values(state.allocations).filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
  if (recorded.length !== jobs || running.length !== jobs)
    throw new Error(
      `after apply: ${recorded.length} stable jobs and ${running.length} running allocations, ` +
        `expected ${jobs} of each`,
    );
}

/** One more apply under `node --cpu-prof`; logs where the time goes and returns it. */
async function profileOnce(driver, jobs, log) {
  const profDir = mkdtempSync(join(tmpdir(), 'drover-bench-apply-many-prof-'));
  try {
    const m = await applyOnce(driver, jobs, {
      log,
      node: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    });
    const spots = hotSpots(join(profDir, readdirSync(profDir)[0]), root);
    log(
      `profile of ${driver} × ${jobs}: ${Math.round(m.wallMs)} ms wall, ` +
        `${Math.round(spots.totalMs)} ms sampled`,
    );
    log('  most self time:');
    for (const s of spots.self) log(`    ${fixed(s.ms, 0).padStart(6)} ms  ${s.name}`);
    log("  drover's steps, inclusive:");
    for (const s of spots.drover) log(`    ${fixed(s.ms, 0).padStart(6)} ms  ${s.name}`);
    return { wallMs: m.wallMs, ...spots };
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

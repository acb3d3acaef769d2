// Benchmark (issue 3): `drover plan` over 1,000 recorded jobs with no change, side by side with
// `docker-compose up -d` on an unchanged 50-service project, compared per object (ms per job vs
// ms per service).
//
// drover: generates service jobs on the `mock` driver (no real processes) and a drover.hcl with
// one local node, records a state in which every job is applied (drover's own apply command, see
// bench/plan/seed-apply.mjs), then times `drover plan -detailed-exitcode -refresh=false` (the
// benchmark; it must exit 0, no changes) and `drover plan -detailed-exitcode` (with refresh, the
// default) as whole `node bin/drover.js` processes. A real `drover apply` of fewer jobs is timed
// once as an extra row. docker-compose: `up -d` once to create the containers, then `up -d` again
// on the unchanged project, checked to have created, recreated and restarted nothing; `down` at
// the end. Wall time from spawn to exit; peak RSS and CPU time (in --json) through GNU time.
//
// Options (from bench/run.mjs): --jobs=N (1000), --services=N (50), --runs=N (3; medians are
// reported), --seed=N, --real-apply=N (100: jobs in the real-apply row; 0 skips it; the flag alone
// applies all --jobs, which takes long), --profile (CPU-profile one plan of each kind and log the
// hot spots), --keep (leave the generated files).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/measure.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import { prepareCompose, projectContainers, writeComposeProject } from './plan/compose.mjs';
import { writePlanProject } from './plan/generate.mjs';
import { canMeasureMemory, measureCommand } from './plan/measure-command.mjs';
import { hotSpots } from './plan/profile.mjs';

export const name = 'plan';
export const description =
  'plan over recorded jobs with no change: drover vs docker-compose up -d, one whole process each';
/** The options this benchmark understands (see the header). */
export const options = ['jobs', 'services', 'runs', 'seed', 'real-apply', 'profile', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');
const seedChild = fileURLToPath(new URL('./plan/seed-apply.mjs', import.meta.url));

/** Issue 3: the whole `drover plan` process at most this long… */
const WALL_GOAL_MS = 2000;
/** …and at most this much peak memory. */
const MEMORY_GOAL_MB = 300;

export async function run(opts = {}, log = () => {}) {
  const jobs = Number(opts.jobs ?? 1000);
  const services = Number(opts.services ?? 50);
  const runs = Number(opts.runs ?? 3);
  const seed = Number(opts.seed ?? 1);
  const realApply = opts['real-apply'] === true ? jobs : Number(opts['real-apply'] ?? 100);

  ensureCliBuilt(root, log);
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-plan-'));
  let peer;
  try {
    // drover's project, and its state with every job applied.
    const project = join(dir, 'drover');
    const { bytes } = writePlanProject(project, jobs, seed);
    log(`generated ${jobs} mock-driver jobs (${kb(bytes / jobs)} KB each) in ${project}`);
    const seeded = await seedState(project);
    const stateMB = statSync(join(project, 'state', 'state.json')).size / 2 ** 20;
    log(
      `recorded ${jobs} applied jobs in ${Math.round(seeded.wallMs)} ms ` +
        `(${seeded.report.stateWrites} state writes kept in memory, ${fixed(stateMB, 1)} MB state file)`,
    );
    const setupRows = [row('drover apply, state written once (setup)', jobs, seeded)];

    if (realApply > 0) {
      const sample = join(dir, 'drover-apply');
      writePlanProject(sample, realApply, seed);
      log(`real drover apply of ${realApply} jobs (the whole state file rewritten per step)…`);
      const m = await measureCommand(
        process.execPath,
        [cli, 'apply', '-auto-approve', ...configArgs(sample), join(sample, 'jobs')],
        { cwd: sample },
      );
      if (!m.stdout.includes('Apply complete.'))
        throw new Error(`drover apply did not complete:\n${head(m.stdout)}`);
      log(`real apply: ${Math.round(m.wallMs)} ms`);
      setupRows.push(row(`drover apply (real, ${realApply} jobs)`, realApply, m));
    }

    // The peer: a compose project created once.
    const prepared = prepareCompose(log);
    if (prepared.skip) log(`docker-compose row skipped: ${prepared.skip}`);
    else {
      peer = {
        ...prepared.compose,
        project: `drover-bench-plan-${randomBytes(3).toString('hex')}`,
        file: writeComposeProject(join(dir, 'compose'), services),
      };
      log(`docker-compose ${peer.version}: creating ${services} services (${peer.project})…`);
      const created = await compose(peer, ['up', '-d']);
      const containers = projectContainers(peer.project);
      if (containers.length !== services)
        throw new Error(`docker-compose up -d made ${containers.length} of ${services} containers`);
      log(`created in ${Math.round(created.wallMs)} ms`);
      setupRows.push(row('docker-compose up -d, create (setup)', services, created));
    }

    // The timed runs, alternating the order so no tool always runs on a warmer machine.
    const measured = { plan: [], refresh: [], compose: [] };
    const tools = peer ? ['plan', 'refresh', 'compose'] : ['plan', 'refresh'];
    for (let i = 0; i < runs; i++) {
      for (const tool of i % 2 === 0 ? tools : [...tools].reverse()) {
        const m =
          tool === 'compose'
            ? await unchangedUp(peer, services)
            : await plan(project, tool === 'refresh');
        measured[tool].push(m);
        log(
          `run ${i + 1}/${runs} ${tool}: ${Math.round(m.wallMs)} ms (cpu ${Math.round(m.cpuMs)} ms), ` +
            `${mb(m.maxRssKB)} MB`,
        );
      }
    }

    const summarise = (label, objects, ms) =>
      row(label, objects, {
        wallMs: median(ms.map((m) => m.wallMs)),
        maxRssKB: median(ms.map((m) => m.maxRssKB)),
        cpuMs: median(ms.map((m) => m.cpuMs)),
      });
    const ours = summarise('drover plan -refresh=false', jobs, measured.plan);
    const refreshed = summarise('drover plan (with refresh)', jobs, measured.refresh);
    const theirs = peer
      ? summarise('docker-compose up -d, unchanged', services, measured.compose)
      : undefined;

    let profiles;
    if (opts.profile) profiles = await profilePlans(project, join(dir, 'profile'), log);

    const notes = [
      `${jobs.toLocaleString('en-US')} generated service jobs (one group of one \`mock\` task each, so one job ` +
        `is one allocation as one compose service is one container), one local node, a ` +
        `${fixed(stateMB, 1)} MB state file; median of ${runs} run${runs === 1 ? '' : 's'}; every row is ` +
        'one whole process (node start-up included); setup rows are one run.',
      `drover's state was recorded by its apply command with the state kept in memory and written ` +
        `once (${seeded.report.stateWrites} writes batched): the real apply rewrites the whole state file ` +
        'after every step, so applying all jobs at once grows with the square of their number.',
    ];
    if (theirs) {
      const perObject = theirs.msPerObject / ours.msPerObject;
      notes.push(
        `per object: drover ${fixed(ours.msPerObject, 2)} ms/job, docker-compose ` +
          `${fixed(theirs.msPerObject, 2)} ms/service: drover is ${fixed(perObject, 1)}× ` +
          `${perObject >= 1 ? 'faster' : 'slower'} per object ` +
          `(${fixed(refreshed.msPerObject, 2)} ms/job with refresh: ` +
          `${fixed(theirs.msPerObject / refreshed.msPerObject, 1)}×).`,
        `docker-compose ${peer.version}; its \`up -d\` asks the Docker engine about every service, ` +
          "and dockerd's own work is not in its peak RSS.",
      );
    } else notes.push(`docker-compose: skipped (${prepared.skip}).`);
    notes.push(
      `with refresh (the default \`drover plan\`): ${fixed(refreshed.wallMs, 0)} ms, ` +
        `${fixed(refreshed.peakRssMB, 1)} MB: ` +
        `${refreshed.wallMs <= WALL_GOAL_MS && refreshed.peakRssMB <= MEMORY_GOAL_MB ? 'within' : 'outside'} ` +
        'the goals below.',
    );
    const loadAfter = loadavg()[0];
    notes.push(
      `CPU time (user + system, median): drover plan ${fixed(ours.cpuMs, 0)} ms, with refresh ` +
        `${fixed(refreshed.cpuMs, 0)} ms${theirs ? `, docker-compose ${fixed(theirs.cpuMs, 0)} ms` : ''}; ` +
        `load average ${fixed(loadBefore, 1)} at the start, ${fixed(loadAfter, 1)} at the end, on ` +
        `${availableParallelism()} CPUs (wall times include waiting for a CPU on a busy machine).`,
    );
    if (!canMeasureMemory)
      notes.push(
        'peak RSS and CPU time not measured: /usr/bin/time is missing (Debian: apt-get install time).',
      );

    return {
      name,
      title:
        `Benchmark "${name}": drover plan over ${jobs.toLocaleString('en-US')} recorded jobs, no change, ` +
        `vs docker-compose up -d on ${services} unchanged services`,
      columns: [
        { key: 'tool', label: 'tool', align: 'left' },
        { key: 'objects', label: 'objects' },
        { key: 'wallMs', label: 'wall ms', format: (v) => fixed(v, 0) },
        { key: 'msPerObject', label: 'ms/object', format: (v) => fixed(v, 2) },
        { key: 'peakRssMB', label: 'peak RSS MB', format: (v) => fixed(v, 1) },
      ],
      rows: [ours, refreshed, ...(theirs ? [theirs] : []), ...setupRows],
      notes,
      goals: [
        {
          text: `drover plan over ${jobs.toLocaleString('en-US')} recorded jobs, no change, ≤ ${WALL_GOAL_MS / 1000} s whole process`,
          met: ours.wallMs <= WALL_GOAL_MS,
        },
        {
          text: `drover plan peak memory ≤ ${MEMORY_GOAL_MB} MB`,
          met: ours.peakRssMB <= MEMORY_GOAL_MB,
        },
      ],
      data: {
        jobs,
        services,
        runs,
        seed,
        stateBytes: Math.round(stateMB * 2 ** 20),
        stateWrites: seeded.report.stateWrites,
        loadAverage: { start: loadBefore, end: loadAfter },
        perObjectRatio: theirs ? theirs.msPerObject / ours.msPerObject : null,
        composeVersion: peer?.version ?? null,
        composeSkipped: prepared.skip ?? null,
        ...(profiles ? { profiles } : {}),
      },
    };
  } finally {
    if (peer) {
      log(`docker-compose down (${peer.project})`);
      await compose(peer, ['down', '--timeout', '1']).catch((e) =>
        log(`down failed: ${e.message}`),
      );
    }
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const configArgs = (project) => ['-config', join(project, 'drover.hcl')];

/** Records every job of the project as applied (bench/plan/seed-apply.mjs); one whole process. */
async function seedState(project) {
  const m = await measureCommand(process.execPath, [seedChild, join(root, 'dist'), project], {
    cwd: root,
  });
  const last = m.stdout.trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`the seeding apply printed no report:\n${head(m.stdout)}\n${m.stderr}`);
  }
  if (report.exitCode !== 0)
    throw new Error(`the seeding apply exited with ${report.exitCode}:\n${m.stderr.trim()}`);
  return { ...m, report };
}

/** One `drover plan` whole process over the project; it must report no changes. */
async function plan(project, refresh) {
  const args = [
    cli,
    'plan',
    '-detailed-exitcode',
    ...(refresh ? [] : ['-refresh=false']),
    ...configArgs(project),
    join(project, 'jobs'),
  ];
  const m = await measureCommand(process.execPath, args, {
    cwd: project,
    okCodes: [0, 2],
    timeoutMs: 120_000,
  });
  if (m.code === 2)
    throw new Error(`drover plan found changes in an unchanged project:\n${head(m.stdout)}`);
  return m;
}

/** One `up -d` on the created project; it must create, recreate and restart nothing. */
async function unchangedUp(peer, services) {
  const before = projectContainers(peer.project);
  const m = await compose(peer, ['up', '-d']);
  const after = projectContainers(peer.project);
  if (before.length !== services || before.join('\n') !== after.join('\n'))
    throw new Error(`docker-compose up -d changed containers of an unchanged project`);
  return m;
}

function compose(peer, args) {
  return measureCommand(
    peer.command,
    [...peer.prefix, '-p', peer.project, '-f', peer.file, ...args],
    { timeoutMs: 300_000 },
  );
}

/** Runs each kind of plan once under `node --cpu-prof` and logs where the time goes. */
async function profilePlans(project, dir, log) {
  const out = {};
  for (const refresh of [false, true]) {
    const kind = refresh ? 'with refresh' : '-refresh=false';
    const profDir = join(dir, refresh ? 'refresh' : 'no-refresh');
    const args = [
      `--cpu-prof`,
      `--cpu-prof-dir=${profDir}`,
      cli,
      'plan',
      ...(refresh ? [] : ['-refresh=false']),
      ...configArgs(project),
      join(project, 'jobs'),
    ];
    await measureCommand(process.execPath, args, { cwd: project });
    const file = join(profDir, readdirSync(profDir)[0]);
    const spots = hotSpots(file, root);
    out[refresh ? 'refresh' : 'noRefresh'] = spots;
    log(`profile of drover plan ${kind} (${Math.round(spots.totalMs)} ms sampled):`);
    log('  most self time:');
    for (const s of spots.self) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);
    log("  drover's steps, inclusive:");
    for (const s of spots.drover) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);
  }
  return out;
}

/** A table row from a measurement (`{ wallMs, maxRssKB, cpuMs }`); cpuMs is in --json only. */
function row(tool, objects, { wallMs, maxRssKB, cpuMs }) {
  return {
    tool,
    objects,
    wallMs,
    msPerObject: wallMs / objects,
    peakRssMB: maxRssKB / 1024,
    cpuMs,
  };
}

const head = (text) => text.split('\n').slice(0, 30).join('\n');
const kb = (bytes) => fixed(bytes / 1024, 1);
const mb = (kbytes) => fixed(kbytes / 1024, 1);
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

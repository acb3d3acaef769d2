// Benchmark (issue 4): a rolling update of 50 containers, 5 at a time, on the local Docker
// engine: `drover apply` side by side with Docker Swarm's `docker service update` on the same
// engine, both doing the same work (bench/rollout/project.mjs): replace every running container
// of BusyBox httpd v1 by v2, `max_parallel` at a time, each batch waiting only until its new
// containers run (drover: min_healthy_time = 0; Swarm: update delay and monitor 0, stop-first).
//
// drover: a temp project with one service job of `count` docker tasks; `drover apply` of v1
// first (timed once as a setup row), then the timed rollouts `drover apply -auto-approve
// -refresh=false -var tag=…` (the benchmark) and the same with refresh, as whole
// `node bin/drover.js` processes; each run flips the tag, so each is a full rollout. Swarm: a
// single-node swarm (made with `docker swarm init --advertise-addr 127.0.0.1` when the engine is
// in none, and left again at the end), `docker service create` of the same containers, then the
// timed `docker service update --image …`, flipping the tag the same way. Swarm's rollout is
// timed to the moment the Docker API shows it converged; when the CLI returned is its own row.
// Both sides' containers are checked after every rollout, and everything the benchmark made is
// removed at the end.
//
// Options (from bench/run.mjs): --containers=N (50), --max-parallel=N (5), --runs=N (3; medians
// are reported), --profile (CPU-profile one more drover rollout and log the hot spots), --keep
// (leave the generated project; containers and the service are always removed).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/measure.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import { hotSpots } from './plan/profile.mjs';
import { connect, engineProblem, expectJobRuns, removeJobContainers } from './rollout/engine.mjs';
import {
  IMAGE,
  TAGS,
  otherTag,
  swarmCreateArgs,
  swarmUpdateArgs,
  writeRolloutProject,
} from './rollout/project.mjs';
import { leaveSwarm, prepareSwarm, removeService, runSwarmCommand } from './rollout/swarm.mjs';
import { measureLines, rolloutPhases } from './rollout/timeline.mjs';

export const name = 'rollout';
export const description =
  'rolling update of 50 containers, 5 at a time: drover apply vs docker service update (Swarm), same engine';
/** The options this benchmark understands (see the header). */
export const options = ['containers', 'max-parallel', 'runs', 'profile', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');

/** Issue 4: drover's rolling update at least this many times faster than Swarm's. */
const SPEED_GOAL = 1.5;
const PHASES = ['startup', 'stop', 'start', 'gate', 'between', 'finish'];

export async function run(opts = {}, log = () => {}) {
  const count = Number(opts.containers ?? 50);
  const maxParallel = Number(opts['max-parallel'] ?? 5);
  const runs = Number(opts.runs ?? 3);

  ensureCliBuilt(root, log);
  const docker = connect();
  const problem = await engineProblem(docker);
  if (problem) throw new Error(problem);

  const suffix = randomBytes(3).toString('hex');
  const jobId = `bench-rollout-${suffix}`;
  const service = `drover-bench-rollout-${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-rollout-'));
  const loadBefore = loadavg()[0];
  let swarm;
  let serviceMade = false;
  try {
    const project = writeRolloutProject(dir, { jobId, count, maxParallel });
    const apply = async (tag, refresh, node = []) => {
      const m = await measureLines(
        process.execPath,
        [
          ...node,
          cli,
          'apply',
          '-auto-approve',
          ...(refresh ? [] : ['-refresh=false']),
          '-var',
          `tag=${tag}`,
          '-config',
          project.config,
          project.jobs,
        ],
        { cwd: dir },
      );
      if (!m.stdout.includes('Apply complete.'))
        throw new Error(`drover apply did not complete:\n${tail(m.stdout)}`);
      await expectJobRuns(docker, jobId, count, `${IMAGE}:${tag}`);
      return { ...m, phases: rolloutPhases(m.lines, m.wallMs) };
    };

    log(`drover: creating ${count} containers (job ${jobId}) in ${dir}…`);
    const created = await apply(TAGS[0], true);
    log(`created in ${Math.round(created.wallMs)} ms`);
    const setupRows = [
      row('drover apply, initial create (setup)', count, created.wallMs, created.maxRssKB),
    ];

    swarm = prepareSwarm(log);
    if (swarm.skip) log(`Swarm rows skipped: ${swarm.skip}`);
    else {
      log(`Swarm: creating service ${service} of ${count} containers…`);
      serviceMade = true;
      const made = await runSwarmCommand(docker, swarmCreateArgs({ service, count, maxParallel }), {
        service,
        image: `${IMAGE}:${TAGS[0]}`,
        replicas: count,
      });
      log(`converged in ${Math.round(made.convergedMs)} ms (CLI: ${Math.round(made.wallMs)} ms)`);
      setupRows.push(
        row('docker service create, until converged (setup)', count, made.convergedMs, NaN),
      );
    }

    const stateKBBefore = statSync(project.state).size / 1024;
    // The timed rollouts, alternating the order so no tool always runs on a warmer machine;
    // each one flips its side between v1 and v2.
    const tag = { drover: TAGS[0], swarm: TAGS[0] };
    const measured = { plan: [], refresh: [], swarm: [] };
    const tools = swarm.skip ? ['plan', 'refresh'] : ['plan', 'refresh', 'swarm'];
    for (let i = 0; i < runs; i++) {
      for (const tool of i % 2 === 0 ? tools : [...tools].reverse()) {
        const side = tool === 'swarm' ? 'swarm' : 'drover';
        const next = otherTag(tag[side]);
        const m =
          tool === 'swarm'
            ? await runSwarmCommand(docker, swarmUpdateArgs({ service, maxParallel, tag: next }), {
                service,
                image: `${IMAGE}:${next}`,
                replicas: count,
              })
            : await apply(next, tool === 'refresh');
        tag[side] = next;
        measured[tool].push(m);
        log(
          `run ${i + 1}/${runs} ${tool} → ${next}: ` +
            (tool === 'swarm'
              ? `converged in ${Math.round(m.convergedMs)} ms, CLI returned in ${Math.round(m.wallMs)} ms`
              : `${Math.round(m.wallMs)} ms, ${mb(m.maxRssKB)} MB (${phaseText(m.phases)})`),
        );
      }
    }

    let profile;
    if (opts.profile) {
      const next = otherTag(tag.drover);
      profile = await profileRollout(dir, (node) => apply(next, false, node), log);
      tag.drover = next;
    }

    const summarise = (label, ms, key = 'wallMs') =>
      row(label, count, median(ms.map((m) => m[key])), median(ms.map((m) => m.maxRssKB)));
    const ours = summarise('drover apply -refresh=false (rolling update)', measured.plan);
    const refreshed = summarise('drover apply (with refresh)', measured.refresh);
    const rows = [ours, refreshed];
    let theirs;
    let theirCli;
    if (!swarm.skip) {
      theirs = summarise('Swarm rolling update, until converged', measured.swarm, 'convergedMs');
      theirs.peakRssMB = NaN;
      theirCli = summarise('docker service update, until the CLI returns', measured.swarm);
      rows.push(theirs, theirCli);
    }
    const phases = medianPhases(measured.plan.map((m) => m.phases));
    const stateKB = statSync(project.state).size / 1024;

    const notes = [
      `${count} containers of ${IMAGE} (httpd under Docker's init, 16 MB limit, 1 s stop timeout) ` +
        `replaced v1 ↔ v2, ${maxParallel} at a time, each batch waiting only until its new containers run; ` +
        `median of ${runs} run${runs === 1 ? '' : 's'}, the tools alternating; every drover row is one whole ` +
        '`node bin/drover.js` process (start-up and planning included); setup rows are one run.',
    ];
    if (phases) {
      notes.push(
        `drover's rollout by phase (median, summed over ${phases.batches} batches): ` +
          `${phaseText(phases)}.`,
      );
    }
    let speedup = null;
    if (theirs) {
      speedup = theirs.wallMs / ours.wallMs;
      const cliLagMs = median(measured.swarm.map((m) => m.wallMs - m.convergedMs));
      notes.push(
        `drover is ${fixed(speedup >= 1 ? speedup : 1 / speedup, 2)}× ${speedup >= 1 ? 'faster' : 'slower'} ` +
          `than Swarm's rollout (Swarm/drover wall time ${fixed(speedup, 2)}; against the CLI returning ` +
          `${fixed(theirCli.wallMs / ours.wallMs, 2)}; drover with refresh ${fixed(theirs.wallMs / refreshed.wallMs, 2)}).`,
        'Swarm is timed from the `docker service update` spawn to the moment the Docker API shows every ' +
          `task running the new image and the update complete (the CLI returned ${fixed(cliLagMs, 0)} ms ` +
          `later, median). Both keep ${maxParallel} replacements in flight and start the next as soon as one ` +
          'is done (drover: as soon as one is healthy). Swarm keeps the replaced containers, ' +
          "stopped, as task history (5 per slot by default); drover removes them. dockerd's work is in " +
          'no peak RSS.',
      );
    } else notes.push(`Swarm: skipped (${swarm.skip}).`);
    notes.push(
      `drover's state file grew from ${fixed(stateKBBefore, 0)} KB to ${fixed(stateKB, 0)} KB ` +
        '(replaced allocations stay recorded, and every step rewrites the whole file); its ' +
        `-refresh=false rollouts in order: ${measured.plan.map((m) => `${fixed(m.wallMs / 1000, 1)} s`).join(', ')}.`,
      `machine: ${cpus().length} cores, load average ${fixed(loadBefore, 1)} before and ` +
        `${fixed(loadavg()[0], 1)} after.`,
    );

    return {
      name,
      title:
        `Benchmark "${name}": rolling update of ${count} containers, max_parallel ${maxParallel}, ` +
        'drover apply vs docker service update (Swarm), same Docker engine',
      columns: [
        { key: 'tool', label: 'tool', align: 'left' },
        { key: 'containers', label: 'containers' },
        { key: 'wallMs', label: 'wall s', format: (v) => fixed(v / 1000, 2) },
        { key: 'msPerContainer', label: 'ms/container', format: (v) => fixed(v, 0) },
        { key: 'peakRssMB', label: 'peak RSS MB', format: (v) => fixed(v, 1) },
      ],
      rows: [...rows, ...setupRows],
      notes,
      goals: [
        {
          text:
            `drover's rolling update of ${count} containers (max_parallel ${maxParallel}) ` +
            `≥ ${SPEED_GOAL}× faster than Swarm's`,
          met: speedup !== null && speedup >= SPEED_GOAL,
        },
      ],
      data: {
        containers: count,
        maxParallel,
        runs,
        jobId,
        service,
        speedup,
        speedupVsCli: theirCli ? theirCli.wallMs / ours.wallMs : null,
        phasesMs: phases ?? null,
        swarmCreated: swarm.created ?? false,
        swarmSkipped: swarm.skip ?? null,
        loadAverage: { before: loadBefore, after: loadavg()[0] },
        stateBytes: { before: Math.round(stateKBBefore * 1024), after: Math.round(stateKB * 1024) },
        ...(profile ? { profile } : {}),
      },
    };
  } finally {
    const removed = await removeJobContainers(docker, jobId).catch((e) => {
      log(`removing the job's containers failed: ${e.message}`);
      return 0;
    });
    log(`removed ${removed} containers labelled drover.job=${jobId}`);
    if (serviceMade)
      await removeService(docker, service, log).catch((e) =>
        log(`removing ${service} failed: ${e.message}`),
      );
    if (swarm?.created) {
      try {
        leaveSwarm(log);
      } catch (e) {
        log(`docker swarm leave --force failed: ${e.message}`);
      }
    }
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** One more drover rollout under `node --cpu-prof`: logs where the time goes, returns it. */
async function profileRollout(dir, applyWith, log) {
  const profDir = join(dir, 'profile');
  const m = await applyWith([`--cpu-prof`, `--cpu-prof-dir=${profDir}`]);
  const spots = hotSpots(join(profDir, readdirSync(profDir)[0]), root);
  log(
    `profile of one rollout: ${Math.round(m.wallMs)} ms wall, ${Math.round(spots.totalMs)} ms ` +
      `sampled (${phaseText(m.phases)})`,
  );
  log('  most self time:');
  for (const s of spots.self) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);
  log("  drover's steps, inclusive:");
  for (const s of spots.drover) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);
  return { wallMs: m.wallMs, phasesMs: m.phases ?? null, ...spots };
}

/** Per phase, the median over runs (runs without a rollout are left out). */
function medianPhases(list) {
  const all = list.filter(Boolean);
  if (all.length === 0) return undefined;
  const out = { batches: median(all.map((p) => p.batches)) };
  for (const k of PHASES) out[k] = median(all.map((p) => p[k]));
  return out;
}

function phaseText(p) {
  if (!p) return 'no rollout seen in its output';
  const s = (ms) => `${fixed(ms / 1000, 1)} s`;
  return (
    `start-up and plan ${s(p.startup)}, stopping old ${s(p.stop)}, starting new ${s(p.start)}, ` +
    `health gates ${s(p.gate)}, between batches ${s(p.between)}, finishing ${s(p.finish)}`
  );
}

function row(tool, containers, wallMs, maxRssKB) {
  return {
    tool,
    containers,
    wallMs,
    msPerContainer: wallMs / containers,
    peakRssMB: maxRssKB / 1024,
  };
}

const tail = (text) => text.split('\n').slice(-30).join('\n');
const mb = (kbytes) => fixed(kbytes / 1024, 1);
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

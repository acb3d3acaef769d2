// Benchmark (issue 5, benchmark 3): `drover apply` of 50 containers across 5 SSH hosts, side by
// side with the same Docker engine starting the same containers directly.
//
// drover: 5 real OpenSSH servers on 127.0.0.21–25 (bench/lib/sshd.mjs; user `deploy`, in group
// docker), all on this machine, so the docker driver reaches the one local engine through each
// host's SSH connection (a stream-local forward to /var/run/docker.sock). A temp project
// (bench/fleet/project.mjs) declares them as 5 ssh nodes whose host keys are pre-trusted in
// known_hosts, and one service job of 50 docker tasks spread 10 per node. Timed: the whole
// `node bin/drover.js apply -auto-approve` process, spawn to exit, on a fresh state each run.
//
// Peer: the same 50 containers (drover's own, read back from the engine: image, command, env,
// labels, binds, limits, names) created and started through the Docker API on the local socket
// (dockerode), at several parallelisms; the fastest is the peer. Containers are removed between
// runs, untimed. Runs alternate their order so no side always runs on a warmer machine.
//
// Options (from bench/run.mjs): --hosts=N (5), --containers=N (50), --runs=N (3; medians),
// --peer-parallelism=LIST (1,5,10,all), --profile (CPU-profile one more drover apply and report
// where its time goes), --keep (leave the generated project; containers are always removed).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { median } from './lib/measure.mjs';
import { SSH_USER, startSshd } from './lib/sshd.mjs';
import { comparable, containerRecipe, createAndStart } from './fleet/peer.mjs';
import { cpuByArea } from './fleet/profile.mjs';
import { IMAGE, TAG, hostAddress, writeFleetProject } from './fleet/project.mjs';
import { placementPhases } from './fleet/timeline.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import { measureCommand } from './plan/measure-command.mjs';
import { hotSpots } from './plan/profile.mjs';
import { connect, engineProblem, removeJobContainers } from './rollout/engine.mjs';
import { measureLines } from './rollout/timeline.mjs';

export const name = 'fleet';
export const description =
  'apply of 50 containers across 5 SSH hosts: drover apply vs the same engine starting them directly';
/** The options this benchmark understands (see the header). */
export const options = ['hosts', 'containers', 'runs', 'peer-parallelism', 'profile', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');
/** Issue 5: drover's apply takes at most this many times the engine's own time. */
const GOAL_RATIO = 1.15;
const PHASES = ['plan', 'record', 'start', 'gate', 'finish'];
const MAX_HOSTS = 20;

export async function run(opts = {}, log = () => {}) {
  const hostCount = Number(opts.hosts ?? 5);
  const count = Number(opts.containers ?? 50);
  const runs = Number(opts.runs ?? 3);
  if (!(Number.isInteger(hostCount) && hostCount >= 1 && hostCount <= MAX_HOSTS))
    throw new Error(`--hosts must be 1 to ${MAX_HOSTS}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new Error('--containers must be ≥ 1');
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error('--runs must be ≥ 1');
  const widths = parseWidths(String(opts['peer-parallelism'] ?? '1,5,10,all'), count);

  ensureCliBuilt(root, log);
  const docker = connect();
  const problem = await engineProblem(docker);
  if (problem) throw new Error(problem);

  const jobId = `bench-fleet-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-fleet-'));
  const loadBefore = loadavg()[0];
  const hosts = [];
  try {
    const started = await Promise.allSettled(
      Array.from({ length: hostCount }, (_, i) => startSshd(hostAddress(i), log)),
    );
    for (const s of started) if (s.status === 'fulfilled') hosts.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;

    const project = writeFleetProject(dir, {
      jobId,
      count,
      hosts: hosts.map((h) => ({ ...h, user: SSH_USER })),
      owner: userIds(SSH_USER),
    });
    /** Untimed: no container of the job, no state, empty alloc_root. */
    const reset = async () => {
      await removeJobContainers(docker, jobId);
      rmSync(project.stateDir, { recursive: true, force: true });
      for (const entry of readdirSync(project.alloc))
        rmSync(join(project.alloc, entry), { recursive: true, force: true });
    };
    const droverArgs = (node = []) => [
      `HOME=${project.home}`,
      process.execPath,
      ...node,
      cli,
      'apply',
      '-auto-approve',
      '-config',
      project.config,
      project.jobs,
    ];
    const apply = async (node = []) => {
      await reset();
      const m = await measureLines('/usr/bin/env', droverArgs(node), { cwd: dir });
      if (!m.stdout.includes('Apply complete.'))
        throw new Error(`drover apply did not complete:\n${tail(m.stdout)}`);
      const running = await runningContainers(docker, jobId, count);
      const statePath = join(project.stateDir, 'state.json');
      const state = {
        serial: JSON.parse(readFileSync(statePath, 'utf8')).serial,
        bytes: statSync(statePath).size,
      };
      return { ...m, running, state, phases: placementPhases(m.lines, m.wallMs) };
    };

    let recipes;
    let reference;
    const peer = async (width) => {
      await reset();
      const m = await createAndStart(docker, recipes, width);
      const running = await runningContainers(docker, jobId, count);
      // The peer made the very containers drover made.
      for (const info of running) {
        if (!isDeepStrictEqual(comparable(info), reference.get(info.Name)))
          throw new Error(`the peer's container ${info.Name} differs from drover's`);
      }
      return m;
    };

    const measured = { drover: [], ...Object.fromEntries(widths.map((w) => [w, []])) };
    let placement;
    const sides = ['drover', ...widths];
    for (let i = 0; i < runs; i++) {
      // The first run is drover's: the peer's containers are read back from it.
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        if (side === 'drover') {
          const m = await apply();
          measured.drover.push(m);
          placement ??= perNode(m.running);
          if (!recipes) {
            recipes = m.running
              .sort((a, b) => a.Created.localeCompare(b.Created))
              .map(containerRecipe);
            reference = new Map(m.running.map((info) => [info.Name, comparable(info)]));
          }
          log(
            `run ${i + 1}/${runs} drover apply: ${Math.round(m.wallMs)} ms, ${mb(m.maxRssKB)} MB ` +
              `(${phaseText(m.phases)})`,
          );
        } else {
          const m = await peer(side);
          measured[side].push(m);
          log(
            `run ${i + 1}/${runs} Docker API, ${side} at a time: ${Math.round(m.wallMs)} ms ` +
              `(create ${fixed(median(m.createMs), 0)} ms, start ${fixed(median(m.startMs), 0)} ms per container, median)`,
          );
        }
      }
    }

    let profile;
    if (opts.profile) profile = await profileApply(project, dir, apply, droverArgs, reset, log);

    const stateInfo = measured.drover[measured.drover.length - 1].state;

    const ours = {
      tool: `drover apply -auto-approve (${hostCount} SSH hosts)`,
      parallelism: 'all',
      ...summary(count, measured.drover),
    };
    const peers = widths.map((w) => ({
      tool: 'Docker API on the local socket (dockerode)',
      parallelism: String(w),
      ...summary(count, measured[w]),
    }));
    const best = peers.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    best.tool += ' ← peer';
    const ratio = ours.wallMs / best.wallMs;
    const sequential = peers.find((p) => p.parallelism === '1');
    const phases = medianPhases(measured.drover.map((m) => m.phases));

    const notes = [
      `${count} containers of ${IMAGE}:${TAG} (httpd under Docker's init, 16 MB limit, no published ` +
        `ports) on ${hostCount} ssh nodes that all reach this machine's one Docker engine; median of ` +
        `${runs} run${runs === 1 ? '' : 's'}, the sides alternating; drover's row is one whole ` +
        '`node bin/drover.js` process on a fresh state; the peer creates and starts the same containers ' +
        "(read back from drover's) through the Docker API, timed from its first request to the last answer; " +
        'create ms and start ms are the median latency of one request, queueing in the engine included.',
      `drover is ${fixed(ratio, 2)}× the engine's own time (drover ${fixed(ours.wallMs / 1000, 2)} s / ` +
        `peer ${fixed(best.wallMs / 1000, 2)} s, ${best.parallelism} at a time, the fastest of ` +
        `${widths.join(', ')}).`,
      `the engine's own time per container: ${fixed(best.msPerContainer, 0)} ms at its best throughput ` +
        `(${best.parallelism} at a time)` +
        (sequential
          ? `; one at a time ${fixed(sequential.createMs, 0)} ms create + ${fixed(sequential.startMs, 0)} ms start (median).`
          : '.'),
    ];
    if (phases) {
      notes.push(
        `drover's apply by phase (median): ${phaseText(phases)}; per allocation, starting → running ` +
          `${fixed(phases.perAllocStart, 0)} ms (median).`,
      );
    }
    if (placement) notes.push(`placement: ${placement.map(([n, c]) => `${n} ${c}`).join(', ')}.`);
    if (stateInfo)
      notes.push(
        `the apply wrote its state file ${stateInfo.serial} times (serial), ` +
          `${fixed(stateInfo.bytes / 1024, 0)} KB at the end.`,
      );
    notes.push(
      `machine: ${cpus().length} cores, load average ${fixed(loadBefore, 1)} before and ` +
        `${fixed(loadavg()[0], 1)} after.`,
    );

    return {
      name,
      title:
        `Benchmark "${name}": apply of ${count} containers across ${hostCount} SSH hosts, ` +
        'drover apply vs the same Docker engine starting them directly',
      columns: [
        { key: 'tool', label: 'tool', align: 'left' },
        { key: 'parallelism', label: 'at a time' },
        { key: 'containers', label: 'containers' },
        { key: 'wallMs', label: 'wall s', format: (v) => fixed(v / 1000, 2) },
        { key: 'msPerContainer', label: 'ms/container', format: (v) => fixed(v, 0) },
        { key: 'createMs', label: 'create ms', format: (v) => fixed(v, 0) },
        { key: 'startMs', label: 'start ms', format: (v) => fixed(v, 0) },
        { key: 'peakRssMB', label: 'peak RSS MB', format: (v) => fixed(v, 1) },
      ],
      rows: [ours, ...peers],
      notes,
      goals: [
        {
          text:
            `drover's apply of ${count} containers across ${hostCount} SSH hosts ≤ ${GOAL_RATIO}× ` +
            `the engine's own time (${fixed(ratio, 2)}×)`,
          met: ratio <= GOAL_RATIO,
        },
      ],
      data: {
        hosts: hostCount,
        containers: count,
        runs,
        jobId,
        ratio,
        peerParallelism: Number(best.parallelism),
        droverRunsMs: measured.drover.map((m) => m.wallMs),
        peerRunsMs: Object.fromEntries(widths.map((w) => [w, measured[w].map((m) => m.wallMs)])),
        phasesMs: phases ?? null,
        placement: placement ? Object.fromEntries(placement) : null,
        state: stateInfo ?? null,
        loadAverage: { before: loadBefore, after: loadavg()[0] },
        ...(profile ? { profile } : {}),
      },
    };
  } finally {
    const removed = await removeJobContainers(docker, jobId).catch((e) => {
      log(`removing the job's containers failed: ${e.message}`);
      return 0;
    });
    log(`removed ${removed} containers labelled drover.job=${jobId}`);
    await Promise.all(hosts.map((h) => h.stop().catch((e) => log(`stopping sshd: ${e.message}`))));
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** `1,5,10,all` → [1, 5, 10, count], without duplicates. */
export function parseWidths(list, count) {
  const widths = list.split(',').map((w) => (w.trim() === 'all' ? count : Number(w)));
  if (widths.some((w) => !Number.isInteger(w) || w < 1))
    throw new Error(`--peer-parallelism takes numbers ≥ 1 and "all", not ${list}`);
  return [...new Set(widths.map((w) => Math.min(w, count)))];
}

function userIds(user) {
  const id = (flag) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The job's running containers, inspected; throws unless there are exactly `count`. */
async function runningContainers(docker, jobId, count) {
  const list = await docker.listContainers({
    filters: { label: [`drover.job=${jobId}`], status: ['running'] },
  });
  if (list.length !== count)
    throw new Error(`job ${jobId} runs ${list.length} containers, expected ${count}`);
  const infos = await Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
  const wrong = infos.find((i) => i.Config.Image !== `${IMAGE}:${TAG}`);
  if (wrong) throw new Error(`container ${wrong.Name} runs ${wrong.Config.Image}`);
  return infos;
}

/** `[[node, containers], …]` by the drover.node label, in node order. */
function perNode(infos) {
  const counts = new Map();
  for (const i of infos) {
    const node = i.Config.Labels['drover.node'];
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }));
}

/** One more apply under `node --cpu-prof`, plus `drover plan` on a fresh state: where time goes. */
async function profileApply(project, dir, apply, droverArgs, reset, log) {
  const profDir = join(dir, 'profile');
  const m = await apply(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  const file = join(profDir, readdirSync(profDir)[0]);
  const areas = cpuByArea(file, root);
  const spots = hotSpots(file, root);
  log(
    `profile of one apply: ${Math.round(m.wallMs)} ms wall, ${Math.round(areas.totalMs - areas.idleMs)} ms ` +
      `on drover's CPU (${Math.round(areas.idleMs)} ms idle, ${Math.round(areas.gcMs)} ms GC); ` +
      phaseText(m.phases),
  );
  log('  CPU by area (first … last seen, ms from start):');
  for (const a of areas.areas)
    log(
      `    ${fixed(a.ms, 0).padStart(5)} ms  ${a.area.padEnd(24)} ${fixed(a.firstMs, 0)} … ${fixed(a.lastMs, 0)}`,
    );
  log('  most self time:');
  for (const s of spots.self) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);
  log("  drover's steps, inclusive:");
  for (const s of spots.drover) log(`    ${fixed(s.ms, 0).padStart(5)} ms  ${s.name}`);

  // The plan on its own (fingerprints over SSH included), and a process that only parses.
  const planMs = [];
  const validateMs = [];
  for (let i = 0; i < 3; i++) {
    await reset();
    const args = droverArgs();
    const plan = args.map((a) => (a === 'apply' ? 'plan' : a)).filter((a) => a !== '-auto-approve');
    planMs.push((await measureCommand('/usr/bin/env', plan, { cwd: dir })).wallMs);
    const validate = ['validate', project.jobs];
    validateMs.push(
      (await measureCommand(process.execPath, [cli, ...validate], { cwd: dir })).wallMs,
    );
  }
  log(
    `drover plan (fresh state, ${project.jobs}): ${fixed(median(planMs), 0)} ms; ` +
      `drover validate: ${fixed(median(validateMs), 0)} ms (median of 3)`,
  );
  return {
    wallMs: m.wallMs,
    phasesMs: m.phases ?? null,
    cpu: areas,
    hotSpots: spots,
    planMs: median(planMs),
    validateMs: median(validateMs),
  };
}

function summary(count, list) {
  const wallMs = median(list.map((m) => m.wallMs));
  return {
    containers: count,
    wallMs,
    msPerContainer: wallMs / count,
    createMs: list[0]?.createMs ? median(list.flatMap((m) => m.createMs)) : NaN,
    startMs: list[0]?.startMs ? median(list.flatMap((m) => m.startMs)) : NaN,
    peakRssMB: list[0]?.maxRssKB !== undefined ? median(list.map((m) => m.maxRssKB)) / 1024 : NaN,
  };
}

/** Per phase, the median over runs (runs without a placement are left out). */
function medianPhases(list) {
  const all = list.filter(Boolean);
  if (all.length === 0) return undefined;
  const out = {};
  for (const k of [...PHASES, 'perAllocStart', 'perAllocGate'])
    out[k] = median(all.map((p) => p[k]));
  return out;
}

function phaseText(p) {
  if (!p) return 'no placement seen in its output';
  const s = (ms) => `${fixed(ms / 1000, 2)} s`;
  return (
    `start-up to plan ${s(p.plan)}, recording ${s(p.record)}, starting containers ${s(p.start)}, ` +
    `health gates ${s(p.gate)}, finishing ${s(p.finish)}`
  );
}

const tail = (text) => text.split('\n').slice(-30).join('\n');
const mb = (kbytes) => fixed(kbytes / 1024, 1);
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

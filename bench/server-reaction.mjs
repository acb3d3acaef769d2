// Benchmark: how fast the leader's reconcile loop (src/server/controller) reacts on real hosts,
// with nobody running apply. A controller runs in this process on a ServerContext made with
// createServerContext over the CLI's engine (real state file, raw_exec, local and SSH
// transports); jobs are applied with the built CLI.
//   restart     a raw_exec task killed with SIGKILL is running again (its supervisor restarts it:
//               restart { delay = "0s" }), from the kill to the new process in the status file;
//   reschedule  the same with no restart left: the loop replaces the failed allocation once its
//               reschedule delay has passed. Nomad refuses a delay under 5 s, so the delay is
//               5 s and the reaction is measured beyond it (kill → replacement running, less 5 s);
//   lost node   an SSH node (a real sshd on loopback, user deploy) whose sshd is stopped: its
//               allocation running again on the local node, measured from the stop, against the
//               grace period + 2 s.
// Goals (issue 15): restart and reschedule within 2 s median; a lost node's allocations
// replaced within grace + 2 s.
//
// Options (from bench/run.mjs): --reaction-runs=N (5 kills per row), --reaction-node-runs=N (3
// sshd stops), --reaction-grace-ms=MS (3000), --reaction-interval-ms=MS (1000, the controller's
// reconcile interval), --reaction-address=A (127.0.0.192).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { SSH_USER, startSshd } from './lib/sshd.mjs';

export const name = 'server-reaction';
export const description =
  'drover server reacting without apply: a killed task restarted or rescheduled, a lost SSH node replaced';
export const options = [
  'reaction-runs',
  'reaction-node-runs',
  'reaction-grace-ms',
  'reaction-interval-ms',
  'reaction-address',
];

const root = fileURLToPath(new URL('..', import.meta.url));
const DROVER = join(root, 'bin/drover.js');
const execAsync = promisify(execFile);
const GOAL_MS = 2_000;
const RESCHEDULE_DELAY_MS = 5_000;

export async function run(opts = {}, log = () => {}) {
  const runs = Number(opts['reaction-runs'] ?? 5);
  const nodeRuns = Number(opts['reaction-node-runs'] ?? 3);
  const graceMs = Number(opts['reaction-grace-ms'] ?? 3_000);
  const intervalMs = Number(opts['reaction-interval-ms'] ?? 1_000);
  const address = String(opts['reaction-address'] ?? '127.0.0.192');
  if (!/^127\.\d+\.\d+\.\d+$/.test(address))
    throw new Error('--reaction-address must be 127.x.y.z');
  ensureBuilt(log);
  const engine = await loadEngine();
  const settings = {
    reconcileIntervalMs: intervalMs,
    nodeCheckIntervalMs: 500,
    nodeGraceMs: graceMs,
  };

  const restart = await killedTask(engine, settings, 'restart', runs, log);
  const resched = await killedTask(engine, settings, 'reschedule', runs, log);
  const lost = await lostNodes(engine, settings, address, nodeRuns, log);

  const rows = [
    row('restart (supervisor)', 'kill -9 → task running again', restart, GOAL_MS),
    row(
      'reschedule (loop)',
      `kill -9 → replacement running, less the ${RESCHEDULE_DELAY_MS / 1000} s delay`,
      resched.map((ms) => ms - RESCHEDULE_DELAY_MS),
      GOAL_MS,
    ),
    row('lost SSH node (loop)', 'sshd stopped → replacement running', lost, graceMs + GOAL_MS),
  ];
  return {
    name,
    title: `drover server reaction (reconcile interval ${intervalMs} ms, node checks 500 ms, grace ${graceMs} ms)`,
    columns: [
      { key: 'what', label: 'what', align: 'left' },
      { key: 'measured', label: 'measured', align: 'left' },
      { key: 'runs', label: 'runs' },
      { key: 'median', label: 'median ms', format: ms },
      { key: 'max', label: 'max ms', format: ms },
      { key: 'goal', label: 'goal ms', format: ms },
    ],
    rows,
    notes: [
      'restart: the task`s POSIX-sh supervisor restarts it (restart { attempts = 10, delay = "0s" }); the loop is not involved.',
      `reschedule: restart { attempts = 0 }, reschedule { delay = "5s" } (Nomad's minimum); the failed allocation is seen at the next pass, the replacement placed when the delay has passed (Nomad places one due within 1 s at once; task end times are whole seconds), so this may be negative.`,
      `lost node: the node is checked every 500 ms and declared down after ${graceMs} ms without an answer.`,
    ],
    goals: [
      {
        text: `a killed task is running again (restart) within ${GOAL_MS} ms median`,
        met: rows[0].median <= GOAL_MS,
      },
      {
        text: `a killed task is replaced (reschedule) within ${GOAL_MS} ms median beyond its delay`,
        met: rows[1].median <= GOAL_MS,
      },
      {
        text: `a lost node's allocations are replaced within grace + ${GOAL_MS} ms (median)`,
        met: rows[2].median <= graceMs + GOAL_MS,
      },
    ],
  };
}

function row(what, measured, samples, goal) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    what,
    measured,
    runs: samples.length,
    median: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    goal,
  };
}

const ms = (v) => (Number.isFinite(v) ? String(Math.round(v)) : '-');

// ---------------------------------------------------------------------------------------------

async function killedTask(engine, settings, kind, runs, log) {
  const dir = mkdtempSync(join(tmpdir(), `drover-bench-reaction-${kind}-`));
  const allocRoot = join(dir, 'alloc');
  const id = `bench-${kind}-${process.pid}`;
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
  );
  const policy =
    kind === 'restart'
      ? 'restart {\n      attempts = 10\n      interval = "5m"\n      delay    = "0s"\n      mode     = "fail"\n    }'
      : 'restart {\n      attempts = 0\n      mode     = "fail"\n    }\n    reschedule {\n      delay          = "5s"\n      delay_function = "constant"\n      unlimited      = true\n    }';
  writeFileSync(join(dir, 'job.nomad.hcl'), jobText(id, policy, 3600));
  const samples = [];
  await drover(dir, ['apply', '-auto-approve', 'job.nomad.hcl']);
  const server = await engine.start(dir, settings);
  try {
    for (let i = 0; i < runs; i++) {
      const state = await server.state();
      const alloc = live(state, id)[0];
      const pid = await until(() => taskPid(allocRoot, alloc.id), 10_000, 'the task pid');
      const killed = performance.now();
      process.kill(pid, 'SIGKILL');
      if (kind === 'restart') {
        await until(
          () => {
            const p = taskPid(allocRoot, alloc.id);
            return p && p !== pid ? p : undefined;
          },
          30_000,
          'the restarted task',
          10,
        );
      } else {
        await until(
          async () => live(await server.state(), id).find((a) => a.id !== alloc.id),
          30_000,
          'the replacement',
          20,
        );
      }
      samples.push(performance.now() - killed);
      log(`${kind}: run ${i + 1}: ${Math.round(samples[samples.length - 1])} ms`);
    }
  } finally {
    await server.stop();
    await drover(dir, ['stop', '-auto-approve', '-purge', id]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

async function lostNodes(engine, settings, address, runs, log) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'drover-bench-reaction-node-'));
    const remoteRoot = mkdtempSync(join(tmpdir(), 'drover-bench-reaction-ssh-'));
    chmodSync(remoteRoot, 0o777);
    const id = `bench-lost-${process.pid}-${i}`;
    const host = await startSshd(address, log);
    let stopped = false;
    writeFileSync(
      join(dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n\nnode "remote" {\n  transport  = "ssh"\n  address    = "${address}"\n  port       = ${host.port}\n  user       = "${SSH_USER}"\n  identity   = "${host.userKey}"\n  alloc_root = "${remoteRoot}/alloc"\n}\n`,
    );
    // The remote task ends on its own (no restart), as its host's stop cannot reach it.
    writeFileSync(
      join(dir, 'job.nomad.hcl'),
      jobText(id, 'restart {\n      attempts = 0\n      mode     = "fail"\n    }', 30),
    );
    let server;
    try {
      await drover(dir, ['node', 'eligibility', '-auto-approve', '-disable', 'local']);
      await drover(dir, ['apply', '-auto-approve', 'job.nomad.hcl']);
      await drover(dir, ['node', 'eligibility', '-auto-approve', '-enable', 'local']);
      server = await engine.start(dir, settings);
      await until(
        async () => (await server.state()).serial > 0 && server.passes() > 0,
        60_000,
        'a first pass',
      );
      const [original] = live(await server.state(), id);
      if (original?.node !== 'remote')
        throw new Error(
          `the allocation runs on ${original?.node ?? 'no node'}, not on the SSH node`,
        );
      const started = performance.now();
      await host.stop();
      stopped = true;
      await until(
        async () =>
          live(await server.state(), id).find((a) => a.id !== original.id && a.node === 'local'),
        settings.nodeGraceMs + 30_000,
        'the replacement',
        20,
      );
      samples.push(performance.now() - started);
      log(`lost node: run ${i + 1}: ${Math.round(samples[samples.length - 1])} ms`);
    } finally {
      await server?.stop();
      if (!stopped) await host.stop();
      await drover(dir, ['stop', '-auto-approve', '-purge', id]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      rmSync(remoteRoot, { recursive: true, force: true });
    }
  }
  return samples;
}

function jobText(id, policy, seconds) {
  return `job "${id}" {
  group "g" {
    ${policy}
    update {
      min_healthy_time = "0s"
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["${seconds}"]
      }
    }
  }
}
`;
}

// ---------------------------------------------------------------------------------------------

/** The built engine: a controller on a ServerContext over the CLI's session of `dir`. */
async function loadEngine() {
  const load = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
  const [{ openSession }, { Diagnostics }, { createServerContext }, { startController }] =
    await Promise.all([
      load('src/cli/session.js'),
      load('src/diag/diagnostic.js'),
      load('src/server/context.js'),
      load('src/server/controller/index.js'),
    ]);
  return {
    async start(dir, over) {
      const diags = new Diagnostics();
      const session = await openSession(join(dir, 'drover.hcl'), diags);
      if (!session) throw new Error(diags.items.map((d) => d.summary).join('; '));
      let passes = 0;
      const quiet = () => {};
      const ctx = createServerContext({
        settings: {
          address: '127.0.0.1',
          port: 0,
          name: 'bench',
          region: 'global',
          datacenter: 'dc1',
          selfHeal: false,
          leaseTtlMs: 15_000,
          gcThresholdMs: 4 * 3_600_000,
          logJson: false,
          acl: { enabled: false },
          ...over,
        },
        engine: session,
        events: { since: () => [], subscribe: () => () => {} },
        metrics: {
          increment: quiet,
          gauge: quiet,
          sample: (n) => {
            if (n === 'controller.reconcile_duration') passes++;
          },
        },
        log: { info: quiet, warn: quiet, error: (m) => console.error(`  controller: ${m}`) },
      });
      const controller = startController(ctx);
      return {
        state: () => session.store.read(),
        passes: () => passes,
        async stop() {
          await controller.stop();
          await session.close();
        },
      };
    },
  };
}

async function drover(cwd, args) {
  try {
    return await execAsync(process.execPath, [DROVER, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
  } catch (e) {
    throw new Error(`drover ${args.join(' ')} failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

const live = (state, job) =>
  Object.values(state.allocations).filter(
    (a) => a.job === job && a.desired_status === 'run' && a.client_status === 'running',
  );

async function until(check, timeoutMs, what, pollMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The pid the supervisor records for the task's current run, while it runs. */
function taskPid(allocRoot, allocId) {
  const file = findFile(join(allocRoot, allocId), 'status');
  if (!file) return undefined;
  const text = readFileSync(file, 'utf8');
  const pid = /^pid=(\d+)$/m.exec(text)?.[1];
  return pid && /^state=running$/m.test(text) ? Number(pid) : undefined;
}

function findFile(dir, name) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.isFile() && e.name === name) return join(dir, e.name);
  for (const e of entries)
    if (e.isDirectory()) {
      const f = findFile(join(dir, e.name), name);
      if (f) return f;
    }
  return undefined;
}

function ensureBuilt(log) {
  const built = join(root, 'dist/src/server/controller/index.js');
  const sources = join(root, 'src/server/controller');
  const newest = Math.max(
    ...readdirSync(sources)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(join(sources, f)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('dist/ is missing or stale: running npm run build');
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    if (!existsSync(built))
      throw new Error('npm run build did not produce dist/src/server/controller/index.js');
  }
}

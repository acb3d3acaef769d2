// The rollout benchmark's peer: Docker Swarm on the same engine. Joins the engine to a
// single-node swarm when it is in none (and leaves it again at the end), runs `docker service`
// commands as whole processes, and watches the service through the Docker API to see the moment
// its rollout converged. The CLI's own wait differs: `service update` returns once Swarm marks the
// update complete, but `service create` (no update to complete) watches a converged service for
// 5 s more to "verify" it, a fixed wait `--update-monitor 0s` does not shorten.
import { execFileSync } from 'node:child_process';
import { measureCommand } from '../plan/measure-command.mjs';

const quiet = { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 };
const POLL_MS = 100;

function tryRun(file, args) {
  try {
    return execFileSync(file, args, quiet).trim();
  } catch {
    return undefined;
  }
}

/**
 * Makes the engine a swarm manager: `{ created }` (true when this call made the swarm, so
 * `leaveSwarm` must undo it), or `{ skip: reason }` when Swarm cannot be used here.
 */
export function prepareSwarm(log) {
  const info = tryRun('docker', [
    'info',
    '--format',
    '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}',
  ]);
  if (info === undefined) return { skip: 'no Docker engine answers' };
  const [state, manager] = info.split(' ');
  if (state === 'active' && manager === 'true') return { created: false };
  if (state === 'active') return { skip: 'the engine is a swarm worker, not a manager' };
  if (state !== 'inactive') return { skip: `the engine's swarm is ${state}` };
  log('docker swarm init --advertise-addr 127.0.0.1 (left again at the end)');
  try {
    execFileSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], quiet);
  } catch (e) {
    return { skip: `docker swarm init failed: ${String(e.stderr ?? e.message).trim()}` };
  }
  return { created: true };
}

export function leaveSwarm(log) {
  log('docker swarm leave --force (the swarm was made by this benchmark)');
  execFileSync('docker', ['swarm', 'leave', '--force'], quiet);
}

/**
 * Whether the service runs `replicas` tasks of `image` and nothing else is on its way: every
 * task meant to run is running that image, and its update (if any) is complete.
 */
export function swarmConverged(service, tasks, { image, replicas }) {
  const update = service.UpdateStatus?.State;
  if (update !== undefined && update !== 'completed') return false;
  const wanted = tasks.filter((t) => t.DesiredState === 'running');
  return (
    wanted.length === replicas &&
    wanted.every((t) => t.Status?.State === 'running' && t.Spec?.ContainerSpec?.Image === image)
  );
}

/** An update Swarm gave up on: it will not converge, so waiting is pointless. */
export function swarmStuck(service) {
  const s = service.UpdateStatus;
  return s && ['paused', 'rollback_paused', 'rollback_completed'].includes(s.State)
    ? `${s.State}: ${s.Message ?? ''}`.trim()
    : undefined;
}

/**
 * Runs `docker ...args` (a service create or update) as a whole process while watching the
 * service: resolves to `{ wallMs, maxRssKB, convergedMs }`, both times from the spawn. Rejects
 * when the command fails or the service never converges.
 */
export async function runSwarmCommand(docker, args, { service, image, replicas }) {
  const started = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - started) / 1e6;
  let convergedMs;
  let watching = true;
  const watch = (async () => {
    while (watching && convergedMs === undefined) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const s = await inspectService(docker, service);
      if (!s) continue;
      const stuck = swarmStuck(s);
      if (stuck) throw new Error(`swarm update of ${service} ${stuck}`);
      if (s.UpdateStatus && s.UpdateStatus.State !== 'completed') continue;
      const tasks = await docker.listTasks({ filters: { service: [service] } });
      if (swarmConverged(s, tasks, { image, replicas })) convergedMs = since();
    }
  })();
  // A failed watch is reported below, once the command is done; until then it must not be an
  // unhandled rejection.
  watch.catch(() => undefined);
  try {
    const m = await measureCommand('docker', args);
    // The CLI returns only after converging, but the last poll may not have seen it yet.
    const deadline = Date.now() + 30_000;
    while (convergedMs === undefined) {
      if (Date.now() > deadline)
        throw new Error(
          `\`docker ${args.join(' ')}\` returned, but ${service} never looked converged`,
        );
      await Promise.race([watch, sleep(POLL_MS)]);
    }
    return { wallMs: m.wallMs, maxRssKB: m.maxRssKB, convergedMs };
  } finally {
    watching = false;
    await watch.catch(() => undefined);
  }
}

async function inspectService(docker, name) {
  try {
    return await docker.getService(name).inspect();
  } catch (e) {
    if (e?.statusCode === 404) return undefined;
    throw e;
  }
}

/** Removes the service and waits (at most a minute) until Swarm has removed its containers. */
export async function removeService(docker, name, log) {
  log(`docker service rm ${name}`);
  tryRun('docker', ['service', 'rm', name]);
  const label = `com.docker.swarm.service.name=${name}`;
  for (let i = 0; i < 600; i++) {
    const left = await docker.listContainers({ all: true, filters: { label: [label] } });
    if (left.length === 0) return;
    await sleep(100);
  }
  log(`some containers of ${name} are still there after a minute`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

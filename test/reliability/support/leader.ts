/**
 * The `drover server` leader killed (kill -9) at random points of a rollout, with a second server
 * on the same PostgreSQL state: the rollout that `apply -detach` left to the servers must finish
 * under the new leader (every deployment of the jobs successful, nothing left behind, the plan
 * empty). A fresh server replaces each killed one, so two run at every kill.
 */
import { startServerProcess, type ServerProcess } from '../../server/core/process.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { Fleet, firstLine, output } from './fleet.js';
import { spreadPoints, type Rng } from './rng.js';
import { Tally, seconds, sleep } from './tally.js';
import type { PartContext, ReliabilityRow } from '../types.js';

const LEASE_TTL_MS = 2000;
const SHAPE = { count: 2, canary: 1, minHealthy: '500ms' };

export async function leaderTakeover(
  ctx: PartContext,
  rng: Rng,
  count: number,
  pgUrl: string,
): Promise<ReliabilityRow> {
  const test = 'kill -9 of the drover server leader during a rollout (postgres, 2 servers)';
  const fleet = new Fleet({
    prefix: `rel-lead${rng.below(1e6)}`,
    state: 'postgres',
    pgUrl,
    extraConfig: `server {\n  lease_ttl          = "${LEASE_TTL_MS}ms"\n  reconcile_interval = "1s"\n}`,
  });
  const servers: ServerProcess[] = [];
  let serial = 0;
  const startServer = async () => {
    const s = await startServerProcess(fleet.dir, ['-name', `s${++serial}`]);
    servers.push(s);
    return s;
  };
  const tally = new Tally();
  const takeovers: number[] = [];
  try {
    await startServer();
    await startServer();
    let version = 1;
    fleet.writeJobs(version, SHAPE);
    const first = await fleet.apply();
    if (first.code !== 0) throw new Error(`the first apply failed: ${firstLine(output(first))}`);

    // How long the servers take to finish a detached rollout: the span of the kill points.
    fleet.writeJobs(++version, SHAPE);
    await detach(fleet);
    const t0 = Date.now();
    const measured = await rolledOut(fleet, 120_000);
    if (measured) throw new Error(`the servers did not finish a rollout: ${measured}`);
    const span = Date.now() - t0;
    const delays = spreadPoints(rng, count, span);
    ctx.log(`leader: a detached rollout takes ${seconds(span)}; kills at ${delays.join(', ')} ms`);

    for (const delay of delays) {
      const problems: string[] = [];
      fleet.writeJobs(++version, SHAPE);
      await detach(fleet);
      await sleep(delay);
      const live = servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
      const leader = await leaderOf(live);
      if (!leader) problems.push('no server named a leader');
      else {
        await leader.stop('SIGKILL');
        const killed = Date.now();
        await startServer();
        const others = servers.filter((s) => s !== leader && s.child.exitCode === null);
        const next = await waitFor(async () => (await leaderOf(others)) !== undefined, 30_000);
        if (next) takeovers.push(Date.now() - killed);
        else problems.push('no server took over within 30 s');
      }
      const unfinished = await rolledOut(fleet, span * 3 + 30_000);
      if (unfinished) problems.push(unfinished);
      else {
        problems.push(...(await fleet.leftovers()));
        const plan = await fleet.planNotEmpty((l) => ctx.log(l));
        if (plan) problems.push(plan);
      }
      tally.add(problems);
      ctx.log(`leader: kill at ${delay} ms: ${problems.length ? problems.join('; ') : 'ok'}`);
    }
    const worst = takeovers.length ? Math.max(...takeovers) : 0;
    return tally.row(
      test,
      `seed ${rng.seed}; rollout ${seconds(span)}; lease ${seconds(LEASE_TTL_MS)}; new leader within ${seconds(worst)}`,
    );
  } finally {
    for (const s of servers) await s.stop('SIGKILL');
    await fleet.cleanup();
  }
}

async function detach(fleet: Fleet): Promise<void> {
  const r = await fleet.run(['apply', '-auto-approve', '-detach', '-lock-timeout', '30s', 'jobs']);
  if (r.code !== 0) throw new Error(`apply -detach failed: ${firstLine(output(r))}`);
}

/** The server whose address /v1/status/leader names, asked of the servers given. */
async function leaderOf(servers: readonly ServerProcess[]): Promise<ServerProcess | undefined> {
  for (const s of servers) {
    const named = await fetch(`${s.url}/v1/status/leader`)
      .then((r): Promise<unknown> => r.json())
      .catch(() => undefined);
    if (typeof named !== 'string' || named === '') continue;
    return servers.find((x) => x.url.endsWith(`//${named}`));
  }
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}

/** "" once the deployment of every job's latest version succeeded; else, after the wait, what is missing. */
async function rolledOut(fleet: Fleet, timeoutMs: number): Promise<string> {
  let missing = 'never read the state';
  const done = await waitFor(async () => {
    const { snapshot } = await fleet.state();
    if (!snapshot) return false;
    missing = pending(snapshot, fleet.jobNames());
    return missing === '';
  }, timeoutMs);
  return done ? '' : `rollout unfinished after ${seconds(timeoutMs)}: ${missing}`;
}

function pending(s: StateSnapshot, jobs: readonly string[]): string {
  const out: string[] = [];
  for (const job of jobs) {
    const latest = Math.max(...(s.jobs[job]?.versions ?? []).map((v) => v.version));
    const dep = Object.values(s.deployments).find((d) => d.job === job && d.version === latest);
    if (dep?.status !== 'successful')
      out.push(`${job} v${latest}: deployment ${dep ? dep.status : 'missing'}`);
  }
  return out.join(', ');
}

/**
 * Crash anywhere (issue 17 item 1): `kill -9` of the drover CLI at random points of an apply
 * that rolls out a new version of several jobs (canaries, one at a time) on three kinds of node
 * (raw_exec on this machine, raw_exec over SSH, a Docker engine), with local and with PostgreSQL
 * state. After each kill the next apply must converge (exit 0), nothing may run that the state
 * does not know, the state must validate, the lock must have been released by the rules (a dead
 * holder's lock taken over, never `state unlock`) and the plan after must be empty. The kill
 * points are spread over the measured length of an apply, from a seeded RNG (printed; replay
 * with RELIABILITY_SEED). Then the same for a `drover server` leader killed during a rollout
 * with a second server on the same PostgreSQL: the rollout must finish.
 */
import { startPostgres, type PostgresServer } from '../../support/postgres-server.mjs';
import { startSshHost, type SshHost } from '../../support/sshd.js';
import { startEngine, type Engine } from '../support/engine.js';
import { Fleet, firstLine, output, type JobShape, type StateKind } from '../support/fleet.js';
import { seededRng, spreadPoints, type Rng } from '../support/rng.js';
import { leaderTakeover } from '../support/leader.js';
import { Tally, seconds, sleep } from '../support/tally.js';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';

const SSH_ADDRESS = '127.0.0.71';
const ENGINE_NUMBER = 71;

export const part: ReliabilityPart = {
  name: 'crash',
  async run(ctx) {
    const rng = seededRng();
    ctx.log(`seed ${rng.seed} (replay with RELIABILITY_SEED=${rng.seed})`);
    const points = ctx.scale === 'full' ? 50 : 2;
    // The sample keeps the rolling update (a canary, then the rest) but makes it short.
    const shape: JobShape =
      ctx.scale === 'full'
        ? { count: 2, canary: 1, minHealthy: '1s' }
        : { count: 1, canary: 1, minHealthy: '200ms' };
    const leaderPoints = ctx.scale === 'full' ? 20 : 1;
    const hosts = await startHosts();
    try {
      const rows: ReliabilityRow[] = [];
      for (const state of ['local', 'postgres'] as const) {
        rows.push(await crashApplies(ctx, rng, { points, shape, state }, hosts));
      }
      rows.push(await leaderTakeover(ctx, rng, leaderPoints, hosts.pg.url));
      return rows;
    } finally {
      await hosts.stop();
    }
  },
};

export interface Hosts {
  pg: PostgresServer;
  ssh: SshHost;
  engine: Engine;
  stop(): Promise<void>;
}

async function startHosts(): Promise<Hosts> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const pg = await startPostgres({ fsync: 'off', synchronous_commit: 'off' });
    started.push(pg);
    const ssh = await startSshHost({ address: SSH_ADDRESS });
    started.push(ssh);
    const engine = await startEngine(ENGINE_NUMBER);
    started.push(engine);
    return { pg, ssh, engine, stop: () => stopAll(started) };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(things: { stop(): Promise<void> }[]): Promise<void> {
  for (const t of things.reverse()) await t.stop().catch(() => undefined);
}

async function crashApplies(
  ctx: PartContext,
  rng: Rng,
  { points, shape, state }: { points: number; shape: JobShape; state: StateKind },
  hosts: Hosts,
): Promise<ReliabilityRow> {
  const test = `kill -9 of drover apply at random points (${state} state; local, SSH and Docker nodes)`;
  const fleet = new Fleet({
    prefix: `rel-crash-${state === 'local' ? 'l' : 'p'}${rng.below(1e6)}`,
    state,
    pgUrl: hosts.pg.url,
    ssh: hosts.ssh,
    engine: hosts.engine,
  });
  const tally = new Tally();
  let takenOver = 0;
  let noLock = 0;
  let finishedFirst = 0;
  try {
    let version = 1;
    fleet.writeJobs(version, shape);
    const first = await fleet.apply();
    if (first.code !== 0) throw new Error(`the first apply failed: ${firstLine(output(first))}`);
    // The length of an uncrashed rolling update: the span the kill points are spread over.
    fleet.writeJobs(++version, shape);
    const t0 = Date.now();
    const measured = await fleet.apply();
    const span = Date.now() - t0;
    if (measured.code !== 0) throw new Error(`the update failed: ${firstLine(output(measured))}`);
    const delays = spreadPoints(rng, points, span);
    ctx.log(`${state}: an update takes ${seconds(span)}; kills at ${delays.join(', ')} ms`);

    for (const delay of delays) {
      fleet.writeJobs(++version, shape);
      const cli = fleet.start(['apply', '-auto-approve', 'jobs']);
      const exited = await Promise.race([
        cli.done.then(() => true),
        sleep(delay).then(() => false),
      ]);
      if (exited) finishedFirst++;
      else cli.child.kill('SIGKILL');
      await cli.done;

      const problems: string[] = [];
      const repair = await fleet.apply();
      if (/took over the state lock/.test(repair.stderr)) takenOver++;
      else noLock++;
      if (repair.code !== 0) {
        problems.push(`apply after the kill exited ${repair.code}: ${firstLine(output(repair))}`);
        if (/lock/i.test(output(repair))) problems.push('the lock needed `state unlock`');
      }
      problems.push(...(await fleet.leftovers()));
      const plan = await fleet.planNotEmpty((l) => ctx.log(l));
      if (plan) problems.push(plan);
      tally.add(problems);
      ctx.log(`${state}: kill at ${delay} ms: ${problems.length ? problems.join('; ') : 'ok'}`);
    }
    return tally.row(
      test,
      `seed ${rng.seed}; update ${seconds(span)}; lock taken over ${takenOver}×, free ${noLock}×` +
        (finishedFirst ? `; ${finishedFirst} applies ended before the kill` : ''),
    );
  } finally {
    await fleet.cleanup();
  }
}

/**
 * A rollout whose SSH host stops answering while a canary waits on its health gate (sshd and
 * its sessions SIGSTOPped, the way the faults part does it) ends near its progress deadline:
 * the command in flight on the silent host is cut, the host then fails at once, the deployment
 * fails and reverts, and once the host answers again the next apply repairs. Before, the
 * command waited out 3 × 15 s of keepalives and a 20 s handshake, twice per rollout.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { freezeSshHost } from './support/faults.js';
import { Fleet, firstLine, output, type JobShape } from './support/fleet.js';

const PROGRESS_DEADLINE_S = 15;
/** What a loaded 2-core machine may add to the deadline (start-up, the revert's writes). */
const MARGIN_S = 10;
const SHAPE: JobShape = {
  count: 1,
  canary: 1,
  // Long enough that the canary is still in its gate when the host freezes.
  minHealthy: '8s',
  update: ['auto_revert      = true'],
  deadlines: { healthy: '12s', progress: `${PROGRESS_DEADLINE_S}s` },
};

let ssh: SshHost;
let fleet: Fleet;

beforeAll(async () => {
  ssh = await startSshHost({ address: '127.0.0.74' });
  fleet = new Fleet({ prefix: `silent${process.pid}`, state: 'local', ssh });
}, 60_000);

afterAll(async () => {
  await fleet?.cleanup();
  await ssh?.stop();
});

it(
  `ends a rollout on a host that stops answering within progress_deadline + ${MARGIN_S} s`,
  { timeout: 240_000 },
  async () => {
    fleet.writeJobs(1, SHAPE);
    const first = await fleet.apply();
    expect(first.code, output(first)).toBe(0);

    fleet.writeJobs(2, SHAPE);
    const cli = fleet.start(['apply', '-auto-approve', 'jobs']);
    // Frozen as soon as the canary runs on the SSH host: its health gate is under way.
    let seen = '';
    const canaryRuns = new Promise<void>((resolve) => {
      cli.child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/-ssh.* on ssh-1: running/.test(seen)) resolve();
      });
    });
    await Promise.race([canaryRuns, cli.done]);
    expect(seen, 'the canary started on the SSH host').toMatch(/on ssh-1: running/);
    const thaw = freezeSshHost(ssh);
    const frozenAt = Date.now();
    let r;
    try {
      r = await cli.done;
    } finally {
      thaw();
    }
    const took = (Date.now() - frozenAt) / 1000;
    expect(took, output(r)).toBeLessThan(PROGRESS_DEADLINE_S + MARGIN_S);
    // A failed deployment (3 reverted, 4 not), without a stack trace.
    expect([3, 4], output(r)).toContain(r.code);
    expect(output(r)).toMatch(/node ssh-1 \(127\.0\.0\.74:\d+\) did not answer within 10 s/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

    // The host answers again: the next apply (rolling forward past the revert) repairs.
    const repair = await fleet.apply(['-roll-forward']);
    expect(repair.code, firstLine(output(repair))).toBe(0);
    expect(await fleet.leftovers()).toEqual([]);
    expect(await fleet.planNotEmpty()).toBe('');
  },
);

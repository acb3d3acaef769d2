/**
 * An SSH node (a real OpenSSH server on loopback, user `deploy`) whose sshd is stopped: once it
 * has not answered for the grace period the leader declares it down, records its allocation
 * lost and replaces it on the local node, without anyone running apply; when sshd is back, the
 * lost allocation's stop that could not reach the host is made.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../src/server/controller/index.js';
import { startSshHost, type SshHost } from '../../support/sshd.js';
import { drover } from '../../e2e/cli.js';
import { writeLocalAndSshConfig } from '../../e2e/ssh-nodes.js';
import { eventually, liveAllocs, serverHarness, type Harness } from './support.js';

const GRACE_MS = 3_000;
const dir = mkdtempSync(join(tmpdir(), 'drover-controller-lost-'));
const sshRoot = mkdtempSync(join(tmpdir(), 'drover-controller-lost-ssh-'));
const id = `ctl-lost-${process.pid}`;

writeFileSync(
  join(dir, 'job.nomad.hcl'),
  `job "${id}" {
  group "g" {
    update {
      min_healthy_time = "0s"
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["3600"]
      }
    }
  }
}
`,
);

let host: SshHost;
let h: Harness;
let controller: Controller | undefined;

async function cli(...args: string[]): Promise<void> {
  const r = await drover(dir, args);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

beforeAll(async () => {
  host = await startSshHost({ address: '127.0.0.191' });
  chmodSync(sshRoot, 0o777);
  writeLocalAndSshConfig(dir, host, sshRoot);
  // Placed on the SSH node: the local one takes nothing new while the job is applied.
  await cli('node', 'eligibility', '-auto-approve', '-disable', 'local');
  await cli('apply', '-auto-approve', 'job.nomad.hcl');
  await cli('node', 'eligibility', '-auto-approve', '-enable', 'local');
  h = await serverHarness(dir, { nodeGraceMs: GRACE_MS, nodeCheckIntervalMs: 500 });
});

afterAll(async () => {
  await controller?.stop();
  await h?.close();
  await host?.resume();
  await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(sshRoot, { recursive: true, force: true });
});

describe('a node whose sshd stopped', { timeout: 90_000 }, () => {
  it('has its allocation replaced on another node after the grace, and stopped when it is back', async () => {
    const [original] = liveAllocs(await h.state(), id);
    expect(original?.node).toBe('remote');
    controller = startController(h.ctx);
    // A first pass with the node up changes nothing.
    await eventually(
      'a first pass',
      () => h.lines.some((l) => l.message.includes('server reconcile')),
      10_000,
    );

    await host.pause();
    const stoppedAt = Date.now();
    const replacement = await eventually(
      'a replacement on the local node',
      async () => liveAllocs(await h.state(), id).find((a) => a.node === 'local'),
      GRACE_MS + 15_000,
    );
    const tookMs = Date.now() - stoppedAt;
    // Not before the grace period: a node that misses one check is not judged.
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS);
    expect(tookMs).toBeLessThan(GRACE_MS + 5_000);
    let s = await h.state();
    // Meant to stop, but the host could not be told: the stop is pending until it answers.
    expect(s.allocations[original!.id]).toMatchObject({
      desired_status: 'stop',
      stop_pending: true,
    });
    expect(replacement.previous_allocation).toBe(original!.id);
    expect(s.events.find((e) => e.what === 'server.node.down')).toMatchObject({
      who: 'server:test',
      detail: expect.stringContaining('node remote is down'),
    });
    const log = h.lines.map((l) => l.message).join('\n');
    expect(log).toContain('node remote is down');
    expect(log).toMatch(new RegExp(`job ${id}: 1 lost allocation replaced`));

    // Back: the stop that could not reach the host is made, and the node is up again.
    await host.resume();
    s = await eventually(
      'the lost allocation stopped on its host',
      async () => {
        const now = await h.state();
        return now.events.some((e) => e.what === 'server.node.up') &&
          !now.allocations[original!.id]?.stop_pending
          ? now
          : undefined;
      },
      20_000,
    );
    expect(s.allocations[original!.id]?.desired_status).toBe('stop');
    expect(s.allocations[original!.id]?.client_status).not.toBe('running');
    expect(s.events.some((e) => e.alloc === original!.id && e.what === 'alloc.stop')).toBe(true);
    // The replacement stays; nothing else was placed.
    expect(liveAllocs(s, id).map((a) => a.id)).toEqual([replacement.id]);
  });
});

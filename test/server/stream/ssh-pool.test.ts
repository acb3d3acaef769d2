/**
 * The SSH pool gauges against a real OpenSSH server on loopback (user `deploy`): a transport's
 * stats count its open connection and the session channel a running command holds, and the
 * gauges the server scrapes (`ssh.connections`, `ssh.channels`) say the same per node in JSON
 * and Prometheus form; the connection's gauge drops to 0 when the host goes away.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshPoolStats } from '../../../providers/transports/ssh.js';
import { createMetrics, sshPoolGauges } from '../../../src/server/metrics/index.js';
import { openSshTransport, type SshTransportFixture } from '../../support/ssh-transport.js';
import { writeSshConfig } from '../../e2e/ssh-nodes.js';
import { eventually, startServerProcess } from '../core/process.js';

const root = mkdtempSync(join(tmpdir(), 'drover-ssh-pool-'));
let fx: SshTransportFixture;

beforeAll(async () => {
  fx = await openSshTransport({ address: '127.0.0.151', alloc_root: root, name: 'pool-1' });
});

afterAll(async () => {
  await fx?.close();
  rmSync(root, { recursive: true, force: true });
});

const gaugeOf = (
  readings: readonly { name: string; value: number; labels: Record<string, string> }[],
  name: string,
  labels: Record<string, string>,
) => readings.find((r) => r.name === name && JSON.stringify(r.labels) === JSON.stringify(labels));

describe('the SSH pool gauges', () => {
  it('count the open connection and the channels in use, per node', async () => {
    const transports = new Map<string, unknown>([['pool-1', fx.transport]]);
    expect(sshPoolStats(fx.transport)?.connections).toBe(0);
    // Another transport kind has no pool to report.
    expect(sshPoolStats({})).toBeUndefined();

    const running = fx.transport.run(['sleep', '1']);
    await eventually(
      () => {
        const stats = sshPoolStats(fx.transport);
        return Promise.resolve(stats?.connections === 1 && stats.channels.active === 1);
      },
      5000,
      'the command holds a session channel',
    );
    const during = sshPoolGauges(transports);
    expect(gaugeOf(during, 'drover.ssh.connections', { node: 'pool-1' })?.value).toBe(1);
    expect(gaugeOf(during, 'drover.ssh.channels', { node: 'pool-1', kind: 'session' })?.value).toBe(
      1,
    );
    expect(gaugeOf(during, 'drover.ssh.channels', { node: 'pool-1', kind: 'forward' })?.value).toBe(
      0,
    );
    expect((await running).code).toBe(0);

    const metrics = createMetrics();
    metrics.collect(() => sshPoolGauges(transports));
    const text = metrics.prometheus();
    expect(text).toContain('drover_ssh_connections{node="pool-1"} 1\n');
    expect(text).toContain('drover_ssh_channels{kind="session",node="pool-1"} 0\n');
    expect(text).toMatch(/# TYPE drover_ssh_connections gauge/);
    const json = metrics.json() as { Gauges: { Name: string; Value: number; Labels: object }[] };
    expect(json.Gauges).toContainEqual({
      Name: 'drover.ssh.connections',
      Value: 1,
      Labels: { node: 'pool-1' },
    });

    await fx.host.pause();
    await eventually(
      () =>
        Promise.resolve(metrics.prometheus().includes('drover_ssh_connections{node="pool-1"} 0\n')),
      10_000,
      'the connection is gone from the gauge',
    );
    await fx.host.resume();
  });

  it('are scraped from the transports a running server uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-ssh-pool-server-'));
    writeSshConfig(dir, [fx.host], ['pool-1'], join(root, 'alloc'));
    // The leader checks each node's transport on this interval: that opens the connection.
    appendFileSync(join(dir, 'drover.hcl'), 'server {\n  node_check_interval = "200ms"\n}\n');
    const server = await startServerProcess(dir);
    try {
      const scrape = async () => (await fetch(`${server.url}/v1/metrics?format=prometheus`)).text();
      await eventually(
        async () => (await scrape()).includes('drover_ssh_connections{node="pool-1"} 1\n'),
        10_000,
        'the server reports its SSH connection to pool-1',
      );
      expect(await scrape()).toMatch(/^drover_ssh_channels\{kind="forward",node="pool-1"\} \d+$/m);
      const json = (await (await fetch(`${server.url}/v1/metrics`)).json()) as {
        Gauges: { Name: string; Labels: Record<string, string> }[];
      };
      expect(
        json.Gauges.filter((g) => g.Name.startsWith('drover.ssh.'))
          .map((g) => g.Name)
          .sort(),
      ).toEqual([
        'drover.ssh.channels',
        'drover.ssh.channels',
        'drover.ssh.channels_queued',
        'drover.ssh.connections',
      ]);
    } finally {
      await server.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

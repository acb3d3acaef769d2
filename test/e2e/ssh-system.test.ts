/**
 * System and sysbatch jobs through the built CLI on real OpenSSH hosts on loopback, with the
 * non-root `deploy` user and raw_exec: a system job lands once on each of three nodes; a fourth
 * node added to drover.hcl gets one at the next plan; draining a node stops its allocation and
 * its process; a sysbatch job runs to completion once on each node that takes work, and the next
 * plan is empty. The hosts are this machine, so the test finds the job's processes in /proc by a
 * marker unique to this run (in the task's argv).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { waitUntil, writeSshConfig } from './ssh-nodes.js';

const MARKER = `drover-e2e-system-${process.pid}-${randomBytes(4).toString('hex')}`;
const ALLOC_PARENT = `/home/deploy/${MARKER}`;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] as const;
const NODES = ['n1', 'n2', 'n3', 'n4'] as const;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-system-'));
let hosts: SshHost[] = [];

/** A raw_exec task running `script`, with the run's marker in its argv. */
function jobFile(id: string, type: string, script: string): string {
  return `job "${id}" {
  type        = "${type}"
  datacenters = ["*"]
  group "agent" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "agent" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = [${JSON.stringify('-c')}, ${JSON.stringify(script)}, "${MARKER}"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

const SYSTEM = join(dir, 'agent.nomad.hcl');
const SYSBATCH = join(dir, 'sweep.nomad.hcl');
writeFileSync(
  SYSTEM,
  jobFile('agent', 'system', 'echo "agent on $NOMAD_DC ${node.unique.name}"; sleep 3600; :'),
);
writeFileSync(SYSBATCH, jobFile('sweep', 'sysbatch', 'echo "swept ${node.unique.name}"; exit 0'));

interface Alloc {
  id: string;
  node: string;
  name: string;
  desired_status: string;
  client_status: string;
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

async function allocations(job: string): Promise<Alloc[]> {
  const r = await ok(['status', job, '-json']);
  return (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations;
}

const runningNodes = (allocs: Alloc[]): string[] =>
  allocs
    .filter((a) => a.desired_status === 'run' && a.client_status === 'running')
    .map((a) => a.node)
    .sort();

/** This run's `sleep 3600` processes: one per running allocation of the system job. */
function sleepers(): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      // The task's shell carries the marker; its child is `sleep 3600`.
      if (cmd.startsWith('/bin/sh -c ') && cmd.includes(MARKER) && cmd.includes('sleep 3600')) n++;
    } catch {
      // Gone meanwhile.
    }
  }
  return n;
}

beforeAll(async () => {
  hosts = await Promise.all(ADDRESSES.map((address) => startSshHost({ address })));
  // The fourth host exists from the start but joins the inventory later.
  writeSshConfig(dir, hosts.slice(0, 3), NODES.slice(0, 3), `${ALLOC_PARENT}/alloc`);
});

afterAll(async () => {
  for (const job of ['agent', 'sweep']) await drover(dir, ['stop', '-auto-approve', '-purge', job]);
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(ALLOC_PARENT, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('a system job on SSH hosts', () => {
  it('lands once on each of the three nodes', async () => {
    const plan = await ok(['plan', SYSTEM]);
    expect(plan.stdout).toContain('Plan: 3 to create');
    await ok(['apply', '-auto-approve', SYSTEM]);
    const allocs = await allocations('agent');
    expect(runningNodes(allocs)).toEqual(['n1', 'n2', 'n3']);
    expect(new Set(allocs.map((a) => a.name))).toEqual(new Set(['agent.agent[0]']));
    expect(await waitUntil(() => sleepers() === 3, 5000)).toBe(true);
    // `status` shows one row per node.
    const status = await ok(['status', 'agent']);
    for (const n of ['n1', 'n2', 'n3'])
      expect(status.stdout).toMatch(
        new RegExp(`agent\\.agent\\[0\\]\\s+${n}\\s+0\\s+run\\s+running`),
      );
    expect(status.stdout).toContain('Running       = 3/3');
    // Nothing more to do.
    expect((await drover(dir, ['plan', '-detailed-exitcode', SYSTEM])).code).toBe(0);
  });

  it('places one on a node added to drover.hcl at the next plan', async () => {
    writeSshConfig(dir, hosts, NODES, `${ALLOC_PARENT}/alloc`);
    const plan = JSON.parse((await ok(['plan', '-json', SYSTEM])).stdout) as {
      jobs: { groups: { placements: { node: string }[]; stops: unknown[] }[] }[];
    };
    const group = plan.jobs[0]!.groups[0]!;
    expect(group.placements.map((p) => p.node)).toEqual(['n4']);
    expect(group.stops).toEqual([]);
    await ok(['apply', '-auto-approve', SYSTEM]);
    expect(runningNodes(await allocations('agent'))).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(await waitUntil(() => sleepers() === 4, 5000)).toBe(true);
  });

  it("stops a drained node's allocation and its process, and places it nowhere else", async () => {
    await ok(['node', 'drain', '-auto-approve', 'n2']);
    const allocs = await allocations('agent');
    expect(runningNodes(allocs)).toEqual(['n1', 'n3', 'n4']);
    expect(allocs.find((a) => a.node === 'n2')?.desired_status).toBe('stop');
    expect(await waitUntil(() => sleepers() === 3, 5000)).toBe(true);
    expect((await drover(dir, ['plan', '-detailed-exitcode', SYSTEM])).code).toBe(0);
  });
});

describe('a sysbatch job on the same nodes', () => {
  it('runs to completion once on each node that takes work, and the next plan is empty', async () => {
    const apply = await ok(['apply', '-auto-approve', SYSBATCH]);
    expect(apply.stdout).toContain('sweep');
    const allocs = await allocations('sweep');
    expect(allocs.map((a) => [a.node, a.client_status]).sort()).toEqual([
      ['n1', 'complete'],
      ['n3', 'complete'],
      ['n4', 'complete'],
    ]);
    const logs = await ok(['logs', allocs.find((a) => a.node === 'n3')!.id]);
    expect(logs.stdout.trim()).toBe('swept n3');
    const status = await ok(['status', 'sweep']);
    expect(status.stdout).toContain('Status        = complete');
    expect((await drover(dir, ['plan', '-detailed-exitcode', SYSBATCH])).code).toBe(0);
  });
});

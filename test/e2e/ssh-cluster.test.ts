/**
 * Issue 5's acceptance check through the built CLI, on three real OpenSSH hosts on loopback
 * (127.0.0.2, .3, .4): fingerprinting and host-key pinning, a raw_exec job with `count = 3` and
 * `distinct_hosts` placed once per host with Nomad's runtime variables, `count = 4` refused with
 * the reason, `stop` ending every process, and an unreachable host whose allocation is lost and
 * replaced. The hosts are this machine, so the test finds the job's processes in /proc: each
 * carries a marker unique to this run (in the alloc root and in the task's argv).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

/** Unique to this run: another run's processes never match it. */
const MARKER = `drover-e2e-ssh-${process.pid}-${randomBytes(4).toString('hex')}`;
/** Under the home of the hosts' user `deploy`, who creates it over SSH. */
const ALLOC_PARENT = `/home/deploy/${MARKER}`;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const NODES = ['n1', 'n2', 'n3'] as const;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ssh-'));
let hosts: SshHost[] = [];

/** The task records what it saw, in its task dir and on stdout, then stays up. */
const TASK_SCRIPT =
  'line="$NOMAD_ALLOC_INDEX $NOMAD_ADDR_http"; echo "$line" >"$NOMAD_TASK_DIR/seen"; ' +
  'echo "$line"; sleep 3600; :';

function jobFile(name: string, opts: { distinct: boolean; count: string }): string {
  const constraint = opts.distinct
    ? '    constraint {\n      operator = "distinct_hosts"\n      value    = "true"\n    }\n'
    : '';
  return `variable "count" {
  type    = number
  default = ${opts.count}
}

job "${name}" {
  datacenters = ["*"]
  update {
    min_healthy_time = "1s"
  }
  group "web" {
    count = var.count
${constraint}    network {
      port "http" {}
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = [${JSON.stringify('-c')}, ${JSON.stringify(TASK_SCRIPT)}, "${MARKER}"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;
}

const SPREAD = join(dir, 'spread.nomad.hcl');
const PAIR = join(dir, 'pair.nomad.hcl');
writeFileSync(SPREAD, jobFile('spread', { distinct: true, count: '3' }));
writeFileSync(PAIR, jobFile('pair', { distinct: false, count: '2' }));

interface Alloc {
  id: string;
  index: number;
  node: string;
  desired_status: string;
  client_status: string;
  ports: { label: string; value: number }[];
}

interface NodeRow {
  name: string;
  status: string;
  eligibility: string;
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

async function okJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await ok([...args, '-json'])).stdout) as T;
}

async function allocations(job: string): Promise<Alloc[]> {
  return (await okJson<{ allocations: Alloc[] }>(['status', job])).allocations;
}

function running(allocs: Alloc[]): Alloc[] {
  return allocs.filter((a) => a.desired_status === 'run' && a.client_status === 'running');
}

function victimHostOf(node: string): SshHost {
  return hosts[NODES.indexOf(node as (typeof NODES)[number])]!;
}

function addressOf(node: string): string {
  return ADDRESSES[NODES.indexOf(node as (typeof NODES)[number])]!;
}

interface Proc {
  pid: number;
  sid: number;
  cmdline: string;
}

/** Every live process of this machine (zombies are not: nothing may be left to reap them). */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name, which may hold spaces and parentheses: state, ppid, pgrp, session.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(entry), sid: Number(fields[3]), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * This run's task processes: those whose command line holds the marker (supervisors, the task's
 * shell) and every process of their sessions (the task's children, the supervisor's helpers).
 * `sessions` adds sessions seen earlier, whose marked leader may be gone.
 */
function taskProcesses(sessions: ReadonlySet<number> = new Set()): Proc[] {
  const all = processes();
  const sids = new Set(sessions);
  for (const p of all) if (p.cmdline.includes(MARKER)) sids.add(p.sid);
  return all.filter(
    (p) => p.pid !== process.pid && (sids.has(p.sid) || p.cmdline.includes(MARKER)),
  );
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

beforeAll(async () => {
  hosts = await Promise.all(ADDRESSES.map((address) => startSshHost({ address })));
  writeSshConfig(dir, hosts, NODES, `${ALLOC_PARENT}/alloc`);
});

afterAll(async () => {
  for (const job of ['spread', 'pair']) {
    await drover(dir, ['stop', '-auto-approve', '-purge', job]);
  }
  await Promise.all(hosts.map((h) => h.stop()));
  // Processes on a host that was made unreachable outlive it: end them by pid.
  for (const p of taskProcesses()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(ALLOC_PARENT, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('three SSH hosts through the CLI', () => {
  it('fingerprints every node over SSH: ready, with Nomad attributes', async () => {
    const { nodes } = await okJson<{ nodes: NodeRow[] }>(['node', 'status']);
    expect(nodes.map((n) => [n.name, n.status, n.eligibility])).toEqual(
      NODES.map((n) => [n, 'ready', 'eligible']),
    );
    const details = await Promise.all(
      NODES.map((name) => okJson<{ attributes: Record<string, string> }>(['node', 'status', name])),
    );
    for (const { attributes } of details) {
      // The hosts are this machine, so the facts are known here.
      expect(attributes).toMatchObject({
        'kernel.name': 'linux',
        'kernel.version': release(),
        'cpu.numcores': String(availableParallelism()),
        'unique.hostname': hostname(),
        'driver.raw_exec': '1',
      });
      expect(Number(attributes['memory.totalbytes'])).toBeGreaterThan(0);
      expect(Number(attributes['cpu.totalcompute'])).toBeGreaterThan(0);
    }
  });

  it('places count = 3 with distinct_hosts once on each host', async () => {
    await ok(['apply', '-auto-approve', SPREAD]);
    const allocs = running(await allocations('spread'));
    expect(allocs.map((a) => a.index).sort()).toEqual([0, 1, 2]);
    expect(new Set(allocs.map((a) => a.node))).toEqual(new Set(NODES));
  });

  it('pinned each host key in state on first contact', async () => {
    for (const [i, name] of NODES.entries()) {
      const node = JSON.parse((await ok(['state', 'show', `node.${name}`])).stdout) as {
        host_key?: { algorithm: string; key: string };
      };
      const [algorithm, key] = hosts[i]!.hostPublicKey.split(' ');
      expect(node.host_key).toMatchObject({ algorithm, key });
    }
  });

  it('gives each task its NOMAD_ALLOC_INDEX and NOMAD_ADDR_http = node address:port', async () => {
    const allocs = running(await allocations('spread'));
    expect(allocs).toHaveLength(3);
    await Promise.all(
      allocs.map(async (a) => {
        const port = a.ports.find((p) => p.label === 'http')!.value;
        const expected = `${a.index} ${addressOf(a.node)}:${port}`;
        const [seen, logs] = await Promise.all([
          ok(['exec', a.id, '--', 'sh', '-c', 'cat "$NOMAD_TASK_DIR/seen"']),
          ok(['logs', a.id]),
        ]);
        expect(seen.stdout.trim()).toBe(expected);
        expect(logs.stdout.trim()).toBe(expected);
      }),
    );
  });

  it('cannot place count = 4, and the plan says distinct_hosts filtered the 3 nodes', async () => {
    const plan = await okJson<{
      jobs: {
        groups: {
          name: string;
          placements: unknown[];
          failures: {
            count: number;
            reason: string;
            metrics: { nodes_filtered: number; constraint_filtered: Record<string, number> };
          } | null;
        }[];
      }[];
    }>(['plan', '-var', 'count=4', SPREAD]);
    const group = plan.jobs[0]!.groups[0]!;
    // The three allocations that run stay; the fourth, the only new one, has nowhere to go.
    expect(group.placements).toEqual([]);
    expect(group.failures).toMatchObject({
      count: 1,
      reason: expect.stringMatching(/^3 nodes filtered by constraint distinct_hosts/),
      metrics: { nodes_filtered: 3 },
    });
    expect(Object.entries(group.failures!.metrics.constraint_filtered)).toEqual([
      [expect.stringContaining('distinct_hosts'), 3],
    ]);

    const human = await ok(['plan', '-var', 'count=4', SPREAD]);
    expect(human.stdout).toContain('failed to place 1 allocation');
    expect(human.stdout).toContain('3 nodes filtered by constraint distinct_hosts');
  });

  it('stop ends every process of the job on every host', async () => {
    const before = taskProcesses();
    // Per allocation: the supervisor, its FIFO reader, the task's attempt, shell and sleep.
    expect(before.filter((p) => /^sleep 3600\b/.test(p.cmdline))).toHaveLength(3);
    expect(before.filter((p) => p.cmdline.startsWith(`/bin/sh -c `))).toHaveLength(3);
    const sessions = new Set(before.map((p) => p.sid));

    await ok(['stop', '-auto-approve', '-purge', 'spread']);
    const gone = await waitUntil(() => taskProcesses(sessions).length === 0, 3000);
    expect(gone, JSON.stringify(taskProcesses(sessions), null, 1)).toBe(true);
    const status = await drover(dir, ['status', 'spread', '-json']);
    expect(status.code).toBe(1);
  });

  describe('a host that stops answering', () => {
    let victim: Alloc;
    const victimHost = () => victimHostOf(victim.node);

    it('sets up: count = 2 without distinct_hosts, then the sshd of one of them stops', async () => {
      await ok(['apply', '-auto-approve', PAIR]);
      const allocs = running(await allocations('pair'));
      expect(allocs).toHaveLength(2);
      victim = allocs[0]!;
      await victimHost().pause();
    });

    it('plan warns about the host and replaces its allocation elsewhere', async () => {
      const human = await ok(['plan', PAIR]);
      // A plan warning, in the plan itself (its JSON form is checked below).
      expect(human.stdout).toContain(`- node "${victim.node}" did not answer`);
      expect(human.stdout).toContain(
        `(${victim.id.slice(0, 8)}) on ${victim.node}: running → lost`,
      );

      const plan = await okJson<{
        jobs: {
          groups: {
            placements: { node: string; index: number; replaces?: string }[];
            stops: { alloc_id: string; reason: string }[];
            failures: unknown;
          }[];
        }[];
      }>(['plan', PAIR]);
      const group = plan.jobs[0]!.groups[0]!;
      expect(group.failures).toBeNull();
      expect(group.stops).toEqual([
        expect.objectContaining({ alloc_id: victim.id, reason: expect.stringContaining('lost') }),
      ]);
      expect(group.placements).toHaveLength(1);
      expect(group.placements[0]).toMatchObject({ index: victim.index, replaces: victim.id });
      expect(group.placements[0]!.node).not.toBe(victim.node);
    });

    it('plan -json carries the unreachable host among its warnings', async () => {
      const plan = await okJson<{ warnings: { summary: string; detail: string }[] }>([
        'plan',
        PAIR,
      ]);
      const text = plan.warnings.map((w) => `${w.summary} ${w.detail}`).join('\n');
      expect(text).toContain(victim.node);
    });

    it('apply replaces the allocation on a live host and records its stop as not done', async () => {
      const apply = await ok(['apply', '-auto-approve', PAIR]);
      expect(apply.stdout).toContain(`- node "${victim.node}" did not answer`);
      const allocs = await allocations('pair');
      // Its process may still run over there: meant to stop, last seen running.
      expect(allocs.find((a) => a.id === victim.id)).toMatchObject({
        desired_status: 'stop',
        client_status: 'running',
      });
      const live = running(allocs);
      expect(live.map((a) => a.index).sort()).toEqual([0, 1]);
      for (const a of live) expect(a.node).not.toBe(victim.node);

      // Nothing to do while the host stays away; the plan says what waits for it.
      const again = await drover(dir, ['plan', '-detailed-exitcode', PAIR]);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain(`1 allocation on node "${victim.node}" did not stop`);
    });

    it('once the host answers again, apply ends the process it could not stop', async () => {
      const sessions = new Set(
        processes()
          .filter((p) => p.cmdline.includes(victim.id))
          .map((p) => p.sid),
      );
      expect(sessions.size).toBeGreaterThan(0);
      await victimHost().resume();
      const plan = await drover(dir, ['plan', '-detailed-exitcode', PAIR]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(2);
      expect(plan.stdout).toContain('Apply stops them now.');
      await ok(['apply', '-auto-approve', PAIR]);
      const gone = await waitUntil(() => processes().every((p) => !sessions.has(p.sid)), 5000);
      expect(gone).toBe(true);
      const allocs = await allocations('pair');
      expect(allocs.find((a) => a.id === victim.id)?.client_status).toBe('complete');
      expect(running(allocs)).toHaveLength(2);
      const after = await drover(dir, ['plan', '-detailed-exitcode', PAIR]);
      expect(after.code, after.stdout + after.stderr).toBe(0);
    });
  });
});

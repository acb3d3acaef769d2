/**
 * Stopping a process task ends its whole process tree, and stop -purge stops everything drover
 * started for a job, through the built CLI, on this machine's local node and on an OpenSSH host
 * on loopback as the non-root `deploy` user (issue 12, items 6 and 7):
 *   - a task whose child listens on a port: after kill -9 of the supervisor and the recorded pid,
 *     apply replaces the allocation and the child is gone; stop -purge then leaves no process,
 *     no open port and no directory;
 *   - an allocation failed by one task while its other task still runs: stop -purge stops that
 *     task too, and forgets the allocation only then.
 * The hosts are this machine, so the test looks at /proc.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateSnapshot } from '../../src/state/types.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { allocProcesses, freePort, processesWithEnv } from '../providers/process-harness.js';
import { drover, type CliResult } from './cli.js';
import { waitUntil, writeSshConfig } from './ssh-nodes.js';

const output = (r: CliResult): string => r.stdout + r.stderr;
const MARKER = `drover-e2e-trees-${process.pid}-${randomBytes(4).toString('hex')}`;

/** The task's shell forks a Node.js child that listens on the allocation's port. */
const LISTENER = `require('net').createServer((s) => s.end('hi\\n')).listen(Number(process.env.NOMAD_PORT_http), '0.0.0.0')`;
/**
 * A static port the OS just handed out: drover picks dynamic ports from the state alone, so
 * other tests' jobs on this machine could hold the same one.
 */
const treeJob = (port: number): string => `job "tree" {
  datacenters = ["*"]
  update {
    min_healthy_time = "1s"
  }
  group "g" {
    network {
      port "http" {
        static = ${port}
      }
    }
    task "server" {
      driver       = "raw_exec"
      kill_timeout = "2s"
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(`node -e "${LISTENER}" & wait`)}]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
`;

/** One task fails for good after a second; the other keeps running. */
const HALF_JOB = `job "half" {
  datacenters = ["*"]
  update {
    min_healthy_time = "3s"
    healthy_deadline = "30s"
    progress_deadline = "40s"
  }
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "keeps" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 600 & wait"]
      }
    }
    task "fails" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 1; exit 3"]
      }
    }
  }
}
`;

interface Alloc {
  id: string;
  node: string;
  desired_status: string;
  client_status: string;
  ports: { value: number }[];
  driver_handles: Record<string, { pid: number; supervisor_pid: number }>;
}

/** Whether something accepts connections on the port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface Where {
  name: string;
  /** Writes drover.hcl for `dir`; returns the alloc root and the address tasks listen at. */
  setup(dir: string): Promise<{ allocRoot: string; address: string }>;
  teardown(): Promise<void>;
}

let sshHost: SshHost | undefined;
const sshAllocParent = `/home/deploy/${MARKER}`;

const WHERE: Where[] = [
  {
    name: 'the local node',
    setup(dir) {
      const allocRoot = join(dir, 'alloc');
      writeFileSync(
        join(dir, 'drover.hcl'),
        `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
      );
      return Promise.resolve({ allocRoot, address: '127.0.0.1' });
    },
    teardown: () => Promise.resolve(),
  },
  {
    name: 'an SSH host as the non-root deploy user',
    async setup(dir) {
      sshHost = await startSshHost({ address: '127.0.0.61' });
      const allocRoot = `${sshAllocParent}/alloc`;
      writeSshConfig(dir, [sshHost], ['s1'], allocRoot);
      return { allocRoot, address: sshHost.address };
    },
    async teardown() {
      await sshHost?.stop();
      rmSync(sshAllocParent, { recursive: true, force: true });
    },
  },
];

describe.each(WHERE)('on $name', (where) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-trees-'));
  const treeFile = join(dir, 'tree.nomad.hcl');
  const halfFile = join(dir, 'half.nomad.hcl');
  writeFileSync(halfFile, HALF_JOB);
  let allocRoot = '';
  let address = '';
  /** Every allocation the tests saw, for the leak check after all. */
  const seen = new Set<string>();

  const run = (args: string[]): Promise<CliResult> => drover(dir, args);
  async function state(): Promise<StateSnapshot> {
    const r = await run(['state', 'show', '-json']);
    expect(r.code, output(r)).toBe(0);
    return JSON.parse(r.stdout) as StateSnapshot;
  }
  async function allocs(job: string): Promise<Alloc[]> {
    const list = Object.values((await state()).allocations).filter((a) => a.job === job);
    for (const a of list) seen.add(a.id);
    return list as unknown as Alloc[];
  }

  beforeAll(async () => {
    ({ allocRoot, address } = await where.setup(dir));
    writeFileSync(treeFile, treeJob(await freePort()));
  });

  afterAll(async () => {
    await run(['stop', '-auto-approve', '-purge', 'tree']);
    await run(['stop', '-auto-approve', '-purge', 'half']);
    // No process of any allocation these tests made is left, whatever a test did.
    const leaked = [...seen].flatMap(allocProcesses);
    const underRoot = processesWithEnv((env) =>
      env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${allocRoot}/`)),
    );
    await where.teardown();
    rmSync(dir, { recursive: true, force: true });
    expect(leaked).toEqual([]);
    expect(underRoot).toEqual([]);
  });

  it('ends the child of a task whose supervisor and recorded pid were killed, and purge leaves nothing', async () => {
    const apply = await run(['apply', '-auto-approve', treeFile]);
    expect(apply.code, output(apply)).toBe(0);
    const [victim] = (await allocs('tree')).filter((a) => a.desired_status === 'run');
    const port = victim!.ports[0]!.value;
    // The task's shell and its Node.js child, listening.
    expect(await waitUntil(() => allocProcesses(victim!.id).length >= 2, 10_000)).toBe(true);
    expect(await listening(address, port)).toBe(true);

    const handle = victim!.driver_handles.server!;
    process.kill(handle.supervisor_pid, 'SIGKILL');
    process.kill(handle.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    // The child (Node.js) normally outlives both and still listens: what the old stop left
    // behind. On a loaded machine it has been seen gone already (cause not found yet); what
    // follows must hold either way: nothing of the allocation is left and the port is free.
    if (allocProcesses(victim!.id).length === 0)
      console.warn('process-trees: the orphaned child was already gone before the replacement');

    const replace = await run(['apply', '-auto-approve', treeFile]);
    expect(replace.code, output(replace)).toBe(0);
    const live = (await allocs('tree')).filter((a) => a.desired_status === 'run');
    expect(live).toHaveLength(1);
    expect(live[0]!.id).not.toBe(victim!.id);
    expect(allocProcesses(victim!.id)).toEqual([]);
    // The static port is free again: the replacement listens on it.
    expect(await waitUntil(() => allocProcesses(live[0]!.id).length >= 2, 10_000)).toBe(true);
    expect(await listening(address, port)).toBe(true);

    const purge = await run(['stop', '-auto-approve', '-purge', 'tree']);
    expect(purge.code, output(purge)).toBe(0);
    for (const id of [victim!.id, live[0]!.id]) {
      expect(allocProcesses(id)).toEqual([]);
      expect(existsSync(join(allocRoot, id)), `${id}'s directory`).toBe(false);
    }
    expect(await listening(address, live[0]!.ports[0]!.value)).toBe(false);
    expect(Object.values((await state()).allocations).filter((a) => a.job === 'tree')).toEqual([]);
  });

  it('stop -purge stops the still-running task of a failed allocation', async () => {
    const apply = await run(['apply', '-auto-approve', halfFile]);
    expect(apply.code, output(apply)).toBe(4);
    const [failed] = await allocs('half');
    expect(failed!.client_status).toBe('failed');
    // The failed allocation's other task still runs.
    expect(allocProcesses(failed!.id).length).toBeGreaterThan(0);

    const purge = await run(['stop', '-auto-approve', '-purge', 'half']);
    expect(purge.code, output(purge)).toBe(0);
    expect(purge.stdout).toContain(`${failed!.id.slice(0, 8)}  half.g[0]  on `);
    expect(allocProcesses(failed!.id)).toEqual([]);
    expect(existsSync(join(allocRoot, failed!.id))).toBe(false);
    expect(Object.keys((await state()).allocations)).not.toContain(failed!.id);
    expect(readdirSync(allocRoot)).toEqual([]);
  });
});

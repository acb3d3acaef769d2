/**
 * Where process tasks live for a non-root SSH user (issue 12, item 7), through the built CLI on
 * OpenSSH hosts on loopback logging in as `deploy`:
 *   - with the default configuration (no alloc_root), drover finds a directory deploy can write
 *     (/var/lib/drover/alloc if it can, else ~/.local/share/drover/alloc), the plan says which,
 *     and a raw_exec job runs there, its logs readable; purge removes its directory;
 *   - a configured alloc_root deploy cannot write is authoritative: the node runs no process
 *     tasks, the plan says why and how to fix it, and a docker job still places there.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateSnapshot } from '../../src/state/types.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { ensureTestImages } from '../support/docker.js';
import { allocProcesses } from '../providers/process-harness.js';
import { drover, type CliResult } from './cli.js';

const output = (r: CliResult): string => r.stdout + r.stderr;
const MARKER = `drover-e2e-root-${process.pid}-${randomBytes(4).toString('hex')}`;
/** Owned by root, mode 755: deploy cannot write it. */
const LOCKED = join('/var/tmp', MARKER);

const echoJob = (name: string): string => `job "${name}" {
  datacenters = ["*"]
  update {
    min_healthy_time = "1s"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \\"hello from $NOMAD_ALLOC_DIR\\"; sleep 600"]
      }
    }
  }
}
`;

const dockerJob = `job "boxed" {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image   = "drover-test/busybox:v1"
        command = "sleep"
        args    = ["600"]
      }
    }
  }
}
`;

/** Whether deploy may write /var/lib/drover/alloc on this machine (then it is the root). */
function deployCanWriteSystemRoot(): boolean {
  const r = spawnSync('su', ['deploy', '-s', '/bin/sh', '-c', 'test -w /var/lib/drover/alloc']);
  return r.status === 0;
}

function sshNode(name: string, h: SshHost, extra = ''): string {
  return `node "${name}" {
  transport = "ssh"
  address   = "${h.address}"
  port      = ${h.port}
  user      = "${h.user}"
  identity  = "${h.privateKeyPath}"
${extra}}
`;
}

let host: SshHost;

beforeAll(async () => {
  host = await startSshHost({ address: '127.0.0.62' });
  mkdirSync(LOCKED, { mode: 0o755 });
});

afterAll(async () => {
  await host.stop();
  rmSync(LOCKED, { recursive: true, force: true });
});

describe('an SSH node with the default configuration and the non-root deploy user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-root-'));
  const file = join(dir, 'echo.nomad.hcl');
  writeFileSync(file, echoJob('echo'));
  const expectedRoot = deployCanWriteSystemRoot()
    ? '/var/lib/drover/alloc'
    : '/home/deploy/.local/share/drover/alloc';
  let allocId = '';

  beforeAll(() => writeFileSync(join(dir, 'drover.hcl'), sshNode('s1', host)));
  afterAll(async () => {
    await drover(dir, ['stop', '-auto-approve', '-purge', 'echo']);
    const leaked = allocId ? allocProcesses(allocId) : [];
    rmSync(dir, { recursive: true, force: true });
    expect(leaked).toEqual([]);
  });

  it('plans under the directory deploy can write and says so', async () => {
    const plan = await drover(dir, ['plan', file]);
    expect(plan.code, output(plan)).toBe(0);
    if (expectedRoot !== '/var/lib/drover/alloc') {
      expect(plan.stdout).toContain(`node "s1" keeps allocations in ${expectedRoot}`);
      expect(plan.stdout).toContain('/var/lib/drover/alloc is not writable by the SSH user');
    }
    expect(plan.stdout).toMatch(/create +\w{8} +echo\.g\[0\] +on s1/);
  });

  it('runs a raw_exec task there, whose logs drover reads', async () => {
    const apply = await drover(dir, ['apply', '-auto-approve', file]);
    expect(apply.code, output(apply)).toBe(0);
    const state = JSON.parse(
      (await drover(dir, ['state', 'show', '-json'])).stdout,
    ) as StateSnapshot;
    const [alloc] = Object.values(state.allocations).filter((a) => a.desired_status === 'run');
    allocId = alloc!.id;
    expect(state.nodes.s1!.fingerprint!.attributes['unique.drover.alloc_root']).toBe(expectedRoot);
    expect(existsSync(join(expectedRoot, allocId, 't'))).toBe(true);
    let logs: CliResult | undefined;
    for (let i = 0; i < 50; i++) {
      logs = await drover(dir, ['logs', 'echo']);
      if (logs.stdout.includes('hello')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs!.stdout).toBe(`hello from ${join(expectedRoot, allocId, 'alloc')}\n`);

    const purge = await drover(dir, ['stop', '-auto-approve', '-purge', 'echo']);
    expect(purge.code, output(purge)).toBe(0);
    expect(allocProcesses(allocId)).toEqual([]);
    expect(existsSync(join(expectedRoot, allocId))).toBe(false);
  });
});

describe('an SSH node whose configured alloc_root deploy cannot write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-root-'));
  const file = join(dir, 'echo.nomad.hcl');
  const boxed = join(dir, 'boxed.nomad.hcl');
  writeFileSync(file, echoJob('refused'));
  writeFileSync(boxed, dockerJob);

  beforeAll(async () => {
    await ensureTestImages();
    writeFileSync(
      join(dir, 'drover.hcl'),
      sshNode('locked', host, `  alloc_root = "${LOCKED}/alloc"\n`),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses process drivers there, saying why and how to fix it', async () => {
    const plan = await drover(dir, ['plan', file]);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).toContain('node "locked" runs no process tasks (exec, java, raw_exec)');
    expect(plan.stdout).toContain(
      `no writable allocation directory for user deploy (${LOCKED}/alloc: mkdir: cannot create directory`,
    );
    expect(plan.stdout).toContain(
      `set alloc_root of node "locked" in drover.hcl to a directory deploy can write, or make ${LOCKED}/alloc writable by deploy`,
    );
    expect(plan.stdout).toContain('missing driver raw_exec');
    // Nothing was created: the configured root is not replaced by another.
    expect(existsSync(join(LOCKED, 'alloc'))).toBe(false);
  });

  it('still places docker tasks there', async () => {
    const plan = await drover(dir, ['plan', boxed]);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).toMatch(/create +\w{8} +boxed\.g\[0\] +on locked/);
  });
});

/**
 * Drift through the SSH transport, as the non-root `deploy` user on a real OpenSSH host on
 * loopback: a container (the host's Docker API over the SSH connection) whose memory limit was
 * changed with `docker update`, and a raw_exec process killed and started again by hand, as
 * `deploy`, with another command. `drover drift` exits 2 naming the field; apply repairs both.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocProcesses } from '../providers/process-harness.js';
import {
  ensureTestImages,
  localDocker,
  removeContainersByLabel,
  TEST_IMAGE_V1,
} from '../support/docker.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

const web = `e2e-drift-ssh-web-${process.pid}`;
const proc = `e2e-drift-ssh-proc-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-drift-ssh-'));
const allocParent = `/home/deploy/drover-e2e-drift-${process.pid}`;
const files = { web: join(dir, 'web.nomad.hcl'), proc: join(dir, 'proc.nomad.hcl') };
const started: number[] = [];
let host: SshHost;

writeFileSync(
  files.web,
  `job "${web}" {
  datacenters = ["*"]
  group "web" {
    update {
      min_healthy_time = "1s"
    }
    task "box" {
      driver       = "docker"
      kill_timeout = "1s"
      config {
        image   = "${TEST_IMAGE_V1}"
        command = "sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
);
writeFileSync(
  files.proc,
  `job "${proc}" {
  datacenters = ["*"]
  group "p" {
    update {
      min_healthy_time = "1s"
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

async function liveAlloc(job: string): Promise<string> {
  const r = await drover(dir, ['status', job, '-json']);
  expect(r.code, r.stderr).toBe(0);
  const live = (
    JSON.parse(r.stdout) as {
      allocations: { id: string; desired_status: string; client_status: string }[];
    }
  ).allocations.filter((a) => a.desired_status === 'run' && a.client_status === 'running');
  expect(live).toHaveLength(1);
  return live[0]!.id;
}

async function apply(file: string): Promise<void> {
  const r = await drover(dir, ['apply', '-auto-approve', file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

async function drift(file: string): Promise<{ code: number; out: string }> {
  const r = await drover(dir, ['drift', file]);
  return { code: r.code, out: r.stdout + r.stderr };
}

beforeAll(async () => {
  await ensureTestImages();
  host = await startSshHost({ address: '127.0.0.171' });
  writeSshConfig(dir, [host], ['remote'], `${allocParent}/alloc`);
});

afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already: the apply that repaired the drift stopped it.
    }
  }
  const stops = [];
  for (const j of [web, proc])
    stops.push(await drover(dir, ['stop', '-auto-approve', '-purge', j]));
  await removeContainersByLabel(`drover.job=${web}`);
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(allocParent, { recursive: true, force: true });
  for (const s of stops) expect(s.code, s.stdout + s.stderr).toBe(0);
});

describe('drift over SSH as a non-root user', { timeout: 120_000 }, () => {
  it('finds a container changed with docker update through the Docker API over SSH', async () => {
    await apply(files.web);
    expect(await drift(files.web)).toMatchObject({ code: 0 });
    const id = await liveAlloc(web);
    const [c] = await localDocker().listContainers({ filters: { label: [`drover.alloc=${id}`] } });
    execFileSync('docker', ['update', '--cpu-shares', '512', c!.Id]);

    const r = await drift(files.web);
    expect(r.out).toContain(
      `~ alloc ${id.slice(0, 8)} task box (node remote): cpu shares: 50 => 512 (changed by hand)`,
    );
    expect(r.code).toBe(2);
    await apply(files.web);
    expect(await liveAlloc(web)).not.toBe(id);
    expect(await drift(files.web)).toMatchObject({ code: 0 });
  });

  it('finds a process started again by hand with another command, by reading /proc as deploy', async () => {
    await apply(files.proc);
    expect(await drift(files.proc)).toMatchObject({ code: 0 });
    const id = await liveAlloc(proc);
    for (const pid of allocProcesses(id)) process.kill(pid, 'SIGKILL');
    const uid = Number(execFileSync('id', ['-u', 'deploy']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'deploy']).toString().trim());
    const child = spawn('sleep', ['7200'], {
      uid,
      gid,
      cwd: '/',
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH, NOMAD_ALLOC_ID: id, NOMAD_TASK_NAME: 'sleeper' },
    });
    child.unref();
    started.push(child.pid!);
    await new Promise((r) => setTimeout(r, 300));

    const r = await drift(files.proc);
    expect(r.out).toContain(
      `~ alloc ${id.slice(0, 8)} task sleeper (node remote): command: ["sleep", "3600"] => ["sleep", "7200"] (changed by hand)`,
    );
    expect(r.code).toBe(2);
    await apply(files.proc);
    expect(await drift(files.proc)).toMatchObject({ code: 0 });
    expect(allocProcesses(id)).toEqual([]);
  });
});

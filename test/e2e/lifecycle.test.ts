/**
 * Task lifecycle hooks on real drivers, through the built CLI: a prestart task that writes a
 * file in the allocation directory and exits 0 runs to completion before the main task, which
 * needs that file to start; raw_exec on the local node (examples/lifecycle, with a sidecar and
 * a poststop task), docker with the busybox test image, and raw_exec over SSH as the non-root
 * `deploy` user.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, DriverHandle } from '../../src/state/types.js';
import { ensureTestImages, removeContainersByLabel } from '../support/docker.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

/** A drover working directory with the local node, its allocations under the directory. */
function workdir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  return dir;
}

/** The job's allocations meant to run, as recorded in state (task states and handles). */
async function liveAllocs(dir: string, job: string): Promise<Allocation[]> {
  const r = await drover(dir, ['state', 'show']);
  expect(r.code, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout) as { allocations: Record<string, Allocation> };
  return Object.values(s.allocations).filter((a) => a.job === job && a.desired_status === 'run');
}

/** The prestart task ended (exit 0) before the main task started, by the recorded task states. */
function expectPrestartBeforeMain(a: Allocation, prestart: string, main: string): void {
  const pre = a.task_states[prestart];
  const start = a.task_states[main]?.started_at;
  expect(pre).toMatchObject({ state: 'dead', failed: false, exit_code: 0 });
  expect(pre?.finished_at, JSON.stringify(a.task_states)).toBeDefined();
  expect(start).toBeDefined();
  expect(Date.parse(pre!.finished_at!)).toBeLessThanOrEqual(Date.parse(start!));
}

/** Whether the process runs (a zombie no one reaped, as on a machine without an init, does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('raw_exec: examples/lifecycle', { timeout: 120_000 }, () => {
  const dir = workdir('drover-e2e-lifecycle-');
  const example = fileURLToPath(new URL('../../examples/lifecycle/app.nomad.hcl', import.meta.url));

  afterAll(async () => {
    await drover(dir, ['stop', '-auto-approve', '-purge', 'app']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the prestart task to completion, then the main task, which finds its file; apply exits 0', async () => {
    const apply = await drover(dir, ['apply', '-auto-approve', example]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('starting (prestart task "migrate" completed)');
    expect(apply.stdout).toContain('starting (starting main tasks)');

    const [a] = await liveAllocs(dir, 'app');
    expect(a!.client_status).toBe('running');
    expectPrestartBeforeMain(a!, 'migrate', 'server');
    const port = a!.ports[0]!;
    const page = await (await fetch(`http://${port.host_ip}:${port.value}/`)).text();
    expect(page.trim()).toBe('schema v2');

    // The completed prestart task's logs, and the sidecar still running beside the server.
    const logs = await drover(dir, ['logs', 'app', '--task', 'migrate']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.trim()).toBe('migrated to v2');
    const heartbeat = a!.driver_handles.heartbeat as DriverHandle & { pid: number };
    expect(alive(heartbeat.pid)).toBe(true);
    // Without --task, the main task's.
    const main = await drover(dir, ['logs', 'app']);
    expect(main.stdout.trim()).toBe('serving schema v2');

    // status refreshes from the host: the completed hook is neither drift nor a failure.
    const status = await drover(dir, ['status', 'app', '-json']);
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout) as { drift: unknown[]; allocations: Allocation[] };
    expect(shown.drift).toEqual([]);
    expect(shown.allocations.map((x) => [x.client_status, x.task_states.migrate?.state])).toEqual([
      ['running', 'dead'],
    ]);

    // Nothing to change: the hook's exit 0 is not drift.
    const plan = await drover(dir, ['plan', '-detailed-exitcode', example]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('stop runs the poststop task after the main task and the sidecar stopped, and waits for it', async () => {
    const [a] = await liveAllocs(dir, 'app');
    const server = a!.driver_handles.server as DriverHandle & { pid: number };
    const heartbeat = a!.driver_handles.heartbeat as DriverHandle & { pid: number };
    const goodbye = join(dir, 'alloc', a!.id, 'alloc', 'goodbye');
    expect(existsSync(goodbye)).toBe(false);

    const stop = await drover(dir, ['stop', '-auto-approve', 'app']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toContain('poststop task "goodbye" completed');
    expect(readFileSync(goodbye, 'utf8').trim()).toBe('stopped');
    expect([alive(server.pid), alive(heartbeat.pid)]).toEqual([false, false]);
  });
});

describe(
  'docker: a prestart task and a main task that needs its file',
  { timeout: 120_000 },
  () => {
    const dir = workdir('drover-e2e-lifecycle-docker-');
    const jobId = `e2e-lifecycle-${process.pid}`;
    const jobFile = join(dir, 'job.nomad.hcl');

    beforeAll(async () => {
      await ensureTestImages();
      writeFileSync(
        jobFile,
        `job "${jobId}" {
  group "app" {
    network {
      port "http" {
        to = 8080
      }
    }

    update {
      min_healthy_time = "1s"
    }

    task "migrate" {
      lifecycle {
        hook = "prestart"
      }
      driver = "docker"
      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "sleep 1; echo migrated > /alloc/schema; echo done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "web" {
      driver       = "docker"
      kill_timeout = "1s"
      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "[ -f /alloc/schema ] || exit 3; cat /alloc/schema > /www/index.html; exec httpd -f -p 8080 -h /www"]
        ports   = ["http"]
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
    });

    afterAll(async () => {
      await drover(dir, ['stop', '-auto-approve', '-purge', jobId]);
      await removeContainersByLabel(`drover.job=${jobId}`);
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts the main container once the prestart container exited 0; apply exits 0 and it serves', async () => {
      const apply = await drover(dir, ['apply', '-auto-approve', jobFile]);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      expect(apply.stdout).toContain('prestart task "migrate" completed');

      const [a] = await liveAllocs(dir, jobId);
      expect(a!.client_status).toBe('running');
      expectPrestartBeforeMain(a!, 'migrate', 'web');
      const port = a!.ports[0]!;
      const page = await (await fetch(`http://${port.host_ip}:${port.value}/`)).text();
      expect(page.trim()).toBe('migrated');

      const logs = await drover(dir, ['logs', jobId, '--task', 'migrate']);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout.trim()).toBe('done');
      const plan = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    });
  },
);

describe('raw_exec over SSH as the deploy user', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-lifecycle-ssh-'));
  const marker = `drover-e2e-lifecycle-${process.pid}-${randomBytes(4).toString('hex')}`;
  const allocParent = `/home/deploy/${marker}`;
  const jobFile = join(dir, 'job.nomad.hcl');
  let host: SshHost | undefined;

  beforeAll(async () => {
    host = await startSshHost({ address: '127.0.0.112' });
    writeSshConfig(dir, [host], ['s1'], `${allocParent}/alloc`);
    writeFileSync(
      jobFile,
      `job "hooks" {
  datacenters = ["*"]
  update {
    min_healthy_time = "1s"
  }
  group "g" {
    task "prepare" {
      lifecycle {
        hook = "prestart"
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 1; echo ready > \\"$NOMAD_ALLOC_DIR/ready\\""]
      }
    }
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "[ -f \\"$NOMAD_ALLOC_DIR/ready\\" ] || exit 3; while :; do sleep 1; done"]
      }
    }
    task "finish" {
      lifecycle {
        hook = "poststop"
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "id -un > \\"$NOMAD_ALLOC_DIR/finished\\""]
      }
    }
  }
}
`,
    );
  });

  afterAll(async () => {
    await drover(dir, ['stop', '-auto-approve', '-purge', 'hooks']);
    await host?.stop();
    rmSync(allocParent, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the prestart task to completion first, and the poststop task at stop', async () => {
    const apply = await drover(dir, ['apply', '-auto-approve', jobFile]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('prestart task "prepare" completed');
    const [a] = await liveAllocs(dir, 'hooks');
    expect(a!.client_status).toBe('running');
    expectPrestartBeforeMain(a!, 'prepare', 'main');

    const stop = await drover(dir, ['stop', '-auto-approve', 'hooks']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toContain('poststop task "finish" completed');
    const finished = join(`${allocParent}/alloc`, a!.id, 'alloc', 'finished');
    expect(readFileSync(finished, 'utf8').trim()).toBe('deploy');
  });
});

/**
 * Drift on real hosts, through the real CLI: a docker container changed by hand (`docker update`
 * of its memory limit, then removed and run again by hand from another image under its name) and
 * a raw_exec task whose process was killed and started again by hand with another command.
 * `drover drift` (and `plan -refresh-only`) exits 2 naming the fields, apply repairs it, and
 * drift then exits 0.
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
  TEST_IMAGE_V2,
} from '../support/docker.js';
import { drover } from './cli.js';

const webJob = `e2e-drift-web-${process.pid}`;
const procJob = `e2e-drift-proc-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-drift-'));
const allocRoot = join(dir, 'alloc');
const webFile = join(dir, 'web.nomad.hcl');
const procFile = join(dir, 'proc.nomad.hcl');
/** Processes this test started by hand, stopped at the end whatever happens. */
const started: number[] = [];

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
);
writeFileSync(
  webFile,
  `job "${webJob}" {
  group "web" {
    network {
      port "http" {
        to = 8080
      }
    }
    update {
      min_healthy_time = "1s"
    }
    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"
      env {
        GREETING = "hello"
      }
      config {
        image   = "${TEST_IMAGE_V1}"
        command = "httpd"
        args    = ["-f", "-p", "8080", "-h", "/www"]
        ports   = ["http"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`,
);
writeFileSync(
  procFile,
  `job "${procJob}" {
  group "p" {
    update {
      min_healthy_time = "1s"
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      env {
        MODE = "calm"
      }
      config {
        command = "sleep"
        args    = ["300"]
      }
    }
  }
}
`,
);

interface Alloc {
  id: string;
  desired_status: string;
  client_status: string;
}

async function liveAlloc(job: string): Promise<Alloc> {
  const r = await drover(dir, ['status', job, '-json']);
  expect(r.code, r.stderr).toBe(0);
  const live = (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
  expect(live).toHaveLength(1);
  return live[0]!;
}

async function containerName(): Promise<string> {
  const [c] = await localDocker().listContainers({
    filters: { label: [`drover.job=${webJob}`] },
  });
  expect(c).toBeDefined();
  return c!.Names[0]!.replace(/^\//, '');
}

async function apply(file: string): Promise<string> {
  const r = await drover(dir, ['apply', '-auto-approve', file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

async function noDrift(file: string): Promise<void> {
  const r = await drover(dir, ['drift', file]);
  expect(r.stdout, r.stderr).toContain('No drift: 1 of 1 tasks run as applied.');
  expect(r.code).toBe(0);
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  await ensureTestImages();
});

afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already: the apply that repaired the drift stopped it.
    }
  }
  // One after another: each takes the state lock.
  const stops = [];
  for (const j of [webJob, procJob])
    stops.push(await drover(dir, ['stop', '-auto-approve', '-purge', j]));
  await removeContainersByLabel(`drover.job=${webJob}`);
  // A container run by hand carries none of drover's labels: removed by its name, if left.
  const docker = localDocker();
  for (const c of await docker.listContainers({ all: true, filters: { name: [webJob] } }))
    await docker.getContainer(c.Id).remove({ force: true });
  rmSync(dir, { recursive: true, force: true });
  for (const s of stops) expect(s.code, s.stdout + s.stderr).toBe(0);
});

describe('drift of a docker container', { timeout: 120_000 }, () => {
  it('finds none right after apply', async () => {
    await apply(webFile);
    await noDrift(webFile);
  });

  it('shows a memory limit changed with docker update, and apply replaces the allocation', async () => {
    const before = await liveAlloc(webJob);
    const name = await containerName();
    execFileSync('docker', ['update', '--memory', '64m', '--memory-swap', '64m', name]);

    const r = await drover(dir, ['drift', webFile]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain(
      `~ alloc ${before.id.slice(0, 8)} task httpd (node local): memory: 33554432 => 67108864 (changed by hand)`,
    );
    // The alias says the same, and -json names the field.
    const json = await drover(dir, ['plan', '-refresh-only', '-json', webFile]);
    expect(json.code, json.stderr).toBe(2);
    const report = JSON.parse(json.stdout) as {
      drifted: boolean;
      tasks: { alloc_id: string; reason: string; fields: { field: string }[] }[];
    };
    expect(report.drifted).toBe(true);
    expect(report.tasks.map((t) => [t.alloc_id, t.reason, t.fields.map((f) => f.field)])).toEqual([
      [before.id, 'memory changed by hand', ['memory']],
    ]);

    // The plan of the unchanged jobspec replaces the drifted allocation, saying why.
    const plan = await drover(dir, ['plan', '-detailed-exitcode', webFile]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(
      `replaces ${before.id.slice(0, 8)} (drifted (memory changed by hand))`,
    );
    expect(plan.stdout).toContain('1 to replace');

    await apply(webFile);
    expect((await liveAlloc(webJob)).id).not.toBe(before.id);
    await noDrift(webFile);
  });

  it('shows a container run again by hand from another image under its name; apply removes it', async () => {
    const before = await liveAlloc(webJob);
    const name = await containerName();
    execFileSync('docker', ['rm', '-f', name]);
    execFileSync('docker', [
      'run',
      '-d',
      '--name',
      name,
      '-e',
      'EXTRA=1',
      TEST_IMAGE_V2,
      'sleep',
      '300',
    ]);

    const r = await drover(dir, ['drift', webFile]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const head = `~ alloc ${before.id.slice(0, 8)} task httpd (node local)`;
    expect(r.stdout).toContain(
      `${head}: image: "${TEST_IMAGE_V1}" => "${TEST_IMAGE_V2}" (changed by hand)`,
    );
    expect(r.stdout).toMatch(
      new RegExp(`${escaped(head)}: container: \\w{12} => \\w{12} \\(recreated by hand\\)`),
    );
    expect(r.stdout).toContain(
      `${head}: command: ["httpd", "-f", "-p", "8080", "-h", "/www"] => ["sleep", "300"] (changed by hand)`,
    );
    expect(r.stdout).toContain(`${head}: env[EXTRA]: (unset) => "1" (added by hand)`);
    expect(r.stdout).toMatch(
      new RegExp(`${escaped(head)}: env: \\d+ keys removed by hand: GREETING, `),
    );

    await apply(webFile);
    // The container run by hand under the allocation's name went with the allocation.
    const left = await localDocker().listContainers({ all: true, filters: { name: [name] } });
    expect(left.map((c) => c.Names[0])).toEqual([]);
    await noDrift(webFile);
  });
});

describe('drift of a raw_exec process', { timeout: 120_000 }, () => {
  it('shows a process started again by hand with another command, and apply repairs it', async () => {
    await apply(procFile);
    await noDrift(procFile);
    const before = await liveAlloc(procJob);
    // Killed by hand, supervisor and all, then started again by hand with another command and
    // the markers it had (as a user copying its environment would).
    const victims = allocProcesses(before.id);
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    const child = spawn('sleep', ['400'], {
      detached: true,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH,
        NOMAD_ALLOC_ID: before.id,
        NOMAD_TASK_NAME: 'sleeper',
        MODE: 'wild',
      },
    });
    child.unref();
    started.push(child.pid!);
    await new Promise((r) => setTimeout(r, 300));

    const r = await drover(dir, ['drift', procFile]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const head = `~ alloc ${before.id.slice(0, 8)} task sleeper (node local)`;
    expect(r.stdout).toContain(
      `${head}: command: ["sleep", "300"] => ["sleep", "400"] (changed by hand)`,
    );
    expect(r.stdout).toContain(`${head}: env[MODE]: "calm" => "wild" (changed by hand)`);

    await apply(procFile);
    await noDrift(procFile);
    // The process started by hand went with the allocation it claimed to be.
    expect(allocProcesses(before.id)).toEqual([]);
  });
});

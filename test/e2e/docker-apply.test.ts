/**
 * The newcomer's path on a real Docker engine, through the real CLI: plan → apply → serve →
 * re-plan → image change → apply → rollback → stop; a saved plan refused once stale; two
 * applies at once; no approval without a terminal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeContainersByLabel, ensureTestImages, localDocker } from '../support/docker.js';
import { drover } from './cli.js';

const jobId = `e2e-web-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-docker-'));
const jobFile = join(dir, 'web.nomad.hcl');

function jobspec(minHealthy = '1s'): string {
  return `variable "tag" {
  default = "v1"
}

job "${jobId}" {
  group "web" {
    count = 2

    network {
      port "http" {
        to = 8080
      }
    }

    update {
      max_parallel     = 1
      min_healthy_time = "${minHealthy}"
    }

    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"

      config {
        image   = "drover-test/busybox:\${var.tag}"
        command = "httpd"
        args    = ["-f", "-p", "8080", "-h", "/www"]
        ports   = ["http"]
      }

      resources {
        cpu    = 100
        memory = 32
      }

      logs {
        max_files     = 4
        max_file_size = 3
      }
    }
  }
}
`;
}

interface StatusJson {
  version: number;
  allocations: {
    id: string;
    desired_status: string;
    client_status: string;
    version: number;
    ports: { value: number; host_ip: string }[];
  }[];
}

async function status(): Promise<StatusJson> {
  const r = await drover(dir, ['status', jobId, '-json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

async function served(): Promise<string[]> {
  const s = await status();
  const live = s.allocations.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
  return Promise.all(
    live.map(async (a) => {
      const p = a.ports[0]!;
      const res = await fetch(`http://${p.host_ip}:${p.value}/`);
      return (await res.text()).trim();
    }),
  );
}

async function containers(): Promise<number> {
  const list = await localDocker().listContainers({
    all: true,
    filters: { label: [`drover.job=${jobId}`] },
  });
  return list.length;
}

beforeAll(async () => {
  await ensureTestImages();
  writeFileSync(jobFile, jobspec());
});

afterAll(async () => {
  await removeContainersByLabel(`drover.job=${jobId}`);
  rmSync(dir, { recursive: true, force: true });
});

describe('plan and apply on the local Docker engine', { timeout: 90_000 }, () => {
  it('plans changes (exit 2), applies them, and the containers serve', async () => {
    const plan = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`+ Job: "${jobId}"`);
    expect(plan.stdout).toContain('Plan: 2 to create');

    const apply = await drover(dir, ['apply', '-auto-approve', jobFile]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply complete.');
    expect(await served()).toEqual(['v1', 'v1']);
    expect(await containers()).toBe(2);

    const again = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('labels the containers for log shippers as Nomad does and sizes their logs from the logs block', async () => {
    const live = (await status()).allocations.filter((a) => a.desired_status === 'run');
    const docker = localDocker();
    const list = await docker.listContainers({ filters: { label: [`drover.job=${jobId}`] } });
    const seen: string[] = [];
    for (const c of list) {
      const info = await docker.getContainer(c.Id).inspect();
      const labels = info.Config.Labels;
      expect(labels).toMatchObject({
        'com.hashicorp.nomad.job_id': jobId,
        'com.hashicorp.nomad.job_name': jobId,
        'com.hashicorp.nomad.task_group_name': 'web',
        'com.hashicorp.nomad.task_name': 'httpd',
        'com.hashicorp.nomad.namespace': 'default',
        'com.hashicorp.nomad.node_name': 'local',
        'com.hashicorp.nomad.node_id': 'local',
      });
      seen.push(labels['com.hashicorp.nomad.alloc_id']!);
      expect(info.HostConfig.LogConfig).toEqual({
        Type: 'json-file',
        Config: { 'max-file': '4', 'max-size': '3m' },
      });
    }
    expect(seen.sort()).toEqual(live.map((a) => a.id).sort());
  });

  it('refuses to apply without approval when there is no terminal', async () => {
    const r = await drover(dir, ['apply', '-var', 'tag=v2', jobFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-auto-approve');
    expect(await served()).toEqual(['v1', 'v1']);
  });

  it('rolls an image change out, and refuses a saved plan once the state moved on', async () => {
    const saved = join(dir, 'v2.plan');
    const plan = await drover(dir, ['plan', '-var', 'tag=v2', '-out', saved, jobFile]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('forces create/destroy update');

    const apply = await drover(dir, ['apply', '-auto-approve', '-var', 'tag=v2', jobFile]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await served()).toEqual(['v2', 'v2']);
    expect(await containers()).toBe(2);

    const stale = await drover(dir, ['apply', saved]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('plan is stale');
  });

  it('rolls back to the previous stable version as a new version', async () => {
    const r = await drover(dir, ['rollback', '-auto-approve', jobId]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await served()).toEqual(['v1', 'v1']);
    expect((await status()).version).toBe(2);
    const history = await drover(dir, ['job', 'history', jobId, '-json']);
    expect(
      (JSON.parse(history.stdout) as { versions: { version: number }[] }).versions.map(
        (v) => v.version,
      ),
    ).toEqual([2, 1, 0]);
  });

  it('lets only one apply hold the state at a time', async () => {
    writeFileSync(jobFile, jobspec('4s'));
    const first = drover(dir, ['apply', '-auto-approve', '-var', 'tag=v2', jobFile]);
    await new Promise((r) => setTimeout(r, 1500));
    const second = await drover(dir, ['apply', '-auto-approve', '-var', 'tag=v2', jobFile]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/locked by .*apply/);
    const done = await first;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(await served()).toEqual(['v2', 'v2']);
  });

  it('stops the job: every container is gone', async () => {
    const r = await drover(dir, ['stop', '-auto-approve', jobId]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await containers()).toBe(0);
    const s = await status();
    expect(s.allocations.every((a) => a.desired_status === 'stop')).toBe(true);
  });
});

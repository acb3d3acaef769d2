/**
 * A podman job through the real CLI on the local podman service (scripts/test-hosts.sh):
 * apply with an http check → status → logs → an image change rolled out one at a time → stop.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocker } from '../support/docker.js';
import { ensurePodmanImages, localPodman, removePodmanContainers } from '../support/podman.js';
import { drover } from './cli.js';

const jobId = `e2e-podman-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-podman-'));
const jobFile = join(dir, 'web.nomad.hcl');

const JOBSPEC = `variable "tag" {
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

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/index.html"
        interval = "1s"
        timeout  = "1s"
      }
    }

    update {
      max_parallel     = 1
      min_healthy_time = "1s"
    }

    task "httpd" {
      driver       = "podman"
      kill_timeout = "2s"

      config {
        image       = "docker://drover-test/busybox:\${var.tag}"
        entrypoint  = "sh"
        args        = ["-c", "echo serving \${var.tag} on $NOMAD_HOST_PORT_http; exec httpd -f -p 8080 -h /www"]
        working_dir = "/www"
        ports       = ["http"]
        init        = true
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`;

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

async function ok(args: string[]) {
  const r = await drover(dir, args);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

async function status(): Promise<StatusJson> {
  return JSON.parse((await ok(['status', jobId, '-json'])).stdout) as StatusJson;
}

function live(s: StatusJson): StatusJson['allocations'] {
  return s.allocations.filter((a) => a.desired_status === 'run' && a.client_status === 'running');
}

async function served(): Promise<string[]> {
  return Promise.all(
    live(await status()).map(async (a) => {
      const p = a.ports[0]!;
      const res = await fetch(`http://${p.host_ip}:${p.value}/`);
      return (await res.text()).trim();
    }),
  );
}

/** The job's containers in podman's store, and in Docker's (which must stay empty). */
async function containers(): Promise<{ podman: string[]; docker: number }> {
  const filters = { label: [`drover.job=${jobId}`] };
  const [podman, docker] = await Promise.all([
    localPodman().listContainers({ all: true, filters }),
    localDocker().listContainers({ all: true, filters }),
  ]);
  return { podman: podman.map((c) => c.Image).sort(), docker: docker.length };
}

beforeAll(async () => {
  await ensurePodmanImages();
  writeFileSync(jobFile, JOBSPEC);
});

afterAll(async () => {
  await removePodmanContainers(`drover.job=${jobId}`);
  rmSync(dir, { recursive: true, force: true });
});

describe('plan and apply a podman job on the local podman service', { timeout: 90_000 }, () => {
  it('places the job on the node whose fingerprint found podman, and the tasks serve', async () => {
    const plan = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 2 to create');

    const apply = await ok(['apply', '-auto-approve', jobFile]);
    expect(apply.stdout).toContain('Apply complete.');
    expect(await served()).toEqual(['v1', 'v1']);
    const c = await containers();
    expect(c.podman).toHaveLength(2);
    expect(c.docker).toBe(0);

    const again = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('shows the allocations running in status, and their logs', async () => {
    const s = await status();
    expect(live(s)).toHaveLength(2);
    const human = await ok(['status', jobId]);
    expect(human.stdout).toContain('running');
    for (const a of live(s)) {
      const logs = await ok(['logs', a.id]);
      expect(logs.stdout.trim()).toBe(`serving v1 on ${a.ports[0]!.value}`);
    }
  });

  it('rolls an image change out one allocation at a time, gated by the http check', async () => {
    const plan = await ok(['plan', '-var', 'tag=v2', jobFile]);
    expect(plan.stdout).toContain('forces create/destroy update');

    const apply = await drover(dir, ['apply', '-auto-approve', '-var', 'tag=v2', jobFile]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    expect(await served()).toEqual(['v2', 'v2']);
    const s = await status();
    expect(s.version).toBe(1);
    expect(live(s).every((a) => a.version === 1)).toBe(true);
    expect((await containers()).podman).toEqual([
      'localhost/drover-test/busybox:v2',
      'localhost/drover-test/busybox:v2',
    ]);
    // max_parallel = 1: the first replacement passed its http check before the second began.
    const lines = apply.stdout.split('\n');
    const stopping = lines.flatMap((l, i) => (l.includes(': stopping (replaced by') ? [i] : []));
    expect(stopping).toHaveLength(2);
    const firstNew = /replaced by (\w+)\)/.exec(lines[stopping[0]!]!)![1]!;
    const healthy = lines.findIndex((l) => l.includes(`(${firstNew}) on local: healthy`));
    expect(healthy).toBeGreaterThan(stopping[0]!);
    expect(healthy).toBeLessThan(stopping[1]!);
  });

  it('stops the job: every container is gone', async () => {
    await ok(['stop', '-auto-approve', jobId]);
    expect(await containers()).toEqual({ podman: [], docker: 0 });
    const s = await status();
    expect(s.allocations.every((a) => a.desired_status === 'stop')).toBe(true);
  });
});

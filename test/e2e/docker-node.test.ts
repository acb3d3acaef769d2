/**
 * A node reached only through its Docker API over TCP with TLS (issue 5's `docker` transport),
 * through the built CLI: a second real dockerd on 127.0.0.6:2376 with --tlsverify, its client
 * files named relative to drover.hcl. The node is fingerprinted through the API, a docker job is
 * planned onto it, applied (the container runs in that engine, not the main one), checked over
 * the network, seen in `status` and `logs`, and stopped; a raw_exec job cannot be placed there
 * and the plan says the driver is missing.
 */
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocker, removeContainersByLabel } from '../support/docker.js';
import { startTlsDockerHost, type TlsDockerHost } from '../support/docker-tls.js';
import { drover, type CliResult } from './cli.js';

const ADDRESS = '127.0.0.6';
const RUN = `${process.pid}-${randomBytes(3).toString('hex')}`;
const WEB = `e2e-engine-web-${RUN}`;
const TOOL = `e2e-engine-tool-${RUN}`;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-docker-node-'));
/** The engine creates the allocation directories here (it runs on this machine). */
const allocRoot = join(dir, 'alloc');
const webFile = join(dir, 'web.nomad.hcl');
const toolFile = join(dir, 'tool.nomad.hcl');
let host: TlsDockerHost;

// Host networking: the test engine has no bridge (see test/support/docker-tls.ts). The task
// writes into /alloc, which the engine bind-mounts from a host directory it creates itself.
writeFileSync(
  webFile,
  `job "${WEB}" {
  group "web" {
    network {
      port "http" {}
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
      min_healthy_time = "1s"
    }

    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"

      config {
        image        = "drover-test/busybox:v1"
        network_mode = "host"
        command      = "sh"
        args         = ["-c", "echo \\"serving on $NOMAD_PORT_http\\" | tee /alloc/started; exec httpd -f -p $NOMAD_PORT_http -h /www"]
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
  toolFile,
  `job "${TOOL}" {
  group "tool" {
    task "run" {
      driver = "raw_exec"

      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
    }
  }
}
`,
);

interface Alloc {
  id: string;
  node: string;
  desired_status: string;
  client_status: string;
  ports: { label: string; value: number }[];
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

async function okJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await ok([...args, '-json'])).stdout) as T;
}

/** The job's containers in the test engine (`true`: running ones only). */
async function engineContainers(running: boolean): Promise<string[]> {
  const list = await host.docker.listContainers({
    all: !running,
    filters: { label: [`drover.job=${WEB}`] },
  });
  return list.map((c) => c.Id);
}

beforeAll(async () => {
  host = await startTlsDockerHost({ address: ADDRESS });
  // Relative paths in drover.hcl resolve against its directory.
  mkdirSync(join(dir, 'certs'));
  copyFileSync(host.tls.ca, join(dir, 'certs/ca.pem'));
  copyFileSync(host.tls.cert, join(dir, 'certs/cert.pem'));
  copyFileSync(host.tls.key, join(dir, 'certs/key.pem'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "engine-1" {
  transport   = "docker"
  docker_host = "${host.dockerHost}"
  alloc_root  = "${allocRoot}"

  tls {
    ca   = "certs/ca.pem"
    cert = "certs/cert.pem"
    key  = "certs/key.pem"
  }
}
`,
  );
});

afterAll(async () => {
  for (const job of [WEB, TOOL]) await drover(dir, ['stop', '-auto-approve', '-purge', job]);
  if (host) {
    await removeContainersByLabel(`drover.job=${WEB}`, host.docker);
    await host.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('a docker node over TLS through the CLI', { timeout: 90_000 }, () => {
  it('fingerprints the node through the Docker API: docker found, process drivers not', async () => {
    const { nodes } = await okJson<{ nodes: { name: string; status: string }[] }>([
      'node',
      'status',
    ]);
    expect(nodes.map((n) => [n.name, n.status])).toEqual([['engine-1', 'ready']]);
    const { attributes } = await okJson<{ attributes: Record<string, string> }>([
      'node',
      'status',
      'engine-1',
    ]);
    expect(attributes).toMatchObject({
      'kernel.name': 'linux',
      'driver.docker': '1',
      'unique.network.ip-address': ADDRESS,
    });
    expect(attributes['driver.raw_exec']).toBeUndefined();
  });

  it('plans the docker job onto the node', async () => {
    const plan = await okJson<{
      jobs: { groups: { placements: { node: string }[]; failures: unknown }[] }[];
    }>(['plan', webFile]);
    const group = plan.jobs[0]!.groups[0]!;
    expect(group.placements.map((p) => p.node)).toEqual(['engine-1']);
    expect(group.failures).toBeNull();
    const human = await drover(dir, ['plan', '-detailed-exitcode', webFile]);
    expect(human.code, human.stderr).toBe(2);
    expect(human.stdout).toContain('Plan: 1 to create');
  });

  it('applies it: the container runs in that engine, passes its check and serves', async () => {
    const before = await localDocker().listContainers({
      all: true,
      filters: { label: [`drover.job=${WEB}`] },
    });
    expect(before).toHaveLength(0);

    const apply = await ok(['apply', '-auto-approve', webFile]);
    expect(apply.stdout).toContain('Apply complete.');

    expect(await engineContainers(true)).toHaveLength(1);
    // Nothing of it in the main engine.
    const main = await localDocker().listContainers({
      all: true,
      filters: { label: [`drover.job=${WEB}`] },
    });
    expect(main).toHaveLength(0);

    const { allocations } = await okJson<{ allocations: Alloc[] }>(['status', WEB]);
    expect(allocations).toHaveLength(1);
    const alloc = allocations[0]!;
    expect(alloc).toMatchObject({
      node: 'engine-1',
      desired_status: 'run',
      client_status: 'running',
    });
    const port = alloc.ports.find((p) => p.label === 'http')!.value;
    const res = await fetch(`http://${ADDRESS}:${port}/`);
    expect((await res.text()).trim()).toBe('v1');

    // The engine made the allocation's directories (no shell on the node to make them).
    const started = join(allocRoot, alloc.id, 'alloc', 'started');
    expect(existsSync(started)).toBe(true);
    expect(readFileSync(started, 'utf8').trim()).toBe(`serving on ${port}`);

    const logs = await ok(['logs', alloc.id]);
    expect(logs.stdout.trim()).toBe(`serving on ${port}`);

    const again = await drover(dir, ['plan', '-detailed-exitcode', webFile]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('cannot place a raw_exec job there, and the plan says the driver is missing', async () => {
    const plan = await okJson<{
      jobs: {
        groups: {
          placements: unknown[];
          failures: { count: number; reason: string } | null;
        }[];
      }[];
    }>(['plan', toolFile]);
    const group = plan.jobs[0]!.groups[0]!;
    expect(group.placements).toEqual([]);
    expect(group.failures).toMatchObject({
      count: 1,
      reason: expect.stringMatching(/^1 node missing driver raw_exec/),
    });
    const human = await ok(['plan', toolFile]);
    expect(human.stdout).toContain('failed to place 1 allocation');
    expect(human.stdout).toContain('missing driver raw_exec');
  });

  it('stops the job: its container is gone from the engine', async () => {
    expect(await engineContainers(false)).toHaveLength(1);
    await ok(['stop', '-auto-approve', WEB]);
    expect(await engineContainers(false)).toHaveLength(0);
    const { allocations } = await okJson<{ allocations: Alloc[] }>(['status', WEB]);
    expect(allocations.every((a) => a.desired_status === 'stop')).toBe(true);
  });
});

/**
 * Host volumes on a real Docker engine and podman service through the real CLI (issue 13, item
 * 4): two nodes on this machine, only one with `host_volume "data"`; the job places there only,
 * its busybox task writes through the mount to the host directory, and a read-only mount of the
 * same volume refuses the write. A job asking for a volume no node has is not placed, and the
 * plan says why.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestImages, removeContainersByLabel } from '../support/docker.js';
import { ensurePodmanImages, removePodmanContainers } from '../support/podman.js';
import { drover } from './cli.js';

const ENGINES = [
  {
    driver: 'docker',
    image: 'drover-test/busybox:v1',
    ensure: ensureTestImages,
    remove: (label: string) => removeContainersByLabel(label),
  },
  {
    driver: 'podman',
    image: 'docker://drover-test/busybox:v1',
    ensure: () => ensurePodmanImages(),
    remove: (label: string) => removePodmanContainers(label),
  },
];

const configFor = (dir: string, data: string) => `node "with" {
  transport  = "local"
  alloc_root = "${join(dir, 'alloc-with')}"
  host_volume "data" {
    path = "${data}"
  }
}

node "without" {
  transport  = "local"
  alloc_root = "${join(dir, 'alloc-without')}"
}
`;

function job(id: string, source: string, driver: string, image: string): string {
  return `job "${id}" {
  group "app" {
    count = 2

    volume "store" {
      type   = "host"
      source = "${source}"
    }

    task "writer" {
      driver       = "${driver}"
      kill_timeout = "1s"

      config {
        image   = "${image}"
        command = "sh"
        args    = ["-c", "echo \${NOMAD_ALLOC_INDEX} > /data/out-\${NOMAD_ALLOC_INDEX}; if echo x > /ro/attempt 2>/dev/null; then echo wrote; else echo refused; fi > /data/ro-\${NOMAD_ALLOC_INDEX}; exec sleep 3600"]
      }

      volume_mount {
        volume      = "store"
        destination = "/data"
      }

      volume_mount {
        volume      = "store"
        destination = "/ro"
        read_only   = true
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

async function waitFor(path: string, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.length > 0) return text.trim();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${path} did not appear`);
}

describe.each(ENGINES)('host volumes on $driver', { timeout: 120_000 }, (e) => {
  const jobId = `e2e-hostvol-${e.driver}-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), `drover-e2e-hostvol-${e.driver}-`));
  const data = join(dir, 'data');
  const jobFile = join(dir, 'writer.nomad.hcl');
  const lostFile = join(dir, 'lost.nomad.hcl');

  beforeAll(async () => {
    await e.ensure();
    mkdirSync(data);
    writeFileSync(join(dir, 'drover.hcl'), configFor(dir, data));
    writeFileSync(jobFile, job(jobId, 'data', e.driver, e.image));
    writeFileSync(lostFile, job(`${jobId}-lost`, 'archive', e.driver, e.image));
  });

  afterAll(async () => {
    await drover(dir, ['stop', '-auto-approve', jobId]);
    await e.remove(`drover.job=${jobId}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('places only on the node with the volume, and the tasks write through the mount', async () => {
    const plan = await drover(dir, ['plan', '-json', jobFile]);
    expect(plan.code, plan.stderr).toBe(0);
    const nodes = JSON.stringify(JSON.parse(plan.stdout))
      .match(/"node":"(with|without)"/g)
      ?.map((m) => m.slice(8, -1));
    expect(nodes?.length).toBeGreaterThan(0);
    expect(new Set(nodes)).toEqual(new Set(['with']));

    const apply = await drover(dir, ['apply', '-auto-approve', jobFile]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    // The files land in the node's host directory: the mount is the host path.
    expect(await waitFor(join(data, 'out-0'))).toBe('0');
    expect(await waitFor(join(data, 'out-1'))).toBe('1');
    // The read-only mount of the same directory refused the write.
    expect(await waitFor(join(data, 'ro-0'))).toBe('refused');
    expect(await waitFor(join(data, 'ro-1'))).toBe('refused');
    expect(existsSync(join(data, 'attempt'))).toBe(false);
  });

  it('does not place a job whose volume no node has, and the plan says why', async () => {
    const plan = await drover(dir, ['plan', lostFile]);
    expect(plan.stdout + plan.stderr).toContain('2 nodes missing host volume archive');
  });

  it('node status lists the host volumes of a node', async () => {
    const r = await drover(dir, ['node', 'status', 'with']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Host Volumes');
    expect(r.stdout).toMatch(new RegExp(`data\\s+false\\s+${data}`));
    const none = await drover(dir, ['node', 'status', 'without']);
    expect(none.stdout).not.toContain('Host Volumes');
  });
});

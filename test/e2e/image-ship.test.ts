/**
 * Images without a registry, through the built CLI: an image built here with `docker build`
 * (no registry has it) runs a podman job on a node reached over SSH (127.0.0.147 as `deploy`,
 * whose podman service does not have it). The plan says it is copied, apply streams it from
 * this machine's Docker engine into the node's podman over the SSH connection and the task runs
 * it; a second plan copies nothing. An image found nowhere is pulled by the node, and its pull
 * failure says both places were looked at; a local engine gone between plan and apply is an
 * error naming the image and the node; `images { ship = false }` copies nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE_V1, ensureTestImages, localDocker } from '../support/docker.js';
import { ensurePodmanImages, localPodman, removePodmanContainers } from '../support/podman.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `drover-e2e-ship/app:${RUN}`;
/** A registry on a closed loopback port: a pull fails at once. */
const NOWHERE = `127.0.0.1:1/drover-e2e-ship/nowhere:${RUN}`;
const JOB = `e2e-ship-${process.pid}`;
const MISSING_JOB = `e2e-ship-missing-${process.pid}`;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ship-'));
const noShipDir = join(dir, 'no-ship');
const jobFile = join(dir, 'app.nomad.hcl');
const missingFile = join(dir, 'missing.nomad.hcl');
let host: SshHost;

function jobSpec(id: string, driver: string, image: string, count = 1): string {
  return `job "${id}" {
  group "app" {
    count = ${count}
    update {
      min_healthy_time = "1s"
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "app" {
      driver       = "${driver}"
      kill_timeout = "1s"
      config {
        image      = "${image}"
        entrypoint = ["sh", "-c", "cat /built-here; exec sleep 3600"]
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

async function ok(args: string[], cwd = dir): Promise<CliResult> {
  const r = await drover(cwd, args);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

async function podmanImageId(ref: string): Promise<string | undefined> {
  try {
    return (await localPodman().getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

const copyLine = (id: string, size: number): string =>
  `image "${IMAGE}" (${id.slice(0, 19)}, ${(size / 1e6).toFixed(1)} MB) is copied to node "remote" (docker here → podman there)`;

beforeAll(async () => {
  await ensureTestImages();
  await ensurePodmanImages();
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM ${TEST_IMAGE_V1}\nRUN echo built-${RUN} > /built-here\n`,
  );
  execFileSync('docker', ['build', '-q', '-t', IMAGE, dir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: 'pipe',
  });
  host = await startSshHost({ address: '127.0.0.147' });
  writeSshConfig(dir, [host], ['remote'], `/home/deploy/drover-e2e-ship-${RUN}`);
  mkdirSync(noShipDir);
  writeSshConfig(noShipDir, [host], ['remote'], `/home/deploy/drover-e2e-ship-${RUN}`);
  writeFileSync(join(noShipDir, 'drover.hcl'), 'images {\n  ship = false\n}\n', { flag: 'a' });
  writeFileSync(jobFile, jobSpec(JOB, 'podman', IMAGE));
  writeFileSync(missingFile, jobSpec(MISSING_JOB, 'docker', NOWHERE));
}, 120_000);

afterAll(async () => {
  await drover(dir, ['stop', '-auto-approve', JOB]).catch(() => undefined);
  await removePodmanContainers(`drover.job=${JOB}`).catch(() => undefined);
  for (const engine of [localPodman(), localDocker()])
    await engine
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(
  'an image only this machine has runs on a remote podman node',
  { timeout: 120_000 },
  () => {
    it('is absent from the node, and the plan says it is copied there, with its id and size', async () => {
      expect(await podmanImageId(IMAGE)).toBeUndefined();
      const local = await localDocker().getImage(IMAGE).inspect();
      const plan = await ok(['plan', jobFile]);
      expect(plan.stdout).toContain(`Images:\n  ${copyLine(local.Id, local.Size)}\n`);
      const json = JSON.parse((await ok(['plan', '-json', jobFile])).stdout) as {
        images?: unknown[];
      };
      expect(json.images).toEqual([
        {
          action: 'copy',
          image: IMAGE,
          node: 'remote',
          engine: 'podman',
          source: 'docker',
          id: local.Id,
          size: local.Size,
          jobs: [JOB],
        },
      ]);
    });

    it('copies nothing when images { ship = false }: the node is left to pull it', async () => {
      const plan = await ok(['plan', '-json', jobFile], noShipDir);
      expect((JSON.parse(plan.stdout) as { images?: unknown }).images).toBeUndefined();
    });

    it('stops with an error naming the image and node when this machine’s engine is gone at apply', async () => {
      const planfile = join(dir, 'ship.plan.json');
      await ok(['plan', '-out', planfile, jobFile]);
      const r = await drover(dir, ['apply', planfile], {
        env: { DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}` },
      });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `cannot copy image "${IMAGE}" \\(sha256:[0-9a-f]{12}\\) to node "remote": the docker engine on this machine does not answer: .*no-engine\\.sock`,
        ),
      );
      expect(await podmanImageId(IMAGE)).toBeUndefined();
    });

    it('apply copies it over SSH with progress, the node then has the same image, and the task runs it', async () => {
      const apply = await ok(['apply', '-auto-approve', jobFile]);
      expect(apply.stdout).toMatch(new RegExp(`${JOB}: copying image \\(image "${IMAGE}"`));
      expect(apply.stdout).toMatch(
        new RegExp(`${JOB}: image copied \\(image "${IMAGE}" .*to node remote in [0-9.]+s\\)`),
      );
      expect(apply.stdout).toContain('Apply complete.');
      const local = await localDocker().getImage(IMAGE).inspect();
      expect(await podmanImageId(IMAGE)).toBe(local.Id);
      const containers = await localPodman().listContainers({
        filters: { label: [`drover.job=${JOB}`] },
      });
      expect(containers.map((c) => [c.ImageID.replace(/^(sha256:)?/, 'sha256:'), c.State])).toEqual(
        [[local.Id, 'running']],
      );
      const logs = await ok(['logs', JOB]);
      expect(logs.stdout.trim()).toBe(`built-${RUN}`);
    });

    it('copies nothing once the node has the image', async () => {
      writeFileSync(jobFile, jobSpec(JOB, 'podman', IMAGE, 2));
      const plan = await ok(['plan', jobFile]);
      expect(plan.stdout).toContain('Plan: 1 to create');
      expect(plan.stdout).not.toContain('Images:');
      expect(plan.stdout).not.toContain('is copied');
    });
  },
);

describe('an image neither here nor on the node', { timeout: 120_000 }, () => {
  it('is pulled by the node, and the failed pull says both places were looked at', async () => {
    const plan = await ok(['plan', missingFile]);
    expect(plan.stdout).toContain(
      `image "${NOWHERE}" is on neither node "remote" nor this machine: the node pulls it`,
    );
    const apply = await drover(dir, ['apply', '-auto-approve', missingFile]);
    expect(apply.code, apply.stdout + apply.stderr).not.toBe(0);
    expect(apply.stdout + apply.stderr).toContain(
      `image ${NOWHERE} not found on node remote (nor in an engine of the machine running drover, so it could not be copied from there) and could not be pulled`,
    );
    await drover(dir, ['stop', '-auto-approve', '-purge', MISSING_JOB]);
  });
});

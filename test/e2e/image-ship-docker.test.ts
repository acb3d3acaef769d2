/**
 * Images without a registry between two Docker engines, through the built CLI: an image built
 * here with `docker build` runs a docker job on a second, real dockerd reached only through its
 * Docker API over TLS (127.0.0.148:2376, the `docker` transport). The plan says it is copied;
 * apply streams `docker save` from this machine's engine into `docker load` on that one and the
 * container runs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_IMAGE_V1,
  ensureTestImages,
  localDocker,
  removeContainersByLabel,
} from '../support/docker.js';
import { startTlsDockerHost, type TlsDockerHost } from '../support/docker-tls.js';
import { drover, type CliResult } from './cli.js';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `drover-e2e-ship/engine:${RUN}`;
const JOB = `e2e-ship-engine-${process.pid}`;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ship-docker-'));
const jobFile = join(dir, 'app.nomad.hcl');
let host: TlsDockerHost;

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

async function engineImageId(ref: string): Promise<string | undefined> {
  try {
    return (await host.docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  await ensureTestImages();
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM ${TEST_IMAGE_V1}\nRUN echo engine-${RUN} > /built-here\n`,
  );
  execFileSync('docker', ['build', '-q', '-t', IMAGE, dir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: 'pipe',
  });
  host = await startTlsDockerHost({ address: '127.0.0.148' });
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "engine-2" {
  transport   = "docker"
  docker_host = "${host.dockerHost}"
  alloc_root  = "${join(dir, 'alloc')}"

  tls {
    ca   = "${host.tls.ca}"
    cert = "${host.tls.cert}"
    key  = "${host.tls.key}"
  }
}
`,
  );
  // Host networking: the test engine leaves iptables to the main one (test/support/docker-tls.ts).
  writeFileSync(
    jobFile,
    `job "${JOB}" {
  group "app" {
    update {
      min_healthy_time = "1s"
    }
    task "app" {
      driver       = "docker"
      kill_timeout = "1s"
      config {
        image        = "${IMAGE}"
        network_mode = "host"
        entrypoint   = ["sh", "-c", "cat /built-here; exec sleep 3600"]
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
}, 120_000);

afterAll(async () => {
  await drover(dir, ['stop', '-auto-approve', '-purge', JOB]).catch(() => undefined);
  if (host) {
    await removeContainersByLabel(`drover.job=${JOB}`, host.docker).catch(() => undefined);
    await host.stop();
  }
  await localDocker()
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(
  'an image only this machine has runs on another Docker engine',
  { timeout: 120_000 },
  () => {
    it('is copied there by apply, as the plan says, and the container runs it', async () => {
      const local = await localDocker().getImage(IMAGE).inspect();
      expect(await engineImageId(IMAGE)).toBeUndefined();

      const plan = await ok(['plan', jobFile]);
      expect(plan.stdout).toContain(
        `Images:\n  image "${IMAGE}" (${local.Id.slice(0, 19)}, ${(local.Size / 1e6).toFixed(1)} MB) is copied to node "engine-2"\n`,
      );

      const apply = await ok(['apply', '-auto-approve', jobFile]);
      expect(apply.stdout).toMatch(
        new RegExp(`${JOB}: image copied \\(image "${IMAGE}" .*to node engine-2 in [0-9.]+s\\)`),
      );
      expect(apply.stdout).toContain('Apply complete.');
      expect(await engineImageId(IMAGE)).toBe(local.Id);
      const containers = await host.docker.listContainers({
        filters: { label: [`drover.job=${JOB}`] },
      });
      expect(containers.map((c) => [c.ImageID, c.State])).toEqual([[local.Id, 'running']]);
      expect((await ok(['logs', JOB])).stdout.trim()).toBe(`engine-${RUN}`);

      // The engine has it now: nothing more to copy.
      const again = await drover(dir, ['plan', '-detailed-exitcode', jobFile]);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).not.toContain('Images:');
    });
  },
);

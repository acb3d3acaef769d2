/**
 * Which images a plan copies to nodes, found in real engines: the local Docker engine as the
 * machine running drover, and the local podman service as a node's engine (for podman tasks) or
 * Docker again (for docker tasks, whose node then has every image this machine has).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriverRegistry, defaultDrivers } from '../../providers/registry.js';
import { LocalTransport } from '../../providers/transports/local.js';
import type { NodeSpec } from '../../providers/types.js';
import type { ConfiguredNode } from '../../src/config/types.js';
import type { Plan } from '../../src/generated/plan.js';
import { copyPlannedImages, imageNeeds, planImages } from '../../src/ops/images.js';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import { classifyWith, computePlan } from '../../src/plan/compute.js';
import { planHash } from '../../src/plan/hash.js';
import { checkPlanSchema } from '../../src/plan/render-json.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { desiredJob } from '../deploy/deployment-support.js';
import { TEST_IMAGE_V1, ensureTestImages, localDocker } from '../support/docker.js';
import { ensurePodmanImages, localPodman } from '../support/podman.js';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
/** Built here into Docker only: no registry and no podman store has it. */
const LOCAL_ONLY = `drover-test-ship/app:${RUN}`;
const NOWHERE = `drover-test-ship/nowhere:${RUN}`;

const node: ConfiguredNode = {
  name: 'n1',
  transport: 'local',
  datacenter: 'dc1',
  meta: { flavour: RUN },
  alloc_root: '/nonexistent/drover-image-test',
  reserved: { cpu: 0, memory: 0, disk: 0, ports: [] },
};
const here = new LocalTransport({ ...node, name: 'this machine' });
const there = new LocalTransport(node);
const buildDir = mkdtempSync(join(tmpdir(), 'drover-ship-build-'));
let drivers: Awaited<ReturnType<typeof context>>['drivers'];

async function context() {
  return { drivers: createDriverRegistry(await defaultDrivers()) };
}

function ctx(source: LocalTransport | null = here) {
  return {
    drivers,
    nodes: new Map([[node.name, node]]),
    transport: (_n: NodeSpec) => there,
    ...(source ? { imageSource: source } : {}),
  };
}

function state(arch = 'amd64'): StateSnapshot {
  const s = emptyState('6f1c2a4e-8d3b-4c7a-9e5f-0b1d2c3e4f50');
  s.nodes = {
    n1: {
      name: 'n1',
      inventory: { transport: 'local', datacenter: 'dc1' },
      eligibility: 'eligible',
      fingerprint: {
        fingerprinted_at: '2026-01-01T00:00:00Z',
        attributes: {
          'kernel.name': 'linux',
          'cpu.arch': arch,
          'driver.docker': '1',
          'driver.podman': '1',
          'driver.mock': '1',
        },
        resources: { cpu: 64_000, memory: 65_536 },
        drivers: {
          docker: { detected: true, healthy: true },
          podman: { detected: true, healthy: true },
          mock: { detected: true, healthy: true },
        },
      },
    },
  } as unknown as StateSnapshot['nodes'];
  return s;
}

/** A job of one group (`count` allocations) whose tasks run `images` with `driver`. */
function jobPlan(
  id: string,
  tasks: { driver: string; image: string; forcePull?: boolean }[],
  count = 2,
): Plan {
  const body = tasks
    .map(
      (t, i) => `    task "t${i}" {
      driver = "${t.driver}"
      config {
        image = "${t.image}"${t.forcePull ? '\n        force_pull = true' : ''}
      }
      resources {
        cpu    = 10
        memory = 16
      }
    }
`,
    )
    .join('');
  const source = `job "${id}" {\n  datacenters = ["dc1"]\n  group "g" {\n    count = ${count}\n${body}  }\n}\n`;
  return computePlan({
    desired: [desiredJob(source, id)],
    state: state(),
    classify: classifyWith((name) => drivers.get(name)),
    now: new Date('2026-01-01T00:00:00Z'),
    droverVersion: '0.0.0-test',
  });
}

beforeAll(async () => {
  await ensureTestImages();
  await ensurePodmanImages();
  drivers = (await context()).drivers;
  writeFileSync(
    join(buildDir, 'Dockerfile'),
    `FROM ${TEST_IMAGE_V1}\nRUN echo ${RUN} > /built-here\n`,
  );
  execFileSync('docker', ['build', '-q', '-t', LOCAL_ONLY, buildDir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: 'pipe',
  });
}, 60_000);

afterAll(async () => {
  await localDocker()
    .getImage(LOCAL_ONLY)
    .remove({ force: true })
    .catch(() => undefined);
  await localPodman()
    .getImage(LOCAL_ONLY)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(buildDir, { recursive: true, force: true });
  await Promise.all([here.close(), there.close()]);
});

describe('imageNeeds', () => {
  it('lists each image once per node and driver, interpolated, with the jobs that run it', () => {
    const plan = jobPlan('web', [
      { driver: 'podman', image: 'docker://app:${meta.flavour}' },
      { driver: 'docker', image: 'app:${meta.flavour}' },
      { driver: 'docker', image: 'pulled:always', forcePull: true },
      { driver: 'docker', image: 'pinned@sha256:' + '0'.repeat(64) },
      { driver: 'mock', image: 'not-a-container' },
    ]);
    expect(imageNeeds(plan, ctx(), state())).toEqual([
      { node: 'n1', driver: 'podman', image: `app:${RUN}`, jobs: ['web'] },
      { node: 'n1', driver: 'docker', image: `app:${RUN}`, jobs: ['web'] },
    ]);
  });
});

describe('planImages', () => {
  it('plans a copy of an image only this machine has, with its id and size, and keeps the plan sealed', async () => {
    const local = await localDocker().getImage(LOCAL_ONLY).inspect();
    const plan = await planImages(
      ctx(),
      jobPlan('web', [{ driver: 'podman', image: LOCAL_ONLY }]),
      state(),
    );
    expect(plan.images).toEqual([
      {
        action: 'copy',
        image: LOCAL_ONLY,
        node: 'n1',
        engine: 'podman',
        source: 'docker',
        id: local.Id,
        size: local.Size,
        jobs: ['web'],
      },
    ]);
    expect(plan.hash).toBe(planHash(plan));
    expect(checkPlanSchema(JSON.parse(JSON.stringify(plan)))).toEqual({ plan });
    const mb = `${(local.Size / 1e6).toFixed(1)} MB`;
    expect(renderPlanText(plan)).toContain(
      `Images:\n  image "${LOCAL_ONLY}" (${local.Id.slice(0, 19)}, ${mb}) is copied to node "n1" (docker here → podman there)\n`,
    );
  });

  it('plans nothing for an image the node has, or when nothing is copied from this machine', async () => {
    const present = jobPlan('web', [
      { driver: 'docker', image: TEST_IMAGE_V1 },
      { driver: 'podman', image: TEST_IMAGE_V1 },
      { driver: 'docker', image: LOCAL_ONLY },
    ]);
    const planned = await planImages(ctx(), present, state());
    expect(planned.images).toBeUndefined();
    expect(planned).toBe(present);
    const off = jobPlan('web', [{ driver: 'podman', image: LOCAL_ONLY }]);
    expect(await planImages(ctx(null), off, state())).toBe(off);
  });

  it('says the node pulls an image this machine lacks too, or one built for another architecture', async () => {
    const plan = await planImages(
      ctx(),
      jobPlan('web', [{ driver: 'docker', image: NOWHERE }]),
      state(),
    );
    expect(plan.images).toEqual([
      { action: 'pull', image: NOWHERE, node: 'n1', engine: 'docker', jobs: ['web'] },
    ]);
    expect(renderPlanText(plan)).toContain(
      `  image "${NOWHERE}" is on neither node "n1" nor this machine: the node pulls it\n`,
    );
    const arm = await planImages(
      ctx(),
      jobPlan('web', [{ driver: 'podman', image: LOCAL_ONLY }]),
      state('arm64'),
    );
    expect(arm.images?.map((i) => i.action)).toEqual(['pull']);
    expect(arm.warnings.map((w) => w.summary)).toContain(
      `image "${LOCAL_ONLY}" is not copied to node "n1"`,
    );
  });
});

describe('copyPlannedImages', () => {
  it('refuses to copy an image that changed here since the plan, naming the image and node', async () => {
    const plan = await planImages(
      ctx(),
      jobPlan('web', [{ driver: 'podman', image: LOCAL_ONLY }]),
      state(),
    );
    const stale = {
      ...plan,
      images: plan.images!.map((i) => ({ ...i, id: `sha256:${'e'.repeat(64)}` })),
    };
    await expect(
      copyPlannedImages(ctx(), stale, 'web', () => undefined, new Map()),
    ).rejects.toThrow(
      `cannot copy image "${LOCAL_ONLY}" (sha256:eeeeeeeeeeee) to node "n1": the docker engine on this machine now has sha256:`,
    );
    await expect(
      copyPlannedImages(ctx(null), plan, 'web', () => undefined, new Map()),
    ).rejects.toThrow('copying images from this machine is off here');
    expect(
      await localPodman()
        .getImage(LOCAL_ONLY)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();
  });

  it('copies a planned image once per apply, with progress, and not at all once the node has it', async () => {
    const plan = await planImages(
      ctx(),
      jobPlan('web', [{ driver: 'podman', image: LOCAL_ONLY }]),
      state(),
    );
    const events: ProgressEvent[] = [];
    const done = new Map<string, Promise<void>>();
    await copyPlannedImages(ctx(), plan, 'web', (ev) => events.push(ev), done);
    await copyPlannedImages(ctx(), plan, 'web', (ev) => events.push(ev), done);
    expect(events.map((e) => (e.kind === 'job' ? e.status : ''))).toEqual([
      'copying image',
      'image copied',
    ]);
    expect((await localPodman().getImage(LOCAL_ONLY).inspect()).Id).toBe(plan.images![0]!.id);
    // Another apply of the same plan: the node has the image now.
    const later: ProgressEvent[] = [];
    await copyPlannedImages(ctx(), plan, 'web', (ev) => later.push(ev), new Map());
    expect(later).toEqual([]);
    // Other jobs' images are not theirs to copy.
    await copyPlannedImages(ctx(), plan, 'other', (ev) => later.push(ev), new Map());
    expect(later).toEqual([]);
  });
});

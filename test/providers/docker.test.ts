// The docker driver on the real local engine (scripts/test-hosts.sh), plus its pure parts.
import { once } from 'node:events';
import { withOutput } from '../support/exec-output.js';
import { normalizeTask } from '../normalized.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerDriver,
  classifyDockerChange,
  frames,
  taskStatus,
  withDefaultTag,
  type DockerHandle,
} from '../../providers/drivers/docker.js';
import { containerSpec } from '../../providers/drivers/docker-spec.js';
import { LocalTransport } from '../../providers/transports/local.js';
import type { NodeSpec, TaskContext, TaskRef } from '../../providers/types.js';
import type { Task } from '../../src/generated/jobspec.js';
import {
  TEST_IMAGE_V1,
  ensureTestImages,
  localDocker,
  removeContainersByLabel,
} from '../support/docker.js';
import { containerConformance, containerLifecycleTests } from './container-driver.js';
import { freePort, taskContext } from './process-harness.js';
import { containersNamed, httpGet, sink } from '../support/containers.js';

// ---------------------------------------------------------------------------------------------
// Pure parts

describe('classifyChange', () => {
  const base: Task = {
    name: 'web',
    driver: 'docker',
    config: { image: 'app:v1', ports: ['http'] },
    env: { A: '1' },
    resources: { cpu: 100, memory: 128 },
    kill_timeout: '5s',
    restart: { attempts: 2, interval: '30m', delay: '15s', mode: 'fail' },
    service: [{ name: 'web', port: 'http' }],
    logs: { max_files: 10, max_file_size: 10 },
  };
  const cases: [string, Partial<Task>, 'none' | 'in-place' | 'destructive'][] = [
    ['identical', {}, 'none'],
    ['image', { config: { image: 'app:v2', ports: ['http'] } }, 'destructive'],
    ['args', { config: { image: 'app:v1', ports: ['http'], args: ['-v'] } }, 'destructive'],
    ['ports', { config: { image: 'app:v1', ports: ['http', 'admin'] } }, 'destructive'],
    ['env', { env: { A: '2' } }, 'destructive'],
    ['memory', { resources: { cpu: 100, memory: 256 } }, 'destructive'],
    ['cpu', { resources: { cpu: 200, memory: 128 } }, 'destructive'],
    ['meta', { meta: { team: 'x' } }, 'destructive'],
    ['user', { user: 'nobody' }, 'destructive'],
    ['driver', { driver: 'podman' }, 'destructive'],
    ['template', { template: [{ data: 'x', destination: 'local/x' }] }, 'destructive'],
    ['artifact', { artifact: [{ source: 'https://example.com/x' }] }, 'destructive'],
    ['volume_mount', { volume_mount: [{ volume: 'v', destination: '/v' }] }, 'destructive'],
    [
      'logs switched off',
      { logs: { max_files: 10, max_file_size: 10, disabled: true } },
      'destructive',
    ],
    ['service', { service: [{ name: 'web2', port: 'http' }] }, 'in-place'],
    [
      'restart',
      { restart: { attempts: 5, interval: '30m', delay: '15s', mode: 'fail' } },
      'in-place',
    ],
    ['kill_timeout', { kill_timeout: '30s' }, 'in-place'],
    ['kill_signal', { kill_signal: 'SIGINT' }, 'in-place'],
    ['shutdown_delay', { shutdown_delay: '5s' }, 'in-place'],
    [
      'constraint',
      { constraint: [{ attribute: '${attr.kernel.name}', value: 'linux' }] },
      'in-place',
    ],
    ['log sizes', { logs: { max_files: 3, max_file_size: 10 } }, 'in-place'],
    ['in-place and destructive together', { kill_timeout: '1s', env: { A: '3' } }, 'destructive'],
  ];
  it.each(cases)('%s → %s', (_name, change, expected) => {
    const [prior, next] = [normalizeTask(base), normalizeTask({ ...base, ...change })];
    expect(classifyDockerChange(prior, next)).toBe(expected);
    expect(new DockerDriver().classifyChange(next, prior)).toBe(expected);
  });
});

describe('taskStatus', () => {
  const ZERO = '0001-01-01T00:00:00Z';
  const info = (state: Partial<Docker.ContainerInspectInfo['State']>, restarts = 0) =>
    ({
      RestartCount: restarts,
      HostConfig: { Memory: 64 * 1024 * 1024 },
      State: {
        Status: 'running',
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: '',
        StartedAt: '2025-01-01T00:00:00Z',
        FinishedAt: ZERO,
        ...state,
      },
    }) as Docker.ContainerInspectInfo;
  it.each([
    [
      'running',
      info({ Running: true }, 1),
      { state: 'running', failed: false, restarts: 1, startedAt: '2025-01-01T00:00:00Z' },
    ],
    [
      'exited 0',
      info({ Status: 'exited', FinishedAt: '2025-01-01T00:01:00Z' }),
      {
        state: 'dead',
        failed: false,
        exitCode: 0,
        restarts: 0,
        startedAt: '2025-01-01T00:00:00Z',
        finishedAt: '2025-01-01T00:01:00Z',
        message: 'exited with code 0',
      },
    ],
    [
      'exited 3',
      info({ Status: 'exited', ExitCode: 3 }, 2),
      {
        state: 'dead',
        failed: true,
        exitCode: 3,
        restarts: 2,
        startedAt: '2025-01-01T00:00:00Z',
        message: 'exited with code 3',
      },
    ],
    [
      'OOM killed',
      info({ Status: 'exited', ExitCode: 137, OOMKilled: true }),
      {
        state: 'dead',
        failed: true,
        exitCode: 137,
        message: 'OOM killed: the task used more than its memory limit (64 MB)',
      },
    ],
    [
      'restarting',
      info({ Status: 'restarting', Restarting: true, ExitCode: 1 }, 4),
      { state: 'pending', failed: false, restarts: 4, message: 'restarting after exit code 1' },
    ],
    [
      'created',
      info({ Status: 'created', StartedAt: ZERO }),
      { state: 'pending', failed: false, restarts: 0, message: 'created, not started' },
    ],
    [
      'start error',
      info({ Status: 'exited', ExitCode: 127, Error: 'exec: "x": not found' }),
      { state: 'dead', failed: true, message: 'exec: "x": not found' },
    ],
  ])('%s', (_name, input, expected) => {
    const got = taskStatus(input);
    if (expected.state === 'running') expect(got).toEqual(expected);
    else expect(got).toMatchObject(expected);
  });
});

describe('small helpers', () => {
  it('splits Docker frames by stream', () => {
    const frame = (stream: number, text: string) => {
      const head = Buffer.alloc(8);
      head.writeUInt8(stream, 0);
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    const buf = Buffer.concat([
      frame(1, 'one\n'),
      frame(2, 'err\n'),
      frame(1, 'two\n'),
      frame(2, 'cut').subarray(0, 9),
    ]);
    const text = (fs: { stream: number; data: Buffer }[]) =>
      fs.map((f) => `${f.stream}:${f.data.toString()}`).join('');
    expect(text(frames(buf))).toBe('1:one\n2:err\n1:two\n');
    expect(text(frames(buf, 2))).toBe('2:err\n');
  });

  it.each([
    ['busybox', 'busybox:latest'],
    ['busybox:1.36', 'busybox:1.36'],
    ['registry:5000/app', 'registry:5000/app:latest'],
    ['registry:5000/app:v2', 'registry:5000/app:v2'],
    ['app@sha256:abc', 'app@sha256:abc'],
  ])('pulls %s as %s', (image, expected) => {
    expect(withDefaultTag(image)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// On the real engine

const RUN = randomUUID().slice(0, 8);
const RUN_LABEL = `drover-test.run=${RUN}`;
const docker = localDocker();
const driver = new DockerDriver();
const NODE: NodeSpec = {
  name: 'local',
  transport: 'local',
  datacenter: 'dc1',
  meta: {},
  alloc_root: '/var/lib/drover/alloc',
};

const transport = new LocalTransport(NODE);

let root = '';

let allocs = 0;

function context(
  task: Partial<Task> & { config: Record<string, unknown> },
  extra: Partial<TaskContext> = {},
): TaskContext {
  const { config, ...rest } = task;
  const ctx = taskContext(
    'docker',
    { config, task: { resources: { cpu: 100, memory: 64 }, ...rest } },
    transport,
    root,
    ++allocs,
  );
  return {
    ...ctx,
    jobVersion: 1,
    env: {
      ...ctx.env,
      NOMAD_ALLOC_ID: ctx.allocId,
      NOMAD_JOB_NAME: 'web-job',
      NOMAD_NAMESPACE: 'shop',
      GREETING: 'hello world',
    },
    labels: { 'drover-test.run': RUN },
    restart: { attempts: 2, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' },
    ...extra,
  };
}

beforeAll(async () => {
  await ensureTestImages(docker);
  root = await mkdtemp(join(tmpdir(), 'drover-docker-'));
});

afterAll(async () => {
  await removeContainersByLabel(RUN_LABEL, docker);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('docker driver on the local engine', () => {
  it('detects the engine', async () => {
    const d = await driver.detect(transport);
    expect(d).toMatchObject({ detected: true, healthy: true });
    expect(d.attributes['driver.docker']).toBe('1');
    expect(d.attributes['driver.docker.version']).toMatch(/^\d+\.\d+/);
  });

  describe('a web task', () => {
    let ctx: TaskContext;
    let handle: DockerHandle;
    let port = 0;

    beforeAll(async () => {
      port = await freePort();
      ctx = context(
        {
          config: {
            image: TEST_IMAGE_V1,
            command: 'sh',
            args: ['-c', 'echo out-1; echo err-1 >&2; echo out-2; exec httpd -f -p 8080 -h /www'],
            ports: ['http'],
            labels: [{ team: 'web' }],
            // docker-init passes SIGTERM on; httpd as PID 1 would ignore it.
            init: true,
          },
          resources: { cpu: 250, memory: 48 },
        },
        { ports: [{ label: 'http', value: port, to: 8080, host_ip: '127.0.0.1' }] },
      );
      handle = await driver.start(ctx);
    });

    it('serves the image content on the allocated host port', async () => {
      expect(await httpGet(port)).toBe('v1\n');
    });

    it('returns a handle naming the container and image', async () => {
      const image = await docker.getImage(TEST_IMAGE_V1).inspect();
      expect(handle).toEqual({
        driver: 'docker',
        container_id: expect.stringMatching(/^[0-9a-f]{64}$/),
        container_name: ctx.name,
        image_id: image.Id,
      });
    });

    it('names, labels and limits the container as specified', async () => {
      const info = await docker.getContainer(handle.container_id).inspect();
      expect(info.Name).toBe(`/${ctx.name}`);
      expect(info.Config.Labels).toEqual({
        team: 'web',
        'drover-test.run': RUN,
        'drover.job': ctx.jobId,
        'drover.namespace': ctx.env['NOMAD_NAMESPACE'],
        'drover.group': ctx.group,
        'drover.task': 'web',
        'drover.alloc': ctx.allocId,
        'drover.version': '1',
        'drover.node': 'local',
        'com.hashicorp.nomad.alloc_id': ctx.allocId,
        'com.hashicorp.nomad.job_id': ctx.jobId,
        'com.hashicorp.nomad.job_name': 'web-job',
        'com.hashicorp.nomad.task_group_name': ctx.group,
        'com.hashicorp.nomad.task_name': 'web',
        'com.hashicorp.nomad.namespace': 'shop',
        'com.hashicorp.nomad.node_name': 'local',
        'com.hashicorp.nomad.node_id': 'local',
      });
      // Nomad's default logs block: 10 files of 10 MB.
      expect(info.HostConfig.LogConfig).toEqual({
        Type: 'json-file',
        Config: { 'max-file': '10', 'max-size': '10m' },
      });
      expect(info.HostConfig.Memory).toBe(48 * 1024 * 1024);
      expect(info.HostConfig.CpuShares).toBe(250);
      expect(info.HostConfig.Init).toBe(true);
      expect(info.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
      expect(info.HostConfig.PortBindings).toEqual({
        '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
        '8080/udp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
      });
      expect(info.Mounts.map((m) => [m.Source, m.Destination]).sort()).toEqual([
        [join(ctx.allocDir, 'alloc'), '/alloc'],
        [join(ctx.allocDir, 'web', 'local'), '/local'],
        [join(ctx.allocDir, 'web', 'secrets'), '/secrets'],
      ]);
    });

    it('execs with the task env, stdin and the exit code', async () => {
      const out = sink();
      const err = sink();
      const envCode = await driver.exec(handle, transport, ['env'], {
        stdout: out.stream,
        stderr: err.stream,
      });
      expect(withOutput(envCode, out.text(), err.text())).toMatchObject({ code: 0 });
      expect(out.text()).toContain('GREETING=hello world');
      expect(out.text()).toContain(`NOMAD_ALLOC_ID=${ctx.allocId}`);

      const out2 = sink();
      const err2 = sink();
      const code = await driver.exec(
        handle,
        transport,
        ['sh', '-c', 'cat; echo oops >&2; exit 3'],
        { stdin: Readable.from(['piped in']), stdout: out2.stream, stderr: err2.stream },
      );
      expect([code, out2.text(), err2.text()]).toEqual([3, 'piped in', 'oops\n']);
    });

    it('reuses its running container when the apply is retried', async () => {
      const again = await driver.start(ctx);
      expect(again.container_id).toBe(handle.container_id);
    });

    it('replaces a container of the same name from another job version', async () => {
      const next = await driver.start({ ...ctx, jobVersion: 2 });
      expect(next.container_id).not.toBe(handle.container_id);
      expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'missing' });
      handle = next;
      expect(await httpGet(port)).toBe('v1\n');
    });
  });

  it('sizes json-file logs from the logs block; disabled uses the none driver and logs says so', async () => {
    const sized = await driver.start(
      context({
        config: { image: TEST_IMAGE_V1, command: 'sleep', args: ['300'] },
        logs: { max_files: 3, max_file_size: 2 },
      }),
    );
    try {
      const info = await docker.getContainer(sized.container_id).inspect();
      expect(info.HostConfig.LogConfig).toEqual({
        Type: 'json-file',
        Config: { 'max-file': '3', 'max-size': '2m' },
      });
    } finally {
      await docker.getContainer(sized.container_id).remove({ force: true });
    }
    const quiet = await driver.start(
      context({
        config: { image: TEST_IMAGE_V1, command: 'sh', args: ['-c', 'echo hidden; sleep 300'] },
        logs: { disabled: true },
      }),
    );
    try {
      const info = await docker.getContainer(quiet.container_id).inspect();
      expect(info.HostConfig.LogConfig).toEqual({ Type: 'none', Config: {} });
      const out = sink();
      const logs = driver.logs(quiet, transport, { stderr: false, follow: false });
      logs.pipe(out.stream);
      await expect(once(logs, 'end')).rejects.toThrow(
        /keeps no logs drover can read: .*logs \{ disabled = true \} uses "none"/,
      );
      expect(out.text()).toBe('');
    } finally {
      await docker.getContainer(quiet.container_id).remove({ force: true });
    }
  });

  it('gives up a pull after image_pull_timeout', async () => {
    // A "registry" on loopback that accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const image = `127.0.0.1:${port}/drover-test/slow:v1`;
      const ctx = context({ config: { image, image_pull_timeout: '1s' } });
      const started = Date.now();
      await expect(driver.start(ctx)).rejects.toThrow(
        `image ${image} not found on node local and could not be pulled: pull timed out after 1s (image_pull_timeout)`,
      );
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  containerLifecycleTests({
    driver,
    engine: docker,
    transport: () => transport,
    context,
    usr1: 'SIGUSR1',
  });
});

containerConformance({
  driver,
  engine: docker,
  sshAddress: '127.0.0.32',
  setup: () => ensureTestImages(docker),
});

describe('recover, beyond the driver suite', () => {
  function ref(ctx: TaskContext): TaskRef {
    return { allocId: ctx.allocId, task: ctx.task.name, name: ctx.name, allocDir: ctx.allocDir };
  }

  it('finds a container created but never started, which inspect reports pending', async () => {
    // What a drover killed between the engine's create and start leaves.
    const ctx = context({
      config: { image: TEST_IMAGE_V1, command: 'sleep', args: ['300'], init: true },
    });
    const created = await docker.createContainer(containerSpec(ctx));
    const found = await driver.recover(ref(ctx), transport);
    expect(found).toMatchObject({
      driver: 'docker',
      container_id: created.id,
      container_name: ctx.name,
      image_id: (await docker.getImage(TEST_IMAGE_V1).inspect()).Id,
    });
    expect(await driver.inspect(found!, transport)).toMatchObject({
      state: 'pending',
      message: 'created, not started',
    });
    await driver.stop(found!, transport, { killTimeoutMs: 1000 });
    expect(await containersNamed(docker, ctx.name)).toBe(0);
  });
});

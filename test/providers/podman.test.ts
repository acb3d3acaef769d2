// The podman driver: its config checks and translation, then real containers through podman's
// Docker-compatible API service (scripts/test-hosts.sh) on the local transport and over SSH.
import { normalizeTask } from '../normalized.js';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver, type DockerHandle } from '../../providers/drivers/docker.js';
import {
  dockerConfig,
  parseBytes,
  parseDevice,
  parseTmpfs,
  validatePodmanConfig,
} from '../../providers/drivers/podman-config.js';
import { DEFAULT_PODMAN_SOCKET, PodmanDriver } from '../../providers/drivers/podman.js';
import { LocalTransport } from '../../providers/transports/local.js';
import { SshTransport } from '../../providers/transports/ssh.js';
import type { NodeSpec, TaskContext, Transport } from '../../providers/types.js';
import type { Task } from '../../src/generated/jobspec.js';
import { TEST_IMAGE_V1, localDocker } from '../support/docker.js';
import { withOutput } from '../support/exec-output.js';
import {
  PODMAN_SOCKET,
  ensurePodmanImages,
  localPodman,
  removePodmanContainers,
} from '../support/podman.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { containersNamed, httpGet, sink } from '../support/containers.js';
import { containerConformance, containerLifecycleTests } from './container-driver.js';
import { freePort } from './process-harness.js';

// ---------------------------------------------------------------------------------------------
// Pure parts

describe('validatePodmanConfig', () => {
  const brief = (config: Record<string, unknown>) =>
    validatePodmanConfig(config).map((p) => `${p.severity ?? 'error'} ${p.pointer} ${p.summary}`);

  it('accepts Nomad podman keys, docker:// images included', () => {
    expect(
      brief({
        image: 'docker://docker.io/library/redis:7',
        command: 'redis-server',
        args: ['--port', '6379'],
        ports: ['db'],
        port_map: [{ db: 6379 }],
        labels: [{ team: 'cache' }],
        volumes: ['/srv/data:/data:ro'],
        working_dir: '/data',
        entrypoint: ['/bin/sh', '-c'],
        userns: 'host',
        tmpfs: ['/scratch:size=64m,mode=1777'],
        devices: ['/dev/null:/dev/nothing:rw'],
        shm_size: '64m',
        sysctl: [{ 'net.core.somaxconn': '1024' }],
        ulimit: [{ nofile: '1024:2048' }],
        init: true,
        tty: false,
        force_pull: false,
        image_pull_timeout: '1m',
        auth: { username: 'u', password: 'p' },
        extra_hosts: ['db:127.0.0.1'],
        cap_add: ['NET_ADMIN'],
        readonly_rootfs: true,
        privileged: false,
        pids_limit: 100,
        hostname: 'cache',
        network_mode: 'bridge',
        apparmor_profile: 'unconfined',
        socket: 'default',
      }),
    ).toEqual(['warning /socket "socket" is accepted but not applied by drover']);
  });

  it.each([
    [{}, ['error  Missing required argument']],
    [{ image: 'x', work_dir: '/a' }, ['error /work_dir Unsupported argument']],
    [{ image: 'x', working_dir: 3 }, []],
    [{ image: 'x', working_dir: ['a'] }, ['error /working_dir Incorrect attribute value type']],
    [{ image: 'x', userns: {} }, ['error /userns Incorrect attribute value type']],
    [{ image: 'oci-archive:/tmp/app.tar' }, ['error /image Unsupported image transport']],
    [{ image: 'docker://' }, ['error /image Empty image']],
    [{ image: 'x', shm_size: '64 parsecs' }, ['error /shm_size Malformed size']],
    [{ image: 'x', devices: ['dev/null'] }, ['error /devices/0 Malformed device']],
    [{ image: 'x', devices: ['/dev/a:/dev/b:rx'] }, ['error /devices/0 Malformed device']],
    [{ image: 'x', tmpfs: ['scratch'] }, ['error /tmpfs/0 Malformed tmpfs']],
    [
      { image: 'x', tmpfs: ['/s:size=1m,noexec'] },
      ['warning /tmpfs/0 tmpfs options are accepted but not applied by drover'],
    ],
    [{ image: 'x', entrypoint: [1, {}] }, ['error /entrypoint/1 Incorrect attribute value type']],
    [{ image: 'x', volumes: ['nocolon'] }, ['error /volumes/0 Malformed volume']],
    [{ image: 'x', ulimit: [{ nofile: 'lots' }] }, ['error /ulimit/0/nofile Malformed ulimit']],
    [
      { image: 'x', memory_swap: '1g' },
      ['warning /memory_swap "memory_swap" is accepted but not applied by drover'],
    ],
    [
      { image: 'x', auth: { username: 'u', tls_verify: false } },
      ['warning /auth/tls_verify "tls_verify = false" is accepted but not applied by drover'],
    ],
    [{ image: 'x', auth: { user: 'u' } }, ['error /auth/user Unsupported argument']],
    [{ image: 'x', logging: { driver: 'journald', options: { tag: 'web' } } }, []],
  ])('%j → %j', (config, expected) => {
    expect(brief(config)).toEqual(expected);
  });

  it('names the podman driver in problems the docker checks find', () => {
    const [problem] = validatePodmanConfig({ image: 'x', cpu_hard_limit: true });
    expect(problem?.detail).toBe(
      `Nomad's podman driver supports "cpu_hard_limit"; drover checks it but starts the container without it.`,
    );
    expect(validatePodmanConfig({ image: 'x', imagee: 'y' })[0]?.detail).toBe(
      `An argument or block named "imagee" is not expected in the podman driver's config. Did you mean "image"?`,
    );
  });
});

describe('dockerConfig', () => {
  it('translates podman keys into the docker driver config', () => {
    expect(
      dockerConfig({
        image: 'docker://drover-test/busybox:v1',
        args: ['-c', 'true'],
        entrypoint: 'sh',
        working_dir: '/www',
        userns: 'host',
        devices: ['/dev/null', '/dev/zero:/dev/z:r'],
        tmpfs: ['/scratch:size=1m,mode=1777', '/plain'],
        shm_size: '2m',
        auth: { username: 'u', password: 'p', tls_verify: true },
        apparmor_profile: 'unconfined',
        selinux_opts: ['type:spc_t'],
        memory_swap: '1g',
        socket: 'default',
      }),
    ).toEqual({
      image: 'drover-test/busybox:v1',
      args: ['-c', 'true'],
      entrypoint: ['sh'],
      work_dir: '/www',
      userns_mode: 'host',
      devices: [
        { host_path: '/dev/null', container_path: '/dev/null', cgroup_permissions: 'rwm' },
        { host_path: '/dev/zero', container_path: '/dev/z', cgroup_permissions: 'r' },
      ],
      mount: [
        { type: 'tmpfs', target: '/scratch', tmpfs_options: { size: 1024 * 1024, mode: 0o1777 } },
        { type: 'tmpfs', target: '/plain' },
      ],
      shm_size: 2 * 1024 * 1024,
      auth: { username: 'u', password: 'p' },
      security_opt: ['apparmor=unconfined', 'label=type:spc_t'],
    });
  });

  it.each([
    [
      { driver: 'journald', options: { tag: 'web' } },
      { type: 'journald', config: { tag: 'web' } },
    ],
    [[{ driver: 'k8s-file' }], { type: 'k8s-file' }],
    // Nomad's default driver: the logs block's rotation applies.
    [{ driver: 'nomad', options: { x: '1' } }, undefined],
  ])('logging %j → %j', (logging, expected) => {
    expect(dockerConfig({ image: 'x', logging }).logging).toEqual(expected);
  });

  it.each([
    ['1048576', 1048576],
    ['64m', 64 * 1024 * 1024],
    ['64MB', 64 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['512k', 512 * 1024],
    ['1.5k', 1536],
    ['lots', undefined],
    ['-1m', undefined],
  ])('parseBytes(%s) = %s', (s, n) => {
    expect(parseBytes(s)).toBe(n);
  });

  it('parses devices and tmpfs as podman does', () => {
    expect(parseDevice('/dev/fuse')).toEqual({
      host_path: '/dev/fuse',
      container_path: '/dev/fuse',
      cgroup_permissions: 'rwm',
    });
    expect(parseDevice('/a:/b:rw:x')).toBeUndefined();
    expect(parseTmpfs('/t:rw,size=2k,noexec')).toEqual({
      target: '/t',
      size: 2048,
      other: ['rw', 'noexec'],
    });
    expect(parseTmpfs('/t:mode=9')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// On the real podman service

const RUN = randomUUID().slice(0, 8);
const RUN_LABEL = `drover-test.run=${RUN}`;
const podman = localPodman();
const driver = new PodmanDriver();
let root = '';
let local: LocalTransport;
const cleanups: (() => Promise<unknown>)[] = [];

function node(name: string, allocRoot: string, extra: Partial<NodeSpec> = {}): NodeSpec {
  return {
    name,
    transport: 'local',
    datacenter: 'dc1',
    meta: {},
    alloc_root: allocRoot,
    ...extra,
  };
}

beforeAll(async () => {
  await ensurePodmanImages(podman);
  root = await mkdtemp(join(tmpdir(), 'drover-podman-'));
  // The SSH tests' user creates allocation directories here too.
  await chmod(root, 0o777);
  local = new LocalTransport(node('local', root));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removePodmanContainers(RUN_LABEL, podman);
  await local?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function context(
  transport: Transport,
  task: Partial<Task> & { config: Record<string, unknown> },
  extra: Partial<TaskContext> = {},
): TaskContext {
  const allocId = randomUUID();
  const job = `pt${RUN}`;
  return {
    allocId,
    name: `${job}-g-web-${allocId.slice(0, 8)}`,
    jobId: job,
    jobVersion: 1,
    group: 'g',
    task: normalizeTask({
      name: 'web',
      driver: 'podman',
      resources: { cpu: 100, memory: 64 },
      ...task,
    }),
    allocIndex: 0,
    node: transport.node,
    transport,
    ports: [],
    env: {
      NOMAD_ALLOC_ID: allocId,
      NOMAD_JOB_NAME: 'web-job',
      NOMAD_NAMESPACE: 'shop',
      GREETING: 'hello world',
    },
    allocDir: join(root, allocId),
    labels: { 'drover-test.run': RUN },
    restart: { attempts: 2, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' },
    ...extra,
  };
}

/** The container's log settings as podman's own API reports them (its Docker API omits them). */
async function libpodLogConfig(id: string): Promise<Record<string, unknown>> {
  const info = await new Promise<{ HostConfig: { LogConfig: Record<string, unknown> } }>(
    (resolve, reject) => {
      podman.modem.dial(
        { path: `/v4.0.0/libpod/containers/${id}/json`, method: 'GET', statusCodes: { 200: true } },
        (err, data) => (err ? reject(err) : resolve(data as never)),
      );
    },
  );
  return info.HostConfig.LogConfig;
}

describe('podman driver on the local service', () => {
  it('detects podman on its socket, and only podman', async () => {
    const d = await driver.detect(local);
    expect(d).toMatchObject({ detected: true, healthy: true });
    expect(d.attributes).toMatchObject({ 'driver.podman': '1', 'driver.podman.os_type': 'linux' });
    expect(d.attributes['driver.podman.version']).toMatch(/^\d+\.\d+\.\d+/);
    // Docker's engine answers on its own socket with its own version: not podman.
    const docker = await new DockerDriver().detect(local);
    expect(docker.attributes['driver.docker.version']).not.toBe(
      d.attributes['driver.podman.version'],
    );
    const misdirected = new PodmanDriver({ socketPath: '/var/run/docker.sock' });
    expect(await misdirected.detect(local)).toEqual({
      detected: false,
      healthy: false,
      attributes: {},
    });
    const absent = new PodmanDriver({ socketPath: join(root, 'no-such.sock') });
    expect((await absent.detect(local)).detected).toBe(false);
  });

  it('keeps one client per socket on a transport', async () => {
    expect(await local.docker(PODMAN_SOCKET)).toBe(await local.docker(PODMAN_SOCKET));
    expect(await local.docker(PODMAN_SOCKET)).not.toBe(await local.docker());
    expect(DEFAULT_PODMAN_SOCKET).toBe(PODMAN_SOCKET);
  });

  describe('a web task', () => {
    let ctx: TaskContext;
    let handle: DockerHandle;
    let port = 0;
    let shared = '';

    beforeAll(async () => {
      port = await freePort();
      shared = join(root, 'shared');
      await mkdir(shared);
      await writeFile(join(shared, 'note'), 'from the host\n');
      ctx = context(
        local,
        {
          config: {
            image: `docker://${TEST_IMAGE_V1}`,
            entrypoint: 'sh',
            args: [
              '-c',
              'echo out-1; echo err-1 >&2; echo out-2; pwd > /alloc/pwd; exec httpd -f -p 8080 -h /www',
            ],
            working_dir: '/www',
            ports: ['http'],
            labels: [{ team: 'web' }],
            volumes: [`${shared}:/shared:ro`],
            tmpfs: ['/scratch:size=1m,mode=770'],
            // catatonit passes SIGTERM on; httpd as PID 1 would ignore it.
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

    it('returns a podman handle naming the container and image', async () => {
      const image = await podman.getImage(TEST_IMAGE_V1).inspect();
      expect(handle).toEqual({
        driver: 'podman',
        container_id: expect.stringMatching(/^[0-9a-f]{64}$/),
        container_name: ctx.name,
        image_id: image.Id,
      });
      // The container is podman's, not Docker's.
      expect(await containersNamed(podman, ctx.name)).toBe(1);
      expect(await containersNamed(localDocker(), ctx.name)).toBe(0);
    });

    it('names, labels, limits and mounts the container as specified', async () => {
      const info = await podman.getContainer(handle.container_id).inspect();
      expect(info.Name.replace(/^\//, '')).toBe(ctx.name);
      expect(info.Config.Labels).toEqual({
        team: 'web',
        'drover-test.run': RUN,
        'drover.job': ctx.jobId,
        'drover.namespace': ctx.env['NOMAD_NAMESPACE'],
        'drover.group': 'g',
        'drover.task': 'web',
        'drover.alloc': ctx.allocId,
        'drover.version': '1',
        'drover.node': 'local',
        'com.hashicorp.nomad.alloc_id': ctx.allocId,
        'com.hashicorp.nomad.job_id': ctx.jobId,
        'com.hashicorp.nomad.job_name': 'web-job',
        'com.hashicorp.nomad.task_group_name': 'g',
        'com.hashicorp.nomad.task_name': 'web',
        'com.hashicorp.nomad.namespace': 'shop',
        'com.hashicorp.nomad.node_name': 'local',
        'com.hashicorp.nomad.node_id': 'local',
      });
      // Podman keeps one log file (no max-file) and shows the size only through its own API.
      expect(await libpodLogConfig(handle.container_id)).toMatchObject({
        Type: 'json-file',
        Size: '10MB',
      });
      expect(info.HostConfig.Memory).toBe(48 * 1024 * 1024);
      expect(info.HostConfig.CpuShares).toBe(250);
      expect(info.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
      expect(info.HostConfig.PortBindings).toMatchObject({
        '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
      });
      const binds = info.Mounts.filter((m) => m.Type === 'bind').map((m) => [
        m.Source,
        m.Destination,
      ]);
      expect(binds.sort()).toEqual([
        [join(ctx.allocDir, 'alloc'), '/alloc'],
        [join(ctx.allocDir, 'web', 'local'), '/local'],
        [join(ctx.allocDir, 'web', 'secrets'), '/secrets'],
        [shared, '/shared'],
      ]);
      expect(await readFile(join(ctx.allocDir, 'alloc', 'pwd'), 'utf8')).toBe('/www\n');
    });

    it('execs with the task env, stdin, mounts and the exit code', async () => {
      const out = sink();
      const err = sink();
      const envCode = await driver.exec(handle, local, ['env'], {
        stdout: out.stream,
        stderr: err.stream,
      });
      expect(withOutput(envCode, out.text(), err.text())).toMatchObject({ code: 0 });
      expect(out.text()).toContain('GREETING=hello world');
      expect(out.text()).toContain(`NOMAD_ALLOC_ID=${ctx.allocId}`);

      const out2 = sink();
      const err2 = sink();
      const script = 'cat; cat /shared/note; grep " /scratch " /proc/mounts >&2; exit 3';
      const code = await driver.exec(handle, local, ['sh', '-c', script], {
        stdin: Readable.from(['piped in\n']),
        stdout: out2.stream,
        stderr: err2.stream,
      });
      expect([code, out2.text()]).toEqual([3, 'piped in\nfrom the host\n']);
      expect(err2.text()).toMatch(/^tmpfs \/scratch tmpfs .*size=1024k,mode=770/);
    });

    it('reuses its running container when the apply is retried', async () => {
      const again = await driver.start(ctx);
      expect(again.container_id).toBe(handle.container_id);
    });

    it('replaces a container of the same name from another job version', async () => {
      const next = await driver.start({ ...ctx, jobVersion: 2 });
      expect(next.container_id).not.toBe(handle.container_id);
      expect(await driver.inspect(handle, local)).toMatchObject({ state: 'missing' });
      handle = next;
      expect(await httpGet(port)).toBe('v1\n');
    });
  });

  containerLifecycleTests({
    driver,
    engine: podman,
    transport: () => local,
    context: (task, extra) => context(local, task, extra),
    // Podman reports the stop signal by number.
    usr1: '10',
  });
});

// ---------------------------------------------------------------------------------------------
// Over SSH: podman's socket through a stream-local forward, as the `deploy` user

describe('podman driver over ssh', () => {
  let host: SshHost;
  let ssh: SshTransport;

  beforeAll(async () => {
    host = await startSshHost({ address: '127.0.0.41' });
    cleanups.push(() => host.stop());
    const home = await mkdtemp(join(tmpdir(), 'drover-podman-home-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    ssh = new SshTransport(
      {
        ...node('web-1', root),
        transport: 'ssh',
        address: host.address,
        port: host.port,
        user: host.user,
        identity: host.privateKeyPath,
      },
      { home, agentSocket: null, drivers: [driver] },
    );
    cleanups.push(() => ssh.close());
  });

  it('fingerprints podman through the connection, apart from Docker', async () => {
    const fp = await ssh.fingerprint();
    expect(fp.attributes['driver.podman']).toBe('1');
    expect(fp.attributes['driver.podman.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(fp.drivers.podman).toMatchObject({ detected: true, healthy: true });
    const viaPodman = await ssh.docker(PODMAN_SOCKET);
    const viaDocker = await ssh.docker();
    expect(viaPodman).toBe(await ssh.docker(PODMAN_SOCKET));
    expect(viaPodman).not.toBe(viaDocker);
    const [p, d] = await Promise.all([viaPodman.version(), viaDocker.version()]);
    expect(p.Components?.some((c) => /podman/i.test(c.Name))).toBe(true);
    expect(d.Components?.some((c) => /podman/i.test(c.Name))).toBe(false);
  });

  it('reaches podman only through the connection’s forwards', async () => {
    const ctx = context(ssh, {
      config: { image: TEST_IMAGE_V1, command: 'sleep', args: ['300'], init: true },
    });
    const handle = await driver.start(ctx);
    expect(await driver.inspect(handle, ssh)).toMatchObject({ state: 'running' });
    await driver.stop(handle, ssh, { killTimeoutMs: 5000 });
    expect(await containersNamed(podman, ctx.name)).toBe(0);
    // Through forwarding channels of the one SSH connection (kept open for the next request).
    expect(ssh.stats().forwards.opened).toBeGreaterThan(0);
    expect(ssh.stats().connects).toBe(1);
  });
});

containerConformance({
  driver,
  engine: podman,
  sshAddress: '127.0.0.42',
  setup: () => ensurePodmanImages(podman),
});

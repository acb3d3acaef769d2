import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import {
  containerSpec,
  imageSettings,
  parseUlimit,
  taskDirs,
  validateDockerConfig,
} from '../../providers/drivers/docker-spec.js';
import type { NodeSpec, TaskContext, Transport } from '../../providers/types.js';
import type { Task } from '../../src/generated/jobspec.js';
import type { AllocatedPort } from '../../src/state/types.js';
import { normalizeTask } from '../normalized.js';

const NODE: NodeSpec = {
  name: 'local',
  transport: 'local',
  datacenter: 'dc1',
  meta: {},
  alloc_root: '/var/lib/drover/alloc',
};
const ALLOC = '0123abcd-1111-2222-3333-444455556666';
const ALLOC_DIR = `/var/lib/drover/alloc/${ALLOC}`;
const MB = 1024 * 1024;

interface CtxOptions {
  config?: Record<string, unknown>;
  task?: Partial<Task>;
  ports?: AllocatedPort[];
  restart?: TaskContext['restart'];
  name?: string;
}

function ctx(o: CtxOptions = {}): TaskContext {
  const task: Task = {
    name: 'web',
    driver: 'docker',
    config: { image: 'drover-test/busybox:v1', ...o.config },
    resources: { cpu: 100, memory: 300 },
    kill_timeout: '5s',
    ...o.task,
  };
  return {
    allocId: ALLOC,
    name: o.name ?? 'shop-frontend-web-0123abcd',
    jobId: 'shop',
    jobVersion: 3,
    group: 'frontend',
    task: normalizeTask(task),
    allocIndex: 0,
    node: NODE,
    transport: {} as Transport,
    ports: o.ports ?? [],
    env: { NOMAD_ALLOC_DIR: '/alloc', GREETING: 'hi there' },
    allocDir: ALLOC_DIR,
    labels: { 'drover.job': 'shop' },
    restart: o.restart ?? { attempts: 2, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' },
  };
}

const HTTP: AllocatedPort = { label: 'http', value: 23456, to: 8080, host_ip: '127.0.0.1' };
const ADMIN: AllocatedPort = { label: 'admin', value: 23457, host_ip: '127.0.0.1' };

describe('containerSpec', () => {
  it('builds the whole request for a minimal task', () => {
    expect(containerSpec(ctx())).toEqual({
      name: 'shop-frontend-web-0123abcd',
      Image: 'drover-test/busybox:v1',
      Env: ['NOMAD_ALLOC_DIR=/alloc', 'GREETING=hi there'],
      Labels: {
        'drover.job': 'shop',
        'drover.namespace': 'default',
        'drover.group': 'frontend',
        'drover.task': 'web',
        'drover.alloc': ALLOC,
        'drover.version': '3',
        'drover.node': 'local',
        'com.hashicorp.nomad.alloc_id': ALLOC,
        'com.hashicorp.nomad.job_id': 'shop',
        'com.hashicorp.nomad.job_name': 'shop',
        'com.hashicorp.nomad.task_group_name': 'frontend',
        'com.hashicorp.nomad.task_name': 'web',
        'com.hashicorp.nomad.namespace': 'default',
        'com.hashicorp.nomad.node_name': 'local',
        'com.hashicorp.nomad.node_id': 'local',
      },
      StopTimeout: 5,
      HostConfig: {
        Binds: [
          `${ALLOC_DIR}/alloc:/alloc`,
          `${ALLOC_DIR}/web/local:/local`,
          `${ALLOC_DIR}/web/secrets:/secrets`,
        ],
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
        Memory: 300 * MB,
        MemorySwap: 300 * MB,
        CpuShares: 100,
        LogConfig: { Type: 'json-file', Config: { 'max-file': '10', 'max-size': '10m' } },
      },
    });
  });

  it.each<[string, CtxOptions, unknown]>([
    [
      'the logs block sizes the json-file driver',
      { task: { logs: { max_files: 3, max_file_size: 25 } } },
      { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '25m' } },
    ],
    [
      'logs disabled: the none driver',
      { task: { logs: { disabled: true } } },
      { Type: 'none', Config: {} },
    ],
    [
      "the task's logging block wins over the logs block",
      {
        config: { logging: { type: 'json-file', config: { 'max-size': '1m' } } },
        task: { logs: { max_files: 3, max_file_size: 25, disabled: true } },
      },
      { Type: 'json-file', Config: { 'max-size': '1m' } },
    ],
    [
      'the older `driver` spelling, without config',
      { config: { logging: { driver: 'journald' } } },
      { Type: 'journald', Config: {} },
    ],
  ])('log config: %s', (_, o, expected) => {
    expect(containerSpec(ctx(o)).HostConfig?.LogConfig).toEqual(expected);
  });

  it("labels a container as Nomad does, from the task's Nomad variables, over its own", () => {
    const c = ctx({ config: { labels: { 'com.hashicorp.nomad.task_name': 'mine', own: 'kept' } } });
    const env = {
      ...c.env,
      NOMAD_JOB_NAME: 'shop-name',
      NOMAD_NAMESPACE: 'prod',
    };
    expect(containerSpec({ ...c, env }).Labels).toMatchObject({
      own: 'kept',
      'com.hashicorp.nomad.task_name': 'web',
      'com.hashicorp.nomad.job_name': 'shop-name',
      'com.hashicorp.nomad.job_id': 'shop',
      'com.hashicorp.nomad.namespace': 'prod',
    });
  });

  type Case = [string, CtxOptions, Partial<Docker.ContainerCreateOptions>];
  const cases: Case[] = [
    [
      'command then args',
      { config: { command: 'httpd', args: ['-f', '-p', '8080'] } },
      { Cmd: ['httpd', '-f', '-p', '8080'] },
    ],
    ['args alone replace CMD', { config: { args: ['-v'] } }, { Cmd: ['-v'] }],
    [
      'entrypoint',
      { config: { entrypoint: ['/bin/sh', '-c'] } },
      { Entrypoint: ['/bin/sh', '-c'] },
    ],
    [
      'a named port binds host port to its `to`, tcp and udp',
      { config: { ports: ['http'] }, ports: [HTTP, ADMIN] },
      {
        ExposedPorts: { '8080/tcp': {}, '8080/udp': {} },
        HostConfig: {
          PortBindings: {
            '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '23456' }],
            '8080/udp': [{ HostIp: '127.0.0.1', HostPort: '23456' }],
          },
        },
      },
    ],
    [
      'without `to` the container port is the host port',
      { config: { ports: ['admin'] }, ports: [HTTP, ADMIN] },
      { ExposedPorts: { '23457/tcp': {}, '23457/udp': {} } },
    ],
    [
      'a negative `to` means the host port too',
      { config: { ports: ['http'] }, ports: [{ ...HTTP, to: -1 }] },
      { ExposedPorts: { '23456/tcp': {}, '23456/udp': {} } },
    ],
    [
      'port_map (legacy) names the container port',
      { config: { port_map: [{ admin: 9000 }] }, ports: [ADMIN] },
      {
        ExposedPorts: { '9000/tcp': {}, '9000/udp': {} },
        HostConfig: {
          PortBindings: {
            '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: '23457' }],
            '9000/udp': [{ HostIp: '127.0.0.1', HostPort: '23457' }],
          },
        },
      },
    ],
    [
      'without `ports` every allocated port is published',
      { ports: [HTTP, ADMIN] },
      { ExposedPorts: { '8080/tcp': {}, '8080/udp': {}, '23457/tcp': {}, '23457/udp': {} } },
    ],
    [
      'two labels on one container port bind twice',
      { ports: [HTTP, { ...ADMIN, to: 8080 }] },
      {
        HostConfig: {
          PortBindings: {
            '8080/tcp': [
              { HostIp: '127.0.0.1', HostPort: '23456' },
              { HostIp: '127.0.0.1', HostPort: '23457' },
            ],
            '8080/udp': [
              { HostIp: '127.0.0.1', HostPort: '23456' },
              { HostIp: '127.0.0.1', HostPort: '23457' },
            ],
          },
        },
      },
    ],
    [
      'memory_max: the hard limit, memory the reservation',
      { task: { resources: { cpu: 100, memory: 128, memory_max: 512 } } },
      { HostConfig: { Memory: 512 * MB, MemoryReservation: 128 * MB, MemorySwap: 512 * MB } },
    ],
    [
      'memory_max = -1: no hard limit (Docker 0), memory the reservation',
      { task: { resources: { cpu: 100, memory: 128, memory_max: -1 } } },
      { HostConfig: { Memory: 0, MemoryReservation: 128 * MB, MemorySwap: 0 } },
    ],
    [
      'memory_hard_limit in the config, as Nomad',
      { config: { memory_hard_limit: 256 }, task: { resources: { memory: 64 } } },
      { HostConfig: { Memory: 256 * MB, MemoryReservation: 64 * MB } },
    ],
    [
      'cpu MHz are the shares',
      { task: { resources: { cpu: 750, memory: 64 } } },
      { HostConfig: { CpuShares: 750, Memory: 64 * MB } },
    ],
    [
      'cores weigh 1024 shares each',
      { task: { resources: { cores: 2, memory: 64 } } },
      { HostConfig: { CpuShares: 2048 } },
    ],
    [
      'restart mode delay never gives up',
      { restart: { attempts: 3, intervalMs: 300_000, delayMs: 25_000, mode: 'delay' } },
      { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 } } },
    ],
    [
      'restart attempts 0 with fail: no restarts',
      { restart: { attempts: 0, intervalMs: 300_000, delayMs: 25_000, mode: 'fail' } },
      { HostConfig: { RestartPolicy: { Name: 'no' } } },
    ],
    [
      'kill_signal and kill_timeout become StopSignal and StopTimeout',
      { task: { kill_signal: 'SIGUSR1', kill_timeout: '1m30s' } },
      { StopSignal: 'SIGUSR1', StopTimeout: 90 },
    ],
    ['the task user', { task: { user: 'nobody' } }, { User: 'nobody' }],
    [
      'plain settings',
      {
        config: {
          hostname: 'web1',
          work_dir: '/www',
          tty: true,
          interactive: true,
          mac_address: '02:42:ac:11:00:02',
        },
      },
      { Hostname: 'web1', WorkingDir: '/www', Tty: true, OpenStdin: true },
    ],
    [
      'host settings',
      {
        config: {
          privileged: true,
          init: true,
          cap_add: ['NET_ADMIN'],
          cap_drop: ['ALL'],
          dns_servers: ['1.1.1.1'],
          dns_search_domains: ['example.com'],
          dns_options: ['ndots:2'],
          extra_hosts: ['db:10.0.0.5'],
          shm_size: 67108864,
          network_mode: 'bridge',
          readonly_rootfs: true,
          pids_limit: 100,
          security_opt: ['no-new-privileges'],
          group_add: ['audio'],
          ipc_mode: 'private',
          sysctl: [{ 'net.core.somaxconn': '1024' }],
          runtime: 'runc',
        },
      },
      {
        HostConfig: {
          Privileged: true,
          Init: true,
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['ALL'],
          Dns: ['1.1.1.1'],
          DnsSearch: ['example.com'],
          DnsOptions: ['ndots:2'],
          ExtraHosts: ['db:10.0.0.5'],
          ShmSize: 67108864,
          NetworkMode: 'bridge',
          ReadonlyRootfs: true,
          PidsLimit: 100,
          SecurityOpt: ['no-new-privileges'],
          GroupAdd: ['audio'],
          IpcMode: 'private',
          Sysctls: { 'net.core.somaxconn': '1024' },
          Runtime: 'runc',
        },
      },
    ],
    [
      'network_mode host publishes no ports',
      { config: { network_mode: 'host', ports: ['http'] }, ports: [HTTP] },
      { HostConfig: { NetworkMode: 'host' } },
    ],
    [
      'ulimit blocks, "soft:hard" or one number',
      { config: { ulimit: [{ nofile: '1024:2048' }, { nproc: '64' }] } },
      {
        HostConfig: {
          Ulimits: [
            { Name: 'nofile', Soft: 1024, Hard: 2048 },
            { Name: 'nproc', Soft: 64, Hard: 64 },
          ],
        },
      },
    ],
    [
      'healthchecks { disable = true } turns the image HEALTHCHECK off',
      { config: { healthchecks: [{ disable: true }] } },
      { Healthcheck: { Test: ['NONE'] } },
    ],
    [
      'volumes: a relative host path is inside the task directory',
      { config: { volumes: ['data:/data', '/etc/ssl:/etc/ssl:ro'] } },
      {
        HostConfig: {
          Binds: [
            `${ALLOC_DIR}/alloc:/alloc`,
            `${ALLOC_DIR}/web/local:/local`,
            `${ALLOC_DIR}/web/secrets:/secrets`,
            `${ALLOC_DIR}/web/data:/data`,
            '/etc/ssl:/etc/ssl:ro',
          ],
        },
      },
    ],
    [
      'volumes with a volume_driver name volumes',
      { config: { volumes: ['pgdata:/var/lib/pg'], volume_driver: 'local' } },
      { HostConfig: { VolumeDriver: 'local' } },
    ],
    [
      'mount blocks of each type',
      {
        config: {
          mount: [
            { type: 'bind', source: 'conf', target: '/etc/app', readonly: true },
            { type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 1048576, mode: 448 }] },
            {
              target: '/cache',
              source: 'cache',
              volume_options: [
                {
                  no_copy: true,
                  labels: [{ team: 'web' }],
                  driver_config: [{ name: 'local', options: [{ type: 'tmpfs' }] }],
                },
              ],
            },
            {
              type: 'bind',
              source: '/srv',
              target: '/srv',
              bind_options: [{ propagation: 'rshared' }],
            },
          ],
        },
      },
      {
        HostConfig: {
          Mounts: [
            { Type: 'bind', Source: `${ALLOC_DIR}/web/conf`, Target: '/etc/app', ReadOnly: true },
            {
              Type: 'tmpfs',
              Source: '',
              Target: '/scratch',
              TmpfsOptions: { SizeBytes: 1048576, Mode: 448 },
            },
            {
              Type: 'volume',
              Source: 'cache',
              Target: '/cache',
              VolumeOptions: {
                NoCopy: true,
                Labels: { team: 'web' },
                DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } },
              },
            },
            {
              Type: 'bind',
              Source: '/srv',
              Target: '/srv',
              BindOptions: { Propagation: 'rshared' },
            },
          ],
        },
      },
    ],
    [
      'devices default to the same path and rwm',
      { config: { devices: [{ host_path: '/dev/fuse' }] } },
      {
        HostConfig: {
          Devices: [
            { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
          ],
        },
      },
    ],
    [
      'network_aliases on the named network',
      { config: { network_mode: 'appnet', network_aliases: ['web'], ipv4_address: '10.5.0.9' } },
      {
        NetworkingConfig: {
          EndpointsConfig: {
            appnet: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.5.0.9' } },
          },
        },
      },
    ],
    [
      'a name Docker would refuse is made safe',
      { name: 'my job-web/x-0123abcd' },
      { name: 'my-job-web-x-0123abcd' },
    ],
  ];

  it.each(cases)('%s', (_name, options, expected) => {
    expect(containerSpec(ctx(options))).toMatchObject(expected);
  });

  it('keeps drover labels over the task labels, block or object form', () => {
    for (const labels of [
      [{ team: 'web', 'drover.job': 'evil' }],
      { team: 'web', 'drover.job': 'evil' },
    ]) {
      const spec = containerSpec(ctx({ config: { labels } }));
      expect(spec.Labels).toMatchObject({ team: 'web', 'drover.job': 'shop' });
    }
  });

  it('leaves out settings that are not set', () => {
    const spec = containerSpec(ctx());
    for (const key of ['Cmd', 'Entrypoint', 'ExposedPorts', 'StopSignal', 'Tty', 'Healthcheck']) {
      expect(spec).not.toHaveProperty(key);
    }
    for (const key of ['PortBindings', 'Init', 'Privileged', 'Mounts', 'MemoryReservation']) {
      expect(spec.HostConfig).not.toHaveProperty(key);
    }
  });

  it('refuses a port label the allocation does not have', () => {
    expect(() => containerSpec(ctx({ config: { ports: ['db'] }, ports: [HTTP] }))).toThrow(
      'Port "db" not found',
    );
  });

  it('names the host directories it mounts', () => {
    expect(taskDirs(ctx())).toEqual({
      alloc: `${ALLOC_DIR}/alloc`,
      local: `${ALLOC_DIR}/web/local`,
      secrets: `${ALLOC_DIR}/web/secrets`,
    });
  });
});

describe('imageSettings', () => {
  it.each([
    [{ image: 'a:1' }, { image: 'a:1', forcePull: false, pullTimeoutMs: 300_000 }],
    [
      { image: 'a:1', force_pull: true, image_pull_timeout: '30s' },
      { image: 'a:1', forcePull: true, pullTimeoutMs: 30_000 },
    ],
    [
      {
        image: 'r.example/a',
        auth: [{ username: 'u', password: 'p', server_address: 'r.example' }],
      },
      {
        image: 'r.example/a',
        forcePull: false,
        pullTimeoutMs: 300_000,
        auth: { username: 'u', password: 'p', serveraddress: 'r.example' },
      },
    ],
  ])('%j', (config, expected) => {
    expect(imageSettings(config)).toEqual(expected);
  });
});

describe('parseUlimit', () => {
  it.each([
    ['1024', { Name: 'n', Soft: 1024, Hard: 1024 }],
    ['1:2', { Name: 'n', Soft: 1, Hard: 2 }],
    ['2:1', undefined],
    // -1 is unlimited, as Nomad's strconv.Atoi and Docker read it (memlock = "-1:-1").
    ['-1:-1', { Name: 'n', Soft: -1, Hard: -1 }],
    ['1024:-1', { Name: 'n', Soft: 1024, Hard: -1 }],
    ['-1:1024', undefined],
    ['-2', undefined],
    ['x', undefined],
    ['1:', undefined],
  ])('%s', (value, expected) => {
    expect(parseUlimit('n', value)).toEqual(expected);
  });
});

describe('validateDockerConfig', () => {
  type Expect = { pointer: string; summary: string; severity?: 'warning'; detail?: string };
  const IMG = { image: 'busybox:1' };
  const cases: [string, Record<string, unknown>, Expect[]][] = [
    [
      'a full valid config',
      {
        ...IMG,
        command: 'httpd',
        args: ['-f'],
        ports: ['http'],
        labels: [{ team: 'web' }],
        mount: [{ type: 'tmpfs', target: '/t', tmpfs_options: [{ size: 1024 }] }],
        volumes: ['data:/data:ro'],
        ulimit: [{ nofile: '1024:2048' }],
        healthchecks: [{ disable: true }],
        auth: [{ username: 'u', password: 'p' }],
        image_pull_timeout: '1m',
        dns_servers: ['10.0.0.2', '::1'],
        devices: [{ host_path: '/dev/fuse', cgroup_permissions: 'rw' }],
      },
      [],
    ],
    [
      'values HCL converts: "true", "1024", a number for a string',
      { ...IMG, privileged: 'true', shm_size: '1024', hostname: 5, port_map: { http: '80' } },
      [],
    ],
    ['no image', {}, [{ pointer: '', summary: 'Missing required argument' }]],
    [
      'an unknown key, with a suggestion',
      { ...IMG, comand: 'x' },
      [
        {
          pointer: '/comand',
          summary: 'Unsupported argument',
          detail:
            `An argument or block named "comand" is not expected in the docker driver's config. ` +
            'Did you mean "command"?',
        },
      ],
    ],
    [
      'wrong types, each at its pointer',
      { ...IMG, args: 'x', cap_add: ['A', ['B']], privileged: 'yes', shm_size: 'big' },
      [
        { pointer: '/args', summary: 'Incorrect attribute value type' },
        { pointer: '/cap_add/1', summary: 'Incorrect attribute value type' },
        { pointer: '/privileged', summary: 'Incorrect attribute value type' },
        { pointer: '/shm_size', summary: 'Incorrect attribute value type' },
      ],
    ],
    [
      'a map value of the wrong type',
      { ...IMG, labels: [{ a: { b: 1 } }], port_map: [{ http: 'eighty' }] },
      [
        { pointer: '/labels/0/a', summary: 'Incorrect attribute value type' },
        { pointer: '/port_map/0/http', summary: 'Incorrect attribute value type' },
      ],
    ],
    [
      'unknown keys inside blocks',
      { ...IMG, mount: [{ target: '/a', typo: 1, bind_options: [{ propogation: 'x' }] }] },
      [
        { pointer: '/mount/0/typo', summary: 'Unsupported argument' },
        { pointer: '/mount/0/bind_options/0/propogation', summary: 'Unsupported argument' },
      ],
    ],
    [
      'mount values',
      {
        ...IMG,
        mount: [
          { type: 'nfs', target: '/a' },
          { type: 'tmpfs', target: '/b', source: 'x' },
          { type: 'bind', target: 'rel' },
          { type: 'volume' },
        ],
      },
      [
        { pointer: '/mount/0/type', summary: 'Invalid mount type' },
        { pointer: '/mount/1/source', summary: 'Invalid tmpfs source' },
        { pointer: '/mount/2/target', summary: 'Relative mount target' },
        { pointer: '/mount/2', summary: 'Missing mount source' },
        { pointer: '/mount/3', summary: 'Missing mount target' },
      ],
    ],
    [
      'one auth block only',
      { ...IMG, auth: [{ username: 'a' }, { username: 'b' }] },
      [{ pointer: '/auth/1', summary: 'Duplicate auth block' }],
    ],
    [
      'a block given a scalar',
      { ...IMG, healthchecks: true },
      [{ pointer: '/healthchecks', summary: 'Incorrect attribute value type' }],
    ],
    [
      'valid Nomad options drover does not apply are warnings',
      { ...IMG, logging: [{ type: 'syslog' }], cpu_hard_limit: true },
      [
        {
          pointer: '/logging',
          severity: 'warning',
          summary: '"logging" is accepted but not applied by drover',
        },
        {
          pointer: '/cpu_hard_limit',
          severity: 'warning',
          summary: '"cpu_hard_limit" is accepted but not applied by drover',
        },
      ],
    ],
    [
      'value formats',
      {
        ...IMG,
        image_pull_timeout: '5x',
        volumes: ['nocolon', 'a:rel'],
        ulimit: [{ nofile: '10:5' }],
        dns_servers: ['resolver'],
        devices: [{ container_path: '/dev/x', cgroup_permissions: 'rwx' }],
      },
      [
        { pointer: '/image_pull_timeout', summary: 'Invalid duration' },
        { pointer: '/volumes/0', summary: 'Malformed volume' },
        { pointer: '/volumes/1', summary: 'Relative container path' },
        { pointer: '/ulimit/0/nofile', summary: 'Malformed ulimit' },
        { pointer: '/dns_servers/0', summary: 'Invalid DNS server' },
        { pointer: '/devices/0', summary: 'Missing host_path' },
        { pointer: '/devices/0/cgroup_permissions', summary: 'Invalid cgroup permissions' },
      ],
    ],
    [
      'command checks',
      { image: ' ', command: ' httpd' },
      [
        { pointer: '/image', summary: 'Empty image' },
        { pointer: '/command', summary: 'Command contains extra white space' },
      ],
    ],
    [
      'a command with arguments in it is a warning',
      { ...IMG, command: 'sh -c' },
      [{ pointer: '/command', severity: 'warning', summary: 'Command contains white space' }],
    ],
    [
      'drover labels are reserved',
      { ...IMG, labels: { 'drover.job': 'x' } },
      [{ pointer: '/labels/drover.job', severity: 'warning', summary: 'Reserved label' }],
    ],
  ];

  it.each(cases)('%s', (_name, config, expected) => {
    const got = validateDockerConfig(config);
    expect(got).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(got[i]).toMatchObject(e));
    for (const p of got) if (!expected.find((e) => e.severity)) expect(p.severity).toBeUndefined();
  });
});

describe('containerSpec: host volumes', () => {
  it('binds each volume mount of the node at its destination, read-only when it says so', () => {
    const c: TaskContext = {
      ...ctx(),
      volumeMounts: [
        { source: '/srv/data', destination: '/data', readOnly: false, propagation: 'private' },
        {
          source: '/srv/certs',
          destination: 'certs',
          readOnly: true,
          propagation: 'bidirectional',
        },
      ],
    };
    expect(containerSpec(c).HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/data', Target: '/data' },
      {
        Type: 'bind',
        Source: '/srv/certs',
        Target: '/certs',
        ReadOnly: true,
        BindOptions: { Propagation: 'rshared' },
      },
    ]);
  });
});

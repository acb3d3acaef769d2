/**
 * The docker driver's pure half: Nomad's docker task `config` (drivers/docker/config.go) read,
 * checked, and turned into the Docker Engine API's container create request for one task of
 * one allocation. No I/O here; `docker.ts` sends what this module builds.
 */
import { posix } from 'node:path';
import { isIP } from 'node:net';
import type Docker from 'dockerode';
import type { ConfigProblem, HostVolumeMount, TaskContext } from '../types.js';
import type { NormalizedResources as Resources } from '../../src/generated/normalized-job.js';
import type { AllocatedPort } from '../../src/state/types.js';
import { pointer } from '../../src/jobspec/ranges.js';
import { durationNanos, parseDuration, MILLISECOND } from '../../src/jobspec/duration.js';
import { didYouMean } from '../../src/jobspec/suggest.js';
import { MEMORY_NO_LIMIT } from '../../src/jobspec/rules.js';

// ---------------------------------------------------------------------------------------------
// The shape of `config`, after Nomad's taskConfigSpec

type Kind =
  | 'string'
  | 'bool'
  | 'number'
  | 'strings'
  /** Nomad's `list(map(T))`: `labels { k = "v" }` blocks or a `labels = { … }` object. */
  | 'map(string)'
  | 'map(number)'
  | { block: Schema; many: boolean };

interface Field {
  kind: Kind;
  /** False for valid Nomad options drover accepts but does not act on. */
  applied: boolean;
  required?: boolean;
}

type Schema = Readonly<Record<string, Field>>;

const f = (kind: Kind, applied = true, required = false): Field => ({ kind, applied, required });

const MOUNT: Schema = {
  type: f('string'),
  target: f('string'),
  source: f('string'),
  readonly: f('bool'),
  bind_options: f({ block: { propagation: f('string') }, many: false }),
  tmpfs_options: f({ block: { size: f('number'), mode: f('number') }, many: false }),
  volume_options: f({
    block: {
      no_copy: f('bool'),
      labels: f('map(string)'),
      driver_config: f({ block: { name: f('string'), options: f('map(string)') }, many: false }),
    },
    many: false,
  }),
};

export const DOCKER_CONFIG_SCHEMA: Schema = {
  image: f('string', true, true),
  advertise_ipv6_address: f('bool', false),
  args: f('strings'),
  auth: f({
    block: {
      username: f('string'),
      password: f('string'),
      email: f('string'),
      server_address: f('string'),
    },
    many: false,
  }),
  auth_soft_fail: f('bool', false),
  cap_add: f('strings'),
  cap_drop: f('strings'),
  command: f('string'),
  cpuset_cpus: f('string', false),
  cpu_hard_limit: f('bool', false),
  cpu_cfs_period: f('number', false),
  devices: f({
    block: { host_path: f('string'), container_path: f('string'), cgroup_permissions: f('string') },
    many: true,
  }),
  dns_search_domains: f('strings'),
  dns_options: f('strings'),
  dns_servers: f('strings'),
  entrypoint: f('strings'),
  extra_hosts: f('strings'),
  force_pull: f('bool'),
  group_add: f('strings'),
  healthchecks: f({ block: { disable: f('bool') }, many: false }),
  hostname: f('string'),
  init: f('bool'),
  interactive: f('bool'),
  ipc_mode: f('string'),
  ipv4_address: f('string'),
  ipv6_address: f('string'),
  isolation: f('string', false),
  labels: f('map(string)'),
  load: f('string', false),
  logging: f(
    { block: { type: f('string'), driver: f('string'), config: f('map(string)') }, many: false },
    false,
  ),
  mac_address: f('string'),
  memory_hard_limit: f('number'),
  mount: f({ block: MOUNT, many: true }),
  mounts: f({ block: MOUNT, many: true }),
  network_aliases: f('strings'),
  network_mode: f('string'),
  oom_score_adj: f('number'),
  runtime: f('string'),
  pids_limit: f('number'),
  pid_mode: f('string'),
  ports: f('strings'),
  port_map: f('map(number)'),
  privileged: f('bool'),
  image_pull_timeout: f('string'),
  readonly_rootfs: f('bool'),
  security_opt: f('strings'),
  shm_size: f('number'),
  storage_opt: f('map(string)'),
  sysctl: f('map(string)'),
  tty: f('bool'),
  ulimit: f('map(string)'),
  uts_mode: f('string'),
  userns_mode: f('string'),
  volumes: f('strings'),
  volume_driver: f('string'),
  work_dir: f('string'),
};

// ---------------------------------------------------------------------------------------------
// Reading values the way cty converts them (a number where a string goes, "true" for a bool)

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A block or an object attribute: `x { … }` decodes to `[{…}]`, `x = {…}` to `{…}`. */
function objects(v: unknown): Obj[] {
  if (isObj(v)) return [v];
  if (Array.isArray(v)) return v.filter(isObj);
  return [];
}

const str = (c: Obj, k: string): string | undefined => asString(c[k]);
const bool = (c: Obj, k: string): boolean => asBool(c[k]) ?? false;
const num = (c: Obj, k: string): number | undefined => asNumber(c[k]);
const block = (c: Obj, k: string): Obj | undefined => objects(c[k])[0];

function strs(c: Obj, k: string): string[] | undefined {
  const v = c[k];
  if (!Array.isArray(v)) return undefined;
  return v.map(asString).filter((s): s is string => s !== undefined);
}

/** `list(map(string))`: every map merged in order, later keys winning (Nomad's MapStrStr). */
function stringMap(c: Obj, k: string): Record<string, string> | undefined {
  const list = objects(c[k]);
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const m of list) {
    for (const [key, value] of Object.entries(m)) {
      const s = asString(value);
      if (s !== undefined) out[key] = s;
    }
  }
  return out;
}

function numberMap(c: Obj, k: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of objects(c[k])) {
    for (const [key, value] of Object.entries(m)) {
      const n = asNumber(value);
      if (n !== undefined) out[key] = n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// validateConfig

/** Checks a docker task's `config`: unknown keys, wrong types, malformed values. No I/O. */
export function validateDockerConfig(config: Record<string, unknown>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  checkBody(config, DOCKER_CONFIG_SCHEMA, '', 'config', out);
  // Value checks only look at values of the right type; wrong types are reported above.
  checkValues(config, out);
  return out;
}

function checkBody(body: Obj, schema: Schema, ptr: string, where: string, out: ConfigProblem[]) {
  for (const [key, value] of Object.entries(body)) {
    const p = ptr + pointer(key);
    const field = schema[key];
    if (!field) {
      out.push({
        pointer: p,
        summary: 'Unsupported argument',
        detail: `An argument or block named "${key}" is not expected in the docker driver's ${where}.${didYouMean(key, Object.keys(schema))}`,
      });
      continue;
    }
    checkKind(value, field.kind, p, key, out);
    if (!field.applied) {
      out.push({
        pointer: p,
        severity: 'warning',
        summary: `"${key}" is accepted but not applied by drover`,
        detail: `Nomad's docker driver supports "${key}"; drover checks it but starts the container without it.`,
      });
    }
  }
  for (const key of requiredKeys(schema)) {
    if (body[key] === undefined) {
      out.push({
        pointer: ptr,
        summary: 'Missing required argument',
        detail: `The argument "${key}" is required in the docker driver's ${where}, but no definition was found.`,
      });
    }
  }
}

const required = new WeakMap<Schema, readonly string[]>();

/** A schema's required keys, in schema order; found once, not per task (the config schema has ~70 keys). */
function requiredKeys(schema: Schema): readonly string[] {
  let keys = required.get(schema);
  if (!keys) {
    keys = Object.keys(schema).filter((k) => schema[k]!.required);
    required.set(schema, keys);
  }
  return keys;
}

const KIND_NAMES: Record<string, string> = {
  string: 'a string',
  bool: 'a bool',
  number: 'a number',
  strings: 'a list of strings',
  'map(string)': 'a map of strings',
  'map(number)': 'a map of numbers',
};

function wrongType(p: string, key: string, expected: string, out: ConfigProblem[]): void {
  out.push({
    pointer: p,
    summary: 'Incorrect attribute value type',
    detail: `Inappropriate value for "${key}": ${expected} is required.`,
  });
}

function checkKind(value: unknown, kind: Kind, p: string, key: string, out: ConfigProblem[]) {
  if (typeof kind === 'object') {
    checkBlocks(value, kind, p, key, out);
    return;
  }
  const expected = KIND_NAMES[kind] ?? kind;
  switch (kind) {
    case 'string':
      if (asString(value) === undefined) wrongType(p, key, expected, out);
      return;
    case 'bool':
      if (asBool(value) === undefined) wrongType(p, key, expected, out);
      return;
    case 'number':
      if (asNumber(value) === undefined) wrongType(p, key, expected, out);
      return;
    case 'strings':
      if (!Array.isArray(value)) return wrongType(p, key, expected, out);
      value.forEach((item, i) => {
        if (asString(item) === undefined) wrongType(p + pointer(i), key, expected, out);
      });
      return;
    case 'map(string)':
    case 'map(number)': {
      const read = kind === 'map(string)' ? asString : asNumber;
      const maps = isObj(value) ? [{ m: value, mp: p }] : listOfObjects(value, p);
      if (!maps) return wrongType(p, key, expected, out);
      for (const { m, mp } of maps) {
        for (const [k, v] of Object.entries(m)) {
          if (read(v) === undefined) wrongType(mp + pointer(k), key, expected, out);
        }
      }
      return;
    }
  }
}

/** A list whose items are all objects, each with its pointer; undefined for anything else. */
function listOfObjects(value: unknown, p: string): { m: Obj; mp: string }[] | undefined {
  if (!Array.isArray(value) || !value.every(isObj)) return undefined;
  return value.map((m, i) => ({ m, mp: p + pointer(i) }));
}

function checkBlocks(
  value: unknown,
  kind: { block: Schema; many: boolean },
  p: string,
  key: string,
  out: ConfigProblem[],
): void {
  const list = isObj(value) ? [{ m: value, mp: p }] : listOfObjects(value, p);
  if (!list) {
    out.push({
      pointer: p,
      summary: 'Incorrect attribute value type',
      detail: `Inappropriate value for "${key}": ${kind.many ? 'blocks' : 'a block'} of "${key} { … }" settings are required.`,
    });
    return;
  }
  if (!kind.many && list.length > 1) {
    out.push({
      pointer: p + pointer(1),
      summary: `Duplicate ${key} block`,
      detail: `Only one "${key}" block is allowed in the docker driver's config.`,
    });
  }
  for (const { m, mp } of list) checkBody(m, kind.block, mp, `"${key}" block`, out);
}

const MOUNT_TYPES = ['bind', 'volume', 'tmpfs'];

/** Checks of values inside well-typed fields: formats Docker or Nomad would refuse later. */
function checkValues(c: Obj, out: ConfigProblem[]): void {
  const problem = (p: string, summary: string, detail: string, severity?: 'warning') =>
    out.push(
      severity ? { pointer: p, summary, detail, severity } : { pointer: p, summary, detail },
    );

  const image = str(c, 'image');
  if (image !== undefined && image.trim() === '') {
    problem('/image', 'Empty image', 'Set "image" to an image reference such as "nginx:1.27".');
  }
  const command = str(c, 'command');
  if (command !== undefined) {
    if (command.trim() === '') problem('/command', 'Empty command', 'Remove "command" or set it.');
    else if (command.trim() !== command) {
      problem(
        '/command',
        'Command contains extra white space',
        `Nomad refuses ${JSON.stringify(command)}: remove the white space around the command.`,
      );
    } else if (/\s/.test(command)) {
      problem(
        '/command',
        'Command contains white space',
        `Docker runs ${JSON.stringify(command)} as one executable name; put its arguments in "args".`,
        'warning',
      );
    }
  }
  const timeout = str(c, 'image_pull_timeout');
  if (timeout !== undefined) {
    const d = parseDuration(timeout);
    if (!d.ok) problem('/image_pull_timeout', 'Invalid duration', d.error);
  }
  if (Array.isArray(c.volumes)) {
    c.volumes.forEach((v, i) => {
      const s = asString(v);
      if (s !== undefined) checkVolume(s, pointer('volumes', i), problem);
    });
  }
  for (const key of ['mount', 'mounts']) {
    for (const { m, mp } of mapEntries(c[key], pointer(key))) checkMount(m, mp, problem);
  }
  for (const { m, mp } of mapEntries(c.ulimit, '/ulimit')) {
    for (const [name, v] of Object.entries(m)) {
      const s = asString(v);
      if (s !== undefined && !parseUlimit(name, s)) {
        problem(
          mp + pointer(name),
          'Malformed ulimit',
          `ulimit "${name}" must be "soft:hard" or one number (soft ≤ hard, -1 for unlimited), not ${JSON.stringify(s)}.`,
        );
      }
    }
  }
  for (const { m, mp } of mapEntries(c.labels, '/labels')) {
    for (const k of Object.keys(m)) {
      if (k.startsWith('drover.')) {
        problem(
          mp + pointer(k),
          'Reserved label',
          `Labels "drover.*" are set by drover on every container; "${k}" is overridden.`,
          'warning',
        );
      }
    }
  }
  if (Array.isArray(c.dns_servers)) {
    c.dns_servers.forEach((ip, i) => {
      const s = asString(ip);
      if (s !== undefined && isIP(s) === 0) {
        problem(
          pointer('dns_servers', i),
          'Invalid DNS server',
          `${JSON.stringify(s)} is not an IP address; Docker would refuse the container.`,
        );
      }
    });
  }
  for (const { m: d, mp: dp } of mapEntries(c.devices, '/devices')) {
    if (!str(d, 'host_path')) {
      problem(dp, 'Missing host_path', 'A device needs "host_path", the device on the host.');
    }
    const perms = str(d, 'cgroup_permissions');
    if (perms !== undefined && !/^[rwm]{1,3}$/.test(perms)) {
      problem(
        dp + '/cgroup_permissions',
        'Invalid cgroup permissions',
        `"cgroup_permissions" is made of the letters r, w and m, not ${JSON.stringify(perms)}.`,
      );
    }
  }
  const shm = num(c, 'shm_size');
  if (shm !== undefined && shm < 0) problem('/shm_size', 'Negative shm_size', 'shm_size is bytes.');
}

/** The maps of a `list(map)` field or the bodies of a block field, each with its pointer. */
function mapEntries(value: unknown, p: string): { m: Obj; mp: string }[] {
  if (isObj(value)) return [{ m: value, mp: p }];
  return listOfObjects(value, p) ?? [];
}

type Report = (p: string, summary: string, detail: string, severity?: 'warning') => void;

function checkVolume(spec: string, p: string, problem: Report): void {
  const parts = spec.split(':');
  const target = parts[1];
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !target) {
    problem(
      p,
      'Malformed volume',
      `A volume is "host_path:container_path[:mode]", not ${JSON.stringify(spec)}.`,
    );
  } else if (!target.startsWith('/')) {
    problem(p, 'Relative container path', `The container path "${target}" must be absolute.`);
  }
}

function checkMount(m: Obj, p: string, problem: Report): void {
  const type = str(m, 'type') ?? 'volume';
  if (!MOUNT_TYPES.includes(type)) {
    problem(
      p + '/type',
      'Invalid mount type',
      `A mount's type is "bind", "volume" or "tmpfs", not ${JSON.stringify(type)}.`,
    );
  }
  const target = str(m, 'target');
  if (!target)
    problem(p, 'Missing mount target', 'A mount needs "target", a path in the container.');
  else if (!target.startsWith('/')) {
    problem(p + '/target', 'Relative mount target', `The target "${target}" must be absolute.`);
  }
  if (type === 'tmpfs' && str(m, 'source')) {
    problem(p + '/source', 'Invalid tmpfs source', 'A tmpfs mount has no source; remove it.');
  }
  if (type === 'bind' && !str(m, 'source')) {
    problem(p, 'Missing mount source', 'A bind mount needs "source", a path on the host.');
  }
}

/** Nomad's ulimit value: "soft:hard" or one number for both; -1 is unlimited ("-1:-1"). */
export function parseUlimit(name: string, value: string): Docker.Ulimit | undefined {
  const m = /^(-1|\d+)(?::(-1|\d+))?$/.exec(value.trim());
  if (!m) return undefined;
  const soft = Number(m[1]);
  const hard = m[2] === undefined ? soft : Number(m[2]);
  const limit = (n: number) => (n === -1 ? Infinity : n);
  return limit(soft) <= limit(hard) ? { Name: name, Soft: soft, Hard: hard } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The image and how to get it (used by the driver before it creates the container)

export interface ImageSettings {
  image: string;
  forcePull: boolean;
  pullTimeoutMs: number;
  auth?: { username?: string; password?: string; email?: string; serveraddress?: string };
}

const DEFAULT_PULL_TIMEOUT_MS = 5 * 60_000;

export function imageSettings(config: Record<string, unknown>): ImageSettings {
  const timeout = durationNanos(str(config, 'image_pull_timeout'));
  const auth = block(config, 'auth');
  return prune({
    image: str(config, 'image') ?? '',
    forcePull: bool(config, 'force_pull'),
    pullTimeoutMs: timeout && timeout > 0 ? timeout / MILLISECOND : DEFAULT_PULL_TIMEOUT_MS,
    auth: auth
      ? prune({
          username: str(auth, 'username'),
          password: str(auth, 'password'),
          email: str(auth, 'email'),
          serveraddress: str(auth, 'server_address'),
        })
      : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// containerSpec

/** Host directories of the alloc dir a task sees as /alloc, /local and /secrets. */
export function taskDirs(ctx: Pick<TaskContext, 'allocDir' | 'task'>): {
  alloc: string;
  local: string;
  secrets: string;
} {
  const taskDir = posix.join(ctx.allocDir, ctx.task.name);
  return {
    alloc: posix.join(ctx.allocDir, 'alloc'),
    local: posix.join(taskDir, 'local'),
    secrets: posix.join(taskDir, 'secrets'),
  };
}

/** The Docker create request for one task of one allocation, with its name and labels. */
export function containerSpec(ctx: TaskContext): Docker.ContainerCreateOptions {
  const c: Obj = ctx.task.config ?? {};
  const dirs = taskDirs(ctx);
  const taskDir = posix.join(ctx.allocDir, ctx.task.name);
  const networkMode = str(c, 'network_mode');
  const ports = publishedPorts(ctx.ports, strs(c, 'ports'), numberMap(c, 'port_map'), networkMode);
  const { memory, reservation } = memoryLimits(ctx.task.resources, num(c, 'memory_hard_limit'));
  const volumeDriver = str(c, 'volume_driver');
  const binds = [
    `${dirs.alloc}:/alloc`,
    `${dirs.local}:/local`,
    `${dirs.secrets}:/secrets`,
    ...(strs(c, 'volumes') ?? []).map((v) => resolveVolume(v, taskDir, volumeDriver !== undefined)),
  ];
  const mounts = [
    ...[...objects(c.mount), ...objects(c.mounts)].map((m) => dockerMount(m, taskDir)),
    ...(ctx.volumeMounts ?? []).map(hostVolumeMount),
  ];

  const hostConfig: Docker.HostConfig = prune({
    Binds: binds,
    Mounts: mounts.length > 0 ? mounts : undefined,
    PortBindings: ports.bindings,
    NetworkMode: networkMode,
    RestartPolicy: restartPolicy(ctx.restart),
    Memory: memory,
    MemoryReservation: reservation,
    // No swap beyond the limit, as Nomad does.
    MemorySwap: memory,
    CpuShares: cpuShares(ctx.task.resources),
    Init: bool(c, 'init') || undefined,
    Privileged: bool(c, 'privileged') || undefined,
    CapAdd: strs(c, 'cap_add'),
    CapDrop: strs(c, 'cap_drop'),
    Dns: strs(c, 'dns_servers'),
    DnsSearch: strs(c, 'dns_search_domains'),
    DnsOptions: strs(c, 'dns_options'),
    ExtraHosts: strs(c, 'extra_hosts'),
    GroupAdd: strs(c, 'group_add'),
    IpcMode: str(c, 'ipc_mode'),
    PidMode: str(c, 'pid_mode'),
    UTSMode: str(c, 'uts_mode'),
    UsernsMode: str(c, 'userns_mode'),
    ReadonlyRootfs: bool(c, 'readonly_rootfs') || undefined,
    SecurityOpt: strs(c, 'security_opt'),
    Sysctls: stringMap(c, 'sysctl'),
    StorageOpt: stringMap(c, 'storage_opt'),
    ShmSize: num(c, 'shm_size'),
    PidsLimit: num(c, 'pids_limit'),
    OomScoreAdj: num(c, 'oom_score_adj'),
    Runtime: str(c, 'runtime'),
    VolumeDriver: volumeDriver,
    Ulimits: ulimits(c),
    Devices: devices(c),
    LogConfig: logConfig(c, ctx.task.logs),
  });

  const command = str(c, 'command');
  const args = strs(c, 'args');
  return prune({
    name: containerName(ctx.name),
    Image: str(c, 'image'),
    // Nomad: `command` then `args`; `args` alone replace the image's CMD.
    Cmd: command !== undefined ? [command, ...(args ?? [])] : args,
    Entrypoint: strs(c, 'entrypoint'),
    Env: Object.entries(ctx.env).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(ctx, stringMap(c, 'labels')),
    User: ctx.task.user,
    Hostname: str(c, 'hostname'),
    WorkingDir: str(c, 'work_dir'),
    MacAddress: str(c, 'mac_address'),
    Tty: bool(c, 'tty') || undefined,
    OpenStdin: bool(c, 'interactive') || undefined,
    ExposedPorts: ports.exposed,
    StopSignal: ctx.task.kill_signal,
    StopTimeout: Math.ceil(Math.max(0, ctx.task.kill_timeout) / 1000),
    Healthcheck: bool(block(c, 'healthchecks') ?? {}, 'disable') ? { Test: ['NONE'] } : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: networkingConfig(c, networkMode),
  });
}

/** Docker allows `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; anything else in a job or task name becomes `-`. */
export function containerName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return /^[a-zA-Z0-9]/.test(clean) ? clean : `x${clean}`;
}

/**
 * The container's log driver. As Nomad's docker driver: the task's `logging` block as written
 * (`type`, or the older `driver`, and `config`) when it sets either; else the json-file driver
 * rotated by the task's `logs` block (`max-file` files of `max-size` MB), or the `none` driver
 * when `logs { disabled = true }` (nothing is kept, so `drover logs` has nothing to read).
 */
export function logConfig(
  c: Obj,
  logs: TaskContext['task']['logs'] | undefined,
): Docker.HostConfig['LogConfig'] {
  const own = block(c, 'logging');
  const type = own ? (str(own, 'type') ?? str(own, 'driver')) : undefined;
  const config = own ? stringMap(own, 'config') : undefined;
  if (type !== undefined || config !== undefined) return { Type: type ?? '', Config: config ?? {} };
  if (logs?.disabled === true || logs?.enabled === false) return { Type: 'none', Config: {} };
  return {
    Type: 'json-file',
    Config: {
      'max-file': String(Math.max(1, Math.trunc(logs?.max_files ?? 10))),
      'max-size': `${Math.max(1, Math.trunc(logs?.max_file_size ?? 10))}m`,
    },
  };
}

/**
 * The labels log shippers read from Nomad's containers (`com.hashicorp.nomad.*`: Nomad sets
 * `alloc_id` always and the others through the docker plugin's `extra_labels`; drover sets them
 * all). drover has no node id apart from the node's name, which `${node.unique.id}` is as well.
 */
export function nomadLabels(ctx: TaskContext): Record<string, string> {
  const prefix = 'com.hashicorp.nomad.';
  const labels: Record<string, string> = {
    alloc_id: ctx.allocId,
    job_id: ctx.jobId,
    job_name: ctx.env.NOMAD_JOB_NAME ?? ctx.jobId,
    task_group_name: ctx.group,
    task_name: ctx.task.name,
    namespace: ctx.env.NOMAD_NAMESPACE ?? 'default',
    node_name: ctx.node.name,
    node_id: ctx.node.name,
  };
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [prefix + k, v]));
}

/**
 * The task's own labels, then Nomad's and drover's, which always win (docs/architecture.md "On
 * the hosts").
 */
export function containerLabels(
  ctx: TaskContext,
  own: Record<string, string> = {},
): Record<string, string> {
  return {
    ...own,
    ...ctx.labels,
    ...nomadLabels(ctx),
    'drover.job': ctx.jobId,
    'drover.namespace': ctx.env.NOMAD_NAMESPACE ?? 'default',
    'drover.group': ctx.group,
    'drover.task': ctx.task.name,
    'drover.alloc': ctx.allocId,
    'drover.version': String(ctx.jobVersion),
    'drover.node': ctx.node.name,
  };
}

/**
 * Nomad's port publishing: each named port binds its host port on `host_ip` to its container
 * port, `to` (or `port_map`), or the host port when neither is set, for tcp and udp. `ports`
 * names the labels to publish; without it every allocated port is published, as Nomad did for
 * legacy task networks. Host and container network modes publish nothing.
 */
export function publishedPorts(
  allocated: readonly AllocatedPort[],
  labels: readonly string[] | undefined,
  portMap: Readonly<Record<string, number>>,
  networkMode: string | undefined,
): {
  exposed?: Record<string, object>;
  bindings?: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  if (networkMode === 'host' || networkMode?.startsWith('container:')) return {};
  const chosen = labels
    ? labels.map((label) => {
        const port = allocated.find((p) => p.label === label);
        if (!port) throw new Error(`Port "${label}" not found, check the group's network block`);
        return port;
      })
    : allocated;
  if (chosen.length === 0) return {};
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of chosen) {
    const to = portMap[p.label] ?? (p.to !== undefined && p.to > 0 ? p.to : p.value);
    for (const proto of ['tcp', 'udp']) {
      const key = `${to}/${proto}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.host_ip, HostPort: String(p.value) });
    }
  }
  return { exposed, bindings };
}

const MB = 1024 * 1024;

/**
 * Nomad's memoryLimits: `memory` is the hard limit unless `memory_max` (or the driver's
 * `memory_hard_limit`) is higher; then that is the hard limit and `memory` the reservation.
 * `memory_max = -1` lifts the hard limit (Docker's 0) and keeps `memory` as the reservation.
 */
export function memoryLimits(
  resources: Resources,
  hardLimitMB: number | undefined,
): { memory: number; reservation?: number } {
  const soft = resources.memory * MB;
  if (resources.memory_max === MEMORY_NO_LIMIT && !hardLimitMB)
    return { memory: 0, reservation: soft };
  const hard = Math.max(hardLimitMB ?? 0, resources.memory_max ?? 0);
  return hard > 0 ? { memory: hard * MB, reservation: soft } : { memory: soft };
}

/** `cpu` MHz as relative shares; `cores` as 1024 shares each (Docker's weight of one CPU). */
export function cpuShares(resources: Resources): number {
  const shares = resources.cores ? resources.cores * 1024 : resources.cpu;
  return Math.max(2, Math.round(shares));
}

/**
 * Nomad's restart stanza as Docker's restart policy. An approximation: Docker counts restarts
 * over the container's whole life and backs off on its own (100 ms, doubling), where Nomad
 * counts `attempts` within `interval` and waits `delay`; and Docker's `on-failure` leaves a task
 * that exited 0 alone, where Nomad restarts a service task whatever its exit code. `fail` gives
 * up after `attempts`; `delay` never gives up.
 */
export function restartPolicy(restart: TaskContext['restart']): Docker.HostRestartPolicy {
  if (restart.mode === 'delay') return { Name: 'on-failure', MaximumRetryCount: 0 };
  if (restart.attempts <= 0) return { Name: 'no' };
  return { Name: 'on-failure', MaximumRetryCount: restart.attempts };
}

/** A `volumes` entry: a relative host path is inside the task directory (Nomad). */
function resolveVolume(spec: string, taskDir: string, namedVolumes: boolean): string {
  const [host = '', ...rest] = spec.split(':');
  if (host.startsWith('/') || namedVolumes) return spec;
  return [posix.join(taskDir, host), ...rest].join(':');
}

/**
 * A group host volume (`volume_mount`): a bind of the node's directory, which must exist (a
 * Mounts bind, unlike Binds, is not created by the engine: a missing directory fails the start).
 */
function hostVolumeMount(m: HostVolumeMount): Docker.MountSettings {
  return prune({
    Type: 'bind' as const,
    Source: m.source,
    Target: posix.resolve('/', m.destination),
    ReadOnly: m.readOnly || undefined,
    BindOptions:
      m.propagation === 'private' ? undefined : { Propagation: PROPAGATION[m.propagation] },
  });
}

/** Nomad's docker driver: volume_mount propagation_mode → Docker bind propagation. */
const PROPAGATION: Record<'host-to-task' | 'bidirectional', Docker.MountPropagation> = {
  'host-to-task': 'rslave',
  bidirectional: 'rshared',
};

function dockerMount(m: Obj, taskDir: string): Docker.MountSettings {
  const type = (str(m, 'type') ?? 'volume') as Docker.MountType;
  let source = str(m, 'source') ?? '';
  if (type === 'bind' && source !== '' && !source.startsWith('/')) {
    source = posix.join(taskDir, source);
  }
  const out: Docker.MountSettings = prune({
    Type: type,
    Target: str(m, 'target') ?? '',
    Source: source,
    ReadOnly: bool(m, 'readonly') || undefined,
  });
  const bindOpts = block(m, 'bind_options');
  const propagation = bindOpts && str(bindOpts, 'propagation');
  if (type === 'bind' && propagation) {
    out.BindOptions = { Propagation: propagation as Docker.MountPropagation };
  }
  const tmpfs = block(m, 'tmpfs_options');
  if (type === 'tmpfs' && tmpfs) {
    out.TmpfsOptions = prune({ SizeBytes: num(tmpfs, 'size'), Mode: num(tmpfs, 'mode') }) as {
      SizeBytes: number;
      Mode: number;
    };
  }
  const vol = block(m, 'volume_options');
  if (type === 'volume' && vol) {
    const driver = block(vol, 'driver_config');
    out.VolumeOptions = {
      NoCopy: bool(vol, 'no_copy'),
      Labels: stringMap(vol, 'labels') ?? {},
      DriverConfig: {
        Name: (driver && str(driver, 'name')) ?? '',
        Options: (driver && stringMap(driver, 'options')) ?? {},
      },
    };
  }
  return out;
}

function ulimits(c: Obj): Docker.Ulimit[] | undefined {
  const map = stringMap(c, 'ulimit');
  if (!map) return undefined;
  return Object.entries(map)
    .map(([name, v]) => parseUlimit(name, v))
    .filter((u): u is Docker.Ulimit => u !== undefined);
}

function devices(c: Obj): Record<string, string>[] | undefined {
  const list = objects(c.devices);
  if (list.length === 0) return undefined;
  return list.map((d) => {
    const host = str(d, 'host_path') ?? '';
    return {
      PathOnHost: host,
      // Docker's CLI default: the same path inside.
      PathInContainer: str(d, 'container_path') || host,
      CgroupPermissions: str(d, 'cgroup_permissions') || 'rwm',
    };
  });
}

function networkingConfig(
  c: Obj,
  networkMode: string | undefined,
): Docker.ContainerCreateOptions['NetworkingConfig'] {
  const aliases = strs(c, 'network_aliases');
  const v4 = str(c, 'ipv4_address');
  const v6 = str(c, 'ipv6_address');
  if (!aliases?.length && !v4 && !v6) return undefined;
  const endpoint = prune({
    Aliases: aliases?.length ? aliases : undefined,
    IPAMConfig: v4 || v6 ? prune({ IPv4Address: v4, IPv6Address: v6 }) : undefined,
  });
  return { EndpointsConfig: { [networkMode ?? 'bridge']: endpoint } };
}

/** Drops keys whose value is undefined, so specs compare and print cleanly. */
export function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

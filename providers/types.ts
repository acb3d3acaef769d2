/**
 * The provider interface: how drover's core reaches hosts (transports) and runs tasks on them
 * (drivers). Core code uses only these types and the registry; it never imports a concrete
 * transport or driver. Drivers build their commands as data (argv arrays, Docker API calls)
 * so tests can check that data; a thin runner executes it.
 */
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { NormalizedTask as Task } from '../src/generated/normalized-job.js';
import type { NodeSpec } from '../src/config/node-spec.js';
import type { ConfigProblem } from '../src/jobspec/driver-config.js';
import type { ChangeClass } from '../src/jobspec/task-change.js';
import type { FoundTask, TaskObservation, TaskView } from '../src/jobspec/task-view.js';
import type { AllocatedPort, DriverHandle, NodeFingerprint } from '../src/state/types.js';

// ---------------------------------------------------------------------------------------------
// Transports

/** A node of the inventory: drover.hcl's layer defines it, transports and drivers take it. */
export type { NodeSpec };

export interface RunOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs programs on the host and writes files there: what process drivers and fingerprints use. */
export interface Shell {
  /** Runs a program with arguments, no shell in between (arguments reach it unchanged). */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a POSIX sh script (several commands in one round trip). */
  sh(script: string, opts?: RunOptions): Promise<RunResult>;
  /** Writes a file on the host, creating parent directories. */
  upload(path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Streams a long-running command's output (logs -f); ends when the command ends or is aborted. */
  stream(argv: readonly string[], signal?: AbortSignal): Readable;
}

/** The host's Docker Engine API: what the docker and podman drivers use. */
export interface DockerApi {
  /**
   * A Docker API client for the host's engine (over the same connection for ssh). `socketPath`
   * names another Docker-compatible socket on the host (podman's); omitted, Docker's own.
   */
  docker(socketPath?: string): Promise<Docker>;
}

/** TCP connections to ports on the host: what http and tcp health checks use. */
export interface TcpConnector {
  /** A TCP connection to a port on the host (through the connection for ssh). */
  connect(port: number, host?: string): Promise<Duplex>;
}

/**
 * One connection to one host, opened on first use and reused. A transport offers only the
 * capabilities it has: each is undefined when it lacks it (the docker transport has no shell).
 * Callers reach them through `requireCapability`, which names the node when one is missing.
 */
export interface Transport {
  readonly node: NodeSpec;
  readonly shell?: Shell;
  readonly dockerApi?: DockerApi;
  readonly tcp?: TcpConnector;
  /** The address tasks on this host are reached at (NOMAD_IP_*). */
  hostAddress(): string;
  /** Nomad's node attributes and resources, read from the host. */
  fingerprint(): Promise<NodeFingerprint>;
  close(): Promise<void>;
}

export type TransportCapability = 'shell' | 'dockerApi' | 'tcp';

export const TRANSPORT_CAPABILITIES: readonly TransportCapability[] = ['shell', 'dockerApi', 'tcp'];

/** How a missing capability reads in an error, and what to do about it. */
const MISSING: Record<TransportCapability, { lacks: string; need: string; hint: string }> = {
  shell: {
    lacks: 'has no shell',
    need: 'one',
    hint: 'use a node with transport "ssh" or "local"',
  },
  dockerApi: {
    lacks: 'has no Docker API',
    need: 'one',
    hint: 'use a node with transport "ssh", "local" or "docker"',
  },
  tcp: {
    lacks: 'cannot open TCP connections to its ports',
    need: 'them',
    hint: 'use a node with transport "ssh", "local" or "docker"',
  },
};

/** The capabilities `transport` offers, in TRANSPORT_CAPABILITIES order. */
export function capabilitiesOf(transport: Transport): TransportCapability[] {
  return TRANSPORT_CAPABILITIES.filter((c) => transport[c] !== undefined);
}

/**
 * The capability `cap` of `transport`; throws, naming the node, its transport and `neededBy`
 * ("the raw_exec driver"), when the transport does not offer it.
 */
export function requireCapability<K extends TransportCapability>(
  transport: Transport,
  cap: K,
  neededBy: string,
): NonNullable<Transport[K]> {
  const offered = transport[cap];
  if (offered !== undefined) return offered;
  const { lacks, need, hint } = MISSING[cap];
  throw new Error(
    `node "${transport.node.name}" (${transport.node.transport} transport) ${lacks}: ${neededBy} needs ${need}; ${hint}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Drivers

export interface DriverCapabilities {
  /** `drover exec` works. */
  exec: boolean;
  /** Needs a Docker API on the host. */
  needsDocker: boolean;
  /** Can send a signal to the task. */
  signal: boolean;
}

/** A problem with a task's `config`: the jobspec layer defines it, as it reports them. */
export type { ConfigProblem };

export type { ChangeClass };

/** What a driver needs to start one task of one allocation. */
export interface TaskContext {
  allocId: string;
  /** `<job>-<group>-<task>-<alloc8>`: container names, log prefixes. */
  name: string;
  jobId: string;
  jobVersion: number;
  group: string;
  task: Task;
  allocIndex: number;
  node: NodeSpec;
  transport: Transport;
  ports: AllocatedPort[];
  /** Nomad's runtime variables and the task's `env`, already interpolated. */
  env: Record<string, string>;
  /** The allocation directory on the host: `<alloc_root>/<alloc-id>`. */
  allocDir: string;
  /** Labels every container gets (drover.job, drover.group, …). */
  labels: Record<string, string>;
  /** Group restart policy (durations in ms), for the supervisor or Docker's restart policy. */
  restart: { attempts: number; intervalMs: number; delayMs: number; mode: 'fail' | 'delay' };
  /**
   * The task's `volume_mount`s resolved to host directories of the node. Container drivers bind
   * them; process drivers (no chroot) leave them be: the task finds the host path itself.
   */
  volumeMounts?: HostVolumeMount[];
  /**
   * Container drivers: where else drover looked for the task's image (the engines of the
   * machine running drover), said when the node cannot pull it either.
   */
  imageNote?: string;
}

/** One host volume a task mounts: a host directory at a path inside the task. */
export interface HostVolumeMount {
  /** Absolute path on the host (the node's `host_volume` path). */
  source: string;
  destination: string;
  readOnly: boolean;
  /** Nomad's `propagation_mode`, as given (private, host-to-task, bidirectional). */
  propagation: 'private' | 'host-to-task' | 'bidirectional';
}

/** What identifies a task on its host without a handle: see `Driver.recover`. */
export interface TaskRef {
  allocId: string;
  /** The task's name in its group. */
  task: string;
  /** `<job>-<group>-<task>-<alloc8>`, as in `TaskContext.name`. */
  name: string;
  /** `<alloc_root>/<alloc-id>`, as in `TaskContext.allocDir`. */
  allocDir: string;
}

/** The name drover gives a task instance on its host (containers, log prefixes). */
export function taskInstanceName(
  job: string,
  group: string,
  task: string,
  allocId: string,
): string {
  return `${job}-${group}-${task}-${allocId.slice(0, 8)}`;
}

export interface TaskStatus {
  state: 'pending' | 'running' | 'dead' | 'missing';
  failed: boolean;
  exitCode?: number;
  restarts: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}

export interface LogOptions {
  stderr: boolean;
  follow: boolean;
  /** Lines from the end; undefined for all. */
  tail?: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  stdin?: Readable;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  tty?: boolean;
}

/** What a driver's `detect` finds on a host. */
export interface Detection {
  detected: boolean;
  healthy: boolean;
  attributes: Record<string, string>;
}

export interface ShellDetection {
  /** A POSIX sh script; its standard output and exit status are what `read` gets. */
  script: string;
  timeoutMs: number;
  read(result: RunResult): Detection;
}

export interface Driver {
  readonly name: string;
  capabilities(): DriverCapabilities;
  /** Checks a task's `config` block; no I/O. */
  validateConfig(config: Record<string, unknown>): ConfigProblem[];
  /** How replacing `prior` with `next` must be done, as far as this driver is concerned. */
  classifyChange(prior: Task, next: Task): ChangeClass;
  /** Whether the host can run this driver (fills driver.<name> attributes). */
  detect(transport: Transport): Promise<Detection>;
  /**
   * For a driver whose detection is one shell script: the script and how to read its result.
   * A fingerprint runs all of them in the session that reads the host's facts (one process on
   * the host instead of one per driver); `detect` runs it alone.
   */
  shellDetection?(): ShellDetection;
  start(ctx: TaskContext): Promise<DriverHandle>;
  /** Stops the task: kill_signal, then after kill_timeout a hard kill; removes what it created. */
  stop(
    handle: DriverHandle,
    transport: Transport,
    opts: { killTimeoutMs: number; signal?: string },
  ): Promise<void>;
  inspect(handle: DriverHandle, transport: Transport): Promise<TaskStatus>;
  /**
   * Sends `signal` (`SIGHUP`, `HUP`) to the running task: a template's change_mode "signal".
   * Containers get it from their engine; process tasks in their whole process group. Throws when
   * the task does not run or the signal is unknown.
   */
  signal(handle: DriverHandle, transport: Transport, signal: string): Promise<void>;
  /**
   * Finds a task this driver started for an allocation whose handle never reached state (drover
   * was killed between `start` and the write), by the names drover gives everything it starts:
   * the container name, the allocation directory. Undefined when nothing of it is on the host.
   */
  recover(ref: TaskRef, transport: Transport): Promise<DriverHandle | undefined>;
  logs(handle: DriverHandle, transport: Transport, opts: LogOptions): Readable;
  exec(
    handle: DriverHandle,
    transport: Transport,
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<number>;
  /**
   * Container drivers: the image a task's config (interpolated) runs, and whether it is pulled
   * on every start (`force_pull`); undefined when the config names none.
   */
  taskImage?(config: Record<string, unknown>): { image: string; forcePull: boolean } | undefined;
  /** Container drivers: the image store of the engine the driver runs containers in on a host. */
  imageStore?(transport: Transport): Promise<ImageStore>;
  /**
   * Drift: the task as drover applied it (from its context, as `start` would build it) beside
   * what runs on the host now, field by field. Drivers without it are reported as "drift not
   * checked"; `src/plan/drift.ts` compares the two.
   */
  inspectTask?(handle: DriverHandle, ctx: TaskContext): Promise<TaskObservation>;
}

// ---------------------------------------------------------------------------------------------
// Drift: what `inspectTask` returns; the drift layer defines it, as it compares them.

export type { FoundTask, TaskObservation, TaskView };

// ---------------------------------------------------------------------------------------------
// Images

/** An image as an engine describes it. */
export interface ImageFacts {
  /** `sha256:…`, the digest of the image's configuration: the same in every engine. */
  id: string;
  /** Bytes, as the engine reports them. */
  size: number;
  /** `amd64`, `arm64` … */
  architecture?: string;
}

/**
 * One engine's images, as copying an image between engines without a registry needs them
 * (`docker save` on one side, `docker load` on the other, streamed).
 */
export interface ImageStore {
  /** The image a reference names; undefined when the engine has none by that name. */
  inspect(ref: string): Promise<ImageFacts | undefined>;
  /** The image with this id as a `docker save` tar stream. */
  save(id: string): Promise<Readable>;
  /**
   * Loads a `docker save` tar and names its image `ref`. Resolves only once the engine has the
   * image `id` under `ref`; an interrupted or refused load rejects, naming what went wrong.
   * `signal` aborts the upload.
   */
  load(tar: Readable, id: string, ref: string, signal?: AbortSignal): Promise<void>;
  /** Names the image `id` (which the engine has) `ref` as well. */
  tag(id: string, ref: string): Promise<void>;
}

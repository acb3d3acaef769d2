/**
 * The `docker` task driver: Nomad's docker task config run through the Docker Engine API
 * (dockerode) of the node's transport. `docker-spec.ts` builds the container request; this
 * module talks to the engine: image, container lifecycle, status, logs and exec.
 */
import { constants as osConstants } from 'node:os';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type Docker from 'dockerode';
import {
  requireCapability,
  type ChangeClass,
  type ConfigProblem,
  type Detection,
  type Driver,
  type DriverCapabilities,
  type ExecOptions,
  type ImageStore,
  type LogOptions,
  type TaskContext,
  type TaskObservation,
  type TaskRef,
  type TaskStatus,
  type Transport,
} from '../types.js';
import type { NormalizedTask as Task } from '../../src/generated/normalized-job.js';
import type { DriverHandle } from '../../src/state/types.js';
import {
  containerSpec,
  imageSettings,
  prune,
  taskDirs,
  validateDockerConfig,
  type ImageSettings,
} from './docker-spec.js';
import { DockerImageStore } from './docker-images.js';
import {
  appliedContainer,
  comparableApplied,
  foundContainer,
  imageDefaults,
} from './docker-drift.js';
import { makeDirs } from './make-dirs.js';

export interface DockerHandle extends DriverHandle {
  /** `podman` for containers of the podman driver, which reuses this one. */
  driver: 'docker' | 'podman';
  container_id: string;
  container_name: string;
  image_id: string;
}

export class DockerDriver implements Driver {
  readonly name: DockerHandle['driver'] = 'docker';

  /** The Docker API client for the host's engine; the podman driver names its own socket. */
  protected engine(transport: Transport): Promise<Docker> {
    return requireCapability(transport, 'dockerApi', `the ${this.name} driver`).docker();
  }

  capabilities(): DriverCapabilities {
    return { exec: true, needsDocker: true, signal: true };
  }

  taskImage(config: Record<string, unknown>): { image: string; forcePull: boolean } | undefined {
    const s = imageSettings(config);
    return s.image ? { image: s.image, forcePull: s.forcePull } : undefined;
  }

  async imageStore(transport: Transport): Promise<ImageStore> {
    return new DockerImageStore(await this.engine(transport));
  }

  validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validateDockerConfig(config);
  }

  classifyChange(prior: Task, next: Task): ChangeClass {
    return classifyDockerChange(prior, next);
  }

  async detect(transport: Transport): Promise<Detection> {
    try {
      const v = await (await this.engine(transport)).version();
      return {
        detected: true,
        healthy: true,
        attributes: {
          'driver.docker': '1',
          'driver.docker.version': v.Version,
          'driver.docker.os_type': v.Os,
        },
      };
    } catch {
      // Whether the engine is there at all: one that answers /_ping but not /version is there,
      // yet not usable. (One request when all is well, a second only when not.)
      const there = await this.engine(transport)
        .then((d) => d.ping())
        .then(
          () => true,
          () => false,
        );
      return there
        ? { detected: true, healthy: false, attributes: { 'driver.docker': '1' } }
        : { detected: false, healthy: false, attributes: {} };
    }
  }

  async start(ctx: TaskContext): Promise<DockerHandle> {
    const docker = await this.engine(ctx.transport);
    const image = imageSettings(ctx.task.config ?? {});
    if (!image.image) throw new Error(`task "${ctx.task.name}" has no image in its docker config`);
    // Independent requests to the host: made together.
    const [imageId] = await Promise.all([
      ensureImage(docker, image, ctx.node.name, ctx.imageNote),
      makeTaskDirs(ctx),
    ]);
    const spec = containerSpec(ctx);
    const name = spec.name ?? ctx.name;
    const created = await createOrReuse(docker, spec, ctx, imageId);
    if (!created.running) {
      try {
        await created.container.start();
      } catch (err) {
        // A container that cannot start is not left behind for the next apply to trip over.
        await created.container.remove({ force: true, v: true }).catch(() => undefined);
        throw new Error(
          `container ${name} could not start on node ${ctx.node.name}: ${dockerMessage(err)}`,
          { cause: err },
        );
      }
    }
    return {
      driver: this.name,
      container_id: created.container.id,
      container_name: name,
      image_id: imageId,
    };
  }

  async stop(
    handle: DriverHandle,
    transport: Transport,
    opts: { killTimeoutMs: number; signal?: string },
  ): Promise<void> {
    const docker = await this.engine(transport);
    const found = await containerOf(docker, handle);
    if (!found) return;
    const { container, info } = found;
    if (info.State.Running || info.State.Restarting) {
      await stopContainer(docker, container, info, opts);
    }
    try {
      await container.remove({ force: true, v: true });
    } catch (err) {
      // Gone already, or Docker is removing it: either way it will not be there.
      if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
    }
  }

  /**
   * The container drover created for the task (by id), or, when that is gone, whatever holds its
   * name now (recreated by hand), beside the container `start` would create from `ctx`.
   */
  async inspectTask(handle: DriverHandle, ctx: TaskContext): Promise<TaskObservation> {
    const docker = await this.engine(ctx.transport);
    const applied = appliedContainer(ctx, handle);
    const found = await containerOf(docker, handle);
    if (!found) return { kind: 'container', applied };
    const image = await inspectImage(docker, found.info.Image);
    const now = foundContainer(found.info);
    return {
      kind: 'container',
      applied: comparableApplied(applied, now),
      found: now,
      inherited: imageDefaults(image),
    };
  }

  /** By the labels every container drover creates carries, whatever its name. */
  async recover(ref: TaskRef, transport: Transport): Promise<DockerHandle | undefined> {
    const docker = await this.engine(transport);
    const found = await docker.listContainers({
      all: true,
      filters: { label: [`drover.alloc=${ref.allocId}`, `drover.task=${ref.task}`] },
    });
    const c = found[0];
    if (!c) return undefined;
    return {
      driver: this.name,
      container_id: c.Id,
      container_name: c.Names[0]?.replace(/^\//, '') ?? ref.name,
      image_id: c.ImageID,
    };
  }

  /** The engine's kill with another signal: the container keeps running unless the task exits. */
  async signal(handle: DriverHandle, transport: Transport, signal: string): Promise<void> {
    const docker = await this.engine(transport);
    try {
      await docker.getContainer(containerRef(handle)).kill({ signal: signalName(signal) });
    } catch (err) {
      throw new Error(`cannot signal container ${containerRef(handle)}: ${dockerMessage(err)}`, {
        cause: err,
      });
    }
  }

  async inspect(handle: DriverHandle, transport: Transport): Promise<TaskStatus> {
    const docker = await this.engine(transport);
    const info = await inspectOrMissing(docker.getContainer(containerRef(handle)));
    if (!info) {
      return {
        state: 'missing',
        failed: true,
        restarts: 0,
        message: `container ${containerRef(handle)} not found on node ${transport.node.name}`,
      };
    }
    return taskStatus(info);
  }

  logs(handle: DriverHandle, transport: Transport, opts: LogOptions): Readable {
    const out = new PassThrough();
    this.engine(transport)
      .then((docker) => streamLogs(docker, handle, transport, opts, out))
      .catch((err: unknown) => {
        out.destroy(logsError(err));
      });
    return out;
  }

  async exec(
    handle: DriverHandle,
    transport: Transport,
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<number> {
    const docker = await this.engine(transport);
    const container = docker.getContainer(containerRef(handle));
    const tty = opts.tty ?? false;
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        Cmd: [...argv],
        AttachStdin: opts.stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
      });
    } catch (err) {
      throw new Error(
        `cannot exec in container ${containerRef(handle)} on node ${transport.node.name}: ${dockerMessage(err)}`,
        { cause: err },
      );
    }
    const stream = await exec.start({ hijack: true, stdin: opts.stdin !== undefined, Tty: tty });
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
      if (tty) stream.on('data', (chunk: Buffer) => opts.stdout.write(chunk));
      else docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
      // Piping ends the socket's write half when stdin ends, which closes the process's stdin.
      if (opts.stdin) opts.stdin.pipe(stream);
    });
    return exitCodeOf(exec);
  }
}

// ---------------------------------------------------------------------------------------------
// classifyChange

/**
 * Task fields whose change Nomad applies without replacing the allocation (the rest of
 * scheduler/util.go tasksUpdated). Docker bakes `restart` into the container's restart policy:
 * a running container keeps its old policy until it is replaced for another reason, as Nomad's
 * running task keeps its old restart tracker.
 */
const IN_PLACE_FIELDS: ReadonlySet<string> = new Set([
  'service',
  'restart',
  'kill_timeout',
  'kill_signal',
  'shutdown_delay',
  'constraint',
  'leader',
  'scaling',
  'action',
]);

/**
 * Nomad's tasksUpdated for one task: driver, user, config, env, artifacts, templates, vault,
 * meta, resources, volume mounts, lifecycle, identities … force a new container; services,
 * restart, kill settings and constraints are updated in place. Unknown fields count as
 * destructive, the safe side. `logs` is in place unless collection is switched on or off.
 */
export function classifyDockerChange(prior: Task, next: Task): ChangeClass {
  const a = prior as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  let result: ChangeClass = 'none';
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (isDeepStrictEqual(a[key], b[key])) continue;
    if (key === 'logs' && logsDisabled(prior) === logsDisabled(next)) result = 'in-place';
    else if (IN_PLACE_FIELDS.has(key)) result = 'in-place';
    else return 'destructive';
  }
  return result;
}

function logsDisabled(t: Task): boolean {
  return t.logs.disabled || t.logs.enabled === false;
}

// ---------------------------------------------------------------------------------------------
// Status

const ZERO_TIME = '0001-01-01T00:00:00Z';
const time = (t: string | undefined): string | undefined =>
  t && t !== ZERO_TIME && !t.startsWith('0001-') ? t : undefined;

/** A container's state as a task's status. */
export function taskStatus(info: Docker.ContainerInspectInfo): TaskStatus {
  const s = info.State;
  const restarts = info.RestartCount ?? 0;
  const startedAt = time(s.StartedAt);
  const finishedAt = time(s.FinishedAt);
  if (s.Restarting) {
    return prune({
      state: 'pending',
      failed: false,
      restarts,
      exitCode: s.ExitCode,
      startedAt,
      finishedAt,
      message: s.OOMKilled
        ? `restarting after being OOM killed (${memoryLimit(info)})`
        : `restarting after exit code ${s.ExitCode}`,
    });
  }
  if (s.Running) {
    return prune({
      state: 'running',
      failed: false,
      restarts,
      startedAt,
      message: s.Paused ? 'paused' : undefined,
    });
  }
  if (s.Status === 'created') {
    return { state: 'pending', failed: false, restarts, message: 'created, not started' };
  }
  const failed = s.OOMKilled || s.ExitCode !== 0 || Boolean(s.Error);
  let message = `exited with code ${s.ExitCode}`;
  if (s.OOMKilled)
    message = `OOM killed: the task used more than its memory limit (${memoryLimit(info)})`;
  else if (s.Error) message = s.Error;
  return prune({
    state: 'dead',
    failed,
    exitCode: s.ExitCode,
    restarts,
    startedAt,
    finishedAt,
    message,
  });
}

function memoryLimit(info: Docker.ContainerInspectInfo): string {
  const bytes = info.HostConfig?.Memory ?? 0;
  return bytes > 0 ? `${Math.round(bytes / (1024 * 1024))} MB` : 'no limit set';
}

// ---------------------------------------------------------------------------------------------
// Logs

async function streamLogs(
  docker: Docker,
  handle: DriverHandle,
  transport: Transport,
  opts: LogOptions,
  out: PassThrough,
): Promise<void> {
  const container = docker.getContainer(containerRef(handle));
  const info = await inspectOrMissing(container);
  if (!info) {
    throw new Error(`container ${containerRef(handle)} not found on node ${transport.node.name}`);
  }
  if (info.Config.Tty) {
    // A terminal merges both streams into one unframed stdout.
    if (opts.stderr) out.end();
    else await pipeLogs(container, { stdout: true, tail: opts.tail }, opts, out, docker, true);
    return;
  }
  const want = opts.stderr ? 2 : 1;
  if (opts.tail === undefined) {
    const which = { stdout: !opts.stderr, stderr: opts.stderr };
    await pipeLogs(container, which, opts, out, docker, false);
    return;
  }
  // Docker's `tail` counts lines of both streams together: find how far back the last `tail`
  // lines of the wanted stream start, then read (or follow) from there, dropping the other.
  const window = await tailWindow(container, want, opts.tail);
  if (!opts.follow) {
    out.end(Buffer.concat(window.lines));
    return;
  }
  const both = { stdout: true, stderr: true, tail: window.entries };
  await pipeLogs(container, both, opts, out, docker, false, want);
}

/** The engine's words, or what they mean when the container keeps no logs to read. */
function logsError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  return /logging driver does not support reading/.test(e.message)
    ? new Error(
        `the container keeps no logs drover can read: its log driver does not support reading (logs { disabled = true } uses "none"; a logging block may set another driver)`,
      )
    : e;
}

async function pipeLogs(
  container: Docker.Container,
  which: { stdout?: boolean; stderr?: boolean; tail?: number },
  opts: LogOptions,
  out: PassThrough,
  docker: Docker,
  raw: boolean,
  only?: 1 | 2,
): Promise<void> {
  if (!opts.follow) {
    const buf = await container.logs({ ...which, follow: false });
    out.end(raw ? buf : Buffer.concat(frames(buf, only).map((f) => f.data)));
    return;
  }
  if (opts.signal?.aborted) {
    out.end();
    return;
  }
  const stream = (await container.logs({ ...which, follow: true })) as Readable;
  const finish = () => {
    stream.destroy();
    if (!out.writableEnded) out.end();
  };
  opts.signal?.addEventListener('abort', finish, { once: true });
  out.on('close', () => stream.destroy());
  stream.on('end', finish);
  stream.on('close', finish);
  stream.on('error', (err) => out.destroy(err));
  if (raw) {
    stream.pipe(out, { end: false });
    return;
  }
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  docker.modem.demuxStream(stream, only === 2 ? discard : out, only === 1 ? discard : out);
}

/**
 * The last `n` entries of one stream, and how many entries of both streams they span, read
 * with a growing Docker `tail` until enough of that stream is in it or the log is exhausted.
 */
async function tailWindow(
  container: Docker.Container,
  stream: 1 | 2,
  n: number,
): Promise<{ lines: Buffer[]; entries: number }> {
  if (n <= 0) return { lines: [], entries: 0 };
  for (let k = n * 2; ; k *= 4) {
    const all = frames(
      await container.logs({ stdout: true, stderr: true, follow: false, tail: k }),
    );
    const mine = all.filter((f) => f.stream === stream).slice(-n);
    if (mine.length >= n || all.length < k) {
      const first = mine[0];
      return {
        lines: mine.map((f) => f.data),
        entries: first ? all.length - all.indexOf(first) : 0,
      };
    }
  }
}

/**
 * Docker's multiplexed stream format: an 8-byte header (stream 1 stdout or 2 stderr, three
 * zero bytes, big-endian length) before each payload. A partial frame at the end is dropped.
 */
export function frames(buf: Buffer, only?: 1 | 2): { stream: number; data: Buffer }[] {
  const out: { stream: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const stream = buf.readUInt8(at);
    const end = at + 8 + buf.readUInt32BE(at + 4);
    if (end > buf.length) break;
    if (only === undefined || stream === only)
      out.push({ stream, data: buf.subarray(at + 8, end) });
    at = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Image, directories, container

/** Nomad pulls `latest` when an image names no tag; Docker's API would pull every tag. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? image : `${image}:latest`;
}

/**
 * Image ids by engine client and image, for one drover run: the containers of a rollout on one
 * host share one inspect (and one pull) of their image instead of one each.
 */
const imageIds = new WeakMap<Docker, Map<string, Promise<string>>>();

function ensureImage(
  docker: Docker,
  s: ImageSettings,
  node: string,
  note?: string,
): Promise<string> {
  if (s.forcePull) return fetchImage(docker, s, node, note);
  let known = imageIds.get(docker);
  if (!known) imageIds.set(docker, (known = new Map<string, Promise<string>>()));
  const cached = known.get(s.image);
  if (cached) return cached;
  const id = fetchImage(docker, s, node, note);
  known.set(s.image, id);
  // A failure is not remembered: the next start tries again.
  id.catch(() => known.delete(s.image));
  return id;
}

async function fetchImage(
  docker: Docker,
  s: ImageSettings,
  node: string,
  note?: string,
): Promise<string> {
  const local = await inspectImage(docker, s.image);
  if (local && !s.forcePull) return local.Id;
  try {
    await pullImage(docker, s);
  } catch (err) {
    const why = dockerMessage(err);
    const summary = local
      ? `image ${s.image} could not be pulled on node ${node} (force_pull)`
      : `image ${s.image} not found on node ${node}${note ? ` (${note})` : ''} and could not be pulled`;
    throw new Error(`${summary}: ${why}`, { cause: err });
  }
  const pulled = await inspectImage(docker, s.image);
  if (!pulled) throw new Error(`image ${s.image} was pulled on node ${node} but cannot be found`);
  return pulled.Id;
}

async function inspectImage(
  docker: Docker,
  image: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

async function pullImage(docker: Docker, s: ImageSettings): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), s.pullTimeoutMs);
  try {
    const stream = await docker.pull(withDefaultTag(s.image), {
      ...(s.auth ? { authconfig: s.auth } : {}),
      abortSignal: abort.signal,
    });
    await new Promise<void>((resolve, reject) => {
      abort.signal.addEventListener('abort', () => reject(new Error('aborted')));
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        // The engine reports a failed pull as an event in a 200 response.
        (event: { error?: string }) => {
          if (event.error) reject(new Error(event.error));
        },
      );
    });
  } catch (err) {
    if (!abort.signal.aborted) throw err;
    throw new Error(`pull timed out after ${s.pullTimeoutMs / 1000}s (image_pull_timeout)`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function makeTaskDirs(ctx: TaskContext): Promise<void> {
  // A node without a shell (the docker transport) needs none to make them: the engine creates
  // the missing host directories of a container's Binds itself (as `docker run -v` does).
  const shell = ctx.transport.shell;
  if (!shell) return;
  try {
    await makeDirs(shell, Object.values(taskDirs(ctx)));
  } catch (err) {
    throw new Error(
      `cannot create the task directories on node ${ctx.node.name}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * Creates the container. A container already holding the name is a retried apply: it is kept
 * when it runs this very allocation, version and image, and replaced otherwise.
 */
async function createOrReuse(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  ctx: TaskContext,
  imageId: string,
): Promise<{ container: Docker.Container; running: boolean }> {
  try {
    return { container: await docker.createContainer(spec), running: false };
  } catch (err) {
    if (!isNameConflict(err) || !spec.name) throw createError(err, spec, ctx);
  }
  const existing = docker.getContainer(spec.name);
  const info = await inspectOrMissing(existing);
  const labels = info?.Config.Labels ?? {};
  if (
    info?.State.Running &&
    labels['drover.alloc'] === ctx.allocId &&
    labels['drover.version'] === String(ctx.jobVersion) &&
    info.Image === imageId
  ) {
    return { container: docker.getContainer(info.Id), running: true };
  }
  await existing.remove({ force: true, v: true }).catch((err: unknown) => {
    if (statusOf(err) !== 404) throw err;
  });
  try {
    return { container: await docker.createContainer(spec), running: false };
  } catch (err) {
    throw createError(err, spec, ctx);
  }
}

function createError(err: unknown, spec: Docker.ContainerCreateOptions, ctx: TaskContext): Error {
  return new Error(
    `container ${spec.name ?? ctx.name} could not be created on node ${ctx.node.name}: ${dockerMessage(err)}`,
  );
}

/**
 * Docker's stop sends the container's StopSignal (the task's kill_signal), waits, then kills.
 * Another signal, or a wait longer than the client's request timeout, is done by hand: the
 * restart policy is switched off first so Docker does not bring the task back.
 */
async function stopContainer(
  docker: Docker,
  container: Docker.Container,
  info: Docker.ContainerInspectInfo,
  opts: { killTimeoutMs: number; signal?: string },
): Promise<void> {
  const configured = (info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM';
  const signal = opts.signal ?? configured;
  const seconds = Math.max(0, Math.ceil(opts.killTimeoutMs / 1000));
  const requestTimeout = (docker.modem as { timeout?: number }).timeout ?? 0;
  const fitsRequest = requestTimeout === 0 || seconds * 1000 + 2_000 < requestTimeout;
  try {
    if (sameSignal(signal, configured) && fitsRequest) {
      await container.stop({ t: seconds });
      return;
    }
    // 404 from podman 4.3, which has no update endpoint (a vanished container 404s on kill too).
    await container.update({ RestartPolicy: { Name: 'no' } }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
    await container.kill({ signal: signalName(signal) });
    const deadline = Date.now() + opts.killTimeoutMs;
    while (Date.now() < deadline) {
      const now = await inspectOrMissing(container);
      if (!now?.State.Running) return;
      await sleep(50);
    }
    await container.kill({ signal: 'SIGKILL' });
  } catch (err) {
    // 304: already stopped; 404: gone; 409: not running. The goal is reached in each case.
    if (![304, 404, 409].includes(statusOf(err) ?? 0)) throw err;
  }
}

/** `SIGTERM`, `TERM` and `sigterm` are one signal. */
export function sameSignal(a: string, b: string): boolean {
  return signalId(a) === signalId(b);
}

/** A signal's number where the name is known (podman reports StopSignal as "15"). */
function signalId(s: string): string {
  const name = signalName(s);
  if (/^\d+$/.test(name)) return name;
  const n = (osConstants.signals as Record<string, number | undefined>)[name];
  return n === undefined ? name : String(n);
}

function signalName(s: string): string {
  const up = s.trim().toUpperCase();
  return /^\d+$/.test(up) || up.startsWith('SIG') ? up : `SIG${up}`;
}

async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  // The exec's exit code can trail the end of its output by a moment.
  for (let i = 0; i < 100; i++) {
    const r = await exec.inspect();
    if (!r.Running && r.ExitCode !== null) return r.ExitCode;
    await sleep(20);
  }
  throw new Error('the exec ended but Docker reports no exit code');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function containerRef(handle: DriverHandle): string {
  const ref = handle.container_id ?? handle.container_name;
  if (typeof ref !== 'string' || ref === '') {
    throw new Error(`not a docker handle: ${JSON.stringify(handle)}`);
  }
  return ref;
}

/**
 * The task's container: by the id drover recorded, else by the name it gave it (a container
 * recreated by hand under that name is the task's now: a stop removes it too).
 */
async function containerOf(
  docker: Docker,
  handle: DriverHandle,
): Promise<{ container: Docker.Container; info: Docker.ContainerInspectInfo } | undefined> {
  const refs = [containerRef(handle), handle.container_name].filter(
    (r, i, all): r is string => typeof r === 'string' && r !== '' && all.indexOf(r) === i,
  );
  for (const ref of refs) {
    const container = docker.getContainer(ref);
    const info = await inspectOrMissing(container);
    if (info) return { container: docker.getContainer(info.Id), info };
  }
  return undefined;
}

async function inspectOrMissing(
  container: Docker.Container,
): Promise<Docker.ContainerInspectInfo | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await container.inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      // Podman 4.3 answers 500 when the container's process exits while it is inspected
      // ("read /proc/<pid>/cgroup: no such process"); a moment later it answers properly.
      if (attempt < 3 && isExitRace(err)) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        continue;
      }
      throw err;
    }
  }
}

function isExitRace(err: unknown): boolean {
  return statusOf(err) === 500 && /no such process/.test(dockerMessage(err));
}

/** Docker answers 409; podman 4.3 answers 500 "… that name is already in use". */
function isNameConflict(err: unknown): boolean {
  const status = statusOf(err);
  return status === 409 || (status === 500 && /name is already in use/.test(dockerMessage(err)));
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own words (`json.message`) rather than dockerode's "(HTTP code 500) …" prefix. */
export function dockerMessage(err: unknown): string {
  const e = err as { json?: { message?: unknown }; message?: unknown } | null;
  const inner = e?.json?.message;
  if (typeof inner === 'string' && inner !== '') return inner;
  if (typeof e?.message === 'string') return e.message;
  return String(err);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

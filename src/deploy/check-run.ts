/**
 * Runs one check once, from drover: http and tcp through the node's transport (a direct
 * socket for `local`, an SSH port forward for `ssh`), script inside the task through its
 * driver's exec. Never throws: every failure is a critical result with a reason.
 */
import { Writable, type Duplex } from 'node:stream';
import { requireCapability, type Driver, type Transport } from '../../providers/types.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
} from '../generated/normalized-job.js';
import type { Allocation } from '../state/types.js';
import { httpCheck, OUTPUT_LIMIT } from './check-http.js';
import type { CheckSpec, CheckStatus } from './check-spec.js';

export interface CheckTarget {
  job: Job;
  group: Group;
  alloc: Allocation;
  transport: Transport;
  driver(name: string): Driver | undefined;
}

export interface CheckResult {
  status: CheckStatus;
  output: string;
}

/** Runs `spec` once within its timeout; `signal` cancels it early (a critical result). */
export async function runCheck(
  spec: CheckSpec,
  target: CheckTarget,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), spec.timeout_ms);
  const cancel = () => deadline.abort();
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  try {
    const work = runOnce(spec, target, deadline.signal);
    const result = await Promise.race([work, aborted(deadline.signal)]);
    if (result) return result;
    // Whatever the check was doing when time ran out, it says nothing about health.
    work.catch(() => undefined);
    return signal?.aborted
      ? { status: 'critical', output: 'check cancelled' }
      : { status: 'critical', output: `timed out after ${formatMs(spec.timeout_ms)}` };
  } catch (err) {
    return { status: 'critical', output: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
}

function runOnce(spec: CheckSpec, target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  switch (spec.type) {
    case 'http':
      return runHttp(spec, target, signal);
    case 'tcp':
      return runTcp(spec, target, signal);
    case 'script':
      return runScript(spec, target);
  }
}

async function runHttp(
  spec: CheckSpec,
  target: CheckTarget,
  signal: AbortSignal,
): Promise<CheckResult> {
  if (spec.port === undefined) return noPort(spec);
  const stream = await open(spec, target, signal);
  if ('status' in stream) return stream;
  const { status, output } = await httpCheck(
    stream.socket,
    {
      host: spec.address ?? target.transport.hostAddress(),
      port: spec.port,
      protocol: spec.protocol ?? 'http',
      method: spec.method ?? 'GET',
      path: spec.path?.startsWith('/') ? spec.path : `/${spec.path ?? ''}`,
      provider: spec.provider,
      ...(spec.header ? { header: spec.header } : {}),
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      ...(spec.tls_server_name ? { tls_server_name: spec.tls_server_name } : {}),
      ...(spec.tls_skip_verify ? { tls_skip_verify: true } : {}),
    },
    signal,
  );
  return { status, output };
}

async function runTcp(
  spec: CheckSpec,
  target: CheckTarget,
  signal: AbortSignal,
): Promise<CheckResult> {
  if (spec.port === undefined) return noPort(spec);
  const stream = await open(spec, target, signal);
  if ('status' in stream) return stream;
  stream.socket.destroy();
  return { status: 'passing', output: `TCP connect ${where(spec, target)}: Success` };
}

/** Opens a stream to the check's port; a refused or failed connection is a critical result. */
async function open(
  spec: CheckSpec,
  target: CheckTarget,
  signal: AbortSignal,
): Promise<{ socket: Duplex } | CheckResult> {
  const pending = (async () =>
    requireCapability(target.transport, 'tcp', `a ${spec.type} check`).connect(
      spec.port!,
      spec.address,
    ))();
  try {
    const socket = await Promise.race([pending, aborted(signal)]);
    if (socket) return { socket };
    // Too late: close the connection when it does open.
    pending.then((s) => s.destroy()).catch(() => undefined);
    return { status: 'critical', output: `connect ${where(spec, target)}: timed out` };
  } catch (err) {
    return { status: 'critical', output: `connect ${where(spec, target)}: ${connectError(err)}` };
  }
}

/** Node's socket errors in plain words: its own text names the address a second time. */
const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function connectError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const plain = code ? SOCKET_ERRORS[code] : undefined;
  return plain ?? (err instanceof Error ? err.message : String(err));
}

/** Consul and Nomad: exit 0 passing, 1 warning, anything else critical. */
export function scriptStatus(code: number): CheckStatus {
  return code === 0 ? 'passing' : code === 1 ? 'warning' : 'critical';
}

async function runScript(spec: CheckSpec, target: CheckTarget): Promise<CheckResult> {
  if (!spec.command) return { status: 'critical', output: 'script check has no command' };
  if (spec.task === undefined) {
    return { status: 'critical', output: 'script check of a group service needs "task"' };
  }
  const handle = target.alloc.driver_handles[spec.task];
  if (!handle) return { status: 'critical', output: `task "${spec.task}" is not running` };
  const driver = target.driver(handle.driver);
  if (!driver) return { status: 'critical', output: `driver "${handle.driver}" is not available` };
  if (!driver.capabilities().exec) {
    return { status: 'critical', output: `driver "${handle.driver}" cannot run script checks` };
  }
  const output = new TailBuffer(OUTPUT_LIMIT);
  const code = await driver.exec(handle, target.transport, [spec.command, ...(spec.args ?? [])], {
    stdout: output,
    stderr: output,
  });
  return { status: scriptStatus(code), output: output.text() };
}

/** Keeps the last `limit` bytes written to it, as Consul keeps a script's output. */
class TailBuffer extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  private total = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(b);
    this.size += b.length;
    this.total += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    done();
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
    return this.total > this.limit
      ? `Captured ${this.limit} of ${this.total} bytes\n...\n${kept}`
      : kept.trimEnd();
  }
}

function noPort(spec: CheckSpec): CheckResult {
  return { status: 'critical', output: `no port to ${spec.type} check` };
}

function where(spec: CheckSpec, target: CheckTarget): string {
  return `${spec.address ?? target.transport.hostAddress()}:${spec.port}`;
}

/** Resolves with undefined when `signal` aborts; never rejects. */
function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

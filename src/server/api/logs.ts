/**
 * `GET /v1/client/fs/logs/:alloc`: a task's stdout or stderr, read through its driver over its
 * node's transport exactly as `drover logs` reads it (src/ops/alloc-task.ts).
 *
 * Parameters as Nomad's: `task` (required), `type=stdout|stderr`, `follow`, `offset` (bytes) from
 * `origin=start|end`, `plain=true`. Framed (the default) sends one JSON frame per chunk,
 * `{"Offset":N,"Data":"<base64>","File":"alloc/logs/<task>.<type>.0"}` (Offset: the byte offset
 * after the frame's data), and `{}` as a heartbeat while nothing else was sent; plain sends the
 * bytes as they are.
 */
import { namespaceOfKey } from '../../state/job-key.js';
import { requireReach } from './write-path.js';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { NoSuchTaskError, allocTask, taskLogs } from '../../ops/alloc-task.js';
import { ApiError, type ApiReply, type Route } from '../types.js';

/** How often an idle framed stream sends `{}` (Nomad's stream heartbeat rate). */
export const LOG_HEARTBEAT_MS = 1_000;
/** The largest frame's data (Nomad's streamFrameSize). */
const FRAME_BYTES = 64 * 1024;

type Origin = 'start' | 'end';

export interface LogRequest {
  /** Opens the log (followed or not) through the driver; aborting `signal` ends it. */
  open: (follow: boolean, signal: AbortSignal) => Readable;
  follow: boolean;
  origin: Origin;
  offset: number;
  plain: boolean;
  /** The frames' `File`. */
  file: string;
  heartbeatMs: number;
  /** Told when reading the log fails once the answer started (the stream then just ends, as Nomad's). */
  onError: (err: unknown) => void;
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ApiError(400, `Failed to parse value of "${name}" (${v}) as a bool`);
}

function parseOffset(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ApiError(400, `Failed to parse offset "${raw}": must be a non-negative integer`);
  return n;
}

export function logRoutes(opts: { heartbeatMs?: number } = {}): Route[] {
  const heartbeatMs = opts.heartbeatMs ?? LOG_HEARTBEAT_MS;
  return [
    {
      method: 'GET',
      path: '/v1/client/fs/logs/:alloc',
      access: { kind: 'namespace', capability: 'read-logs' },
      async handler(req): Promise<ApiReply> {
        const { query } = req;
        const task = query.get('task');
        if (!task) throw new ApiError(400, 'must provide task name');
        const type = query.get('type');
        if (type !== 'stdout' && type !== 'stderr')
          throw new ApiError(
            400,
            type ? `illegal log type: "${type}"` : 'must provide log type (stdout/stderr)',
          );
        const origin = query.get('origin') ?? 'start';
        if (origin !== 'start' && origin !== 'end')
          throw new ApiError(400, 'origin must be start or end');
        const follow = flag(query, 'follow');
        const plain = flag(query, 'plain');
        const offset = parseOffset(query.get('offset'));

        const { state } = await req.server.current();
        const alloc = state.allocations[req.params.alloc ?? ''];
        // The logs of another namespace's allocation: read-logs there, and that namespace named.
        const reached =
          alloc &&
          requireReach(req, namespaceOfKey(state, alloc.job), {
            kind: 'namespace',
            capability: 'read-logs',
          });
        if (!alloc || !reached)
          throw new ApiError(404, `Unknown allocation "${req.params.alloc ?? ''}"`);
        const { engine } = req.server;
        let at: ReturnType<typeof allocTask>;
        try {
          at = allocTask(engine, state, alloc, task);
        } catch (err) {
          if (err instanceof NoSuchTaskError) throw new ApiError(400, err.message);
          throw err;
        }
        const logs: LogRequest = {
          open: (f, signal) =>
            taskLogs(engine, at, { stderr: type === 'stderr', follow: f, signal }),
          follow,
          origin,
          offset,
          plain,
          file: `alloc/logs/${at.taskName}.${type}.0`,
          heartbeatMs,
          onError: (err) =>
            req.server.log.warn(`reading the ${type} log of ${alloc.id} failed: ${String(err)}`, {
              alloc: alloc.id,
              task,
            }),
        };
        return { stream: (res, signal) => streamLogs(res, signal, logs) };
      },
    },
  ];
}

export const routes: Route[] = logRoutes();

/** Writes the log to `res` as frames or plain bytes until it ends (not following) or `signal` aborts. */
export async function streamLogs(
  res: ServerResponse,
  signal: AbortSignal,
  req: LogRequest,
): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  signal.addEventListener('abort', stop, { once: true });
  res.once('close', stop);
  if (!res.headersSent) {
    res.writeHead(200, {
      'Content-Type': req.plain ? 'text/plain; charset=utf-8' : 'application/json',
      'Cache-Control': 'no-cache',
    });
    // A followed plain log may have nothing to say yet: the client learns it is connected.
    res.flushHeaders();
  }
  let lastWrite = Date.now();
  const write = (chunk: string | Buffer) => {
    lastWrite = Date.now();
    if (!res.writableEnded) res.write(chunk);
  };
  const heartbeat = req.plain
    ? undefined
    : setInterval(() => {
        if (Date.now() - lastWrite >= req.heartbeatMs) write('{}\n');
      }, req.heartbeatMs);
  heartbeat?.unref();
  let offset = 0;
  const send = (data: Buffer) => {
    for (let at = 0; at < data.length; at += FRAME_BYTES) {
      const part = data.subarray(at, at + FRAME_BYTES);
      offset += part.length;
      if (req.plain) write(part);
      else
        write(
          `${JSON.stringify({ Offset: offset, Data: part.toString('base64'), File: req.file })}\n`,
        );
    }
  };
  try {
    if (req.origin === 'end') {
      // The log's current end is only known by reading it: keep its last `offset` bytes, send
      // them, then follow from that end.
      const { length, tail } = await readTail(req.open(false, abort.signal), req.offset);
      offset = length - tail.length;
      send(tail);
      if (req.follow && !abort.signal.aborted)
        await pipeFrom(req.open(true, abort.signal), length, send, abort.signal);
    } else {
      offset = req.offset;
      await pipeFrom(req.open(req.follow, abort.signal), req.offset, send, abort.signal);
    }
  } catch (err) {
    // Headers are out: the stream can only end. A client that went away is not an error.
    if (!abort.signal.aborted) req.onError(err);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    signal.removeEventListener('abort', stop);
    res.off('close', stop);
    abort.abort();
    if (!res.writableEnded) res.end();
  }
}

/** Sends what `stream` gives after its first `skip` bytes, until it ends or `signal` aborts. */
function pipeFrom(
  stream: Readable,
  skip: number,
  send: (data: Buffer) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let skipped = 0;
    const done = () => {
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      stream.destroy();
      done();
    };
    signal.addEventListener('abort', aborted, { once: true });
    stream.on('data', (chunk: Buffer) => {
      let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (skipped < skip) {
        const drop = Math.min(skip - skipped, data.length);
        skipped += drop;
        data = data.subarray(drop);
      }
      if (data.length > 0) send(data);
    });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (err) => {
      signal.removeEventListener('abort', aborted);
      if (signal.aborted) resolve();
      else reject(err);
    });
  });
}

/** The whole length of a stream and its last `keep` bytes. */
async function readTail(stream: Readable, keep: number): Promise<{ length: number; tail: Buffer }> {
  let length = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of stream) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += data.length;
    tail = keep === 0 ? tail : Buffer.concat([tail, data]);
    if (tail.length > keep) tail = tail.subarray(tail.length - keep);
  }
  return { length, tail: Buffer.from(tail) };
}

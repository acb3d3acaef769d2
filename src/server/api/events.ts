/**
 * `GET /v1/event/stream`: Nomad's event stream. Chunked ndjson: `{}` as soon as the client is
 * connected and then every 30 s as a heartbeat, and one `{"Index":N,"Events":[…]}` line per
 * change index with the events the `topic` and `namespace` parameters select. `index=N` first
 * replays the kept events after N (from the oldest kept when N was evicted). The stream ends,
 * and its subscription with it, when the client goes away.
 */
import type { ServerResponse } from 'node:http';
import { batchLine } from '../events/encode.js';
import { ApiError, type ApiRequest, type ApiReply, type NomadEvent, type Route } from '../types.js';

export const HEARTBEAT_MS = 30_000;
/** A client this far behind (bytes queued for it) is cut off rather than buffered without end. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/** `topic` parameters: topic → keys, `*` meaning any (Nomad's parseEventTopics). */
export type TopicFilter = ReadonlyMap<string, readonly string[]>;

export function parseTopics(values: readonly string[]): TopicFilter {
  if (values.length === 0) return new Map([['*', ['*']]]);
  const topics = new Map<string, string[]>();
  for (const value of values) {
    const parts = value.split(':');
    if (parts.length > 2 || parts[0] === '')
      throw new ApiError(
        400,
        `Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: ${value}`,
      );
    const [topic, key = '*'] = parts as [string, string?];
    topics.set(topic, [...(topics.get(topic) ?? []), key]);
  }
  return topics;
}

/** Nomad's subscription filter: namespace (node events have none and always pass), topic, key. */
export function matches(event: NomadEvent, topics: TopicFilter, namespace: string): boolean {
  if (namespace !== '*' && event.Namespace !== '' && event.Namespace !== namespace) return false;
  const keys = [...(topics.get('*') ?? []), ...(topics.get(event.Topic) ?? [])];
  return keys.some((k) => k === '*' || k === event.Key || event.FilterKeys.includes(k));
}

const READ_JOB = { kind: 'namespace', capability: 'read-job' } as const;

/** What a token needs for the topics it asks for (Nomad's aclCheckForEvents). */
function authorize(req: ApiRequest, topics: TopicFilter): void {
  const { identity } = req;
  const allowed = [...topics.keys()].every((topic) =>
    topic === '*'
      ? identity.management
      : topic === 'Node'
        ? identity.allows({ kind: 'node', level: 'read' })
        : identity.allows({ kind: 'namespace', capability: 'read-job' }, req.namespace),
  );
  if (!allowed) throw new ApiError(403, 'Permission denied');
}

function parseIndex(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new ApiError(
      400,
      `Unable to parse index: strconv.Atoi: parsing "${raw}": invalid syntax`,
    );
  return n;
}

/** Groups events by their index, in order: one stream line each. */
function byIndex(events: readonly NomadEvent[]): [number, NomadEvent[]][] {
  const out: [number, NomadEvent[]][] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last[0] === e.Index) last[1].push(e);
    else out.push([e.Index, [e]]);
  }
  return out;
}

export function eventStreamRoutes(opts: { heartbeatMs?: number } = {}): Route[] {
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  return [
    {
      method: 'GET',
      path: '/v1/event/stream',
      // Finer checks per topic below: `*` needs a management token, `Node` node:read.
      access: { kind: 'namespace', capability: 'read-job' },
      handler(req): Promise<ApiReply> {
        const topics = parseTopics(req.query.getAll('topic'));
        const index = parseIndex(req.query.get('index'));
        authorize(req, topics);
        const namespace = req.namespace;
        const hub = req.server.events;
        return Promise.resolve({
          stream: (res, signal) =>
            streamEvents(res, signal, {
              heartbeatMs,
              // `namespace=*` streams only the namespaces the token may read.
              select: (e) =>
                matches(e, topics, namespace) &&
                (e.Namespace === '' || req.identity.allows(READ_JOB, e.Namespace)),
              replay: index > 0 ? () => hub.since(index) : () => [],
              subscribe: (l) => hub.subscribe(l),
            }),
        });
      },
    },
  ];
}

export const routes: Route[] = eventStreamRoutes();

interface StreamSource {
  heartbeatMs: number;
  select: (e: NomadEvent) => boolean;
  replay: () => NomadEvent[];
  subscribe: (listener: (events: readonly NomadEvent[]) => void) => () => void;
}

function streamEvents(
  res: ServerResponse,
  signal: AbortSignal,
  source: StreamSource,
): Promise<void> {
  return new Promise((resolve) => {
    if (!res.headersSent)
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    let sent = 0;
    const send = (events: readonly NomadEvent[]) => {
      for (const [index, batch] of byIndex(events)) {
        // Replay and live delivery may overlap by a batch: each index goes out once.
        if (index <= sent) continue;
        const selected = batch.filter(source.select);
        sent = index;
        if (selected.length > 0) res.write(batchLine(index, selected));
      }
      if (res.writableLength > MAX_QUEUED_BYTES) finish();
    };
    // Subscribed before the replay is read, so nothing published in between is missed.
    const unsubscribe = source.subscribe(send);
    const heartbeat = setInterval(() => res.write('{}\n'), source.heartbeatMs);
    heartbeat.unref();
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      unsubscribe();
      signal.removeEventListener('abort', finish);
      res.off('close', finish);
      if (!res.writableEnded) res.end();
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
    res.on('close', finish);
    if (signal.aborted) return finish();
    res.write('{}\n');
    send(source.replay());
  });
}

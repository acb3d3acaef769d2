// HTTP measurements of a running server from the outside: request rate under keep-alive and
// concurrency, one blocking query's wait, and many open event streams.
import http from 'node:http';
/** What Nomad's Go API client asks for. */
export const AS_NOMAD_CLIENT = { 'Accept-Encoding': 'gzip' };

/**
 * GETs `path()` with `concurrency` requests in flight for `durationMs`; requests/s of 200s.
 * `headers` go with every request. Answers are read whole, not parsed nor inflated: the load
 * generator shares the machine's cores with the server and must not measure itself.
 */
export async function requestRate(base, path, { concurrency, durationMs, headers = {} }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const deadline = performance.now() + durationMs;
  let ok = 0;
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (performance.now() < deadline) {
      const { status } = await get(base + path(), agent, headers);
      if (status === 200) ok++;
      else {
        failed++;
        firstError ??= `${path()} answered ${status}`;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  if (failed > 0 && ok === 0) throw new Error(firstError);
  return { rps: ok / seconds, ok, failed };
}

/** One GET, its body read whole (as sent: gzipped when the server gzipped it). */
export function get(url, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Milliseconds from a write's commit to the whole answer of a blocking query that waited for it:
 * the query is sent with the path's current X-Nomad-Index, then `write()` runs and resolves with
 * the time (performance.now()) its write committed.
 */
export async function blockingLatency(base, path, write) {
  const first = await get(base + path);
  const index = Number(first.headers['x-nomad-index']);
  if (!(index >= 1)) throw new Error(`${path} sent no X-Nomad-Index`);
  const sep = path.includes('?') ? '&' : '?';
  let returned;
  const waiting = get(`${base}${path}${sep}index=${index}&wait=60s`).then((r) => {
    returned = performance.now();
    return r;
  });
  // The query must be held by the server before the write, or it would return at once anyway.
  await new Promise((r) => setTimeout(r, 200));
  if (returned !== undefined)
    throw new Error(`the blocking query on ${path} returned before the write`);
  const committed = await write();
  const answer = await waiting;
  const after = Number(answer.headers['x-nomad-index']);
  if (!(after > index))
    throw new Error(`the blocking query returned index ${after}, not past ${index}`);
  // Not clamped: an answer seen before the write's return would show as a negative time.
  return returned - committed;
}

/** Opens `count` event streams and resolves once each has sent its first line; `close()` ends them. */
export async function openEventStreams(base, count) {
  const requests = [];
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const req = http.get(`${base}/v1/event/stream`, { agent: false }, (res) => {
            if (res.statusCode !== 200)
              reject(new Error(`event stream answered ${res.statusCode}`));
            res.once('data', () => resolve());
            res.on('error', () => {});
          });
          req.on('error', reject);
          requests.push(req);
        }),
    ),
  );
  return { close: () => requests.forEach((r) => r.destroy()) };
}

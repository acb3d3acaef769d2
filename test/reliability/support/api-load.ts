/**
 * API clients against a running `drover server`: half hold blocking queries on the job list
 * (`?index=N&wait=…`, N from the last X-Nomad-Index), half read the event stream. Every answer
 * that is not a 200 (or a stream that ends early) and every network error is counted. The
 * server's RSS is sampled from /proc while they run.
 */
import { readFileSync } from 'node:fs';

export interface LoadFigures {
  errors: number;
  /** The first few errors, for the table. */
  examples: string[];
  blockingAnswers: number;
  /** Answers to a query that blocked and woke up on a change (a higher index than it sent). */
  woken: number;
  /** Event-stream lines (events and heartbeats). */
  streamLines: number;
  /** RSS in MB, one sample a second. */
  rss: number[];
}

export async function apiLoad(opts: {
  url: string;
  pid: number;
  clients: number;
  durationMs: number;
  /** Called every `changeEveryMs` while the clients run, to make the server answer them. */
  change: () => Promise<void>;
  changeEveryMs: number;
}): Promise<LoadFigures> {
  const f: LoadFigures = {
    errors: 0,
    examples: [],
    blockingAnswers: 0,
    woken: 0,
    streamLines: 0,
    rss: [],
  };
  const stop = new AbortController();
  const fail = (what: string) => {
    if (stop.signal.aborted) return;
    f.errors++;
    if (f.examples.length < 3) f.examples.push(what);
  };

  const blocking = async (): Promise<void> => {
    let index = 1;
    while (!stop.signal.aborted) {
      try {
        const r = await fetch(`${opts.url}/v1/jobs?index=${index}&wait=5s`, {
          signal: stop.signal,
        });
        await r.arrayBuffer();
        if (r.status !== 200) fail(`GET /v1/jobs: ${r.status}`);
        else {
          f.blockingAnswers++;
          const next = Number(r.headers.get('x-nomad-index') ?? index);
          if (index > 1 && next > index) f.woken++;
          index = next;
        }
      } catch (e) {
        fail(`GET /v1/jobs: ${(e as Error).message}`);
      }
    }
  };
  const stream = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        const r = await fetch(`${opts.url}/v1/event/stream`, { signal: stop.signal });
        if (r.status !== 200 || !r.body) {
          fail(`GET /v1/event/stream: ${r.status}`);
          continue;
        }
        const decoder = new TextDecoder();
        for await (const chunk of r.body) {
          f.streamLines += decoder.decode(chunk as Uint8Array).split('\n').length - 1;
        }
        fail('event stream ended while the server runs');
      } catch (e) {
        fail(`GET /v1/event/stream: ${(e as Error).message}`);
      }
    }
  };

  const sampler = setInterval(() => {
    try {
      const kb = Number(
        /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${opts.pid}/status`, 'utf8'))?.[1],
      );
      f.rss.push(Math.round(kb / 1024));
    } catch {
      fail('the server process is gone');
    }
  }, 1000);
  const changer = setInterval(() => {
    opts.change().catch((e: Error) => fail(`change: ${e.message}`));
  }, opts.changeEveryMs);

  const clients = Array.from({ length: opts.clients }, (_, i) =>
    i % 2 === 0 ? blocking() : stream(),
  );
  await new Promise((r) => setTimeout(r, opts.durationMs));
  stop.abort();
  clearInterval(sampler);
  clearInterval(changer);
  await Promise.allSettled(clients);
  return f;
}

/** Mean RSS of the first and of the last `window` samples. */
export function rssDrift(rss: readonly number[], window: number): { first: number; last: number } {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const w = Math.max(1, Math.min(window, Math.floor(rss.length / 2)));
  return { first: Math.round(mean(rss.slice(0, w))), last: Math.round(mean(rss.slice(-w))) };
}

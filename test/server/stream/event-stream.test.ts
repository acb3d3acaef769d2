/**
 * `GET /v1/event/stream` over HTTP on a real server context (local state in a temp dir): the
 * `{}` greeting and heartbeats, topic and namespace filters, `index` replay, and a client that goes
 * away leaving no subscription behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventStreamRoutes } from '../../../src/server/api/events.js';
import { version } from './fixtures.js';
import { openLines, startStreamServer, type StreamServer } from './harness.js';

const HEARTBEAT_MS = 300;
let dir = '';
let server: StreamServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-event-stream-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  server = await startStreamServer(dir, eventStreamRoutes({ heartbeatMs: HEARTBEAT_MS }));
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Submits a job (a new version of it if it exists): a Job and an Evaluation event. */
function submit(id: string) {
  return server.mutate((s) => {
    const versions = s.jobs[id]?.versions ?? [];
    s.jobs[id] = { versions: [...versions, version(id, versions.length)], stopped: false };
  });
}

interface Batch {
  Index: number;
  Events: {
    Topic: string;
    Type: string;
    Key: string;
    Index: number;
    Payload: Record<string, unknown>;
  }[];
}

const stream = (query = '') => openLines(`${server.url}/v1/event/stream${query}`);

async function nextBatch(lines: Awaited<ReturnType<typeof stream>>): Promise<Batch> {
  for (;;) {
    const line = await lines.next();
    if (line !== '{}') return JSON.parse(line) as Batch;
  }
}

async function eventually(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /v1/event/stream', () => {
  it('sends {} on connecting and then as a heartbeat', async () => {
    const lines = await stream();
    try {
      expect(lines.status).toBe(200);
      expect(lines.headers.get('content-type')).toBe('application/json');
      const started = Date.now();
      expect(await lines.next(1_000)).toBe('{}');
      // Nothing changes: the next line is the heartbeat, about one interval later.
      expect(await lines.next(HEARTBEAT_MS * 5)).toBe('{}');
      expect(Date.now() - started).toBeGreaterThanOrEqual(HEARTBEAT_MS - 50);
    } finally {
      lines.close();
    }
  });

  it('streams new events as they happen, one line per index, all topics by default', async () => {
    const lines = await stream();
    try {
      expect(await lines.next()).toBe('{}');
      const { index } = await submit('web');
      const batch = await nextBatch(lines);
      expect(batch.Index).toBe(index);
      const jobEvent = batch.Events.find((e) => e.Topic === 'Job')!;
      expect(jobEvent).toMatchObject({ Type: 'JobRegistered', Key: 'web', Index: index });
      expect((jobEvent.Payload.Job as { ID: string }).ID).toBe('web');
      expect(batch.Events.map((e) => e.Topic)).toContain('Evaluation');
    } finally {
      lines.close();
    }
  });

  it('sends only the topics and keys asked for', async () => {
    const lines = await stream('?topic=Job:api&topic=Evaluation:nothing');
    try {
      expect(await lines.next()).toBe('{}');
      await submit('web');
      const { index } = await submit('api');
      // web's change is not sent at all: the first batch is api's, with only its Job event.
      const batch = await nextBatch(lines);
      expect(batch.Index).toBe(index);
      expect(batch.Events.map((e) => `${e.Topic} ${e.Key}`)).toEqual(['Job api']);
    } finally {
      lines.close();
    }
  });

  it('matches a topic without a key, or with *, to every key', async () => {
    for (const topic of ['Evaluation', 'Evaluation:*']) {
      const lines = await stream(`?topic=${topic}`);
      try {
        expect(await lines.next()).toBe('{}');
        await submit('web');
        const batch = await nextBatch(lines);
        expect(batch.Events.map((e) => e.Topic)).toEqual(['Evaluation']);
      } finally {
        lines.close();
      }
    }
  });

  it('sends nothing of another namespace', async () => {
    const lines = await stream('?topic=Job&namespace=other');
    try {
      expect(await lines.next()).toBe('{}');
      await submit('web');
      // Only heartbeats arrive.
      expect(await lines.next(HEARTBEAT_MS * 5)).toBe('{}');
      await expect(lines.next(HEARTBEAT_MS / 2)).rejects.toThrow('no line in time');
    } finally {
      lines.close();
    }
  });

  it('replays the kept events after `index`, then goes on live', async () => {
    const first = await submit('replay-a');
    const second = await submit('replay-b');
    const lines = await stream(`?index=${first.index - 1}&topic=Job`);
    try {
      expect(await lines.next()).toBe('{}');
      const replayed = [await nextBatch(lines), await nextBatch(lines)];
      expect(replayed.map((b) => [b.Index, b.Events[0]!.Key])).toEqual([
        [first.index, 'replay-a'],
        [second.index, 'replay-b'],
      ]);
      const third = await submit('replay-c');
      const live = await nextBatch(lines);
      expect([live.Index, live.Events[0]!.Key]).toEqual([third.index, 'replay-c']);
    } finally {
      lines.close();
    }
  });

  it('ends the subscription when the client goes away', async () => {
    // The streams of the tests before are gone once the server noticed their clients leave.
    await eventually(() => server.hub.subscribers() === 0);
    const streams = await Promise.all([stream(), stream('?topic=Job'), stream('?index=1')]);
    for (const s of streams) expect(await s.next()).toBe('{}');
    expect(server.hub.subscribers()).toBe(3);
    for (const s of streams) s.close();
    await eventually(() => server.hub.subscribers() === 0);
    // Publishing afterwards reaches no one and breaks nothing.
    await submit('after-close');
    expect(server.hub.subscribers()).toBe(0);
  });

  it('refuses a malformed topic or index', async () => {
    const bad = await fetch(`${server.url}/v1/event/stream?topic=Job:a:b`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Invalid topic query');
    const index = await fetch(`${server.url}/v1/event/stream?index=x`);
    expect(index.status).toBe(400);
  });
});

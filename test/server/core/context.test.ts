/**
 * The server's context over a real local state: the change hook hears every move of the index
 * once, with the state before and after, including writes made beside it; waits without a change
 * feed poll the store; the log writes text or JSON lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerLog } from '../../../src/server/log.js';
import type { IndexedState } from '../../../src/server/types.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { eventually } from './process.js';
import { testServerContext, type TestServerContext } from './support.js';

let t: TestServerContext;
const heard: { prev?: number; next: number }[] = [];

beforeAll(async () => {
  t = await testServerContext({
    onChange: (prev: StateSnapshot | undefined, next: IndexedState) =>
      heard.push({ ...(prev ? { prev: prev.serial } : {}), next: next.index }),
  });
});
afterAll(() => t.close());

describe('the server context', () => {
  it('calls onChange once per move of the index, for writes made by anyone', async () => {
    await t.context.current();
    await t.bump();
    await t.bump();
    const third = await t.bump();
    await eventually(
      () => Promise.resolve(heard.at(-1)?.next === third),
      2000,
      'the last change is heard',
    );
    const nexts = heard.map((h) => h.next);
    expect(nexts).toEqual([...new Set(nexts)]);
    expect(nexts).toEqual([...nexts].sort((a, b) => a - b));
    expect(heard[0]).toEqual({ next: 1 });
    for (const h of heard.slice(1)) expect(h.prev).toBeLessThan(h.next);
  });

  it('serves the cached state until the feed says it moved', async () => {
    const a = await t.context.current();
    expect(await t.context.current()).toBe(a);
    const written = await t.bump();
    await eventually(
      async () => (await t.context.current()).index === written,
      2000,
      'the new state is read',
    );
  });

  it('waits by polling without a change feed', async () => {
    const polled = await testServerContext({ feed: false });
    try {
      await polled.bump();
      const now = await polled.context.current();
      const waiting = polled.context.waitForIndex(now.index, 5000);
      await new Promise((r) => setTimeout(r, 100));
      const written = await polled.bump();
      expect((await waiting).index).toBe(written);
      const timedOut = Date.now();
      expect((await polled.context.waitForIndex(written, 100)).index).toBe(written);
      expect(Date.now() - timedOut).toBeGreaterThanOrEqual(90);
    } finally {
      await polled.close();
    }
  });

  it('releases a waiter when its signal aborts', async () => {
    const now = await t.context.current();
    const abort = new AbortController();
    const waiting = t.context.waitForIndex(now.index, 60_000, abort.signal);
    abort.abort();
    expect((await waiting).index).toBe(now.index);
  });
});

describe('the server log', () => {
  const at = () => new Date('2026-12-07T10:00:00.000Z');

  it('writes text lines with key=value fields', () => {
    const lines: string[] = [];
    const log = createServerLog({ json: false, write: (l) => lines.push(l), now: at });
    log.info('apply by anonymous', { operation: 'apply', actor: 'a b' });
    log.error('boom', { stack: 'Error: boom\n    at x' });
    expect(lines).toEqual([
      '2026-12-07T10:00:00.000Z [INFO] apply by anonymous operation=apply actor="a b"\n',
      '2026-12-07T10:00:00.000Z [ERROR] boom\nError: boom\n    at x\n',
    ]);
  });

  it('writes one JSON object per line with -log-json', () => {
    const lines: string[] = [];
    const log = createServerLog({ json: true, write: (l) => lines.push(l), now: at });
    log.warn('lost leadership', { epoch: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      '@timestamp': '2026-12-07T10:00:00.000Z',
      '@level': 'warn',
      '@message': 'lost leadership',
      epoch: 3,
    });
  });
});

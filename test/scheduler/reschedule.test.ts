import { describe, expect, it } from 'vitest';
import type { NormalizedReschedule as Policy } from '../../src/generated/normalized-job.js';
import { reconcile } from '../../src/scheduler/reconcile.js';
import {
  attemptsWithin,
  nextDelay,
  rescheduleDecision,
  trackerAfter,
} from '../../src/scheduler/reschedule.js';
import type { Allocation, RescheduleEvent } from '../../src/state/types.js';
import { alloc, nodeSets, simpleJob } from './fixtures.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const T0 = Date.parse('2026-01-02T03:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const policy = (over: Partial<Policy> = {}): Policy => ({
  attempts: 3,
  interval: H,
  delay: 5 * S,
  delay_function: 'constant',
  max_delay: 0,
  unlimited: false,
  ...over,
});

/** Tracker events at `times` (ms after T0) with these delays. */
const events = (...xs: [at: number, delay: number][]): RescheduleEvent[] =>
  xs.map(([at, delay], i) => ({
    time: iso(T0 + at),
    prev_alloc: `prev-${i}`,
    prev_node: 'n1',
    delay_ms: delay,
  }));

/** A failed allocation whose task finished at `failedAt` (ms after T0). */
const failed = (
  failedAt: number,
  tracker: RescheduleEvent[] = [],
  over: Partial<Allocation> = {},
) =>
  alloc({
    index: 0,
    version: 1,
    client_status: 'failed',
    task_states: {
      server: { state: 'dead', failed: true, restarts: 0, finished_at: iso(T0 + failedAt) },
    },
    ...(tracker.length ? { reschedule_tracker: { events: tracker } } : {}),
    ...over,
  });

describe('reschedule: next delay by delay_function', () => {
  it('constant: always the delay', () => {
    const p = policy({ delay: 10 * S });
    expect(nextDelay(p, [], T0)).toBe(10 * S);
    expect(nextDelay(p, events([0, 10 * S], [20 * S, 10 * S]), T0 + 30 * S)).toBe(10 * S);
  });

  it('exponential: doubles the last delay, capped at max_delay', () => {
    const p = policy({ delay: 5 * S, delay_function: 'exponential', max_delay: 30 * S });
    expect(nextDelay(p, [], T0)).toBe(5 * S);
    expect(nextDelay(p, events([0, 5 * S]), T0 + 6 * S)).toBe(10 * S);
    expect(nextDelay(p, events([0, 5 * S], [6 * S, 10 * S]), T0 + 17 * S)).toBe(20 * S);
    // 40s is over max_delay 30s: capped, as the last reschedule was only 11s ago.
    expect(nextDelay(p, events([0, 10 * S], [6 * S, 20 * S]), T0 + 17 * S)).toBe(30 * S);
  });

  it('fibonacci: adds the last two delays, and starts over after a reset', () => {
    const p = policy({ delay: 5 * S, delay_function: 'fibonacci', max_delay: M });
    expect(nextDelay(p, [], T0)).toBe(5 * S);
    expect(nextDelay(p, events([0, 5 * S]), T0 + S)).toBe(5 * S);
    expect(nextDelay(p, events([0, 5 * S], [S, 5 * S]), T0 + 2 * S)).toBe(10 * S);
    expect(nextDelay(p, events([0, 5 * S], [S, 10 * S]), T0 + 2 * S)).toBe(15 * S);
    // The delay was reset to `delay` after max_delay: a new series starts from it.
    expect(nextDelay(p, events([0, M], [S, 5 * S]), T0 + 2 * S)).toBe(5 * S);
  });

  it('max_delay: resets to the delay once the last reschedule is longer ago than it', () => {
    const p = policy({ delay: 5 * S, delay_function: 'exponential', max_delay: 20 * S });
    const tracker = events([0, 20 * S]);
    expect(nextDelay(p, tracker, T0 + 10 * S)).toBe(20 * S);
    expect(nextDelay(p, tracker, T0 + 21 * S)).toBe(5 * S);
  });
});

describe('reschedule: attempts within the interval', () => {
  it('counts only the events within the interval before the failure', () => {
    const p = policy({ attempts: 2, interval: 10 * M });
    const tracker = events([0, 5 * S], [8 * M, 5 * S]);
    expect(attemptsWithin(tracker, p, T0 + 9 * M)).toBe(2);
    expect(attemptsWithin(tracker, p, T0 + 11 * M)).toBe(1);
    expect(attemptsWithin(tracker, p, T0 + 19 * M)).toBe(0);
  });

  it('exhausted when the attempts within the interval are used up', () => {
    const p = policy({ attempts: 2, interval: 10 * M });
    const a = failed(9 * M, events([0, 5 * S], [8 * M, 5 * S]));
    expect(rescheduleDecision(a, p, T0 + 10 * M)).toEqual({
      kind: 'exhausted',
      attempted: 2,
      attempts: 2,
      intervalMs: 10 * M,
    });
    // Later failures find the old events out of the window: attempt 2 of 2.
    const b = failed(15 * M, events([0, 5 * S], [8 * M, 5 * S]));
    expect(rescheduleDecision(b, p, T0 + 16 * M)).toMatchObject({ kind: 'now', attempt: 2 });
  });

  it('unlimited never runs out', () => {
    const p = policy({ unlimited: true, attempts: 0, interval: 0 });
    const many = events(...Array.from({ length: 9 }, (_, i): [number, number] => [i * S, 5 * S]));
    expect(rescheduleDecision(failed(20 * S, many), p, T0 + H)).toMatchObject({
      kind: 'now',
      attempt: 10,
    });
    // The tracker of its replacement keeps only the last few events.
    const next = trackerAfter(
      { id: 'x', node: 'n1', reschedule_tracker: { events: many } },
      p,
      T0 + H,
      5 * S,
    );
    expect(next.events).toHaveLength(5);
    expect(next.events.at(-1)).toMatchObject({ prev_alloc: 'x', prev_node: 'n1', delay_ms: 5 * S });
  });

  it('a policy without attempts (or none at all) never reschedules', () => {
    expect(rescheduleDecision(failed(0), policy({ attempts: 0 }), T0 + H).kind).toBe('exhausted');
    expect(rescheduleDecision(failed(0), undefined, T0 + H).kind).toBe('exhausted');
  });
});

describe('reschedule: due time', () => {
  it('is due `delay` after the failure; within a second counts as now', () => {
    const p = policy({ delay: 30 * S });
    expect(rescheduleDecision(failed(0), p, T0 + 5 * S)).toEqual({
      kind: 'later',
      delayMs: 30 * S,
      attempt: 1,
      attempts: 3,
      dueAt: T0 + 30 * S,
    });
    expect(rescheduleDecision(failed(0), p, T0 + 29_500).kind).toBe('now');
    expect(rescheduleDecision(failed(0), p, T0 + 31 * S).kind).toBe('now');
  });
});

describe('reschedule in reconcile: service and batch defaults', () => {
  const run = (type: 'service' | 'batch', allocs: Allocation[], now: number, group = '') =>
    reconcile({
      jobId: 'web',
      job: simpleJob({ count: 1, type, group }),
      version: 1,
      priorJob: () => undefined,
      allocations: allocs,
      nodes: nodeSets(),
      classify: () => 'none',
      now,
    }).groups[0]!;

  it('service: 30s exponential, unlimited; not replaced before the delay, counted meanwhile', () => {
    const before = run('service', [failed(0)], T0 + 10 * S);
    expect(before.place).toEqual([]);
    expect(before.waiting[0]!.decision).toEqual({
      kind: 'later',
      delayMs: 30 * S,
      attempt: 1,
      dueAt: T0 + 30 * S,
    });
    expect(before.counts).toMatchObject({ create: 0, ignore: 1 });
    const after = run('service', [failed(0)], T0 + 31 * S);
    expect(after.place).toMatchObject([
      {
        reason: 'failed',
        replaces: 'app-0',
        previousNode: 'n1',
        reschedule: { attempt: 1, delayMs: 30 * S },
      },
    ]);
    // The second reschedule doubles the delay.
    const again = run('service', [failed(2 * M, events([M, 30 * S]))], T0 + 2 * M + 30 * S);
    expect(again.waiting[0]!.decision).toMatchObject({ kind: 'later', delayMs: M, attempt: 2 });
  });

  it('batch: 1 attempt per 24h after 5s, constant', () => {
    const first = run('batch', [failed(0)], T0 + 6 * S);
    expect(first.place).toMatchObject([
      { reason: 'failed', reschedule: { attempt: 1, attempts: 1, delayMs: 5 * S } },
    ]);
    const second = run('batch', [failed(M, events([10 * S, 5 * S]))], T0 + 2 * M);
    expect(second.place).toEqual([]);
    expect(second.waiting[0]!.decision).toEqual({
      kind: 'exhausted',
      attempted: 1,
      attempts: 1,
      intervalMs: 24 * H,
    });
  });

  it('the group block decides: attempts, interval and delay as written', () => {
    const block =
      'reschedule {\n attempts = 2\n interval = "1h"\n delay = "1m"\n delay_function = "constant"\n unlimited = false\n }';
    const r = run('batch', [failed(0, events([-M, M]))], T0 + 30 * S, block);
    expect(r.waiting[0]!.decision).toEqual({
      kind: 'later',
      delayMs: M,
      attempt: 2,
      attempts: 2,
      dueAt: T0 + M,
    });
  });

  it('a failed allocation of an older version is replaced by the update at once', () => {
    const r = run('service', [failed(0, [], { version: 0 })], T0 + S);
    expect(r.place).toMatchObject([{ reason: 'failed', replaces: 'app-0' }]);
    expect(r.place[0]!.reschedule).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { NodeHealth } from '../../../src/server/controller/node-health.js';

describe('NodeHealth', () => {
  it('declares a node down once silent for the grace period, up when it answers again', () => {
    const h = new NodeHealth(3_000, 0);
    h.record('a', true, 1_000);
    h.record('a', false, 2_000, 'connection refused');
    expect(h.condition('a', 2_000)).toEqual({
      kind: 'silent',
      since: 2_000,
      reason: 'connection refused',
      downAt: 4_000,
    });
    expect(h.transitions(['a'], 3_999)).toEqual([]);
    expect(h.nextDownAt(['a'], 3_000)).toBe(4_000);
    expect(h.transitions(['a'], 4_000)).toEqual([
      { node: 'a', to: 'down', reason: 'no answer for 3 s (grace 3 s): connection refused' },
    ]);
    // Said once.
    expect(h.transitions(['a'], 5_000)).toEqual([]);
    h.record('a', true, 6_000);
    expect(h.transitions(['a'], 6_000)).toEqual([
      { node: 'a', to: 'up', reason: 'the node answers again' },
    ]);
  });

  it('gives a node never seen by this leader the grace period from its start', () => {
    const h = new NodeHealth(3_000, 10_000);
    h.record('b', false, 10_500, 'timeout');
    expect(h.condition('b', 12_000).kind).toBe('silent');
    expect(h.condition('b', 13_000).kind).toBe('down');
  });

  it('does not declare up a node that was only silent', () => {
    const h = new NodeHealth(3_000, 0);
    h.record('c', false, 1_000, 'x');
    h.record('c', true, 2_000);
    expect(h.transitions(['c'], 2_000)).toEqual([]);
  });
});

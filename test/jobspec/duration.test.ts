import { describe, expect, it } from 'vitest';
import {
  durationNanos,
  formatDuration,
  HOUR,
  MINUTE,
  parseDuration,
  SECOND,
} from '../../src/jobspec/duration.js';

describe('parseDuration', () => {
  // Cases from Go's time.ParseDuration documentation and tests.
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['5s', 5 * SECOND],
    ['30s', 30 * SECOND],
    ['1478s', 1478 * SECOND],
    ['-5s', -5 * SECOND],
    ['+5s', 5 * SECOND],
    ['5.0s', 5 * SECOND],
    ['5.6s', 5.6 * SECOND],
    ['5.s', 5 * SECOND],
    ['.5s', 0.5 * SECOND],
    ['1.004s', 1.004 * SECOND],
    ['300ms', 300e6],
    ['10ns', 10],
    ['11us', 11e3],
    ['12µs', 12e3],
    ['12μs', 12e3],
    ['13ms', 13e6],
    ['15m', 15 * MINUTE],
    ['16h', 16 * HOUR],
    ['3h30m', 3 * HOUR + 30 * MINUTE],
    ['2h45m', 2 * HOUR + 45 * MINUTE],
    ['1.5h', 1.5 * HOUR],
    ['-1.5h', -1.5 * HOUR],
    ['10.5s4m', 4 * MINUTE + 10.5 * SECOND],
    ['-2m3.4s', -(2 * MINUTE + 3.4 * SECOND)],
    ['1h2m3s4ms5us6ns', HOUR + 2 * MINUTE + 3 * SECOND + 4e6 + 5e3 + 6],
  ])('parses %s', (text, nanos) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.nanos).toBeCloseTo(nanos, 0);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['2 s', 'time: unknown unit " s" in duration "2 s"'],
    ['1h30', 'time: missing unit in duration "1h30"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['1s ', 'time: unknown unit "s " in duration "1s "'],
  ])('rejects %j with Go’s message', (text, error) => {
    expect(parseDuration(text)).toEqual({ ok: false, error });
  });
});

describe('durationNanos', () => {
  it('reads strings as Go durations and numbers as nanoseconds', () => {
    expect(durationNanos('1m')).toBe(MINUTE);
    expect(durationNanos(5_000_000_000)).toBe(5 * SECOND);
    expect(durationNanos(undefined)).toBeUndefined();
    expect(durationNanos('soon')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  // Go's Duration.String output.
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [1100, '1.1µs'],
    [2_200_000, '2.2ms'],
    [300_000_000, '300ms'],
    [SECOND, '1s'],
    [1.5 * SECOND, '1.5s'],
    [30 * SECOND, '30s'],
    [MINUTE, '1m0s'],
    [10 * MINUTE, '10m0s'],
    [HOUR + 30 * MINUTE, '1h30m0s'],
    [24 * HOUR, '24h0m0s'],
    [-5 * SECOND, '-5s'],
    [HOUR + 2 * MINUTE + 3 * SECOND + 4e6, '1h2m3.004s'],
  ])('formats %d as %s', (nanos, text) => {
    expect(formatDuration(nanos)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const n of [1, 999, 1500, 2.5 * SECOND, 90 * MINUTE, 7 * 24 * HOUR]) {
      const r = parseDuration(formatDuration(n));
      expect(r.ok && r.nanos).toBe(n);
    }
  });
});

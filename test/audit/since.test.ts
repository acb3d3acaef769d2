import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/audit/since.js';

const now = new Date('2026-12-07T12:00:00Z');

describe('-since', () => {
  it.each([
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T02:00:00+02:00', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T00:00:00.5Z', '2026-12-01T00:00:00.500Z'],
    ['24h', '2026-12-06T12:00:00.000Z'],
    ['90m', '2026-12-07T10:30:00.000Z'],
    ['1h30m', '2026-12-07T10:30:00.000Z'],
    ['7d', '2026-11-30T12:00:00.000Z'],
    ['0s', '2026-12-07T12:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    const r = parseSince(text, now);
    expect(r.ok && r.since.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '2026-12-01', '2026-13-01T00:00:00Z', '-5m', '5', ''])(
    'refuses %j, saying what it takes',
    (text) => {
      const r = parseSince(text, now);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.error).toBe(
          `-since must be an RFC 3339 time (2026-01-02T15:04:05Z) or a duration back from now (24h, 90m, 7d), got "${text}"`,
        );
    },
  );
});

import { describe, expect, it } from 'vitest';
import { cronProblem, formatInZone, nextLaunch, toCronerPattern } from '../../src/jobspec/cron.js';

const at = (iso: string) => new Date(iso);
const next = (p: Parameters<typeof nextLaunch>[0], from: string) =>
  nextLaunch(p, at(from))?.toISOString();

describe('Nomad cron specs (hashicorp/cronexpr) read with croner', () => {
  it.each([
    ['15 3 * * *', '0 15 3 * * * *'],
    // Six fields are minute … day-of-week and a year in cronexpr, not seconds first.
    ['0 12 * * * 2030', '0 0 12 * * * 2030'],
    ['30 0 12 * * MON-FRI *', '30 0 12 * * MON-FRI *'],
    ['@daily', '0 0 0 * * * *'],
    ['@weekly', '0 0 0 * * 0 *'],
    ['0 9 * january monday', '0 0 9 * jan mon *'],
  ])('%s is croner pattern %s', (spec, pattern) => {
    expect(toCronerPattern(spec)).toEqual({ pattern });
  });

  it.each([
    ['*/5 * * * *'],
    ['0 0 12 ? * MON-FRI *'],
    ['5/15 * * * *'],
    ['0 0 L * *'],
    ['0 0 15W * *'],
    ['0 0 * * 5L'],
    ['0 0 * * MON#2'],
    ['0 0 * * 7'],
    ['@hourly'],
  ])('accepts %s', (spec) => expect(cronProblem(spec)).toBeUndefined());

  it.each([
    ['@fortnightly', /Unknown shorthand "@fortnightly"/],
    ['* * *', /this one has 3/],
    ['* * * * * * * *', /this one has 8/],
    ['61 * * * *', /minute/i],
    ['* 25 * * *', /hour/i],
  ])('refuses %s', (spec, why) => expect(cronProblem(spec)).toMatch(why));
});

describe('next launch', () => {
  it('reads the crons in the time zone', () => {
    // 03:15 in Berlin is 02:15 UTC in winter.
    expect(
      next({ crons: ['15 3 * * *'], time_zone: 'Europe/Berlin' }, '2026-12-07T12:00:00Z'),
    ).toBe('2026-12-08T02:15:00.000Z');
    expect(next({ crons: ['15 3 * * *'] }, '2026-12-07T12:00:00Z')).toBe(
      '2026-12-08T03:15:00.000Z',
    );
  });

  it('takes the earliest of every crons entry, and the old cron attribute', () => {
    const p = { crons: ['0 18 * * *', '0 6 * * *'], time_zone: 'UTC' };
    expect(next(p, '2026-12-07T12:00:00Z')).toBe('2026-12-07T18:00:00.000Z');
    expect(next(p, '2026-12-07T19:00:00Z')).toBe('2026-12-08T06:00:00.000Z');
    expect(next({ cron: '@daily' }, '2026-12-07T19:00:00Z')).toBe('2026-12-08T00:00:00.000Z');
  });

  it('is strictly after the time it starts from', () => {
    expect(next({ crons: ['0 6 * * *'] }, '2026-12-07T06:00:00Z')).toBe('2026-12-08T06:00:00.000Z');
  });

  it('has none when disabled or when no time matches', () => {
    expect(next({ crons: ['@daily'], enabled: false }, '2026-12-07T00:00:00Z')).toBeUndefined();
    expect(next({ crons: ['0 0 1 1 * 2020'] }, '2026-12-07T00:00:00Z')).toBeUndefined();
  });

  it('follows DST: a skipped time runs after the gap, a repeated one once', () => {
    // Europe/Paris skips 02:00–03:00 on 2026-03-29: 02:30 runs at 03:00 CEST (01:00 UTC).
    expect(next({ crons: ['30 2 * * *'], time_zone: 'Europe/Paris' }, '2026-03-29T00:30:00Z')).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    // 02:30 happens twice on 2026-10-25: the first (CEST, 00:30 UTC), then the next day.
    const p = { crons: ['30 2 * * *'], time_zone: 'Europe/Paris' };
    expect(next(p, '2026-10-25T00:00:00Z')).toBe('2026-10-25T00:30:00.000Z');
    expect(next(p, '2026-10-25T00:30:00Z')).toBe('2026-10-26T01:30:00.000Z');
    // New York: 09:00 is 14:00 UTC in winter and 13:00 UTC after the spring change.
    const ny = { crons: ['0 9 * * *'], time_zone: 'America/New_York' };
    expect(next(ny, '2026-03-07T15:00:00Z')).toBe('2026-03-08T13:00:00.000Z');
  });

  it('formats an instant as the zone’s wall clock', () => {
    expect(formatInZone(at('2026-12-08T02:15:00Z'), 'Europe/Berlin')).toBe(
      '2026-12-08T03:15:00+01:00',
    );
    expect(formatInZone(at('2026-07-08T02:15:00Z'), 'Europe/Berlin')).toBe(
      '2026-07-08T04:15:00+02:00',
    );
    expect(formatInZone(at('2026-07-08T02:15:00Z'), 'America/New_York')).toBe(
      '2026-07-07T22:15:00-04:00',
    );
    expect(formatInZone(at('2026-07-08T02:15:00Z'), 'Asia/Kolkata')).toBe(
      '2026-07-08T07:45:00+05:30',
    );
    expect(formatInZone(at('2026-07-08T02:15:00Z'), 'UTC')).toBe('2026-07-08T02:15:00Z');
  });
});

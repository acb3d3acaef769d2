/**
 * Nomad's cron dialect (hashicorp/cronexpr, a fork of gorhill/cronexpr) read with croner, and the
 * next launch of a periodic block. Pure: the time to start from is a parameter.
 *
 * cronexpr and croner count fields differently, so specs are rewritten to croner's 7 fields
 * (seconds, minutes, hours, day of month, month, day of week, year) first:
 * - 5 fields are cronexpr's `min hour dom month dow` (seconds 0, any year);
 * - 6 fields are `min hour dom month dow YEAR` in cronexpr (croner would read seconds first);
 * - 7 fields are `sec min hour dom month dow year` in both.
 * The `@` shorthands become the 7-field specs cronexpr replaces them with. Full month and day
 * names (`january`, `monday`) that cronexpr takes become croner's three-letter ones; `5/15`
 * (from 5, every 15) needs croner's `sloppyRanges`. Known differences that remain: a time that
 * a DST change skips runs at the first valid time after the gap in croner (Go's time.Date moves
 * it an hour later), and cronexpr's years stop at 2099.
 */
import { Cron } from 'croner';

const SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 * *',
  '@annually': '0 0 0 1 1 * *',
  '@monthly': '0 0 0 1 * * *',
  '@weekly': '0 0 0 * * 0 *',
  '@daily': '0 0 0 * * * *',
  '@hourly': '0 0 * * * * *',
};

const FIELD_NAMES = ['seconds', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week', 'year'];

const LONG_NAMES =
  /\b(january|february|march|april|june|july|august|september|october|november|december|sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b/gi;

/** A cron spec as croner's 7 fields, or why cronexpr would refuse it. */
export function toCronerPattern(spec: string): { pattern: string } | { problem: string } {
  const s = spec.trim();
  if (s.startsWith('@')) {
    const full = SHORTHANDS[s.toLowerCase()];
    return full
      ? { pattern: full }
      : {
          problem: `Unknown shorthand ${JSON.stringify(s)}: use @yearly, @annually, @monthly, @weekly, @daily or @hourly.`,
        };
  }
  const fields = s
    .replace(LONG_NAMES, (name) => name.slice(0, 3))
    .split(/\s+/)
    .filter(Boolean);
  if (fields.length < 5 || fields.length > 7) {
    return {
      problem: `A cron spec has 5 fields (minute hour day-of-month month day-of-week), 6 (and year) or 7 (seconds first); this one has ${fields.length}.`,
    };
  }
  const seven =
    fields.length === 5 ? ['0', ...fields, '*'] : fields.length === 6 ? ['0', ...fields] : fields;
  return { pattern: seven.join(' ') };
}

/** A parsed cron spec in a time zone; throws with croner's message when the spec is invalid. */
function compile(pattern: string, timeZone: string): Cron {
  return new Cron(pattern, {
    mode: '7-part',
    sloppyRanges: true,
    paused: true,
    ...(timeZone === 'UTC' || timeZone === 'Local' ? {} : { timezone: timeZone }),
    ...(timeZone === 'UTC' ? { utcOffset: 0 } : {}),
  });
}

/** Why a cron spec is not valid in Nomad's dialect, or undefined when it is. */
export function cronProblem(spec: string): string | undefined {
  const p = toCronerPattern(spec);
  if ('problem' in p) return p.problem;
  try {
    compile(p.pattern, 'UTC');
    return undefined;
  } catch (err) {
    // croner numbers its 7 fields; name the field instead, whatever form the spec was written in.
    return `${(err as Error).message
      .replace(/^CronPattern: /, '')
      .replace(
        /configuration entry (\d)/,
        (_m, n: string) => `the ${FIELD_NAMES[Number(n)]} field`,
      )}.`.replace(/\.\.$/, '.');
  }
}

/** Whether a time zone name is one Nomad accepts (an IANA name, `UTC` or `Local`). */
export function isTimeZone(tz: string): boolean {
  if (tz === 'Local' || tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface PeriodicSpec {
  cron?: string;
  crons?: string[];
  time_zone?: string;
  enabled?: boolean;
}

/** Every spec of a periodic block: `crons`, or the older single `cron`. */
export function cronSpecs(p: PeriodicSpec): string[] {
  return p.crons && p.crons.length > 0 ? [...p.crons] : p.cron ? [p.cron] : [];
}

/**
 * The first launch strictly after `from` over every spec (Nomad's PeriodicConfig.Next takes the
 * earliest of its crons); undefined when disabled or when no time matches (a year in the past).
 */
export function nextLaunch(p: PeriodicSpec, from: Date): Date | undefined {
  if (p.enabled === false) return undefined;
  const tz = p.time_zone ?? 'UTC';
  let best: Date | undefined;
  for (const spec of cronSpecs(p)) {
    // An invalid spec (validate reports it) gives no launch rather than an exception.
    if (cronProblem(spec) !== undefined || !isTimeZone(tz)) continue;
    const pattern = toCronerPattern(spec) as { pattern: string };
    const next = compile(pattern.pattern, tz).nextRun(from) ?? undefined;
    if (next && (!best || next < best)) best = next;
  }
  return best;
}

/** RFC 3339 text of an instant as the wall clock of a time zone shows it (`2026-12-08T03:00:00+01:00`). */
export function formatInZone(at: Date, timeZone: string): string {
  if (timeZone === 'UTC' || timeZone === 'Local') return at.toISOString().replace('.000Z', 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offset = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${hh}:${mm}`;
}

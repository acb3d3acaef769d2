/** Date and time functions over RFC 3339 timestamps; the clock comes from the scope. */
import { T } from '../types.js';
import { argError, fn, param, type HclFunction } from './spec.js';

/** An instant plus the UTC offset (minutes) it was written with, which output keeps. */
export interface Timestamp {
  ms: number;
  offset: number;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export function parseTimestamp(s: string): Timestamp | string {
  const m = RFC3339.exec(s);
  if (!m) {
    if (!/^\d{4}-\d{2}-\d{2}/.test(s))
      return 'not a valid RFC3339 timestamp: cannot use this as year, month and day';
    if (!/^.{10}[Tt]/.test(s))
      return "not a valid RFC3339 timestamp: missing required time introducer 'T'";
    return 'not a valid RFC3339 timestamp';
  }
  const [, y, mo, d, h, mi, sec, frac, z, sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return `not a valid RFC3339 timestamp: cannot use "${mo}" as month`;
  const dim = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day < 1 || day > dim)
    return `not a valid RFC3339 timestamp: cannot use "${d}" as day of month`;
  if (Number(h) > 23) return `not a valid RFC3339 timestamp: cannot use "${h}" as hour`;
  if (Number(mi) > 59) return `not a valid RFC3339 timestamp: cannot use "${mi}" as minute`;
  if (Number(sec) > 59) return `not a valid RFC3339 timestamp: cannot use "${sec}" as second`;
  const offset =
    z === 'Z' || z === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const ms =
    Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(sec)) +
    Math.floor(Number(frac ?? '0') * 1000) -
    offset * 60_000;
  return { ms, offset };
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

function offsetString(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** The wall-clock fields of a timestamp in its own offset. */
function fields(t: Timestamp): Date {
  return new Date(t.ms + t.offset * 60_000);
}

/** RFC 3339 without fractional seconds, "Z" for UTC (Go's time.RFC3339 layout). */
export function formatRfc3339(t: Timestamp): string {
  const f = fields(t);
  const date = `${pad(f.getUTCFullYear(), 4)}-${pad(f.getUTCMonth() + 1)}-${pad(f.getUTCDate())}`;
  const time = `${pad(f.getUTCHours())}:${pad(f.getUTCMinutes())}:${pad(f.getUTCSeconds())}`;
  return `${date}T${time}${t.offset === 0 ? 'Z' : offsetString(t.offset, true)}`;
}

/** English month and weekday names, as Go's time package writes them. */
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** cty's formatdate mnemonics (YYYY, MM, DD, hh, mm, ss, EEE, ZZZZZ, 'literal' …). */
export function formatDate(format: string, t: Timestamp): string | { error: string } {
  const f = fields(t);
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "'") {
      if (format[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      let lit = '';
      for (; j < format.length; j++) {
        if (format[j] === "'") {
          if (format[j + 1] === "'") {
            lit += "'";
            j++;
            continue;
          }
          break;
        }
        lit += format[j];
      }
      if (j >= format.length) return { error: "unterminated literal '" };
      out += lit;
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    while (format[j] === c) j++;
    const tok = format.slice(i, j);
    const n = tok.length;
    i = j;
    const bad = (what: string) => ({ error: `invalid date format verb "${tok}": ${what}` });
    const hour12 = f.getUTCHours() % 12 || 12;
    switch (c) {
      case 'Y':
        if (n === 2) out += pad(f.getUTCFullYear() % 100);
        else if (n === 4) out += pad(f.getUTCFullYear(), 4);
        else return bad('year must either be "YY" or "YYYY"');
        break;
      case 'M': {
        const m = f.getUTCMonth();
        if (n === 1) out += String(m + 1);
        else if (n === 2) out += pad(m + 1);
        else if (n === 3) out += MONTHS[m]!.slice(0, 3);
        else if (n === 4) out += MONTHS[m]!;
        else return bad('month must be "M", "MM", "MMM", or "MMMM"');
        break;
      }
      case 'D':
        if (n === 1) out += String(f.getUTCDate());
        else if (n === 2) out += pad(f.getUTCDate());
        else return bad('day of month must either be "D" or "DD"');
        break;
      case 'E':
        if (n === 3) out += DAYS[f.getUTCDay()]!.slice(0, 3);
        else if (n === 4) out += DAYS[f.getUTCDay()]!;
        else return bad('day of week must either be "EEE" or "EEEE"');
        break;
      case 'h':
        if (n === 1) out += String(f.getUTCHours());
        else if (n === 2) out += pad(f.getUTCHours());
        else return bad('24-hour must either be "h" or "hh"');
        break;
      case 'H':
        if (n === 1) out += String(hour12);
        else if (n === 2) out += pad(hour12);
        else return bad('12-hour must either be "H" or "HH"');
        break;
      case 'A':
      case 'a': {
        if (n !== 2) return bad(`must be "${c}${c}"`);
        const pm = f.getUTCHours() >= 12;
        out += c === 'A' ? (pm ? 'PM' : 'AM') : pm ? 'pm' : 'am';
        break;
      }
      case 'm':
        if (n === 1) out += String(f.getUTCMinutes());
        else if (n === 2) out += pad(f.getUTCMinutes());
        else return bad('minute must either be "m" or "mm"');
        break;
      case 's':
        if (n === 1) out += String(f.getUTCSeconds());
        else if (n === 2) out += pad(f.getUTCSeconds());
        else return bad('second must either be "s" or "ss"');
        break;
      case 'Z':
        if (n === 1) out += t.offset === 0 ? 'Z' : offsetString(t.offset, true);
        else if (n === 3) out += t.offset === 0 ? 'UTC' : offsetString(t.offset, false);
        else if (n === 4) out += offsetString(t.offset, false);
        else if (n === 5) out += offsetString(t.offset, true);
        else return bad('timezone must be Z, ZZZZ, or ZZZZZ');
        break;
      default:
        return { error: `invalid date format verb "${tok}"` };
    }
  }
  return out;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds. */
export function parseDuration(s: string): number | string {
  const m = /^([-+]?)(.*)$/.exec(s)!;
  const body = m[2] ?? '';
  if (body === '0') return 0;
  if (body === '') return `time: invalid duration "${s}"`;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const part = re.exec(body);
    if (!part) {
      return /^[\d.]+$/.test(body.slice(pos))
        ? `time: missing unit in duration "${s}"`
        : `time: invalid duration "${s}"`;
    }
    total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
    pos = re.lastIndex;
  }
  return m[1] === '-' ? -total : total;
}

export const datetimeFunctions: Record<string, HclFunction> = {
  timestamp: fn([], (_args, ctx) => formatRfc3339({ ms: ctx.scope.now().getTime(), offset: 0 })),
  formatdate: fn([param('format', T.string), param('time', T.string)], ([f, ts]) => {
    const t = parseTimestamp(ts as string);
    if (typeof t === 'string') return argError(1, t);
    const r = formatDate(f as string, t);
    return typeof r === 'string' ? r : argError(0, r.error);
  }),
  timeadd: fn([param('timestamp', T.string), param('duration', T.string)], ([ts, d]) => {
    const t = parseTimestamp(ts as string);
    if (typeof t === 'string') return argError(0, t);
    const ms = parseDuration(d as string);
    if (typeof ms === 'string') return argError(1, ms);
    return formatRfc3339({ ms: t.ms + Math.trunc(ms), offset: t.offset });
  }),
  timecmp: fn([param('timestamp_a', T.string), param('timestamp_b', T.string)], ([a, b]) => {
    const ta = parseTimestamp(a as string);
    if (typeof ta === 'string') return argError(0, ta);
    const tb = parseTimestamp(b as string);
    if (typeof tb === 'string') return argError(1, tb);
    return Math.sign(ta.ms - tb.ms);
  }),
};

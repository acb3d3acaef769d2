/**
 * Go's `time.Duration` syntax, which Nomad uses for every duration in a jobspec: a sequence of
 * decimal numbers with units ("300ms", "1.5h", "2h45m", "-1m30s"), or "0". Nomad also accepts a
 * number, read as nanoseconds.
 */

export const NANOSECOND = 1;
export const MICROSECOND = 1e3;
export const MILLISECOND = 1e6;
export const SECOND = 1e9;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const UNITS: ReadonlyMap<string, number> = new Map([
  ['ns', NANOSECOND],
  ['us', MICROSECOND],
  ['\u00b5s', MICROSECOND], // MICRO SIGN
  ['\u03bcs', MICROSECOND], // GREEK SMALL LETTER MU
  ['ms', MILLISECOND],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

/** Just past the largest duration Go can hold (int64 nanoseconds), about 292 years. */
const NANOS_LIMIT = 2 ** 63;

export type DurationResult = { ok: true; nanos: number } | { ok: false; error: string };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Results by text: jobs repeat a handful of durations ("30s", "5m") in every block. */
const parsed = new Map<string, DurationResult>();
/** Enough for every distinct duration of a large run; past it the cache starts over. */
const PARSED_LIMIT = 4096;

/**
 * Parses a duration the way Go's `time.ParseDuration` does, with its error wording
 * (`time: unknown unit "d" in duration "1d"`). The result is in nanoseconds; it is shared
 * between calls with the same text, so callers must not modify it.
 */
export function parseDuration(text: string): DurationResult {
  let r = parsed.get(text);
  if (r === undefined) {
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    r = parseGoDuration(text);
    parsed.set(text, r);
  }
  return r;
}

function parseGoDuration(text: string): DurationResult {
  // Hot (every duration of every job): build error texts only when there is an error.
  const quoted = (): string => JSON.stringify(text);
  const invalid = (): DurationResult => ({
    ok: false,
    error: `time: invalid duration ${quoted()}`,
  });
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  // A bare zero needs no unit; every other number does.
  if (s === '0') return { ok: true, nanos: 0 };
  if (s === '') return invalid();
  let total = 0;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid();
    let i = 0;
    while (isDigit(s[i])) i++;
    const whole = s.slice(0, i);
    let fraction = '';
    if (s[i] === '.') {
      let j = i + 1;
      while (isDigit(s[j])) j++;
      fraction = s.slice(i + 1, j);
      i = j;
    }
    if (whole === '' && fraction === '') return invalid();
    s = s.slice(i);
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) return { ok: false, error: `time: missing unit in duration ${quoted()}` };
    const unitName = s.slice(0, u);
    const unit = UNITS.get(unitName);
    if (unit === undefined) {
      return {
        ok: false,
        error: `time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted()}`,
      };
    }
    s = s.slice(u);
    const value = Number(whole || '0') * unit + (fraction ? Number(`0.${fraction}`) * unit : 0);
    total += value;
    if (total >= NANOS_LIMIT) return invalid();
  }
  return { ok: true, nanos: negative ? -total : total };
}

/**
 * The value of a duration attribute in nanoseconds: a Go duration string or a number of
 * nanoseconds. Undefined when absent or unparseable (the schema and rules report those).
 */
export function durationNanos(value: string | number | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  const r = parseDuration(value);
  return r.ok ? r.nanos : undefined;
}

/** Formats nanoseconds the way Go's `Duration.String` does: "1h30m0s", "1.5s", "300ms", "0s". */
export function formatDuration(nanos: number): string {
  let n = BigInt(Math.round(nanos));
  if (n === 0n) return '0s';
  const sign = n < 0n ? '-' : '';
  if (n < 0n) n = -n;
  if (n < 1_000_000_000n) {
    if (n < 1000n) return `${sign}${n}ns`;
    if (n < 1_000_000n) return `${sign}${fraction(n, 3)}\u00b5s`;
    return `${sign}${fraction(n, 6)}ms`;
  }
  const hours = n / 3_600_000_000_000n;
  const minutes = (n / 60_000_000_000n) % 60n;
  const seconds = fraction(n % 60_000_000_000n, 9);
  let out = `${seconds}s`;
  if (hours > 0n || minutes > 0n) out = `${minutes}m${out}`;
  if (hours > 0n) out = `${hours}h${out}`;
  return sign + out;
}

/** `value / 10^digits` printed with the trailing zeros of the fraction removed. */
function fraction(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const rest = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return rest ? `${whole}.${rest}` : `${whole}`;
}

/**
 * Formats milliseconds (a normalized job's durations) as the Go duration text people write:
 * Go's form without its zero trailing units, so 300000 → "5m" (not "5m0s"), 5400000 → "1h30m",
 * 90000 → "1m30s", 0 → "0s".
 */
export function formatMs(ms: number): string {
  const text = formatDuration(ms * MILLISECOND);
  return /[hm]/.test(text) ? text.replace(/(?<=[hm])0s$/, '').replace(/(?<=h)0m$/, '') : text;
}

/**
 * `format` and `formatlist`: cty's printf. Verbs %v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q %%,
 * flags (space, +, -, #, 0), width, precision and explicit `[n]` argument indexes. Numbers
 * follow Go's fmt (so `%v` of 1000000 is "1e+06", as in Nomad).
 */
import { isPrimitive, T, toBoolValue, toNumberValue, toStringValue } from '../types.js';
import type { Value } from '../value.js';
import { argError, callError, FuncError, fn, param, type HclFunction } from './spec.js';
import { graphemeCount, graphemes } from './text.js';
import { encodeJson } from './encoding.js';

interface Verb {
  raw: string;
  offset: number;
  argNum: number;
  mode: string;
  zero: boolean;
  sharp: boolean;
  plus: boolean;
  minus: boolean;
  space: boolean;
  width: number; // -1: none
  prec: number; // -1: none
}

const VERB_RE = /%([ +\-#0]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?(?:\[(\d+)\])?([a-zA-Z%])?/y;

/** Formats like cty's `format`; a string on success, an error message otherwise. */
export function formatString(fmt: string, args: Value[]): string | FuncError {
  let out = '';
  let next = 1;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    VERB_RE.lastIndex = pct;
    const m = VERB_RE.exec(fmt);
    const [raw = '%', flags = '', idx1, width, prec, idx2, mode] = m ?? [];
    if (!m || mode === undefined) {
      return callError(`invalid format string starting at offset ${pct}`);
    }
    i = pct + raw.length;
    if (mode === '%' && raw === '%%') {
      out += '%';
      continue;
    }
    if (prec === '') return callError(`a period in "${raw}" must be followed by a precision`);
    const explicit = idx1 ?? idx2;
    const argNum = explicit !== undefined ? Number(explicit) : next;
    next = argNum + 1;
    const verb: Verb = {
      raw,
      offset: pct,
      argNum,
      mode,
      zero: flags.includes('0'),
      sharp: flags.includes('#'),
      plus: flags.includes('+'),
      minus: flags.includes('-'),
      space: flags.includes(' '),
      width: width === undefined ? -1 : Number(width),
      prec: prec === undefined ? -1 : Number(prec),
    };
    const r = formatOne(verb, args);
    if (r instanceof FuncError) return r;
    out += r;
  }
  return out;
}

function formatOne(verb: Verb, args: Value[]): string | FuncError {
  const arg = args[verb.argNum - 1];
  if (arg === undefined) {
    return callError(
      `not enough arguments for "${verb.raw}" at ${verb.offset}: need index ${verb.argNum} but have ${args.length} total`,
    );
  }
  const unsupported = (why: string) =>
    callError(`unsupported value for "${verb.raw}" at ${verb.offset}: ${why}`);
  if (verb.mode !== 'v' && arg === null) return unsupported('null value cannot be formatted');
  switch (verb.mode) {
    case 'v':
      if (!verb.sharp && typeof arg === 'string') return pad(verb, arg);
      if (!verb.sharp && typeof arg === 'number') return pad(verb, goFloat(arg, 'g', -1));
      return pad(verb, encodeJson(arg));
    case 't': {
      const b = toBoolValue(arg);
      return b === undefined ? unsupported('a bool is required') : pad(verb, String(b));
    }
    case 'b':
    case 'd':
    case 'o':
    case 'x':
    case 'X':
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      const n = isPrimitive(arg) ? toNumberValue(arg) : undefined;
      if (n === undefined) return unsupported('a number is required');
      if ('bdoxX'.includes(verb.mode)) {
        if (!Number.isInteger(n)) return unsupported('an integer is required');
        return formatInteger(verb, n);
      }
      return padNumber(verb, n < 0 || Object.is(n, -0), goFloat(Math.abs(n), verb.mode, verb.prec));
    }
    case 's':
    case 'q': {
      let s = isPrimitive(arg) ? toStringValue(arg) : undefined;
      if (s === undefined) return unsupported('string required');
      if (verb.prec > 0) s = graphemes(s).slice(0, verb.prec).join('');
      return pad(verb, verb.mode === 'q' ? encodeJson(s) : s);
    }
    default:
      return callError(
        `unsupported format verb "${verb.mode}" in "${verb.raw}" at offset ${verb.offset}`,
      );
  }
}

function pad(verb: Verb, s: string): string {
  if (verb.width < 0) return s;
  const n = verb.width - graphemeCount(s);
  if (n <= 0) return s;
  const padding = (verb.zero && !verb.minus ? '0' : ' ').repeat(n);
  return verb.minus ? s + padding : padding + s;
}

/** Go's sign, zero-padding and justification for a formatted magnitude. */
function padNumber(verb: Verb, negative: boolean, magnitude: string): string {
  const sign = negative ? '-' : verb.plus ? '+' : verb.space ? ' ' : '';
  const len = sign.length + magnitude.length;
  if (verb.width <= len) return sign + magnitude;
  const n = verb.width - len;
  if (verb.minus) return sign + magnitude + ' '.repeat(n);
  if (verb.zero) return sign + '0'.repeat(n) + magnitude;
  return ' '.repeat(n) + sign + magnitude;
}

function formatInteger(verb: Verb, n: number): string {
  const radix = { b: 2, d: 10, o: 8, x: 16, X: 16 }[verb.mode] ?? 10;
  let digits = BigInt(Math.abs(n)).toString(radix);
  if (verb.mode === 'X') digits = digits.toUpperCase();
  if (verb.prec >= 0 && digits.length < verb.prec)
    digits = '0'.repeat(verb.prec - digits.length) + digits;
  if (verb.sharp) {
    const prefix = { b: '0b', o: '0', x: '0x', X: '0X', d: '' }[verb.mode] ?? '';
    digits = prefix + digits;
  }
  return padNumber(verb, n < 0, digits);
}

/** Decimal digits (no trailing zeros) and decimal-point position of a non-negative number. */
function decimalDigits(n: number, significant: number): { digits: string; dp: number } {
  if (n === 0) return { digits: '0', dp: 1 };
  const e = significant > 0 ? n.toExponential(significant - 1) : n.toExponential();
  const [mant = '0', exp = '0'] = e.split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, dp: Number(exp) + 1 };
}

function fmtE(digits: string, dp: number, prec: number, e: string): string {
  let s = digits[0] ?? '0';
  if (prec > 0) s += '.' + digits.slice(1, 1 + prec).padEnd(prec, '0');
  const exp = digits === '0' ? 0 : dp - 1;
  const abs = String(Math.abs(exp)).padStart(2, '0');
  return `${s}${e}${exp < 0 ? '-' : '+'}${abs}`;
}

function fmtF(digits: string, dp: number, prec: number): string {
  const int = dp > 0 ? digits.slice(0, dp).padEnd(dp, '0') : '0';
  if (prec <= 0) return int;
  let frac = '';
  for (let i = 0; i < prec; i++) {
    const at = dp + i;
    frac += at >= 0 && at < digits.length ? digits[at] : '0';
  }
  return `${int}.${frac}`;
}

/** Go's strconv float formatting of a non-negative number for 'e', 'f' and 'g' verbs. */
export function goFloat(n: number, mode: string, prec: number): string {
  const lower = mode.toLowerCase();
  const e = mode === mode.toUpperCase() && mode !== 'F' ? 'E' : 'e';
  if (lower === 'f') {
    const p = prec < 0 ? 6 : prec;
    if (n < 1e21) return n.toFixed(p);
    const { digits, dp } = decimalDigits(n, 0);
    return fmtF(digits, dp, p);
  }
  if (lower === 'e') {
    const p = prec < 0 ? 6 : prec;
    const { digits, dp } = decimalDigits(n, p + 1);
    return fmtE(digits, dp, p, e);
  }
  // 'g': shortest representation when no precision is given
  const shortest = prec < 0;
  let p = shortest ? 0 : prec === 0 ? 1 : prec;
  const { digits, dp } = decimalDigits(n, shortest ? 0 : p);
  if (shortest) p = digits.length;
  let eprec = p;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  if (exp < -4 || exp >= eprec) return fmtE(digits, dp, Math.min(p, digits.length) - 1, e);
  return fmtF(digits, dp, Math.max((p > dp ? digits.length : p) - dp, 0));
}

export const formatFunctions: Record<string, HclFunction> = {
  format: fn(
    [param('format', T.string)],
    ([f, ...args]) => formatString(f as string, args),
    param('args', T.any, true),
  ),
  formatlist: fn(
    [param('format', T.string)],
    ([f, ...args]) => {
      let len = -1;
      let chooser = -1;
      for (const [i, a] of args.entries()) {
        if (!Array.isArray(a)) continue;
        if (len === -1) {
          len = a.length;
          chooser = i;
        } else if (a.length !== len) {
          return argError(
            i + 1,
            `argument ${i + 1} has length ${a.length}, which is inconsistent with argument ${chooser + 1} of length ${len}`,
          );
        }
      }
      const out: Value[] = [];
      for (let it = 0; it < Math.max(len, len === -1 ? 1 : 0); it++) {
        const row = args.map((a) => (Array.isArray(a) ? a[it]! : a));
        const s = formatString(f as string, row);
        if (s instanceof FuncError)
          return callError(`error on format iteration ${it}: ${s.message}`);
        out.push(s);
      }
      return out;
    },
    param('args', T.any, true),
  ),
};

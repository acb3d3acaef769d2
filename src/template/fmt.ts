/**
 * Go's fmt for template values: Sprint, Sprintln and Sprintf with Go's verbs, flags, widths and
 * precisions, and its way of printing floats, slices, maps and structs.
 */
import { descriptor, isMap, isStruct, mapKeys, typeName, type Value } from './values.js';

/** strconv.Quote: Go's double-quoted form. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    out += quoteChar(ch, '"', asciiOnly);
  }
  return `${out}"`;
}

function quoteChar(ch: string, q: string, asciiOnly: boolean): string {
  const cp = ch.codePointAt(0)!;
  if (ch === q || ch === '\\') return `\\${ch}`;
  if (isPrintable(ch) && (!asciiOnly || cp < 0x80)) return ch;
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
  };
  if (named[ch]) return named[ch];
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(ch: string): boolean {
  return ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

/** strconv.QuoteRune (QuoteRuneToASCII when asciiOnly). */
export function goQuoteRune(ch: string, asciiOnly = false): string {
  return `'${quoteChar(ch, "'", asciiOnly)}'`;
}

/**
 * The decimal digits of |v| (no trailing zeros) and the position of the decimal point, rounded to
 * `prec` significant digits, or the shortest digits that read back as v when prec < 0 (strconv's
 * decimal after Round, digs.d / digs.dp).
 */
function decimalDigits(av: number, prec: number): { d: string; dp: number } {
  if (av === 0) return { d: '', dp: 0 };
  const s = prec < 0 ? av.toExponential() : av.toExponential(Math.min(Math.max(prec - 1, 0), 100));
  const [mant, e] = s.split('e') as [string, string];
  const d = mant.replace('.', '').replace(/0+$/, '');
  return { d, dp: Number(e) + 1 };
}

function expSuffix(exp: number, e: string): string {
  const sign = exp < 0 ? '-' : '+';
  return `${e}${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** strconv's %e: d.ddd…e±XX with `prec` digits after the point. */
function fmtE(d: string, dp: number, prec: number, e: string): string {
  const digits = (d || '0').padEnd(prec + 1, '0');
  const frac = digits.slice(1, prec + 1);
  const exp = d === '' ? 0 : dp - 1;
  return `${digits[0]}${prec > 0 ? `.${frac}` : ''}${expSuffix(exp, e)}`;
}

/** strconv's %f: the digits placed around the decimal point, `prec` digits after it. */
function fmtF(d: string, dp: number, prec: number): string {
  const int = dp > 0 ? d.slice(0, dp).padEnd(dp, '0') : '0';
  let frac = '';
  for (let i = 0; i < prec; i++) {
    const j = dp + i;
    frac += j >= 0 && j < d.length ? d[j] : '0';
  }
  return prec > 0 ? `${int}.${frac}` : int;
}

/** |v| * 10^f rounded to an integer as Go does: exact halves go to the even neighbour. */
function fixedDigits(av: number, f: number): string {
  const s = av.toFixed(f);
  // JavaScript rounds an exact half up; Go (strconv) rounds it to even.
  const [m, e2] = exactBinary(av);
  const scaled = e2 >= 0 ? m * 2n ** BigInt(e2) * 10n ** BigInt(f) : m * 10n ** BigInt(f);
  const denom = e2 >= 0 ? 1n : 2n ** BigInt(-e2);
  if ((2n * scaled) % (2n * denom) === denom) {
    const down = scaled / denom;
    const n = down % 2n === 0n ? down : down + 1n;
    const digits = n.toString().padStart(f + 1, '0');
    return f > 0 ? `${digits.slice(0, -f)}.${digits.slice(-f)}` : digits;
  }
  return s;
}

/** v = m * 2^e exactly, for a finite double. */
function exactBinary(v: number): [bigint, number] {
  if (v === 0) return [0n, 0];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, v);
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? [frac, -1074] : [frac | (1n << 52n), exp - 1075];
}

/** strconv.FormatFloat(|v|, verb, prec, 64) for 'e', 'E', 'f', 'F', 'g', 'G'. */
export function formatFloatAbs(v: number, verb: string, prec: number): string {
  const av = Math.abs(v);
  if (Number.isNaN(av)) return 'NaN';
  if (!Number.isFinite(av)) return 'Inf';
  const e = verb === 'E' || verb === 'G' ? 'E' : 'e';
  const shortest = prec < 0;
  switch (verb) {
    case 'e':
    case 'E': {
      const { d, dp } = decimalDigits(av, shortest ? -1 : prec + 1);
      return fmtE(d, dp, shortest ? Math.max(d.length - 1, 0) : prec, e);
    }
    case 'f':
    case 'F': {
      if (!shortest) return fixedDigits(av, Math.min(prec, 100));
      const { d, dp } = decimalDigits(av, -1);
      return fmtF(d, dp, Math.max(d.length - dp, 0));
    }
    default: {
      let p = prec === 0 ? 1 : prec;
      const { d, dp } = decimalDigits(av, shortest ? -1 : p);
      if (shortest) p = d.length;
      let eprec = p;
      if (eprec > d.length && d.length >= dp) eprec = d.length;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (d !== '' && (exp < -4 || exp >= eprec)) {
        return fmtE(d, dp, Math.min(p, d.length) - 1, e);
      }
      if (p > dp) p = d.length;
      return fmtF(d, dp, Math.max(p - dp, 0));
    }
  }
}

/** fmt's '#' flag on floats: keep a decimal point, and for %g pad to the precision (default 6). */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = verb === 'g' || verb === 'G' || verb === 'v' ? (prec < 0 ? 6 : prec) : 0;
  const cut = num.search(/[eE]/);
  const tail = cut >= 0 ? num.slice(cut) : '';
  let mant = cut >= 0 ? num.slice(0, cut) : num;
  let sawNonzero = false;
  for (const c of mant) {
    if (c >= '0' && c <= '9') {
      if (c !== '0') sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!mant.includes('.')) {
    // A lone leading 0 counts once.
    if (mant === '0') digits--;
    mant += '.';
  }
  if (verb === 'g' || verb === 'G' || verb === 'v') mant += '0'.repeat(Math.max(digits, 0));
  return mant + tail;
}

/** %v of a float64: strconv 'g' with the shortest digits. */
export function formatFloat(v: number): string {
  const s = formatFloatAbs(v, 'g', -1);
  if (Number.isNaN(v)) return 'NaN';
  return v < 0 || Object.is(v, -0) ? `-${s}` : Number.isFinite(v) ? s : `+${s}`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
  /** %+v: struct field names. */
  plusV: boolean;
  /** %#v: Go syntax. */
  sharpV: boolean;
}

const PLAIN: Spec = {
  minus: false,
  plus: false,
  sharp: false,
  space: false,
  zero: false,
  width: undefined,
  prec: undefined,
  plusV: false,
  sharpV: false,
};

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatV(a, PLAIN);
  });
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: Value[]): string {
  return `${args.map((a) => formatV(a, PLAIN)).join(' ')}\n`;
}

/** How the template prints a pipeline's value (text/template printValue). */
export function printValue(v: Value): string {
  if (v === undefined) return '<no value>';
  return formatV(v, PLAIN);
}

/**
 * Pad to the width: spaces, or with the 0 flag zeros on the left ('sign': after a number's sign,
 * as Go pads floats; 'none': never, as for %c, %U and numbers that zero-pad by precision).
 */
function pad(s: string, spec: Spec, zeros: 'left' | 'sign' | 'none' = 'left'): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - len);
  if (!spec.zero || zeros === 'none') return ' '.repeat(width - len) + s;
  const sign = zeros === 'sign' && /^[+\- ]/.test(s) ? s[0]! : '';
  return sign + '0'.repeat(width - len) + s.slice(sign.length);
}

function badVerb(verb: string, v: Value): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatV(v, PLAIN)})`;
}

function withSign(s: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

/** A valid Unicode scalar value, or U+FFFD as Go's fmt substitutes. */
function runeOf(n: bigint): string {
  const cp = n < 0n || n > 0x10ffffn || (n >= 0xd800n && n < 0xe000n) ? 0xfffd : Number(n);
  return String.fromCodePoint(cp);
}

function formatInt(n: bigint, verb: string, specIn: Spec): string {
  const neg = n < 0n;
  const spec = { ...specIn };
  // Go zero-pads an integer as a precision of the width, before any 0x prefix.
  if (
    spec.zero &&
    spec.width !== undefined &&
    spec.prec === undefined &&
    !spec.minus &&
    !'cqU'.includes(verb)
  ) {
    spec.prec = spec.width - (neg || spec.plus || spec.space ? 1 : 0);
    spec.zero = false;
  }
  const abs = neg ? -n : n;
  let digits: string;
  switch (verb) {
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
    case 'O':
      digits = abs.toString(8);
      break;
    case 'x':
      digits = abs.toString(16);
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      break;
    case 'c':
      return pad(runeOf(n), spec, 'none');
    case 'q':
      if (n < 0n || n > 0x10ffffn) return badVerb(verb, n);
      return pad(goQuoteRune(runeOf(n), spec.plus), spec);
    case 'U': {
      const hex = BigInt.asUintN(64, n)
        .toString(16)
        .toUpperCase()
        .padStart(Math.max(spec.prec ?? 4, 4), '0');
      const u = `U+${hex}`;
      const printable = n >= 0n && n <= 0x10ffffn && isPrintable(runeOf(n));
      return pad(spec.sharp && printable ? `${u} '${runeOf(n)}'` : u, spec, 'none');
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return badVerb(verb, n);
    default:
      digits = abs.toString(10);
  }
  if (spec.prec !== undefined) {
    digits = spec.prec === 0 && abs === 0n ? '' : digits.padStart(spec.prec, '0');
  }
  if (spec.sharp) {
    if (verb === 'x') digits = `0x${digits}`;
    else if (verb === 'X') digits = `0X${digits}`;
    else if (verb === 'o' && !digits.startsWith('0')) digits = `0${digits}`;
    else if (verb === 'b') digits = `0b${digits}`;
  }
  if (verb === 'O') digits = `0o${digits}`;
  return pad(withSign(digits, neg, spec), spec, 'none');
}

function formatFloatVerb(v: number, verb: string, spec: Spec): string {
  if (!'eEfFgGvxX'.includes(verb)) return badVerb(verb, v);
  if (verb === 'x' || verb === 'X') return badVerb(verb, v);
  const g = verb === 'v' ? 'g' : verb;
  const prec = spec.prec ?? (g === 'g' || g === 'G' ? -1 : 6);
  const plain = formatFloatAbs(v, g, prec);
  const sharp = spec.sharp && Number.isFinite(v);
  const body = sharp ? sharpFloat(plain, g, spec.prec ?? -1) : plain;
  const neg = v < 0 || Object.is(v, -0);
  if (!Number.isFinite(v) && !Number.isNaN(v)) {
    return pad(neg ? `-${body}` : spec.space ? ` ${body}` : `+${body}`, spec, 'none');
  }
  return pad(withSign(body, neg, spec), spec, Number.isFinite(v) ? 'sign' : 'none');
}

function hexString(s: string, verb: string, spec: Spec): string {
  const all = new TextEncoder().encode(s);
  const bytes = spec.prec === undefined ? all : all.slice(0, spec.prec);
  if (bytes.length === 0) return '';
  const parts = [...bytes].map((b) => {
    const h = b.toString(16).padStart(2, '0');
    return verb === 'X' ? h.toUpperCase() : h;
  });
  const prefix = spec.sharp ? (verb === 'X' ? '0X' : '0x') : '';
  if (spec.space) return parts.map((p) => prefix + p).join(' ');
  return prefix + parts.join('');
}

/** strconv.CanBackquote: no backquote and no control characters but tab. */
function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff || cp === 0x7f || (cp < 0x20 && ch !== '\t')) return false;
  }
  return true;
}

function formatString(s: string, verb: string, spec: Spec): string {
  let str = s;
  if (spec.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q'))
    str = [...s].slice(0, spec.prec).join('');
  switch (verb) {
    case 'v':
      if (spec.sharpV) return pad(goQuote(str), spec);
      return pad(str, spec);
    case 's':
      return pad(str, spec);
    case 'q':
      return pad(spec.sharp && canBackquote(str) ? `\`${str}\`` : goQuote(str, spec.plus), spec);
    case 'x':
    case 'X':
      return pad(hexString(str, verb, spec), spec);
    default:
      return badVerb(verb, s);
  }
}

/** One operand under one verb. */
function formatVerb(v: Value, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(typeName(v), spec);
  if (v === undefined || v === null) {
    return verb === 'v' ? pad('<nil>', spec) : badVerb(verb, v);
  }
  const d = descriptor(v);
  if (d?.string && 'vsq'.includes(verb) && !spec.sharpV)
    return formatString(d.string(), verb === 'v' ? 's' : verb, spec);
  switch (typeof v) {
    case 'boolean':
      return verb === 'v' || verb === 't' ? pad(String(v), spec) : badVerb(verb, v);
    case 'bigint':
      return verb === 'v' || 'bdoOxXcqU'.includes(verb)
        ? formatInt(v, verb, spec)
        : badVerb(verb, v);
    case 'number':
      return formatFloatVerb(v, verb, spec);
    case 'string':
      return formatString(v, verb, spec);
    case 'function':
      return verb === 'v' ? pad('0xfunc', spec) : badVerb(verb, v);
  }
  // Composite values pass the verb and its flags to every element, as Go's printValue does.
  if (Array.isArray(v)) {
    const inner = v.map((e) => formatVerb(e, verb, spec));
    return spec.sharpV ? `[]interface {}{${inner.join(', ')}}` : `[${inner.join(' ')}]`;
  }
  if (isStruct(v)) {
    const fields = Object.keys(v).map((k) => {
      const f = formatVerb(v[k], verb, spec);
      return spec.plusV || spec.sharpV ? `${k}:${f}` : f;
    });
    return `{${fields.join(spec.sharpV ? ', ' : ' ')}}`;
  }
  if (isMap(v)) {
    const entries = mapKeys(v).map(
      (k) => `${formatVerb(k, verb, spec)}:${formatVerb(v[k], verb, spec)}`,
    );
    return spec.sharpV
      ? `map[string]interface {}{${entries.join(', ')}}`
      : `map[${entries.join(' ')}]`;
  }
  return badVerb(verb, v);
}

function formatV(v: Value, spec: Spec): string {
  return formatVerb(v, 'v', spec);
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { ...PLAIN };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const num = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        if (typeof a === 'bigint') return Number(a);
        out += '%!(BADWIDTH)';
        return undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = num();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = num() ?? 0;
    }
    if (spec.minus) spec.zero = false;
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v') {
      // %+v and %#v: the flags select field names and Go syntax, not a sign or a prefix.
      spec.plusV = spec.plus;
      spec.sharpV = spec.sharp;
      spec.plus = false;
      spec.sharp = false;
    }
    out += formatVerb(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatV(a, PLAIN)}`))
      .join(', ')})`;
  }
  return out;
}

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
  if (cp === 0xfffd) return '\\ufffd';
  const printable = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch) || ch === ' ';
  if (printable && (!asciiOnly || cp < 0x80)) return ch;
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

/** strconv.QuoteRune. */
export function goQuoteRune(cp: number): string {
  const ch = cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ? '\ufffd' : String.fromCodePoint(cp);
  return `'${quoteChar(ch, "'", false)}'`;
}

/** Digits and decimal exponent of |v| rounded to `prec` significant digits (shortest if < 0). */
function decimalDigits(v: number, prec: number): { digits: string; exp: number } {
  const s =
    prec < 0 ? Math.abs(v).toExponential() : Math.abs(v).toExponential(Math.max(prec - 1, 0));
  const [mant, e] = s.split('e') as [string, string];
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

function expSuffix(exp: number, e: string): string {
  const sign = exp < 0 ? '-' : '+';
  return `${e}${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** strconv.FormatFloat(v, fmt, prec, 64) for 'e', 'E', 'f', 'F', 'g', 'G'; no sign handling. */
export function formatFloatAbs(v: number, verb: string, prec: number, sharp = false): string {
  const av = Math.abs(v);
  if (!Number.isFinite(av)) return Number.isNaN(av) ? 'NaN' : 'Inf';
  const e = verb === 'E' || verb === 'G' ? 'E' : 'e';
  switch (verb) {
    case 'e':
    case 'E': {
      const { digits, exp } =
        av === 0
          ? { digits: '0'.repeat(Math.max(prec, 0) + 1), exp: 0 }
          : decimalDigits(av, prec < 0 ? -1 : prec + 1);
      const frac = digits.slice(1);
      const point = frac.length > 0 || sharp ? '.' : '';
      return `${digits[0]}${point}${frac}${expSuffix(exp, e)}`;
    }
    case 'f':
    case 'F': {
      if (prec < 0) {
        if (av === 0) return '0';
        const { digits, exp } = decimalDigits(av, -1);
        return placeDigits(digits, exp);
      }
      const s = av.toFixed(Math.min(prec, 100));
      return sharp && prec === 0 ? `${s}.` : s;
    }
    default: {
      // 'g' / 'G'
      let p = prec;
      if (p === 0) p = 1;
      const shortest = p < 0;
      const dd = av === 0 ? { digits: '0', exp: 0 } : decimalDigits(av, p);
      const exp = dd.exp;
      let digits = dd.digits;
      if (!sharp || shortest) digits = digits.replace(/0+$/, '') || '0';
      let eprec = shortest ? 6 : p;
      if (!shortest && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
      if (sharp && !shortest) {
        digits = digits.padEnd(p, '0');
      }
      if (exp < -4 || exp >= eprec) {
        const frac = digits.slice(1);
        return `${digits[0]}${frac ? `.${frac}` : ''}${expSuffix(exp, e)}`;
      }
      return placeDigits(digits, exp);
    }
  }
}

/** Digits d1d2… with the decimal exponent of d1 as a plain decimal. */
function placeDigits(digits: string, exp: number): string {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return digits.padEnd(exp + 1, '0');
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
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
}

const PLAIN: Spec = {
  minus: false,
  plus: false,
  sharp: false,
  space: false,
  zero: false,
  width: undefined,
  prec: undefined,
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

function pad(s: string, spec: Spec, zeroOk = false): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - len);
  if (spec.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    const body = s.slice(sign.length);
    const prefix = /^0[xXbBoO]/.test(body) ? body.slice(0, 2) : '';
    return sign + prefix + '0'.repeat(width - len) + body.slice(prefix.length);
  }
  return ' '.repeat(width - len) + s;
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

function formatInt(n: bigint, verb: string, spec: Spec): string {
  const neg = n < 0n;
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
      return pad(String.fromCodePoint(Number(abs) > 0x10ffff ? 0xfffd : Number(n)), spec);
    case 'q':
      return pad(goQuoteRune(Number(n)), spec);
    case 'U': {
      const hex = abs.toString(16).toUpperCase().padStart(4, '0');
      const u = `U+${hex}`;
      return pad(spec.sharp ? `${u} '${String.fromCodePoint(Number(n))}'` : u, spec);
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
  return pad(withSign(digits, neg, spec), spec, spec.prec === undefined);
}

function formatFloatVerb(v: number, verb: string, spec: Spec): string {
  if (!'eEfFgGvxX'.includes(verb)) return badVerb(verb, v);
  if (verb === 'x' || verb === 'X') return badVerb(verb, v);
  const g = verb === 'v' ? 'g' : verb;
  const prec = spec.prec ?? (g === 'g' || g === 'G' ? -1 : 6);
  const body = formatFloatAbs(v, g, prec, spec.sharp);
  const neg = v < 0 || Object.is(v, -0);
  if (!Number.isFinite(v) && !Number.isNaN(v)) {
    return pad(neg ? `-${body}` : spec.space ? ` ${body}` : `+${body}`, { ...spec, zero: false });
  }
  return pad(withSign(body, neg, spec), spec, Number.isFinite(v));
}

function hexString(s: string, verb: string, spec: Spec): string {
  const bytes = new TextEncoder().encode(s);
  const parts = [...bytes].map((b) => {
    const h = b.toString(16).padStart(2, '0');
    return verb === 'X' ? h.toUpperCase() : h;
  });
  const prefix = spec.sharp ? (verb === 'X' ? '0X' : '0x') : '';
  if (spec.space) return parts.map((p) => prefix + p).join(' ');
  return prefix + parts.join('');
}

function formatString(s: string, verb: string, spec: Spec): string {
  let str = s;
  if (spec.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q'))
    str = [...s].slice(0, spec.prec).join('');
  switch (verb) {
    case 'v':
      if (spec.sharp) return pad(goQuote(str), spec);
      return pad(str, spec);
    case 's':
      return pad(str, spec);
    case 'q':
      return pad(spec.sharp && !str.includes('`') ? `\`${str}\`` : goQuote(str, spec.plus), spec);
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
  if (d?.string && 'vsq'.includes(verb) && !(verb === 'v' && spec.sharp))
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
  if (Array.isArray(v)) {
    const inner = v.map((e) => formatVerb(e, verb, { ...spec, width: undefined })).join(' ');
    return pad(spec.sharp && verb === 'v' ? `[]interface {}{${inner}}` : `[${inner}]`, spec);
  }
  if (isStruct(v)) {
    const fields = Object.keys(v).map((k) => {
      const f = formatVerb(v[k], verb, { ...spec, width: undefined });
      return spec.plus || spec.sharp ? `${k}:${f}` : f;
    });
    return pad(`{${fields.join(' ')}}`, spec);
  }
  if (isMap(v)) {
    const entries = mapKeys(v).map(
      (k) =>
        `${formatVerb(k, verb, { ...spec, width: undefined })}:${formatVerb(v[k], verb, { ...spec, width: undefined })}`,
    );
    return pad(`map[${entries.join(' ')}]`, spec);
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

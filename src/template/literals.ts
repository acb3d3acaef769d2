/** Go literals as text/template reads them: quoted strings, raw strings, runes and numbers. */

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
};

const utf8 = new TextEncoder();
const ESCAPE_OR_SURROGATE = /[\\\ud800-\udfff]/;
const fromUtf8 = new TextDecoder();

/** Go's strconv.Unquote for "…" and '…' (the quote that is not the delimiter may not be escaped). */
export function unquote(quoted: string): string {
  const q = quoted[0]!;
  const body = quoted.slice(1, -1);
  // Without escapes the text is itself (templates quote plain names and paths nearly always);
  // a lone surrogate still takes the long way, which turns it into U+FFFD as Go does.
  if (!ESCAPE_OR_SURROGATE.test(body)) return body;
  const bytes: number[] = [];
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      bytes.push(...utf8.encode(String.fromCodePoint(cp)));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new SyntaxError('invalid syntax');
    if (e in SIMPLE_ESCAPES && !((e === '"' && q === "'") || (e === "'" && q === '"'))) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x') {
      bytes.push(hexDigits(body.slice(i + 2, i + 4), 2));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const cp = hexDigits(body.slice(i + 2, i + 2 + n), n);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new SyntaxError('invalid syntax');
      bytes.push(...utf8.encode(String.fromCodePoint(cp)));
      i += 2 + n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255)
        throw new SyntaxError('invalid syntax');
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else {
      throw new SyntaxError('invalid syntax');
    }
  }
  return fromUtf8.decode(new Uint8Array(bytes));
}

function hexDigits(s: string, n: number): number {
  if (s.length !== n || !/^[0-9a-fA-F]+$/.test(s)) throw new SyntaxError('invalid syntax');
  return parseInt(s, 16);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A number literal's value as text/template passes it on: a float64 (JS number) when it is
 * written as a float, otherwise an int (bigint, in int64 range). Throws with Go's message.
 */
export function parseNumber(text: string, isChar: boolean): bigint | number {
  if (isChar) {
    const s = unquote(text);
    const cp = s.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp) !== s)
      throw new SyntaxError(`malformed character constant: ${text}`);
    return BigInt(cp);
  }
  if (text.endsWith('i')) throw new SyntaxError(`complex numbers are not supported: ${text}`);
  const clean = text.replace(/_/g, '');
  if (text.includes('_') && !/^[+-]?(0[xXbBoO]_?)?[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/.test(text))
    if (!/^[+-]?[0-9]+(_[0-9]+)*(\.[0-9]+(_[0-9]+)*)?([eE][+-]?[0-9]+)?$/.test(text))
      throw new SyntaxError(`illegal number syntax: ${JSON.stringify(text)}`);
  const sign = clean.startsWith('-') ? -1n : 1n;
  const digits = clean.replace(/^[+-]/, '');
  const isHex = /^0[xX]/.test(digits);
  const isFloat = isHex ? /[.pP]/.test(digits) : /[.eE]/.test(digits);
  if (isFloat) {
    const v = isHex ? parseHexFloat(digits) : Number(digits);
    if (Number.isNaN(v)) throw new SyntaxError(`illegal number syntax: ${JSON.stringify(text)}`);
    return sign < 0n ? -v : v;
  }
  let n: bigint;
  if (/^0[0-7]+$/.test(digits)) n = BigInt(`0o${digits.slice(1)}`);
  else if (/^0[0-9]+$/.test(digits))
    throw new SyntaxError(`illegal number syntax: ${JSON.stringify(text)}`);
  else {
    try {
      n = BigInt(digits);
    } catch {
      throw new SyntaxError(`illegal number syntax: ${JSON.stringify(text)}`);
    }
  }
  n *= sign;
  if (n < INT64_MIN || n > INT64_MAX) throw new SyntaxError(`${text} overflows int`);
  return n;
}

function parseHexFloat(s: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (!m || m[3] === undefined) return NaN;
  const int = m[1] ?? '';
  const frac = m[2] ?? '';
  const mant = parseInt(int + frac || '0', 16);
  return mant * 2 ** (Number(m[3]) - 4 * frac.length);
}

/**
 * consul-template's helper functions that need no Consul, Vault or Nomad (template/funcs.go):
 * environment, strings, encodings, parsing, hashing, math, collections and time.
 */
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { int, map, str, strings } from './args.js';
import { sprint } from './fmt.js';
import { fn } from './builtins.js';
import type { TemplateFunc } from './exec.js';
import { goRegExp, regexReplaceAll } from './regexp.js';
import { formatGoTime, RFC3339 } from './timefmt.js';
import { int64, isMap, mapKeys, typeName, type Value } from './values.js';

/** js-yaml, loaded by the first template that reads or writes YAML. */
export function yaml(): typeof import('js-yaml') {
  return createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
}

// ---------------------------------------------------------------------------------------------
// JSON and YAML, as Go's encoding/json and yaml.v2 write them

/** A template value as plain JSON data (ints as numbers, keys sorted as Go's encoder does). */
export function toPlain(v: Value): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'function') throw new Error('json: unsupported type: func');
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of isMap(v) ? mapKeys(v) : Object.keys(v)) out[k] = toPlain(v[k]);
    return out;
  }
  return v;
}

/** Go's json.Marshal escapes these so the output is safe inside HTML. */
function escapeHtmlInJson(s: string): string {
  return s.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function marshalJSON(v: Value, indent: boolean, escapeHtml: boolean): string {
  // Large ints keep their digits: write them through a placeholder the encoder leaves alone.
  const text = JSON.stringify(toPlain(v), null, indent ? 2 : undefined) ?? 'null';
  return escapeHtml ? escapeHtmlInJson(text) : text;
}

/** JSON data as template values: numbers are float64, as Go's decoder gives them. */
export function fromJSON(x: unknown): Value {
  if (x === null || typeof x !== 'object') return x as Value;
  if (Array.isArray(x)) return x.map(fromJSON);
  const out: { [key: string]: Value } = {};
  for (const [k, v] of Object.entries(x)) out[k] = fromJSON(v);
  return out;
}

/** YAML data as template values: integers are ints, as yaml.v2 decodes them. */
function fromYAML(x: unknown): Value {
  if (typeof x === 'number') return Number.isInteger(x) && Number.isSafeInteger(x) ? BigInt(x) : x;
  if (x instanceof Date) return x.toISOString();
  if (x === null || x === undefined || typeof x !== 'object') return (x ?? null) as Value;
  if (Array.isArray(x)) return x.map(fromYAML);
  const out: { [key: string]: Value } = {};
  for (const [k, v] of Object.entries(x)) out[k] = fromYAML(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing numbers and booleans (strconv)

function parseBool(s: string): boolean {
  if (s === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`parseBool: strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

function parseGoInt(s: string, name: string, unsigned: boolean): bigint {
  if (s === '') return 0n;
  const fail = (why: string): never => {
    throw new Error(
      `${name}: strconv.${unsigned ? 'ParseUint' : 'ParseInt'}: parsing ${JSON.stringify(s)}: ${why}`,
    );
  };
  if (!(unsigned ? /^\+?[0-9]+$/ : /^[+-]?[0-9]+$/).test(s)) fail('invalid syntax');
  const n = BigInt(s);
  const ok = unsigned ? n <= 2n ** 64n - 1n : n === int64(n);
  if (!ok) fail('value out of range');
  // A uint64 past int64 cannot be a template int here; keep it as a float64's neighbour.
  return n;
}

function parseGoFloat(s: string): number {
  if (s === '') return 0;
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
    throw new Error(`parseFloat: strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(t);
}

// ---------------------------------------------------------------------------------------------
// Math: consul-template takes the operands in pipeline order (`{{ 2 | add 3 }}`): f(b, a) = a op b

type Num = bigint | number;

function num(v: Value, op: string): Num {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  throw new Error(`${op}: unknown type for ${JSON.stringify(sprintShort(v))} (${typeName(v)})`);
}

function sprintShort(v: Value): string {
  return sprint([v]);
}

function arith(
  op: string,
  f: (a: bigint, b: bigint) => bigint,
  g: (a: number, b: number) => number,
) {
  return (b: Value, a: Value): Value => {
    const x = num(a, op);
    const y = num(b, op);
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      if ((op === 'divide' || op === 'modulo') && y === 0n)
        throw new Error(`${op}: division by zero`);
      return int64(f(x, y));
    }
    return g(Number(x), Number(y));
  };
}

const add = arith(
  'add',
  (a, b) => a + b,
  (a, b) => a + b,
);
const subtract = arith(
  'subtract',
  (a, b) => a - b,
  (a, b) => a - b,
);
const multiply = arith(
  'multiply',
  (a, b) => a * b,
  (a, b) => a * b,
);
const divide = arith(
  'divide',
  (a, b) => a / b,
  (a, b) => a / b,
);
const modulo = arith(
  'modulo',
  (a, b) => a % b,
  (a, b) => a % b,
);

function minMax(op: 'minimum' | 'maximum') {
  return (b: Value, a: Value): Value => {
    const x = num(a, op);
    const y = num(b, op);
    const pick = op === 'minimum' ? x <= y : x >= y;
    if (typeof x === 'bigint' && typeof y === 'bigint') return pick ? x : y;
    return Number(pick ? x : y);
  };
}

// ---------------------------------------------------------------------------------------------
// Collections

/** `in`: whether the list (or string) holds the value. */
function inList(l: Value, v: Value): boolean {
  if (typeof l === 'string') return l.includes(str(v));
  if (Array.isArray(l)) return l.some((e) => e === v || (typeof e === typeof v && e === v));
  if (l === null) return false;
  throw new Error(`in: wrong type for value; expected slice or string; got ${typeName(l)}`);
}

/** containsAll/Any/None/NotAll: `retNonEmpty` when every needle matches `want`. */
function containsSome(whenAll: boolean, want: boolean) {
  return (needles: Value, haystack: Value): boolean => {
    const list = needles === null ? [] : Array.isArray(needles) ? needles : [needles];
    for (const n of list) {
      if (inList(haystack, n) !== want) return !whenAll;
    }
    return whenAll;
  };
}

/** `"a/b/c": v` keys into nested maps (explodeMap). */
function explodeMap(m: { [key: string]: Value }): Value {
  const out: { [key: string]: Value } = {};
  for (const k of mapKeys(m)) {
    const parts = k.replace(/^\/+|\/+$/g, '').split('/');
    let cur = out;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) cur[p] = m[k];
      else {
        if (!isMap(cur[p])) cur[p] = {};
        cur = cur[p];
      }
    });
  }
  return out;
}

function mergeMaps(override: boolean) {
  return (a: Value, b: Value): Value => {
    const dst = { ...map(override ? b : a) };
    const src = map(override ? a : b);
    mergeInto(dst, src, override);
    return dst;
  };
}

function mergeInto(
  dst: { [key: string]: Value },
  src: { [key: string]: Value },
  override: boolean,
): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isMap(cur) && isMap(v)) {
      const copy = { ...cur };
      mergeInto(copy, v, override);
      dst[k] = copy;
    } else if (!Object.hasOwn(dst, k) || override) dst[k] = v;
  }
}

/** consul-template's indent: prefix each non-empty line. */
function indent(spaces: bigint, s: string): string {
  if (spaces < 0n) throw new Error('indent value must be a positive integer');
  const prefix = ' '.repeat(Number(spaces));
  return s.replace(/^(?!$)/gm, prefix);
}

/** `loop N` or `loop START STOP`: the ints in [start, stop). */
function loop(args: Value[]): Value {
  const ints = args.map((a) => {
    if (typeof a === 'bigint') return a;
    if (typeof a === 'string' && /^-?\d+$/.test(a)) return BigInt(a);
    throw new Error(`loop: bad argument type: ${typeName(a)}`);
  });
  const [start, stop] = ints.length === 1 ? [0n, ints[0]!] : [ints[0]!, ints[1]!];
  const out: Value[] = [];
  for (let i = start; i < stop; i++) out.push(i);
  return out;
}

function splitToMap(s: string, listSep: string, kvSep: string): Value {
  const out: { [key: string]: Value } = {};
  if (s === '') return out;
  for (const pair of s.split(listSep)) {
    const at = pair.indexOf(kvSep);
    if (at < 0) throw new Error(`splitToMap: invalid key-value pair ${JSON.stringify(pair)}`);
    out[pair.slice(0, at)] = pair.slice(at + kvSep.length);
  }
  return out;
}

/** Go's strings.Title: upper-case the first letter of every word. */
export function title(s: string): string {
  return s.replace(
    /(^|[^\p{L}\p{N}_'])(\p{L})/gu,
    (_, sep: string, c: string) => sep + c.toUpperCase(),
  );
}

/** Go's strings.Trim with a cutset. */
export function trimCutset(s: string, cutset: string, left = true, right = true): string {
  const set = new Set(cutset);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (left && a < b && set.has(chars[a]!)) a++;
  while (right && b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

function base64Decode(s: string, url: boolean, name: string): string {
  const alphabet = url ? /^[A-Za-z0-9\-_]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(s) || s.length % 4 !== 0)
    throw new Error(`${name}: illegal base64 data at input byte ${firstBadByte(s, url)}`);
  return Buffer.from(s, url ? 'base64url' : 'base64').toString('utf8');
}

function firstBadByte(s: string, url: boolean): number {
  const ok = url ? /[A-Za-z0-9\-_]/ : /[A-Za-z0-9+/]/;
  for (let i = 0; i < s.length; i++) if (!ok.test(s[i]!)) return i;
  return s.length - (s.length % 4);
}

function timestamp(now: Date, args: Value[]): string {
  if (args.length === 0) return formatGoTime(now, RFC3339);
  const layout = str(args[0]);
  if (layout === 'unix') return String(Math.floor(now.getTime() / 1000));
  return formatGoTime(now, layout);
}

const s1 = (f: (s: string) => Value): TemplateFunc => fn(1, 1, ([a]) => f(str(a)));
const s2 = (f: (a: string, b: string) => Value): TemplateFunc =>
  fn(2, 2, ([a, b]) => f(str(a), str(b)));
const s3 = (f: (a: string, b: string, c: string) => Value): TemplateFunc =>
  fn(3, 3, ([a, b, c]) => f(str(a), str(b), str(c)));

export const CORE_FUNCTIONS: [string, TemplateFunc][] = [
  // Environment
  ['env', fn(1, 1, ([k], e) => e.ctx.env[str(k)] ?? '')],
  [
    'envOrDefault',
    fn(2, 2, ([k, d], e) => {
      const v = e.ctx.env[str(k)];
      return v === undefined || v === '' ? str(d) : v;
    }),
  ],
  [
    'mustEnv',
    fn(1, 1, ([k], e) => {
      const v = e.ctx.env[str(k)];
      if (v === undefined) throw new Error(`required environment variable ${str(k)} is missing`);
      return v;
    }),
  ],
  // Encodings
  ['base64Encode', s1((s) => Buffer.from(s, 'utf8').toString('base64'))],
  ['base64Decode', s1((s) => base64Decode(s, false, 'base64Decode'))],
  [
    'base64URLEncode',
    s1((s) =>
      Buffer.from(s, 'utf8')
        .toString('base64url')
        .padEnd(Math.ceil(Buffer.byteLength(s) / 3) * 4, '='),
    ),
  ],
  ['base64URLDecode', s1((s) => base64Decode(s, true, 'base64URLDecode'))],
  ['toJSON', fn(1, 1, ([v]) => marshalJSON(v, false, true))],
  ['toJSONPretty', fn(1, 1, ([v]) => marshalJSON(v, true, true))],
  ['toUnescapedJSON', fn(1, 1, ([v]) => marshalJSON(v, false, false))],
  ['toUnescapedJSONPretty', fn(1, 1, ([v]) => marshalJSON(v, true, false))],
  [
    'parseJSON',
    s1((s) => {
      if (s === '') return {};
      try {
        return fromJSON(JSON.parse(s));
      } catch (e) {
        throw new Error(`parseJSON: ${(e as Error).message}`, { cause: e });
      }
    }),
  ],
  [
    'toYAML',
    fn(1, 1, ([m]) =>
      yaml()
        .dump(toPlain(map(m)), { sortKeys: true, lineWidth: -1 })
        .trim()
        .replace(/^\{\}$/, '{}'),
    ),
  ],
  [
    'parseYAML',
    s1((s) => {
      if (s === '') return {};
      try {
        return fromYAML(yaml().load(s));
      } catch (e) {
        throw new Error(`parseYAML: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
    }),
  ],
  [
    'toTOML',
    fn(1, 1, () => {
      throw new Error('toTOML is not built in drover yet: write the file with toJSON or toYAML');
    }),
  ],
  ['parseBool', s1(parseBool)],
  ['parseFloat', s1(parseGoFloat)],
  ['parseInt', s1((s) => parseGoInt(s, 'parseInt', false))],
  ['parseUint', s1((s) => parseGoInt(s, 'parseUint', true))],
  // Strings
  ['split', s2((sep, s) => (s.trim() === '' ? [] : s.trim().split(sep)))],
  ['join', fn(2, 2, ([sep, l]) => strings(l).join(str(sep)))],
  ['splitToMap', s3(splitToMap)],
  ['replaceAll', s3((from, to, s) => s.split(from).join(to))],
  ['regexReplaceAll', s3((re, repl, s) => regexReplaceAll(re, repl, s))],
  ['regexMatch', s2((re, s) => goRegExp(re, '').test(s))],
  ['trimSpace', s1((s) => s.trim())],
  ['trim', s2((cutset, s) => trimCutset(s, cutset))],
  ['trimPrefix', s2((p, s) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s))],
  ['trimSuffix', s2((p, s) => (p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s))],
  ['toLower', s1((s) => s.toLowerCase())],
  ['toUpper', s1((s) => s.toUpperCase())],
  ['toTitle', s1(title)],
  ['indent', fn(2, 2, ([n, s]) => indent(int(n), str(s)))],
  // Collections
  ['contains', fn(2, 2, ([v, l]) => inList(l, v))],
  ['in', fn(2, 2, ([l, v]) => inList(l, v))],
  ['containsAll', fn(2, 2, ([n, h]) => containsSome(true, true)(n, h))],
  ['containsAny', fn(2, 2, ([n, h]) => containsSome(false, false)(n, h))],
  ['containsNone', fn(2, 2, ([n, h]) => containsSome(true, false)(n, h))],
  ['containsNotAll', fn(2, 2, ([n, h]) => containsSome(false, true)(n, h))],
  ['explodeMap', fn(1, 1, ([m]) => explodeMap(map(m)))],
  ['mergeMap', fn(2, 2, ([a, b]) => mergeMaps(false)(a, b))],
  ['mergeMapWithOverride', fn(2, 2, ([a, b]) => mergeMaps(true)(a, b))],
  ['loop', fn(1, 2, loop)],
  // Hashes
  ['sha256Hex', s1((s) => createHash('sha256').update(s, 'utf8').digest('hex'))],
  ['md5sum', s1((s) => createHash('md5').update(s, 'utf8').digest('hex'))],
  ['hmacSHA256Hex', s2((msg, key) => createHmac('sha256', key).update(msg, 'utf8').digest('hex'))],
  // Time
  ['timestamp', fn(0, 1, (a, e) => timestamp((e.ctx.now ?? (() => new Date()))(), a))],
  // Math
  ['add', fn(2, 2, ([b, a]) => add(b, a))],
  ['subtract', fn(2, 2, ([b, a]) => subtract(b, a))],
  ['multiply', fn(2, 2, ([b, a]) => multiply(b, a))],
  ['divide', fn(2, 2, ([b, a]) => divide(b, a))],
  ['modulo', fn(2, 2, ([b, a]) => modulo(b, a))],
  ['minimum', fn(2, 2, ([b, a]) => minMax('minimum')(b, a))],
  ['maximum', fn(2, 2, ([b, a]) => minMax('maximum')(b, a))],
  // Templates and scratch
  ['executeTemplate', fn(1, 2, ([name, data], e) => e.executeTemplate(str(name), data ?? null))],
];

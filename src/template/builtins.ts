/** text/template's predefined functions (Go's funcs.go), with Go's semantics and messages. */
import type { TemplateFunc } from './exec.js';
import { goQuote, sprint, sprintf, sprintln } from './fmt.js';
import { isMap, isStruct, isTrue, typeName, type Value } from './values.js';

export function fn(min: number, max: number, f: TemplateFunc['fn']): TemplateFunc {
  return { min, max, fn: f };
}

const utf8 = new TextEncoder();

/** Go's len: bytes of a string, elements of a slice or map. */
export function goLen(v: Value): bigint {
  if (typeof v === 'string') return BigInt(utf8.encode(v).length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  throw new Error(`len of type ${typeName(v)}`);
}

function indexArg(v: Value, len: number, cap = len): number {
  if (typeof v !== 'bigint') throw new Error(`cannot index slice/array with type ${typeName(v)}`);
  if (v < 0n || v > BigInt(cap)) throw new Error(`index out of range: ${v}`);
  return Number(v);
}

function index(item: Value, ...indexes: Value[]): Value {
  let cur = item;
  for (const ix of indexes) {
    if (cur === null || cur === undefined) throw new Error('index of untyped nil');
    if (typeof cur === 'string') {
      const bytes = utf8.encode(cur);
      const i = indexArg(ix, bytes.length);
      if (i >= bytes.length) throw new Error(`index out of range: ${i}`);
      cur = BigInt(bytes[i]!);
    } else if (Array.isArray(cur)) {
      const i = indexArg(ix, cur.length);
      if (i >= cur.length) throw new Error(`index out of range: ${i}`);
      cur = cur[i];
    } else if (isMap(cur)) {
      if (typeof ix !== 'string')
        throw new Error(`value has type ${typeName(ix)}; should be string`);
      // A missing key gives the element's zero value: nil for interface{} maps.
      cur = Object.hasOwn(cur, ix) ? cur[ix] : null;
    } else {
      throw new Error(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: Value, ...bounds: Value[]): Value {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (bounds.length > 3) throw new Error(`too many slice indexes: ${bounds.length}`);
  if (typeof item === 'string') {
    if (bounds.length === 3) throw new Error('cannot 3-index slice a string');
    const bytes = utf8.encode(item);
    const [lo, hi] = sliceBounds(bounds, bytes.length);
    return new TextDecoder().decode(bytes.slice(lo, hi));
  }
  if (Array.isArray(item)) {
    const [lo, hi] = sliceBounds(bounds, item.length);
    return item.slice(lo, hi);
  }
  throw new Error(`can't slice item of type ${typeName(item)}`);
}

function sliceBounds(bounds: Value[], len: number): [number, number] {
  const idx = bounds.map((b) => indexArg(b, len));
  const lo = idx[0] ?? 0;
  const hi = idx[1] ?? len;
  if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  return [lo, hi];
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'other' | 'nil';

function basicKind(v: Value): Kind {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    default:
      return 'other';
  }
}

/** Go's eq: arg1 == any of arg2… ; basic kinds must match (ints compare with ints). */
function eq(arg1: Value, ...arg2: Value[]): boolean {
  const k1 = basicKind(arg1);
  for (const a of arg2) {
    const k2 = basicKind(a);
    if (k1 === 'other' || k2 === 'other') {
      if (isStruct(arg1) || isStruct(a) || typeof arg1 === 'function' || typeof a === 'function')
        if (arg1 === a) return true;
        else continue;
      throw new Error('non-comparable types');
    }
    if (k1 === 'nil' || k2 === 'nil') {
      if (k1 === k2) return true;
      continue;
    }
    if (k1 !== k2) throw new Error('incompatible types for comparison');
    if (arg1 === a) return true;
  }
  return false;
}

function lt(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (
    ka === 'bool' ||
    ka === 'other' ||
    ka === 'nil' ||
    kb === 'bool' ||
    kb === 'other' ||
    kb === 'nil'
  )
    throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as string | number | bigint) < (b as string | number | bigint);
}

/** Go's template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0'
      ? '\uFFFD'
      : { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!,
  );
}

/** Go's template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if ('<>&='.includes(ch)) out += `\\u00${cp.toString(16).toUpperCase()}`;
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (cp < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)) out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The html/js/urlquery argument rule: one string as is, otherwise fmt.Sprint of them all. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export const BUILTINS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  // The executor evaluates and/or itself, lazily.
  ['and', fn(1, Infinity, (a) => a[a.length - 1])],
  ['or', fn(1, Infinity, (a) => a[a.length - 1])],
  ['not', fn(1, 1, ([a]) => !isTrue(a))],
  ['len', fn(1, 1, ([a]) => goLen(a))],
  ['index', fn(1, Infinity, ([item, ...ix]) => index(item, ...ix))],
  ['slice', fn(1, Infinity, ([item, ...ix]) => slice(item, ...ix))],
  ['print', fn(0, Infinity, (a) => sprint(a))],
  ['println', fn(0, Infinity, (a) => sprintln(a))],
  [
    'printf',
    fn(1, Infinity, ([f, ...rest]) => {
      if (typeof f !== 'string')
        throw new Error(`wrong type for value; expected string; got ${typeName(f)}`);
      return sprintf(f, rest);
    }),
  ],
  [
    'eq',
    fn(1, Infinity, ([a, ...b]) => {
      if (b.length === 0) throw new Error('missing argument for comparison');
      return eq(a, ...b);
    }),
  ],
  ['ne', fn(2, 2, ([a, b]) => !eq(a, b))],
  ['lt', fn(2, 2, ([a, b]) => lt(a, b))],
  ['le', fn(2, 2, ([a, b]) => lt(a, b) || eq(a, b))],
  ['gt', fn(2, 2, ([a, b]) => !lt(a, b) && !eq(a, b))],
  ['ge', fn(2, 2, ([a, b]) => !lt(a, b))],
  ['html', fn(0, Infinity, (a) => htmlEscape(evalArgs(a)))],
  ['js', fn(0, Infinity, (a) => jsEscape(evalArgs(a)))],
  ['urlquery', fn(0, Infinity, (a) => queryEscape(evalArgs(a)))],
  [
    'call',
    fn(1, Infinity, ([f, ...args]) => {
      if (typeof f !== 'function') throw new Error(`non-function of type ${typeName(f)}`);
      return f(...args);
    }),
  ],
]);

export { goQuote };

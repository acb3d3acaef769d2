/** Collection functions: lists, maps and sets. Sets are arrays without duplicates. */
import {
  distinctValues,
  getKey,
  isPrimitive,
  setKey,
  sortedKeys,
  T,
  toBoolValue,
  toStringValue,
  valueEquals,
} from '../types.js';
import { isValueObject, typeName, type Value, type ValueObject } from '../value.js';
import { argError, callError, fn, param, type HclFunction } from './spec.js';
import { graphemeCount, graphemes } from './text.js';

const any = (name: string) => param(name, T.any);
const list = (name: string) => param(name, T.list(T.any));
const set = (name: string) => param(name, T.set(T.any));
const num = (name: string) => param(name, T.number);

function seq(v: Value, i: number): Value[] | ReturnType<typeof argError> {
  return Array.isArray(v)
    ? v
    : argError(i, `a list, set or tuple is required, but have ${typeName(v)}`);
}

function wholeNumber(v: Value, i: number, what: string): number | ReturnType<typeof argError> {
  const n = v as number;
  return Number.isInteger(n) ? n : argError(i, `${what} must be a whole number`);
}

/** Sorts set elements the way cty orders sets of primitives: numbers ascending, strings lexically. */
function setOrder(vs: Value[]): Value[] {
  const nums = vs.filter((v): v is number => typeof v === 'number');
  if (nums.length === vs.length) return nums.sort((a, b) => a - b);
  const strs = vs.filter((v): v is string => typeof v === 'string');
  if (strs.length === vs.length) return strs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return vs;
}

/** The common primitive type of arguments, as cty unifies them: strings win. */
function unifyPrimitives(vs: Value[]): Value[] {
  const kinds = new Set(vs.filter(isPrimitive).map((v) => typeof v));
  if (kinds.size > 1 && kinds.has('string'))
    return vs.map((v) => (isPrimitive(v) ? toStringValue(v)! : v));
  return vs;
}

function flattenDeep(vs: Value[]): Value[] {
  return vs.flatMap((v) => (Array.isArray(v) ? flattenDeep(v) : [v]));
}

export const collectionFunctions: Record<string, HclFunction> = {
  length: fn([any('value')], ([v]) => {
    if (typeof v === 'string') return graphemeCount(v);
    if (Array.isArray(v)) return v.length;
    if (isValueObject(v)) return Object.keys(v).length;
    return argError(0, 'argument must be a string, a collection type, or a structural type');
  }),
  chunklist: fn([list('list'), num('size')], ([l, s]) => {
    const size = wholeNumber(s!, 1, 'the size');
    if (typeof size !== 'number') return size;
    if (size < 0) return argError(1, 'the size argument must be positive');
    const items = l as Value[];
    if (size === 0) return [items];
    const out: Value[] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }),
  coalesce: fn(
    [],
    (args) => {
      const unified = unifyPrimitives(args);
      const found = unified.find((v) => v !== null);
      return found === undefined ? callError('no non-null arguments') : found;
    },
    param('vals', T.any, true),
  ),
  coalescelist: fn(
    [],
    (args) => {
      for (const [i, a] of args.entries()) {
        if (a === null) continue;
        if (!Array.isArray(a)) return argError(i, 'coalescelist arguments must be lists or tuples');
        if (a.length > 0) return a;
      }
      return callError('no non-null arguments');
    },
    param('vals', T.any, true),
  ),
  compact: fn([param('list', T.list(T.string))], ([l]) =>
    (l as Value[]).filter((v) => v !== null && v !== ''),
  ),
  concat: fn(
    [],
    (args) => {
      const out: Value[] = [];
      for (const [i, a] of args.entries()) {
        const s = seq(a, i);
        if (!Array.isArray(s)) return s;
        out.push(...s);
      }
      return out;
    },
    any('seqs'),
  ),
  contains: fn([any('list'), param('value', T.any, true)], ([l, v]) => {
    const s = seq(l!, 0);
    return Array.isArray(s) ? s.some((x) => valueEquals(x, v!)) : s;
  }),
  distinct: fn([list('list')], ([l]) => distinctValues(l as Value[])),
  element: fn([any('list'), num('index')], ([l, i]) => {
    const s = seq(l!, 0);
    if (!Array.isArray(s)) return s;
    const idx = wholeNumber(i!, 1, 'the index');
    if (typeof idx !== 'number') return idx;
    if (s.length === 0) return callError('cannot use element function with an empty list');
    if (idx < 0) return argError(1, 'cannot use element function with a negative index');
    return s[idx % s.length]!;
  }),
  flatten: fn([any('list')], ([l]) => {
    const s = seq(l!, 0);
    return Array.isArray(s) ? flattenDeep(s) : s;
  }),
  index: fn([any('list'), param('value', T.any, true)], ([l, v]) => {
    const s = seq(l!, 0);
    if (!Array.isArray(s)) return s;
    const i = s.findIndex((x) => valueEquals(x, v!));
    return i < 0 ? callError('item not found') : i;
  }),
  keys: fn([any('inputMap')], ([m]) =>
    isValueObject(m) ? sortedKeys(m) : argError(0, 'must have map or object type'),
  ),
  values: fn([any('mapping')], ([m]) =>
    isValueObject(m)
      ? sortedKeys(m).map((k) => m[k]!)
      : argError(0, 'must have map or object type'),
  ),
  lookup: fn(
    [any('inputMap'), param('key', T.string)],
    ([m, k, ...def]) => {
      if (!isValueObject(m)) return argError(0, 'must have map or object type');
      if (def.length > 1) return callError('lookup() takes no more than three arguments');
      const v = getKey(m, k as string);
      if (v !== undefined) return v;
      if (def.length === 1) return def[0]!;
      return callError(`lookup failed to find key "${k as string}"`);
    },
    param('default', T.any, true),
  ),
  merge: fn(
    [],
    (args) => {
      const out: ValueObject = {};
      for (const [i, a] of args.entries()) {
        if (a === null) continue;
        if (!isValueObject(a))
          return argError(i, `arguments must be maps or objects, got ${typeName(a)}`);
        for (const k of Object.keys(a)) setKey(out, k, a[k]!);
      }
      return out;
    },
    param('maps', T.any, true),
  ),
  range: fn(
    [],
    (args) => {
      if (args.length < 1 || args.length > 3)
        return callError('must have one, two, or three arguments');
      const nums = args as number[];
      const start = nums.length === 1 ? 0 : nums[0]!;
      const limit = nums.length === 1 ? nums[0]! : nums[1]!;
      const step = nums[2] ?? (limit < start ? -1 : 1);
      if (step === 0) return argError(2, 'step must not be zero');
      if (step < 0 && limit > start)
        return argError(2, 'step must be positive when start is less than limit');
      if (step > 0 && limit < start)
        return argError(2, 'step must be negative when start is greater than limit');
      const out: number[] = [];
      for (let v = start; step > 0 ? v < limit : v > limit; v += step) {
        if (out.length >= 1024) {
          return callError(
            'more than 1024 values were generated; either decrease the difference between start and end or use a smaller step',
          );
        }
        out.push(v);
      }
      return out;
    },
    num('params'),
  ),
  reverse: fn([any('list')], ([l]) => {
    // Nomad maps `reverse` to cty's string reversal; lists are reversed too.
    if (typeof l === 'string') return graphemes(l).reverse().join('');
    const s = seq(l!, 0);
    return Array.isArray(s) ? [...s].reverse() : s;
  }),
  setintersection: fn(
    [set('first_set')],
    ([first, ...others]) =>
      setOrder(
        (first as Value[]).filter((v) =>
          others.every((o) => (o as Value[]).some((x) => valueEquals(x, v))),
        ),
      ),
    set('other_sets'),
  ),
  setunion: fn(
    [set('first_set')],
    (sets) => setOrder(distinctValues(sets.flatMap((s) => s as Value[]))),
    set('other_sets'),
  ),
  setsubtract: fn([set('a'), set('b')], ([a, b]) =>
    setOrder((a as Value[]).filter((v) => !(b as Value[]).some((x) => valueEquals(x, v)))),
  ),
  setproduct: fn(
    [],
    (sets) => {
      if (sets.length < 2) return callError('at least two arguments are required');
      let acc: Value[][] = [[]];
      for (const [i, s] of sets.entries()) {
        const items = seq(s, i);
        if (!Array.isArray(items)) return items;
        acc = acc.flatMap((prefix) => distinctValues(items).map((v) => [...prefix, v]));
      }
      return acc;
    },
    any('sets'),
  ),
  slice: fn([any('list'), num('start_index'), num('end_index')], ([l, a, b]) => {
    const s = seq(l!, 0);
    if (!Array.isArray(s)) return s;
    const start = wholeNumber(a!, 1, 'the start index');
    if (typeof start !== 'number') return start;
    const end = wholeNumber(b!, 2, 'the end index');
    if (typeof end !== 'number') return end;
    if (start < 0) return argError(1, 'the start index must not be negative');
    if (end > s.length)
      return argError(2, 'the end index must not be greater than the length of the list');
    if (start > end) return argError(1, 'the start index must not be greater than the end index');
    return s.slice(start, end);
  }),
  sort: fn([param('list', T.list(T.string))], ([l]) => {
    const items = l as Value[];
    if (items.some((v) => v === null))
      return argError(0, 'given list element is null; a null string cannot be sorted');
    return [...(items as string[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }),
  zipmap: fn([param('keys', T.list(T.string)), any('values')], ([k, v]) => {
    const keys = k as Value[];
    const vals = seq(v!, 1);
    if (!Array.isArray(vals)) return vals;
    if (keys.length !== vals.length) {
      return callError(
        `number of keys (${keys.length}) does not match number of values (${vals.length})`,
      );
    }
    const out: ValueObject = {};
    for (const [i, key] of keys.entries()) {
      if (key === null) return argError(0, 'keys list has null value');
      setKey(out, key as string, vals[i]!);
    }
    return out;
  }),
  alltrue: fn([param('list', T.list(T.bool))], ([l]) =>
    (l as Value[]).every((v) => toBoolValue(v) === true),
  ),
  anytrue: fn([param('list', T.list(T.bool))], ([l]) =>
    (l as Value[]).some((v) => toBoolValue(v) === true),
  ),
  one: fn([any('list')], ([l]) => {
    const s = seq(l!, 0);
    if (!Array.isArray(s)) return s;
    if (s.length > 1)
      return argError(0, 'must be a list, set, or tuple value with either zero or one elements');
    return s[0] ?? null;
  }),
  sum: fn([any('list')], ([l]) => {
    const s = seq(l!, 0);
    if (!Array.isArray(s)) return s;
    if (s.length === 0) return argError(0, 'cannot sum an empty list');
    let total = 0;
    for (const v of s) {
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
      if (!Number.isFinite(n))
        return argError(0, 'argument must be list, set, or tuple of number values');
      total += n;
    }
    return total;
  }),
};

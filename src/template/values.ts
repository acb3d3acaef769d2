/**
 * How Go values live in the renderer. Go's types matter to what a template prints, so:
 * int → bigint, float64 → number, string, bool, nil → null, a missing value (Go's invalid
 * reflect.Value, printed `<no value>`) → undefined, slices → arrays, map[string]… → plain objects,
 * and structs or types with methods → objects carrying a GO descriptor.
 */

export type Value =
  | undefined
  | null
  | string
  | bigint
  | number
  | boolean
  | Value[]
  | GoFunc
  | { [key: string]: Value };

/** A function a template may call: `call`, methods. Arguments are already evaluated. */
export type GoFunc = (...args: Value[]) => Value;

/** What makes an object a Go struct (or a map with methods) rather than a plain map. */
export interface GoDescriptor {
  /** The Go type's name, for messages and %T. */
  type: string;
  kind: 'struct' | 'map';
  /** Methods callable as `.Name args…`, looked up before fields and keys, as in Go. */
  methods?: Record<string, GoFunc>;
  /** A fmt.Stringer: how %v and the template print it. */
  string?: () => string;
}

export const GO = Symbol('go');

export type GoObject = { [key: string]: Value } & { [GO]?: GoDescriptor };

/** A struct value: fields in declaration order. */
export function struct(
  type: string,
  fields: Record<string, Value>,
  extra: Omit<GoDescriptor, 'type' | 'kind'> = {},
): GoObject {
  const o: GoObject = { ...fields };
  Object.defineProperty(o, GO, { value: { type, kind: 'struct', ...extra }, enumerable: false });
  return o;
}

/** A map type that has methods (consul-template's NomadVarItems). */
export function mapWithMethods(
  type: string,
  entries: Record<string, Value>,
  methods: Record<string, GoFunc>,
): GoObject {
  const o: GoObject = { ...entries };
  Object.defineProperty(o, GO, { value: { type, kind: 'map', methods }, enumerable: false });
  return o;
}

export function descriptor(v: Value): GoDescriptor | undefined {
  return isObject(v) ? (v as GoObject)[GO] : undefined;
}

export function isObject(v: Value): v is { [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isMap(v: Value): v is { [key: string]: Value } {
  return isObject(v) && descriptor(v)?.kind !== 'struct';
}

export function isStruct(v: Value): v is GoObject {
  return descriptor(v)?.kind === 'struct';
}

/** A struct's exported fields or a map's keys sorted as Go's fmt prints them. */
export function mapKeys(v: { [key: string]: Value }): string[] {
  return Object.keys(v).sort(compareStrings);
}

/** Byte-wise string order, as Go sorts strings (UTF-16 order differs only past U+FFFF). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's type name of a value, for %T and error messages. */
export function typeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return '[]interface {}';
  return descriptor(v)?.type ?? 'map[string]interface {}';
}

/** Go's text/template truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'function':
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v)) return true;
  return Object.keys(v).length > 0;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Wrap to int64, as Go's integer arithmetic does. */
export function int64(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}

export function inInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

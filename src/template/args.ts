/** Argument conversions with Go's messages, shared by the function modules. */
import { sprint } from './fmt.js';
import { isMap, typeName, type Value } from './values.js';

/** A `string` parameter: Go's reflection refuses anything else. */
export function str(v: Value): string {
  if (typeof v !== 'string')
    throw new Error(`wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

/** An `int` parameter. */
export function int(v: Value): bigint {
  if (typeof v !== 'bigint')
    throw new Error(`wrong type for value; expected int; got ${typeName(v)}`);
  return v;
}

/** A `[]string` parameter. */
export function strings(v: Value): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'string'))
    throw new Error(`wrong type for value; expected []string; got ${typeName(v)}`);
  return v as string[];
}

/** A `map[string]interface{}` parameter. */
export function map(v: Value): { [key: string]: Value } {
  if (v === null) return {};
  if (!isMap(v))
    throw new Error(`wrong type for value; expected map[string]interface {}; got ${typeName(v)}`);
  return v;
}

/** A number as a float64, from an int or a float. */
export function float(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`wrong type for value; expected float64; got ${typeName(v)}`);
}

/** fmt.Sprint of one value, nil as "": what sprig's strval gives for plain values. */
export function toText(v: Value): string {
  if (v === null || v === undefined) return '';
  return sprint([v]);
}

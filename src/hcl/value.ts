/**
 * Values produced by evaluating HCL expressions: plain JSON data. HCL's number type is kept as a
 * JS number; HCL's list/set/tuple are arrays and map/object are plain objects.
 */
export type Value = null | boolean | number | string | Value[] | ValueObject;

export interface ValueObject {
  [key: string]: Value;
}

export function isValueObject(v: Value | undefined): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** HCL's names for value types, used in diagnostics ("a string is required, got tuple"). */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'tuple';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** A deep copy of plain JSON data; several times faster than structuredClone for it. */
export function cloneValue<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = cloneValue((v as Record<string, unknown>)[k]);
  return out as T;
}

/**
 * HCL type constraints (`variable { type = … }`, `convert()`, function parameters) and the
 * conversions between values that go-cty allows: string ⇄ number ⇄ bool for primitives, tuple →
 * list/set, object → map, object → object with optional attributes and their defaults.
 *
 * Values carry no static type (they are plain JSON data), so a conversion checks the value's
 * shape against the wanted type.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { Expression, ObjectItem } from './ast.js';
import { isValueObject, type Value, type ValueObject } from './value.js';

export type PrimitiveKind = 'string' | 'number' | 'bool';

export type HclType =
  | { kind: PrimitiveKind }
  | { kind: 'any' }
  | { kind: 'list' | 'set' | 'map'; element: HclType }
  | { kind: 'tuple'; elements: HclType[] }
  | { kind: 'object'; attributes: Map<string, ObjectAttribute> };

export interface ObjectAttribute {
  type: HclType;
  /** Declared with `optional(T)` or `optional(T, default)`. */
  optional: boolean;
  /** The default of `optional(T, default)`, already converted to T. */
  default?: Value;
}

export const T = {
  string: { kind: 'string' } as HclType,
  number: { kind: 'number' } as HclType,
  bool: { kind: 'bool' } as HclType,
  any: { kind: 'any' } as HclType,
  list: (element: HclType): HclType => ({ kind: 'list', element }),
  set: (element: HclType): HclType => ({ kind: 'set', element }),
  map: (element: HclType): HclType => ({ kind: 'map', element }),
  tuple: (elements: HclType[]): HclType => ({ kind: 'tuple', elements }),
  object: (attrs: Record<string, HclType>): HclType => ({
    kind: 'object',
    attributes: new Map(
      Object.entries(attrs).map(([k, type]) => [k, { type, optional: false }] as const),
    ),
  }),
};

/** cty's friendly name of a type: "string", "list of number", "object", … */
export function typeFriendlyName(t: HclType): string {
  switch (t.kind) {
    case 'any':
      return 'any';
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind} of ${typeFriendlyName(t.element)}`;
    default:
      return t.kind;
  }
}

/** The type-expression syntax of a type: `list(string)`, `object({a=number})`, … */
export function typeString(t: HclType): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeString(t.element)})`;
    case 'tuple':
      return `tuple([${t.elements.map(typeString).join(', ')}])`;
    case 'object': {
      const attrs = [...t.attributes].map(([k, a]) => {
        const inner = typeString(a.type);
        return `${k}=${a.optional ? `optional(${inner})` : inner}`;
      });
      return `object({${attrs.join(', ')}})`;
    }
    default:
      return t.kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Primitive conversions (cty's rules)

/** Numbers print without exponent and with the fewest digits that round-trip, as cty does. */
export function formatNumber(n: number): string {
  if (Object.is(n, -0)) return '0';
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return expandExponent(s);
}

function expandExponent(s: string): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const [, sign = '', lead = '', frac = '', expStr = '0'] = m;
  const digits = lead + frac;
  const exp = Number(expStr);
  const point = 1 + exp; // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const NUMBER_SYNTAX = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Parses a string the way cty converts strings to numbers; undefined when it isn't one. */
export function parseNumber(s: string): number | undefined {
  if (!NUMBER_SYNTAX.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function toStringValue(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

export function toNumberValue(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseNumber(v);
  return undefined;
}

export function toBoolValue(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

export function isPrimitive(v: Value): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

// ---------------------------------------------------------------------------------------------
// Value helpers shared by the evaluator and the functions

/** Deep equality of values, as HCL's `==`. */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => valueEquals(x, b[i]!));
  }
  if (isValueObject(a)) {
    if (!isValueObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && valueEquals(a[k]!, b[k]!));
  }
  return false;
}

/** Sets a key on an object even when the key is `__proto__`. */
export function setKey(obj: ValueObject, key: string, value: Value): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

export function getKey(obj: ValueObject, key: string): Value | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Object keys in cty's iteration order: lexical by UTF-16 code units, like Go's byte order for ASCII. */
export function sortedKeys(obj: ValueObject): string[] {
  return Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Removes duplicates (by deep equality), keeping the first occurrence. */
export function distinctValues(vs: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of vs) if (!out.some((o) => valueEquals(o, v))) out.push(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conversion to a type

export type PathStep = { attr: string } | { index: number } | { key: string };

export type ConvertResult =
  { ok: true; value: Value } | { ok: false; message: string; path: PathStep[] };

/** Renders a conversion failure the way Terraform does: `attribute "a": element 0: …`. */
export function describeConvertError(r: { message: string; path: PathStep[] }): string {
  const prefix = r.path.map((s) =>
    'attr' in s
      ? `attribute "${s.attr}"`
      : 'index' in s
        ? `element ${s.index}`
        : `element "${s.key}"`,
  );
  return [...prefix, r.message].join(': ');
}

/** Converts v to type t with cty's rules; null converts to every type. */
export function convertValue(v: Value, t: HclType): ConvertResult {
  const path: PathStep[] = [];
  const fail = (message: string): ConvertResult => ({ ok: false, message, path: [...path] });

  const go = (val: Value, ty: HclType): ConvertResult => {
    if (ty.kind === 'any') return { ok: true, value: val };
    if (val === null) return { ok: true, value: null };
    switch (ty.kind) {
      case 'string': {
        if (!isPrimitive(val)) return fail('string required');
        return { ok: true, value: toStringValue(val)! };
      }
      case 'number': {
        if (typeof val === 'number') return { ok: true, value: val };
        if (typeof val === 'string') {
          const n = parseNumber(val);
          return n === undefined ? fail('a number is required') : { ok: true, value: n };
        }
        return fail('number required');
      }
      case 'bool': {
        if (typeof val === 'boolean') return { ok: true, value: val };
        if (typeof val === 'string') {
          const b = toBoolValue(val);
          return b === undefined ? fail('a bool is required') : { ok: true, value: b };
        }
        return fail('bool required');
      }
      case 'list':
      case 'set': {
        if (!Array.isArray(val)) return fail(`${typeFriendlyName(ty)} required`);
        const out: Value[] = [];
        for (let i = 0; i < val.length; i++) {
          path.push({ index: i });
          const r = go(val[i]!, ty.element);
          if (!r.ok) return r;
          path.pop();
          out.push(r.value);
        }
        const unified = unifyElements(out, ty.element);
        if (typeof unified === 'string') return fail(`all ${ty.kind} elements must ${unified}`);
        return { ok: true, value: ty.kind === 'set' ? distinctValues(unified) : unified };
      }
      case 'map': {
        if (!isValueObject(val)) return fail(`${typeFriendlyName(ty)} required`);
        const keys = Object.keys(val);
        const vals: Value[] = [];
        for (const k of keys) {
          path.push({ key: k });
          const r = go(val[k]!, ty.element);
          if (!r.ok) return r;
          path.pop();
          vals.push(r.value);
        }
        const unified = unifyElements(vals, ty.element);
        if (typeof unified === 'string') return fail(`all map elements must ${unified}`);
        const out: ValueObject = {};
        keys.forEach((k, i) => setKey(out, k, unified[i]!));
        return { ok: true, value: out };
      }
      case 'tuple': {
        if (!Array.isArray(val)) return fail('tuple required');
        if (val.length !== ty.elements.length) {
          return fail(`a tuple of ${ty.elements.length} element(s) is required`);
        }
        const out: Value[] = [];
        for (let i = 0; i < val.length; i++) {
          path.push({ index: i });
          const r = go(val[i]!, ty.elements[i]!);
          if (!r.ok) return r;
          path.pop();
          out.push(r.value);
        }
        return { ok: true, value: out };
      }
      case 'object': {
        if (!isValueObject(val)) return fail('object required');
        const out: ValueObject = {};
        for (const [name, attr] of ty.attributes) {
          const present = Object.hasOwn(val, name);
          let raw = present ? val[name]! : null;
          if (!present && !attr.optional) return fail(`attribute "${name}" is required`);
          if (raw === null && attr.default !== undefined) raw = attr.default;
          path.push({ attr: name });
          const r = go(raw, attr.type);
          if (!r.ok) return r;
          path.pop();
          setKey(out, name, r.value);
        }
        return { ok: true, value: out };
      }
    }
  };
  return go(v, t);
}

/**
 * For collections of `any`, cty picks one element type for all elements: strings win over
 * numbers and bools. Returns an error fragment when the primitives cannot agree.
 */
function unifyElements(vals: Value[], element: HclType): Value[] | string {
  if (element.kind !== 'any') return vals;
  const kinds = new Set(vals.filter(isPrimitive).map((v) => typeof v));
  if (kinds.size <= 1) return vals;
  if (!kinds.has('string')) return 'have the same type';
  return vals.map((v) => (isPrimitive(v) ? toStringValue(v)! : v));
}

// ---------------------------------------------------------------------------------------------
// Type expressions

/** Evaluates an `optional(T, default)` default; undefined when it failed (already reported). */
export type ConstEvaluator = (expr: Expression) => Value | undefined;

const TYPE_SPEC_HELP =
  'A type specification is either a primitive type keyword (bool, number, string, any) or a complex type constructor call, like list(string).';

/**
 * Reads a type constraint expression: `string`, `list(number)`, `object({ a = optional(string, "x") })`.
 * Reports "Invalid type specification" at the offending part.
 */
export function parseTypeExpr(
  expr: Expression,
  diags: Diagnostics,
  evalConst?: ConstEvaluator,
): HclType | undefined {
  return parseType(expr, diags, evalConst, false);
}

function parseType(
  expr: Expression,
  diags: Diagnostics,
  evalConst: ConstEvaluator | undefined,
  inObjectAttr: boolean,
): HclType | undefined {
  const bad = (detail: string, range = expr.range): undefined => {
    diags.error('Invalid type specification', range, detail);
    return undefined;
  };
  if (expr.kind === 'Paren') return parseType(expr.expr, diags, evalConst, inObjectAttr);
  if (expr.kind === 'Variable') {
    switch (expr.name) {
      case 'string':
      case 'number':
      case 'bool':
      case 'any':
        return { kind: expr.name };
      case 'list':
      case 'set':
      case 'map':
        return bad(
          `The ${expr.name} type constraint requires one argument specifying the element type.`,
        );
      case 'tuple':
        return bad(
          'The tuple type constraint requires one argument specifying the element types as a list.',
        );
      case 'object':
        return bad(
          'The object type constraint requires one argument specifying the attribute types as a map.',
        );
      default:
        return bad(`The keyword "${expr.name}" is not a valid type specification.`);
    }
  }
  if (expr.kind !== 'FunctionCall') return bad(TYPE_SPEC_HELP);

  const args = expr.args;
  switch (expr.name) {
    case 'list':
    case 'set':
    case 'map': {
      if (args.length !== 1 || expr.expandFinal) {
        return bad(
          `The ${expr.name} type constraint requires one argument specifying the element type.`,
        );
      }
      const element = parseType(args[0]!, diags, evalConst, false);
      return element && { kind: expr.name, element };
    }
    case 'tuple': {
      const list = args[0];
      if (args.length !== 1 || list?.kind !== 'Tuple') {
        return bad(
          'The tuple type constraint requires one argument specifying the element types as a list.',
        );
      }
      const elements: HclType[] = [];
      let ok = true;
      for (const item of list.items) {
        const t = parseType(item, diags, evalConst, false);
        if (t) elements.push(t);
        else ok = false;
      }
      return ok ? { kind: 'tuple', elements } : undefined;
    }
    case 'object': {
      const obj = args[0];
      if (args.length !== 1 || obj?.kind !== 'Object') {
        return bad(
          'The object type constraint requires one argument specifying the attribute types as a map.',
        );
      }
      const attributes = new Map<string, ObjectAttribute>();
      let ok = true;
      for (const item of obj.items) {
        const name = attributeName(item);
        if (name === undefined) {
          bad('Object constructor map keys must be attribute names.', item.key.range);
          ok = false;
          continue;
        }
        const attr = parseObjectAttribute(item.value, diags, evalConst);
        if (attr) attributes.set(name, attr);
        else ok = false;
      }
      return ok ? { kind: 'object', attributes } : undefined;
    }
    case 'optional':
      return bad(
        inObjectAttr
          ? 'The optional modifier takes the attribute type and, optionally, a default value.'
          : 'Keyword "optional" is valid only as a modifier for object type attributes.',
      );
    default:
      return bad(`Keyword "${expr.name}" is not a valid type constructor.`, expr.nameRange);
  }
}

function attributeName(item: ObjectItem): string | undefined {
  if (item.key.kind === 'Variable') return item.key.name;
  if (item.key.kind === 'Template') {
    const p = item.key.parts;
    if (p.length === 0) return '';
    const only = p[0];
    if (p.length === 1 && only?.kind === 'TemplateLiteral') return only.value;
  }
  return undefined;
}

function parseObjectAttribute(
  expr: Expression,
  diags: Diagnostics,
  evalConst: ConstEvaluator | undefined,
): ObjectAttribute | undefined {
  if (expr.kind !== 'FunctionCall' || expr.name !== 'optional') {
    const type = parseType(expr, diags, evalConst, true);
    return type && { type, optional: false };
  }
  if (expr.args.length < 1 || expr.args.length > 2) {
    diags.error(
      'Invalid type specification',
      expr.range,
      'The optional modifier takes the attribute type and, optionally, a default value.',
    );
    return undefined;
  }
  const type = parseType(expr.args[0]!, diags, evalConst, false);
  if (!type) return undefined;
  const defExpr = expr.args[1];
  if (!defExpr) return { type, optional: true };
  const raw = evalConst ? evalConst(defExpr) : undefined;
  if (raw === undefined) {
    if (!evalConst) {
      diags.error('Invalid type specification', defExpr.range, 'Defaults cannot be used here.');
    }
    return undefined;
  }
  const converted = convertValue(raw, type);
  if (!converted.ok) {
    diags.error(
      'Invalid default value for optional attribute',
      defExpr.range,
      `This default value is not compatible with the attribute's type constraint: ${describeConvertError(converted)}.`,
    );
    return undefined;
  }
  return { type, optional: true, default: converted.value };
}

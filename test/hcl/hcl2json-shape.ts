/**
 * Converts our HCL syntax tree into exactly the JSON that `@cdktf/hcl2json`'s `parse()` returns,
 * so the differential test can compare our parser with HashiCorp's on the same file.
 *
 * hcl2json (tmccombs/hcl2json's converter, in the cdktf fork compiled to WASM) follows these
 * rules, learned from its source and by running it:
 * - A body is an object: blocks first, in source order, then attributes (so an attribute
 *   replaces a block of the same name).
 * - A block nests by type then by each label: `{type: {label1: {label2: [body, …]}}}`; every
 *   block body sits in a list, repeated blocks append to it.
 * - Literals become JSON values; `-`/`!` applied directly to a literal are folded into a value.
 * - A string without interpolation becomes its decoded text, with `${` and `%{` escaped back to
 *   `$${` and `%%{`. A template that is exactly one `${…}` becomes what that expression becomes.
 *   Other templates are rebuilt as template text: each `${expr}` is printed from the source text
 *   of `expr`, `%{if}`/`%{for}` directives are printed in a normalised form, and — as hcl2json
 *   cannot tell them apart — so is a conditional expression used directly as an interpolation.
 * - Tuples and objects are converted element by element. Object keys: a bare name or a plain
 *   traversal is its source text, a string or literal its text, anything else `${source}`.
 * - Every other expression becomes `"${source text}"`.
 *
 * Template literal values are taken from the AST as final: the parser is expected to have applied
 * `~` strip markers and `<<-` indentation removal exactly as hclsyntax does (per literal token).
 */
import type {
  Block,
  Body,
  Expression,
  File,
  LiteralExpr,
  ObjectItem,
  TemplateExpr,
  TemplatePart,
} from '../../src/hcl/ast.js';
import type { SourceRange } from '../../src/diag/range.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** The JSON hcl2json would produce for `file`, whose source text is `source`. */
export function toHcl2JsonShape(file: File, source: string): JsonObject {
  return new Converter(source).body(file.body);
}

class Converter {
  private readonly bytes: Buffer;

  constructor(source: string) {
    this.bytes = Buffer.from(source, 'utf8');
  }

  body(body: Body): JsonObject {
    const out: JsonObject = {};
    for (const item of body.items) if (item.kind === 'Block') this.block(item, out);
    for (const item of body.items) {
      if (item.kind === 'Attribute') out[item.name] = this.expression(item.expr);
    }
    return out;
  }

  private block(block: Block, parent: JsonObject): void {
    let out = parent;
    let key = block.type;
    for (const label of block.labels) {
      const existing = out[key];
      if (existing === undefined) {
        const fresh: JsonObject = {};
        out[key] = fresh;
        out = fresh;
      } else if (isObject(existing)) {
        out = existing;
      } else {
        // hcl2json fails the whole file here; so do we.
        throw new Error(`hcl2json cannot nest block ${block.type} under a list at "${key}"`);
      }
      key = label.value;
    }
    const value = this.body(block.body);
    const existing = out[key];
    if (existing === undefined) out[key] = [value];
    else if (Array.isArray(existing)) existing.push(value);
    else throw new Error(`hcl2json cannot append block ${block.type} to an object at "${key}"`);
  }

  private expression(expr: Expression): Json {
    switch (expr.kind) {
      case 'Literal':
        return jsonNumber(expr.value);
      case 'Unary':
        return this.unary(expr);
      case 'Template': {
        const wrapped = templateWrapped(expr);
        return wrapped ? this.expression(wrapped) : this.templateText(expr);
      }
      case 'Tuple':
        return expr.items.map((item) => this.expression(item));
      case 'Object': {
        const out: JsonObject = {};
        for (const item of expr.items) out[this.key(item)] = this.expression(item.value);
        return out;
      }
      default:
        return this.wrap(expr);
    }
  }

  /** `-1` and `!true` become values; anything else stays source text. */
  private unary(expr: Extract<Expression, { kind: 'Unary' }>): Json {
    const operand = expr.operand;
    // A parser may fold `-1` into one literal; `- -1` must still not fold twice.
    if (operand.kind !== 'Literal' || operand.raw.startsWith('-')) return this.wrap(expr);
    const v = operand.value;
    if (expr.op === '-' && typeof v === 'number') return jsonNumber(-v);
    if (expr.op === '!' && typeof v === 'boolean') return !v;
    throw new Error(`hcl2json cannot apply ${expr.op} to ${String(v)}`);
  }

  private key(item: ObjectItem): string {
    const key = item.key;
    if (item.bareKey || isTraversal(key)) return this.source(key.range);
    return this.stringPart(key);
  }

  /** A template as text (not the one-interpolation case, handled by the caller). */
  private templateText(t: TemplateExpr): string {
    return this.parts(t.parts);
  }

  private parts(parts: TemplatePart[]): string {
    let s = '';
    for (const p of parts) s += this.part(p);
    return s;
  }

  private part(p: TemplatePart): string {
    switch (p.kind) {
      case 'TemplateLiteral':
        return escapeTemplate(p.value);
      case 'TemplateInterp':
        return this.stringPart(p.expr);
      case 'TemplateIf':
        return this.conditionalText(p.cond.range, this.parts(p.then), this.parts(p.else ?? []));
      case 'TemplateFor': {
        const names = p.keyVar === undefined ? p.valueVar : `${p.keyVar}, ${p.valueVar}`;
        const coll = this.source(p.collection.range);
        return `%{for ${names} in ${coll}}${this.parts(p.body)}%{endfor}`;
      }
    }
  }

  /** An expression in a string position: inside a template, or as an object key. */
  private stringPart(expr: Expression): string {
    switch (expr.kind) {
      case 'Literal':
        return literalText(expr);
      case 'Template': {
        const wrapped = templateWrapped(expr);
        return wrapped ? this.stringPart(wrapped) : this.templateText(expr);
      }
      case 'Conditional':
        return this.conditionalText(
          expr.cond.range,
          this.stringPart(expr.then),
          this.stringPart(expr.else),
        );
      default:
        return this.wrap(expr);
    }
  }

  private conditionalText(cond: SourceRange, then: string, otherwise: string): string {
    const elsePart = otherwise.length > 0 ? `%{else}${otherwise}` : '';
    return `%{if ${this.source(cond)}}${then}${elsePart}%{endif}`;
  }

  private wrap(expr: Expression): string {
    return '${' + this.source(expr.range) + '}';
  }

  /** The source text of a range, read by UTF-8 byte offsets as hclsyntax ranges are. */
  private source(range: SourceRange): string {
    let end = range.end.byte;
    // hcl2json's own quirk: it takes one more byte when that byte is `)`.
    if (this.bytes[end] === 0x29) end++;
    return this.bytes.subarray(range.start.byte, end).toString('utf8');
  }
}

/** The single interpolated expression of a template like `"${x}"`, if it is one. */
function templateWrapped(t: TemplateExpr): Expression | undefined {
  const only = t.parts.length === 1 ? t.parts[0] : undefined;
  return only?.kind === 'TemplateInterp' ? only.expr : undefined;
}

/** Whether hclsyntax would parse this as one static traversal (`a.b[0]["k"]`). */
function isTraversal(expr: Expression): boolean {
  switch (expr.kind) {
    case 'Variable':
      return true;
    case 'GetAttr':
      return isTraversal(expr.object);
    case 'Index':
      return isTraversal(expr.object) && isStaticKey(expr.key);
    default:
      return false;
  }
}

function isStaticKey(key: Expression): boolean {
  if (key.kind === 'Literal') return key.value !== null;
  return key.kind === 'Template' && key.parts.every((p) => p.kind === 'TemplateLiteral');
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Literal values as hcl2json's JSON carries them: no -0, and non-finite numbers as null. */
function jsonNumber(v: null | boolean | number): Json {
  if (typeof v !== 'number') return v;
  if (!Number.isFinite(v)) return null;
  return v === 0 ? 0 : v;
}

/** A literal converted to a string the way cty does (numbers in plain decimal notation). */
function literalText(lit: LiteralExpr): string {
  // cty prints a null converted to a string as "null".
  if (lit.value === null || typeof lit.value === 'boolean') return String(lit.value);
  return plainDecimal(lit.raw) ?? String(lit.value);
}

/** `1.50e3` → `1500`, `007` → `7`, `25e-2` → `0.25`: exact, from the source digits. */
export function plainDecimal(raw: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw.trim());
  if (!m) return undefined;
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  const digits = int + frac;
  const point = int.length + Number(exp);
  let whole: string;
  let fraction: string;
  if (point <= 0) {
    whole = '0';
    fraction = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    whole = digits + '0'.repeat(point - digits.length);
    fraction = '';
  } else {
    whole = digits.slice(0, point);
    fraction = digits.slice(point);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  fraction = fraction.replace(/0+$/, '');
  const text = fraction ? `${whole}.${fraction}` : whole;
  return text === '0' ? '0' : sign + text;
}

function escapeTemplate(s: string): string {
  // A function replacement: in a replacement string `$$` would mean a single `$`.
  return s.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
}

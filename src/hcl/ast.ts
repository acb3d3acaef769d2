/**
 * The syntax tree of HCL2's native syntax (hashicorp/hcl hclsyntax spec). Every node keeps the
 * range it was parsed from so that every later stage can point at the exact source.
 *
 * The parser builds it; the evaluator, the jobspec decoder and the formatter read it.
 */
import type { SourceRange } from '../diag/range.js';

interface NodeBase {
  range: SourceRange;
}

// ---------------------------------------------------------------------------------------------
// Structure

/** One parsed file. */
export interface File {
  kind: 'File';
  filename: string;
  body: Body;
  /** Every token, comments and newlines included: the formatter works from these. */
  tokens: Token[];
}

export interface Body extends NodeBase {
  kind: 'Body';
  /** Attributes and blocks in source order. */
  items: BodyItem[];
}

export type BodyItem = Attribute | Block;

export interface Attribute extends NodeBase {
  kind: 'Attribute';
  name: string;
  nameRange: SourceRange;
  /** The range of the `=` sign. */
  equalsRange: SourceRange;
  expr: Expression;
}

export interface BlockLabel {
  value: string;
  range: SourceRange;
  /** true for `"quoted"` labels, false for bare identifier labels. */
  quoted: boolean;
}

export interface Block extends NodeBase {
  kind: 'Block';
  type: string;
  typeRange: SourceRange;
  labels: BlockLabel[];
  body: Body;
  openBraceRange: SourceRange;
  closeBraceRange: SourceRange;
}

// ---------------------------------------------------------------------------------------------
// Expressions

export type Expression =
  | LiteralExpr
  | TemplateExpr
  | VariableExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | AnonSplatItemExpr
  | FunctionCallExpr
  | ConditionalExpr
  | BinaryExpr
  | UnaryExpr
  | TupleExpr
  | ObjectExpr
  | ForExpr
  | ParenExpr
  | InvalidExpr;

/** `null`, `true`, `false` or a number. Strings are always `TemplateExpr`. */
export interface LiteralExpr extends NodeBase {
  kind: 'Literal';
  value: null | boolean | number;
  /** The source text, e.g. `1.5e3`, kept for the formatter. */
  raw: string;
}

/**
 * A quoted string or heredoc. A string with no interpolation is a template with one literal
 * part. HCL's "template wrap" rule applies at evaluation: a template that is exactly one `${x}`
 * with nothing around it yields x's value unconverted.
 */
export interface TemplateExpr extends NodeBase {
  kind: 'Template';
  parts: TemplatePart[];
  /** Present for heredocs. */
  heredoc?: { marker: string; flush: boolean };
}

export type TemplatePart = TemplateLiteral | TemplateInterp | TemplateIf | TemplateFor;

/** Literal text, escapes already decoded (`$${` and `%%{` already reduced). */
export interface TemplateLiteral extends NodeBase {
  kind: 'TemplateLiteral';
  value: string;
}

/** `${ expr }`, with `~` strip markers. */
export interface TemplateInterp extends NodeBase {
  kind: 'TemplateInterp';
  expr: Expression;
  stripLeft: boolean;
  stripRight: boolean;
}

/** `%{ if cond }…%{ else }…%{ endif }` */
export interface TemplateIf extends NodeBase {
  kind: 'TemplateIf';
  cond: Expression;
  then: TemplatePart[];
  else?: TemplatePart[];
  /** Strip markers on each directive, in source order: if, else (if any), endif. */
  strip: { left: boolean; right: boolean }[];
}

/** `%{ for k, v in coll }…%{ endfor }` */
export interface TemplateFor extends NodeBase {
  kind: 'TemplateFor';
  keyVar?: string;
  valueVar: string;
  collection: Expression;
  body: TemplatePart[];
  /** Strip markers on each directive: for, endfor. */
  strip: { left: boolean; right: boolean }[];
}

/** A bare name at the root of a traversal: `var`, `local`, `attr`, a `for` variable … */
export interface VariableExpr extends NodeBase {
  kind: 'Variable';
  name: string;
}

/** `object.name` */
export interface GetAttrExpr extends NodeBase {
  kind: 'GetAttr';
  object: Expression;
  name: string;
  nameRange: SourceRange;
}

/** `object[key]`, and the legacy `object.0` form (with `legacyDot`). */
export interface IndexExpr extends NodeBase {
  kind: 'Index';
  object: Expression;
  key: Expression;
  legacyDot?: boolean;
}

/**
 * `source.*.a.b` (attribute-only splat, `full: false`) or `source[*].a[0]` (full splat). `each`
 * is the traversal applied to every element, rooted at an `AnonSplatItem`.
 */
export interface SplatExpr extends NodeBase {
  kind: 'Splat';
  source: Expression;
  each: Expression;
  full: boolean;
}

/** The element placeholder at the root of a splat's `each`. */
export interface AnonSplatItemExpr extends NodeBase {
  kind: 'AnonSplatItem';
}

export interface FunctionCallExpr extends NodeBase {
  kind: 'FunctionCall';
  name: string;
  nameRange: SourceRange;
  args: Expression[];
  /** `f(a, b...)`: the last argument is expanded. */
  expandFinal: boolean;
}

export interface ConditionalExpr extends NodeBase {
  kind: 'Conditional';
  cond: Expression;
  then: Expression;
  else: Expression;
}

export type BinaryOp =
  '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpr extends NodeBase {
  kind: 'Binary';
  op: BinaryOp;
  left: Expression;
  right: Expression;
}

export interface UnaryExpr extends NodeBase {
  kind: 'Unary';
  op: '!' | '-';
  operand: Expression;
}

export interface TupleExpr extends NodeBase {
  kind: 'Tuple';
  items: Expression[];
}

export interface ObjectItem extends NodeBase {
  /**
   * The key. A bare identifier key (`{ a = 1 }`) is a `Variable` node with `bareKey` set on the
   * item: it means the string "a", not a variable. `(a) = 1` is a `Paren` and is evaluated.
   */
  key: Expression;
  bareKey: boolean;
  value: Expression;
  /** `=` or `:` */
  separator: '=' | ':';
}

export interface ObjectExpr extends NodeBase {
  kind: 'Object';
  items: ObjectItem[];
}

/** `[for k, v in coll : v if cond]` or `{for k, v in coll : k => v... if cond}` */
export interface ForExpr extends NodeBase {
  kind: 'For';
  keyVar?: string;
  valueVar: string;
  collection: Expression;
  /** Present for object `for` (`{ … }`), absent for tuple `for` (`[ … ]`). */
  keyExpr?: Expression;
  valueExpr: Expression;
  cond?: Expression;
  /** `...` after the value: group values with the same key into tuples. */
  group: boolean;
}

export interface ParenExpr extends NodeBase {
  kind: 'Paren';
  expr: Expression;
}

/** Stands where the parser met an error and recovered; evaluating it yields no value. */
export interface InvalidExpr extends NodeBase {
  kind: 'Invalid';
}

// ---------------------------------------------------------------------------------------------
// Tokens (for the formatter and for error recovery)

export type TokenType =
  | 'Ident'
  | 'Number'
  | 'OQuote' // "
  | 'CQuote' // "
  | 'OHeredoc' // <<EOT or <<-EOT, newline included
  | 'CHeredoc' // the closing marker line
  | 'QuotedLit' // literal text inside a quoted string or heredoc (raw, escapes not decoded)
  | 'TemplateInterp' // ${ or ${~
  | 'TemplateControl' // %{ or %{~
  | 'TemplateSeqEnd' // } or ~} that closes an interpolation or directive
  | 'OBrace'
  | 'CBrace'
  | 'OBrack'
  | 'CBrack'
  | 'OParen'
  | 'CParen'
  | 'Comma'
  | 'Dot'
  | 'Ellipsis'
  | 'Equal'
  | 'Colon'
  | 'Question'
  | 'FatArrow'
  | 'Star'
  | 'Op' // + - * / % == != < <= > >= && || !
  | 'Comment' // `#`, `//` (newline not included) or `/* */`
  | 'Newline'
  | 'EOF'
  | 'Invalid';

export interface Token {
  type: TokenType;
  /** Exact source text of the token. */
  text: string;
  range: SourceRange;
}

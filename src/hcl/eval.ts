/**
 * Evaluates HCL expressions (hashicorp/hcl hclsyntax semantics, go-cty conversions) to plain
 * JSON values. Errors become diagnostics at the range of the sub-expression at fault;
 * `evaluate` returns undefined when it reported one (or when a sub-expression did).
 *
 * Nomad's jobspec2 keeps references it cannot resolve — `${attr.kernel.name}`, `${NOMAD_PORT_http}`,
 * `${env["X"]}` — as their own text for the client to interpolate later: a traversal whose root
 * name is not in scope evaluates to the string `${<traversal>}` (the `deferUnknown` option).
 */
import { Diagnostics } from '../diag/diagnostic.js';
import { spanning, type Pos, type SourceRange } from '../diag/range.js';
import type {
  BinaryExpr,
  ConditionalExpr,
  Expression,
  ForExpr,
  FunctionCallExpr,
  GetAttrExpr,
  IndexExpr,
  ObjectExpr,
  SplatExpr,
  TemplateExpr,
  TemplatePart,
  UnaryExpr,
  VariableExpr,
} from './ast.js';
import {
  FuncError,
  type FunctionTable,
  type HclFunction,
  type LazyArg,
  type Param,
} from './functions/spec.js';
import { completeFileAccess, type FileAccess } from './files.js';
import {
  convertValue,
  describeConvertError,
  getKey,
  isPrimitive,
  setKey,
  sortedKeys,
  toBoolValue,
  toNumberValue,
  toStringValue,
  valueEquals,
} from './types.js';
import { isValueObject, typeName, type Value, type ValueObject } from './value.js';

// ---------------------------------------------------------------------------------------------
// Scope

export interface ScopeOptions {
  /** Variables by root name: `var`, `local`, iterators … */
  variables?: Record<string, Value>;
  /** Absent: function calls are an error ("Function calls not allowed"), as in var files. */
  functions?: FunctionTable;
  /** The directory `file()` and friends resolve relative paths against. */
  baseDir?: string;
  /** File access for `file()` and friends; what is not given fails (no file system). */
  files?: Partial<FileAccess>;
  /** The clock, for `timestamp()`. */
  now?: () => Date;
  /** Keep references to unknown root names as `${…}` text (Nomad's client-side interpolation). */
  deferUnknown?: boolean;
  /** false: any variable reference is an error ("Variables not allowed"), as in var files. */
  variablesAllowed?: boolean;
  /** Source text by filename, so deferred references keep their exact spelling. */
  sourceText?: (filename: string) => string | undefined;
}

/** What every scope of one evaluation shares. */
interface ScopeEnv {
  functions: FunctionTable | undefined;
  baseDir: string;
  files: FileAccess;
  now: () => Date;
  deferUnknown: boolean;
  variablesAllowed: boolean;
  sourceText: ((filename: string) => string | undefined) | undefined;
  /** `var.x` / `local.x` whose value failed: references to them stay quiet (already reported). */
  failed: Set<string>;
  /** UTF-8 bytes of source files, cached: ranges are byte offsets. */
  sourceBytes: Map<string, Buffer | undefined>;
}

/** Names visible to an expression; a child scope adds names (iterators) over its parent's. */
export class EvalScope {
  private constructor(
    private readonly env: ScopeEnv,
    private readonly vars: ReadonlyMap<string, Value>,
    readonly parent: EvalScope | undefined,
    /** The element a splat's `each` traversal applies to. */
    readonly splatItem?: { value: Value },
  ) {}

  static create(opts: ScopeOptions = {}): EvalScope {
    const env: ScopeEnv = {
      functions: opts.functions,
      baseDir: opts.baseDir ?? '.',
      files: completeFileAccess(opts.files ?? {}),
      now: opts.now ?? (() => new Date()),
      deferUnknown: opts.deferUnknown ?? false,
      variablesAllowed: opts.variablesAllowed ?? true,
      sourceText: opts.sourceText,
      failed: new Set(),
      sourceBytes: new Map(),
    };
    return new EvalScope(env, new Map(Object.entries(opts.variables ?? {})), undefined);
  }

  /** A scope that adds (or shadows) names. */
  child(vars: Record<string, Value>): EvalScope {
    return new EvalScope(this.env, new Map(Object.entries(vars)), this, this.splatItem);
  }

  withSplatItem(value: Value): EvalScope {
    return new EvalScope(this.env, new Map(), this, { value });
  }

  lookup(name: string): { value: Value } | undefined {
    if (this.vars.has(name)) return { value: this.vars.get(name)! };
    return this.parent?.lookup(name);
  }

  /** Every visible name, for "did you mean" suggestions. */
  names(): string[] {
    return [...new Set([...this.vars.keys(), ...(this.parent?.names() ?? [])])];
  }

  get functions(): FunctionTable | undefined {
    return this.env.functions;
  }
  get baseDir(): string {
    return this.env.baseDir;
  }
  get files(): FileAccess {
    return this.env.files;
  }
  now(): Date {
    return this.env.now();
  }
  get deferUnknown(): boolean {
    return this.env.deferUnknown;
  }
  get variablesAllowed(): boolean {
    return this.env.variablesAllowed;
  }
  /** The UTF-8 bytes of a source file, when the scope was given source text. */
  sourceBytes(filename: string): Buffer | undefined {
    const cache = this.env.sourceBytes;
    if (!cache.has(filename)) {
      const text = this.env.sourceText?.(filename);
      cache.set(filename, text === undefined ? undefined : Buffer.from(text, 'utf8'));
    }
    return cache.get(filename);
  }

  /** Marks `var.x` / `local.x` as failed so that references to it add no further errors. */
  markFailed(root: string, name: string): void {
    this.env.failed.add(`${root}.${name}`);
  }
  isFailed(root: string, name: string): boolean {
    return this.env.failed.has(`${root}.${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

export function evaluate(
  expr: Expression,
  scope: EvalScope,
  diags: Diagnostics,
): Value | undefined {
  switch (expr.kind) {
    case 'Literal':
      return expr.value;
    case 'Template':
      return evalTemplate(expr, scope, diags);
    case 'Variable':
    case 'GetAttr':
    case 'Index':
      return evalTraversal(expr, scope, diags);
    case 'Splat':
      return evalSplat(expr, scope, diags);
    case 'AnonSplatItem':
      if (scope.splatItem) return scope.splatItem.value;
      diags.error('Invalid splat expression', expr.range, 'A splat item is used outside a splat.');
      return undefined;
    case 'FunctionCall':
      return evalCall(expr, scope, diags);
    case 'Conditional':
      return evalConditional(expr, scope, diags);
    case 'Binary':
      return evalBinary(expr, scope, diags);
    case 'Unary':
      return evalUnary(expr, scope, diags);
    case 'Tuple': {
      const out: Value[] = [];
      let ok = true;
      for (const item of expr.items) {
        const v = evaluate(item, scope, diags);
        if (v === undefined) ok = false;
        else out.push(v);
      }
      return ok ? out : undefined;
    }
    case 'Object':
      return evalObject(expr, scope, diags);
    case 'For':
      return evalFor(expr, scope, diags);
    case 'Paren':
      return evaluate(expr.expr, scope, diags);
    case 'Invalid':
      return undefined; // the parser already reported it
  }
}

// ---------------------------------------------------------------------------------------------
// Traversals and deferred references

type TraversalExpr = VariableExpr | GetAttrExpr | IndexExpr;

/** An index key HCL folds into a static traversal at parse time: a literal number or string. */
function literalKey(e: Expression): Value | undefined {
  if (e.kind === 'Literal') return e.value;
  if (e.kind === 'Template' && !e.heredoc) {
    if (e.parts.length === 0) return '';
    const only = e.parts[0];
    if (e.parts.length === 1 && only?.kind === 'TemplateLiteral') return only.value;
  }
  return undefined;
}

/** The root of `a.b["c"].0`; undefined when the expression is not a static traversal. */
export function traversalRoot(e: Expression): VariableExpr | undefined {
  switch (e.kind) {
    case 'Variable':
      return e;
    case 'GetAttr':
      return traversalRoot(e.object);
    case 'Index':
      return literalKey(e.key) === undefined ? undefined : traversalRoot(e.object);
    default:
      return undefined;
  }
}

function evalTraversal(e: TraversalExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const root = traversalRoot(e);
  if (root && !scope.lookup(root.name)) return unknownRoot(e, root, scope, diags);

  if (e.kind === 'Variable') return scope.lookup(e.name)?.value;

  if (e.kind === 'GetAttr') {
    const special = e.object.kind === 'Variable' ? e.object.name : undefined;
    if ((special === 'var' || special === 'local') && scope.isFailed(special, e.name)) {
      return undefined;
    }
    const obj = evaluate(e.object, scope, diags);
    if (obj === undefined) return undefined;
    if (
      (special === 'var' || special === 'local') &&
      isValueObject(obj) &&
      !Object.hasOwn(obj, e.name)
    ) {
      undeclaredNamedValue(special, e, Object.keys(obj), diags);
      return undefined;
    }
    return getAttr(obj, e.name, e.nameRange, diags);
  }

  const obj = evaluate(e.object, scope, diags);
  const key = evaluate(e.key, scope, diags);
  if (obj === undefined || key === undefined) return undefined;
  return index(obj, key, bracketRange(e), diags);
}

function unknownRoot(
  e: TraversalExpr,
  root: VariableExpr,
  scope: EvalScope,
  diags: Diagnostics,
): Value | undefined {
  if (!scope.variablesAllowed) {
    diags.error('Variables not allowed', root.range, 'Variables may not be used here.');
    return undefined;
  }
  if (scope.deferUnknown) return '${' + traversalText(e, scope) + '}';
  diags.error(
    'Unknown variable',
    root.range,
    `There is no variable named "${root.name}".${didYouMean(root.name, scope.names())}`,
  );
  return undefined;
}

function undeclaredNamedValue(
  root: 'var' | 'local',
  e: GetAttrExpr,
  known: string[],
  diags: Diagnostics,
): void {
  const hint = didYouMean(e.name, known);
  if (root === 'var') {
    diags.error(
      'Reference to undeclared input variable',
      e.range,
      `An input variable with the name "${e.name}" has not been declared.${hint || ` This variable can be declared with a variable "${e.name}" {} block.`}`,
    );
  } else {
    diags.error(
      'Reference to undeclared local value',
      e.range,
      `A local value with the name "${e.name}" has not been declared.${hint}`,
    );
  }
}

/** The source text of a traversal: sliced from the file when available, otherwise rebuilt. */
function traversalText(e: TraversalExpr, scope: EvalScope): string {
  const bytes = scope.sourceBytes(e.range.filename);
  if (bytes && e.range.end.byte <= bytes.length) {
    return bytes.subarray(e.range.start.byte, e.range.end.byte).toString('utf8');
  }
  return rebuildTraversal(e);
}

function rebuildTraversal(e: Expression): string {
  switch (e.kind) {
    case 'Variable':
      return e.name;
    case 'GetAttr':
      return `${rebuildTraversal(e.object)}.${e.name}`;
    case 'Index': {
      const key = e.key;
      const inner = rebuildTraversal(e.object);
      if (key.kind === 'Literal')
        return e.legacyDot ? `${inner}.${key.raw}` : `${inner}[${key.raw}]`;
      return `${inner}[${quoteHclString(keyText(literalKey(key)))}]`;
    }
    default:
      return '';
  }
}

function keyText(k: Value | undefined): string {
  return k !== undefined && isPrimitive(k) ? toStringValue(k)! : '';
}

function quoteHclString(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$${')
    .replace(/%\{/g, '%%{');
  return `"${body}"`;
}

/** The `[key]` (or `.0`) part of an index expression, for diagnostics. */
function bracketRange(e: IndexExpr): SourceRange {
  return spanning(e.object.range, e.range, true);
}

/** HCL's attribute access `obj.name`. */
export function getAttr(
  obj: Value,
  name: string,
  range: SourceRange,
  diags: Diagnostics,
): Value | undefined {
  if (obj === null) {
    diags.error(
      'Attempt to get attribute from null value',
      range,
      'This value is null, so it does not have any attributes.',
    );
    return undefined;
  }
  if (isValueObject(obj)) {
    const v = getKey(obj, name);
    if (v !== undefined) return v;
    diags.error(
      'Unsupported attribute',
      range,
      `This object does not have an attribute named "${name}".`,
    );
    return undefined;
  }
  if (Array.isArray(obj)) {
    const objects = obj.length > 0 && obj.every(isValueObject);
    const hasIt = objects && obj.some((o) => isValueObject(o) && Object.hasOwn(o, name));
    diags.error(
      'Unsupported attribute',
      range,
      hasIt
        ? `Can't access attributes on a list of objects. Did you mean to access attribute "${name}" for a specific element of the list, or across all elements of the list?`
        : objects
          ? "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?"
          : 'This value does not have any attributes.',
    );
    return undefined;
  }
  diags.error(
    'Unsupported attribute',
    range,
    `Can't access attributes on a primitive-typed value (${typeName(obj)}).`,
  );
  return undefined;
}

/** HCL's index operator `coll[key]`. */
export function index(
  coll: Value,
  key: Value,
  range: SourceRange,
  diags: Diagnostics,
): Value | undefined {
  const invalid = (detail: string): undefined => {
    diags.error('Invalid index', range, detail);
    return undefined;
  };
  const notAnElement = 'The given key does not identify an element in this collection value';
  if (coll === null) {
    diags.error(
      'Attempt to index null value',
      range,
      'This value is null, so it does not have any indices.',
    );
    return undefined;
  }
  if (key === null) return invalid("Can't use a null value as an indexing key.");
  if (Array.isArray(coll)) {
    const n = toNumberValue(key);
    if (n === undefined) return invalid(`${notAnElement}: a number is required.`);
    if (!Number.isInteger(n)) {
      return invalid(
        `${notAnElement}: indexing a sequence requires a whole number, but the given index has a fractional part.`,
      );
    }
    if (n < 0)
      return invalid(`${notAnElement}: a negative number is not a valid index for a sequence.`);
    if (n >= coll.length) {
      return invalid(
        coll.length === 0
          ? `${notAnElement}: the collection has no elements.`
          : `${notAnElement}: the given index is greater than or equal to the length of the collection.`,
      );
    }
    return coll[n]!;
  }
  if (isValueObject(coll)) {
    const k = toStringValue(key);
    if (k === undefined) return invalid(`${notAnElement}: string required.`);
    const v = getKey(coll, k);
    if (v !== undefined) return v;
    return invalid(
      `${notAnElement}.${typeof key === 'number' ? ' An object only supports looking up attributes by name, not by numeric index.' : ''}`,
    );
  }
  return invalid('This value does not have any indices.');
}

function evalSplat(e: SplatExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const source = evaluate(e.source, scope, diags);
  if (source === undefined) return undefined;
  // A splat upgrades a non-sequence to a one-element tuple, and null to an empty one.
  const items = source === null ? [] : Array.isArray(source) ? source : [source];
  const out: Value[] = [];
  let ok = true;
  for (const item of items) {
    const v = evaluate(e.each, scope.withSplatItem(item), diags);
    if (v === undefined) ok = false;
    else out.push(v);
  }
  return ok ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Templates

function evalTemplate(t: TemplateExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  // Template wrap: "${x}" alone yields x's value unconverted.
  const only = t.parts[0];
  if (t.parts.length === 1 && only?.kind === 'TemplateInterp' && !t.heredoc) {
    return evaluate(only.expr, scope, diags);
  }
  return renderParts(t.parts, false, false, scope, diags);
}

function stripsLeft(p: TemplatePart | undefined): boolean {
  if (!p) return false;
  if (p.kind === 'TemplateInterp') return p.stripLeft;
  if (p.kind === 'TemplateIf' || p.kind === 'TemplateFor') return p.strip[0]?.left ?? false;
  return false;
}

function stripsRight(p: TemplatePart | undefined): boolean {
  if (!p) return false;
  if (p.kind === 'TemplateInterp') return p.stripRight;
  if (p.kind === 'TemplateIf' || p.kind === 'TemplateFor') return p.strip.at(-1)?.right ?? false;
  return false;
}

/**
 * Renders template parts to a string. `~` strip markers trim the whitespace of the adjacent
 * literal; `lead`/`trail` say whether the enclosing directive strips this sequence's ends.
 */
function renderParts(
  parts: TemplatePart[],
  lead: boolean,
  trail: boolean,
  scope: EvalScope,
  diags: Diagnostics,
): string | undefined {
  let out = '';
  let ok = true;
  parts.forEach((p, i) => {
    switch (p.kind) {
      case 'TemplateLiteral': {
        let s = p.value;
        if (i === 0 ? lead : stripsRight(parts[i - 1])) s = s.trimStart();
        if (i === parts.length - 1 ? trail : stripsLeft(parts[i + 1])) s = s.trimEnd();
        out += s;
        return;
      }
      case 'TemplateInterp': {
        const v = evaluate(p.expr, scope, diags);
        if (v === undefined) {
          ok = false;
          return;
        }
        const s = interpolationString(v, p.expr.range, diags);
        if (s === undefined) ok = false;
        else out += s;
        return;
      }
      case 'TemplateIf': {
        const cond = conditionValue(p.cond, scope, diags);
        if (cond === undefined) {
          ok = false;
          return;
        }
        const hasElse = p.else !== undefined;
        const strip = (n: number, side: 'left' | 'right'): boolean => p.strip[n]?.[side] ?? false;
        const s = cond
          ? renderParts(p.then, strip(0, 'right'), strip(1, 'left'), scope, diags)
          : hasElse
            ? renderParts(p.else ?? [], strip(1, 'right'), strip(2, 'left'), scope, diags)
            : '';
        if (s === undefined) ok = false;
        else out += s;
        return;
      }
      case 'TemplateFor': {
        const coll = evaluate(p.collection, scope, diags);
        if (coll === undefined) {
          ok = false;
          return;
        }
        const entries = iterate(coll, p.collection.range, diags);
        if (!entries) {
          ok = false;
          return;
        }
        for (const [k, v] of entries) {
          const vars: Record<string, Value> = { [p.valueVar]: v };
          if (p.keyVar) vars[p.keyVar] = k;
          const s = renderParts(
            p.body,
            p.strip[0]?.right ?? false,
            p.strip[1]?.left ?? false,
            scope.child(vars),
            diags,
          );
          if (s === undefined) ok = false;
          else out += s;
        }
        return;
      }
    }
  });
  return ok ? out : undefined;
}

function interpolationString(v: Value, range: SourceRange, diags: Diagnostics): string | undefined {
  if (v === null) {
    diags.error(
      'Invalid template interpolation value',
      range,
      'The expression result is null. Cannot include a null value in a string template.',
    );
    return undefined;
  }
  const s = toStringValue(v);
  if (s === undefined) {
    diags.error(
      'Invalid template interpolation value',
      range,
      `Cannot include the given value in a string template: string required, but have ${typeName(v)}.`,
    );
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Operators and conditionals

function conditionValue(
  cond: Expression,
  scope: EvalScope,
  diags: Diagnostics,
): boolean | undefined {
  const v = evaluate(cond, scope, diags);
  if (v === undefined) return undefined;
  if (v === null) {
    diags.error(
      'Null condition',
      cond.range,
      'The condition value is null. Conditions must either be true or false.',
    );
    return undefined;
  }
  const b = toBoolValue(v);
  if (b === undefined) {
    diags.error(
      'Incorrect condition type',
      cond.range,
      'The condition expression must be of type bool.',
    );
  }
  return b;
}

function evalConditional(
  e: ConditionalExpr,
  scope: EvalScope,
  diags: Diagnostics,
): Value | undefined {
  const cond = conditionValue(e.cond, scope, diags);
  if (cond === undefined) return undefined;
  const [chosen, other] = cond ? [e.then, e.else] : [e.else, e.then];
  const v = evaluate(chosen, scope, diags);
  if (v === undefined || !isPrimitive(v)) return v;
  // HCL unifies the two result types: `c ? 1 : "x"` yields the string "1". The other branch is
  // looked at only for its type; its errors are not ours to report.
  const scratch = new Diagnostics();
  const o = evaluate(other, scope, scratch);
  if (o === undefined || o === null || !isPrimitive(o) || typeof o === typeof v) return v;
  if (typeof v === 'string' || typeof o === 'string') return toStringValue(v);
  diags.error(
    'Inconsistent conditional result types',
    e.range,
    `The true and false result expressions must have consistent types. The 'true' value is ${typeName(cond ? v : o)}, but the 'false' value is ${typeName(cond ? o : v)}.`,
  );
  return undefined;
}

function operandNumber(
  v: Value,
  side: 'left' | 'right',
  range: SourceRange,
  diags: Diagnostics,
): number | undefined {
  const n = toNumberValue(v);
  if (n === undefined) {
    diags.error(
      'Invalid operand',
      range,
      v === null
        ? `Unsuitable value for ${side} operand: a number is required, but the value is null.`
        : `Unsuitable value for ${side} operand: a number is required.`,
    );
  }
  return n;
}

function operandBool(
  v: Value,
  side: 'left' | 'right',
  range: SourceRange,
  diags: Diagnostics,
): boolean | undefined {
  const b = toBoolValue(v);
  if (b === undefined) {
    diags.error(
      'Invalid operand',
      range,
      v === null
        ? `Unsuitable value for ${side} operand: a bool is required, but the value is null.`
        : `Unsuitable value for ${side} operand: a bool is required.`,
    );
  }
  return b;
}

function evalBinary(e: BinaryExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  if (e.op === '&&' || e.op === '||') {
    const lv = evaluate(e.left, scope, diags);
    if (lv === undefined) return undefined;
    const l = operandBool(lv, 'left', e.left.range, diags);
    if (l === undefined) return undefined;
    // Short-circuit, as current HCL does: `x != null && x.a` is safe.
    if (e.op === '&&' ? !l : l) return l;
    const rv = evaluate(e.right, scope, diags);
    if (rv === undefined) return undefined;
    return operandBool(rv, 'right', e.right.range, diags);
  }

  const lv = evaluate(e.left, scope, diags);
  const rv = evaluate(e.right, scope, diags);
  if (lv === undefined || rv === undefined) return undefined;
  if (e.op === '==') return valueEquals(lv, rv);
  if (e.op === '!=') return !valueEquals(lv, rv);

  const l = operandNumber(lv, 'left', e.left.range, diags);
  const r = operandNumber(rv, 'right', e.right.range, diags);
  if (l === undefined || r === undefined) return undefined;
  let result: number | boolean;
  switch (e.op) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '+':
      result = l + r;
      break;
    case '-':
      result = l - r;
      break;
    case '*':
      result = l * r;
      break;
    case '/':
      if (r === 0) return operationFailed(e, "can't divide by zero", diags);
      result = l / r;
      break;
    case '%':
      if (r === 0) return operationFailed(e, "can't use modulo by zero", diags);
      result = l % r;
      break;
  }
  if (!Number.isFinite(result)) return operationFailed(e, 'the result is too large', diags);
  return Object.is(result, -0) ? 0 : result;
}

function operationFailed(e: Expression, why: string, diags: Diagnostics): undefined {
  diags.error('Operation failed', e.range, `Error during operation: ${why}.`);
  return undefined;
}

function evalUnary(e: UnaryExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const v = evaluate(e.operand, scope, diags);
  if (v === undefined) return undefined;
  if (e.op === '!') {
    const b = toBoolValue(v);
    if (b === undefined) {
      diags.error(
        'Invalid operand',
        e.operand.range,
        'Unsuitable value for unary operand: a bool is required.',
      );
      return undefined;
    }
    return !b;
  }
  const n = toNumberValue(v);
  if (n === undefined) {
    diags.error(
      'Invalid operand',
      e.operand.range,
      'Unsuitable value for unary operand: a number is required.',
    );
    return undefined;
  }
  return n === 0 ? 0 : -n;
}

// ---------------------------------------------------------------------------------------------
// Collections

function evalObject(e: ObjectExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const out: ValueObject = {};
  let ok = true;
  for (const item of e.items) {
    let key: string | undefined;
    if (item.bareKey && item.key.kind === 'Variable') {
      key = item.key.name;
    } else if (item.key.kind === 'Literal' && typeof item.key.value !== 'number') {
      key = item.key.raw; // `true = 1`, `null = 1`: keywords used as keys are plain names
    } else if (item.key.kind === 'GetAttr' && traversalRoot(item.key)) {
      diags.error(
        'Ambiguous attribute key',
        item.key.range,
        "If this expression is intended to be a reference, wrap it in parentheses. If it's instead intended as a literal name containing periods, wrap it in quotes to create a string literal.",
      );
    } else {
      const k = evaluate(item.key, scope, diags);
      if (k === null) {
        diags.error('Null value as key', item.key.range, "Can't use a null value as a key.");
      } else if (k !== undefined) {
        key = toStringValue(k);
        if (key === undefined) {
          diags.error(
            'Incorrect key type',
            item.key.range,
            `Can't use this value as a key: string required, but have ${typeName(k)}.`,
          );
        }
      }
    }
    const v = evaluate(item.value, scope, diags);
    if (key === undefined || v === undefined) ok = false;
    else setKey(out, key, v);
  }
  return ok ? out : undefined;
}

/**
 * The (key, value) pairs a `for` iterates: index and element of a sequence, or key and value of
 * an object in lexical key order. Reports non-iterable values at `range`.
 */
export function iterate(
  coll: Value,
  range: SourceRange,
  diags: Diagnostics,
): [Value, Value][] | undefined {
  if (coll === null) {
    diags.error(
      'Iteration over null value',
      range,
      "A null value cannot be used as the collection in a 'for' expression.",
    );
    return undefined;
  }
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  if (isValueObject(coll)) return sortedKeys(coll).map((k) => [k, coll[k]!]);
  diags.error(
    'Iteration over non-iterable value',
    range,
    `A value of type ${typeName(coll)} cannot be used as the collection in a 'for' expression.`,
  );
  return undefined;
}

function evalFor(e: ForExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const coll = evaluate(e.collection, scope, diags);
  if (coll === undefined) return undefined;
  const entries = iterate(coll, e.collection.range, diags);
  if (!entries) return undefined;

  const tuple: Value[] = [];
  const object: ValueObject = {};
  const groups = new Map<string, Value[]>();
  let ok = true;
  for (const [k, v] of entries) {
    const vars: Record<string, Value> = { [e.valueVar]: v };
    if (e.keyVar) vars[e.keyVar] = k;
    const inner = scope.child(vars);

    if (e.cond) {
      const c = evaluate(e.cond, inner, diags);
      if (c === undefined) return undefined;
      const include = c === null ? undefined : toBoolValue(c);
      if (include === undefined) {
        diags.error(
          "Invalid 'for' condition",
          e.cond.range,
          c === null
            ? "The value of the 'if' clause must not be null."
            : "The 'if' clause value is invalid: a bool is required.",
        );
        return undefined;
      }
      if (!include) continue;
    }

    if (!e.keyExpr) {
      const val = evaluate(e.valueExpr, inner, diags);
      if (val === undefined) ok = false;
      else tuple.push(val);
      continue;
    }

    const rawKey = evaluate(e.keyExpr, inner, diags);
    if (rawKey === undefined) return undefined;
    const key = rawKey === null ? undefined : toStringValue(rawKey);
    if (key === undefined) {
      diags.error(
        'Invalid object key',
        e.keyExpr.range,
        rawKey === null
          ? "Key expression in 'for' expression must not produce a null value."
          : `The key expression produced an invalid result: string required, but have ${typeName(rawKey)}.`,
      );
      return undefined;
    }
    const val = evaluate(e.valueExpr, inner, diags);
    if (val === undefined) {
      ok = false;
      continue;
    }
    if (e.group) {
      const g = groups.get(key);
      if (g) g.push(val);
      else groups.set(key, [val]);
    } else if (Object.hasOwn(object, key)) {
      diags.error(
        'Duplicate object key',
        e.keyExpr.range,
        `Two different items produced the key "${key}" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`,
      );
      ok = false;
    } else {
      setKey(object, key, val);
    }
  }
  if (!ok) return undefined;
  if (!e.keyExpr) return tuple;
  if (e.group) for (const [k, vs] of groups) setKey(object, k, vs);
  return object;
}

// ---------------------------------------------------------------------------------------------
// Function calls

interface CallArg {
  range: SourceRange;
  expr?: Expression;
  /** Set for values that came from `...` expansion. */
  value?: Value;
}

function evalCall(e: FunctionCallExpr, scope: EvalScope, diags: Diagnostics): Value | undefined {
  const table = scope.functions;
  if (!table) {
    diags.error('Function calls not allowed', e.range, 'Functions may not be called here.');
    return undefined;
  }
  const f = table.get(e.name);
  if (!f) {
    diags.error(
      'Call to unknown function',
      e.nameRange,
      `There is no function named "${e.name}".${didYouMean(e.name, [...table.keys()])}`,
    );
    return undefined;
  }

  const args = expandArgs(e, scope, diags);
  if (!args) return undefined;
  if (!checkArgCount(e, f, args, diags)) return undefined;
  const paramAt = (i: number): Param => (f.params[i] ?? f.variadic)!;

  const report = (err: FuncError): undefined => {
    const i = err.argIndex;
    const arg = i === undefined ? undefined : args[i];
    const msg = err.message.replace(/\.$/, '');
    if (i !== undefined && arg) {
      diags.error(
        'Invalid function argument',
        arg.range,
        `Invalid value for "${paramAt(i).name}" parameter: ${msg}.`,
      );
    } else {
      diags.error(
        'Error in function call',
        e.range,
        `Call to function "${e.name}" failed: ${msg}.`,
      );
    }
    return undefined;
  };
  const ctx = { scope, name: e.name, range: e.range };

  if (f.kind === 'lazy') {
    const lazyArgs: LazyArg[] = args.map((a) => {
      const expr = a.expr;
      return {
        range: a.range,
        ...(expr ? { expr } : {}),
        evaluate: (d: Diagnostics) => (expr ? evaluate(expr, scope, d) : a.value),
      };
    });
    const r = f.impl(lazyArgs, { ...ctx, diags, evaluate: (x, d) => evaluate(x, scope, d) });
    return r instanceof FuncError ? report(r) : r;
  }

  const values: Value[] = [];
  let ok = true;
  args.forEach((a, i) => {
    const raw = a.expr ? evaluate(a.expr, scope, diags) : a.value;
    if (raw === undefined) {
      ok = false;
      return;
    }
    const p = paramAt(i);
    if (raw === null && !p.allowNull) {
      diags.error(
        'Invalid function argument',
        a.range,
        `Invalid value for "${p.name}" parameter: argument must not be null.`,
      );
      ok = false;
      return;
    }
    const c = convertValue(raw, p.type);
    if (!c.ok) {
      diags.error(
        'Invalid function argument',
        a.range,
        `Invalid value for "${p.name}" parameter: ${describeConvertError(c)}.`,
      );
      ok = false;
      return;
    }
    values.push(c.value);
  });
  if (!ok) return undefined;
  const r = f.impl(values, ctx);
  return r instanceof FuncError ? report(r) : r;
}

function expandArgs(
  e: FunctionCallExpr,
  scope: EvalScope,
  diags: Diagnostics,
): CallArg[] | undefined {
  const args: CallArg[] = e.args.map((a) => ({ range: a.range, expr: a }));
  if (!e.expandFinal) return args;
  const last = e.args.at(-1);
  if (!last) return args;
  const v = evaluate(last, scope, diags);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    diags.error(
      'Invalid expanding argument value',
      last.range,
      v === null
        ? 'The expanding argument (indicated by ...) must not be null.'
        : 'The expanding argument (indicated by ...) must be of a tuple, list, or set type.',
    );
    return undefined;
  }
  return [...args.slice(0, -1), ...v.map((value) => ({ range: last.range, value }))];
}

function checkArgCount(
  e: FunctionCallExpr,
  f: HclFunction,
  args: CallArg[],
  diags: Diagnostics,
): boolean {
  const n = f.params.length;
  if (args.length < n) {
    diags.error(
      'Not enough function arguments',
      closingParen(e.range),
      `Function "${e.name}" expects${f.variadic ? ' at least' : ''} ${n} argument(s). Missing value for "${f.params[args.length]!.name}".`,
    );
    return false;
  }
  if (!f.variadic && args.length > n) {
    diags.error(
      'Too many function arguments',
      args[n]!.range,
      `Function "${e.name}" expects only ${n} argument(s).`,
    );
    return false;
  }
  return true;
}

function closingParen(r: SourceRange): SourceRange {
  const start: Pos = {
    line: r.end.line,
    column: Math.max(1, r.end.column - 1),
    byte: Math.max(0, r.end.byte - 1),
  };
  return { filename: r.filename, start, end: r.end };
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** ` Did you mean "x"?` for the closest name within edit distance 2, or "". */
export function didYouMean(given: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(given, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best === undefined ? '' : ` Did you mean "${best}"?`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Static references

/** A reference to a name in scope: the longest static traversal `root.first…`. */
export interface Reference {
  root: string;
  /** The first step's attribute name or literal key, if any: `x` in `var.x` and `var["x"]`. */
  first?: string;
  expr: Expression;
}

/**
 * The references an expression makes to names outside it (iterators of its own `for`
 * expressions excluded), like hcl's `Expression.Variables()`.
 */
export function freeReferences(expr: Expression): Reference[] {
  const out: Reference[] = [];
  const visit = (e: Expression, bound: ReadonlySet<string>): void => {
    const root = traversalRoot(e);
    if (root) {
      if (!bound.has(root.name)) out.push({ root: root.name, ...firstStep(e), expr: e });
      return;
    }
    switch (e.kind) {
      case 'Template':
        visitParts(e.parts, bound);
        return;
      case 'GetAttr':
        visit(e.object, bound);
        return;
      case 'Index':
        visit(e.object, bound);
        visit(e.key, bound);
        return;
      case 'Splat':
        visit(e.source, bound);
        visit(e.each, bound);
        return;
      case 'FunctionCall':
        e.args.forEach((a) => visit(a, bound));
        return;
      case 'Conditional':
        visit(e.cond, bound);
        visit(e.then, bound);
        visit(e.else, bound);
        return;
      case 'Binary':
        visit(e.left, bound);
        visit(e.right, bound);
        return;
      case 'Unary':
        visit(e.operand, bound);
        return;
      case 'Tuple':
        e.items.forEach((i) => visit(i, bound));
        return;
      case 'Object':
        for (const item of e.items) {
          if (!item.bareKey) visit(item.key, bound);
          visit(item.value, bound);
        }
        return;
      case 'For': {
        visit(e.collection, bound);
        const inner = new Set([...bound, e.valueVar, ...(e.keyVar ? [e.keyVar] : [])]);
        if (e.keyExpr) visit(e.keyExpr, inner);
        visit(e.valueExpr, inner);
        if (e.cond) visit(e.cond, inner);
        return;
      }
      case 'Paren':
        visit(e.expr, bound);
        return;
      default:
        return;
    }
  };
  const visitParts = (parts: TemplatePart[], bound: ReadonlySet<string>): void => {
    for (const p of parts) {
      if (p.kind === 'TemplateInterp') visit(p.expr, bound);
      else if (p.kind === 'TemplateIf') {
        visit(p.cond, bound);
        visitParts(p.then, bound);
        if (p.else) visitParts(p.else, bound);
      } else if (p.kind === 'TemplateFor') {
        visit(p.collection, bound);
        visitParts(p.body, new Set([...bound, p.valueVar, ...(p.keyVar ? [p.keyVar] : [])]));
      }
    }
  };
  visit(expr, new Set());
  return out;
}

function firstStep(e: Expression): { first?: string } {
  let cur = e;
  let first: string | undefined;
  while (cur.kind === 'GetAttr' || cur.kind === 'Index') {
    if (cur.kind === 'GetAttr') first = cur.name;
    else {
      const k = literalKey(cur.key);
      first = k === undefined || k === null ? undefined : keyText(k);
    }
    cur = cur.object;
  }
  return first === undefined ? {} : { first };
}

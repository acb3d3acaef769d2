/**
 * Input variables and locals across the top-level body of a job file, as Nomad's jobspec2 does
 * them (types.variables.go, types.config.go): `variable` and `variables` blocks, `locals`
 * blocks, and values from (low to high precedence) defaults, `NOMAD_VAR_<name>` environment
 * variables, `-var-file` files (HCL or JSON) and `-var name=value` flags.
 *
 * The result is the root scope every expression of the job is evaluated in: `var`, `local`,
 * the function library, and deferral of unknown names (`${attr.kernel.name}`) to the client.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import { spanning, type Pos, type SourceRange } from '../diag/range.js';
import type { Block, Body, Expression } from './ast.js';
import { EvalScope, evaluate, freeReferences } from './eval.js';
import { completeFileAccess, type FileAccess } from './files.js';
import { functionsWithoutFiles, standardFunctions } from './functions/index.js';
import { parseExpression, parseHCL } from './parser.js';
import {
  convertValue,
  describeConvertError,
  parseTypeExpr,
  setKey,
  toBoolValue,
  type HclType,
} from './types.js';
import type { Value, ValueObject } from './value.js';

export interface VariableInputs {
  /** `-var` flags, each "name=value". */
  vars: string[];
  /** `-var-file` paths, in the order given. */
  varFiles: string[];
  /** The process environment; `NOMAD_VAR_<name>` entries set variables. */
  env: Record<string, string | undefined>;
}

export interface RootScopeOptions {
  /** The jobspec's directory: `file()` and friends resolve against it. */
  baseDir: string;
  /** Reads files (var files and `file()`); overrides `files.readFile`. */
  readFile?: (path: string) => string;
  /** The clock for `timestamp()`. */
  now?: () => Date;
  /** File access for var files and `file()` and friends; without it, reading any file fails. */
  files?: Partial<FileAccess>;
  /** Source text by filename, so deferred `${…}` references keep their exact spelling. */
  sourceText?: (filename: string) => string | undefined;
  /**
   * Sensitive variables: each one's value is reported here, and with `probe` its value is
   * replaced (after validation) by `probe(value)`, to find what derives from it.
   */
  sensitive?: { found: (value: Value) => void; probe?: (value: Value) => Value };
}

type Origin = 'default' | 'env' | 'file' | 'cli';

interface Assignment {
  from: Origin;
  value: Value;
  /** Where the value was written, when it was written in a file. */
  range?: SourceRange;
}

interface Validation {
  condition: Expression;
  errorMessage: string;
  range: SourceRange;
}

interface VariableDecl {
  name: string;
  range: SourceRange;
  type?: HclType;
  /** -var and NOMAD_VAR_ values are taken as raw text ("raw") or parsed as HCL ("hcl"). */
  inputMode: 'raw' | 'hcl';
  assignments: Assignment[];
  validations: Validation[];
  /** `sensitive = true`: the value and what derives from it are never shown. */
  sensitive?: boolean;
}

interface LocalDecl {
  name: string;
  nameRange: SourceRange;
  expr: Expression;
}

const ENV_PREFIX = 'NOMAD_VAR_';
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_-]*$/u;
const BAD_IDENTIFIER =
  'A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.';

/** Builds the scope the job is evaluated in; reports every variable problem to diags. */
export function buildRootScope(
  body: Body,
  inputs: VariableInputs,
  opts: RootScopeOptions,
  diags: Diagnostics,
): EvalScope {
  const files = completeFileAccess({
    ...opts.files,
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
  });
  const readFile = (p: string): string => files.readFile(p);
  const constants = EvalScope.create({ variablesAllowed: false });

  const variables = new Map<string, VariableDecl>();
  const locals: LocalDecl[] = [];
  for (const item of body.items) {
    if (item.kind !== 'Block') continue;
    if (item.type === 'variable') declareVariable(item, variables, constants, diags);
    else if (item.type === 'variables')
      declareShorthandVariables(item, variables, constants, diags);
    else if (item.type === 'locals') declareLocals(item, locals, diags);
  }

  collectEnv(inputs.env, variables, constants, diags);
  for (const path of inputs.varFiles) collectVarFile(path, readFile, variables, constants, diags);
  collectFlags(inputs.vars, variables, constants, diags);

  const varObject: ValueObject = {};
  const localObject: ValueObject = {};
  const root = EvalScope.create({
    variables: { var: varObject, local: localObject },
    functions: standardFunctions(),
    baseDir: opts.baseDir,
    files,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.sourceText ? { sourceText: opts.sourceText } : {}),
    deferUnknown: true,
  });

  for (const v of variables.values()) {
    const value = finalValue(v, diags);
    if (value === undefined) root.markFailed('var', v.name);
    else if (v.sensitive && opts.sensitive) {
      opts.sensitive.found(value);
      setKey(varObject, v.name, opts.sensitive.probe ? opts.sensitive.probe(value) : value);
    } else setKey(varObject, v.name, value);
  }
  evaluateLocals(locals, root, localObject, diags);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Declarations

/** The `variable "name"` part of a block, for diagnostics about the block as a whole. */
function headerRange(b: Block): SourceRange {
  const last = b.labels.at(-1);
  return spanning(b.typeRange, last?.range ?? b.typeRange);
}

function declareVariable(
  block: Block,
  variables: Map<string, VariableDecl>,
  constants: EvalScope,
  diags: Diagnostics,
): void {
  const label = block.labels[0];
  if (!label || block.labels.length > 1) {
    diags.error(
      label ? 'Extraneous label for variable' : 'Missing name for variable',
      label ? block.labels[1]!.range : block.typeRange,
      'All variable blocks must have 1 labels (name).',
    );
    return;
  }
  const name = label.value;
  if (!IDENTIFIER.test(name)) {
    diags.error('Invalid variable name', label.range, BAD_IDENTIFIER);
    return;
  }
  const prior = variables.get(name);
  if (prior) {
    diags.error(
      'Duplicate variable',
      label.range,
      `Duplicate ${name} variable definition found (first at ${where(prior.range)}).`,
    );
    return;
  }
  const decl: VariableDecl = {
    name,
    range: headerRange(block),
    inputMode: 'raw',
    assignments: [],
    validations: [],
  };
  let typeDeclared = false;
  let defaultExpr: Expression | undefined;

  for (const item of block.body.items) {
    if (item.kind === 'Block') {
      if (item.type === 'validation') {
        const v = decodeValidation(name, item, constants, diags);
        if (v) decl.validations.push(v);
      } else {
        unsupportedBlock(item, diags);
      }
      continue;
    }
    switch (item.name) {
      case 'type': {
        const t = parseTypeExpr(item.expr, diags, (e) => evaluate(e, constants, diags));
        if (t) decl.type = t;
        typeDeclared = true;
        break;
      }
      case 'default':
        defaultExpr = item.expr;
        break;
      case 'description':
        expectConstant(item.expr, 'string', constants, diags);
        break;
      case 'sensitive': {
        const v = expectConstant(item.expr, 'bool', constants, diags);
        if (v !== undefined && toBoolValue(v) === true) decl.sensitive = true;
        break;
      }
      case 'nullable':
        expectConstant(item.expr, 'bool', constants, diags);
        break;
      default:
        diags.error(
          'Unsupported argument',
          item.nameRange,
          `An argument named "${item.name}" is not expected here.`,
        );
    }
  }

  if (defaultExpr) {
    const raw = evaluate(defaultExpr, constants, diags);
    if (raw !== undefined) {
      const converted = decl.type
        ? convertValue(raw, decl.type)
        : { ok: true as const, value: raw };
      if (converted.ok) {
        decl.assignments.push({
          from: 'default',
          value: converted.value,
          range: defaultExpr.range,
        });
        if (!typeDeclared) decl.type = inferredType(converted.value);
      } else {
        diags.error(
          'Invalid default value for variable',
          defaultExpr.range,
          `This default value is not compatible with the variable's type constraint: ${describeConvertError(converted)}.`,
        );
      }
    }
  }
  decl.inputMode = inputMode(decl, typeDeclared);
  variables.set(name, decl);
}

/** Without a `type`, Nomad takes the type of the default; we keep it for primitives only. */
function inferredType(v: Value): HclType | undefined {
  if (typeof v === 'string') return { kind: 'string' };
  if (typeof v === 'number') return { kind: 'number' };
  if (typeof v === 'boolean') return { kind: 'bool' };
  return undefined;
}

/**
 * Nomad takes `-var` and `NOMAD_VAR_` text literally for string and number variables (and
 * variables with no type and no default), and parses it as an HCL expression otherwise.
 */
function inputMode(decl: VariableDecl, typeDeclared: boolean): 'raw' | 'hcl' {
  const t = decl.type;
  if (t) return t.kind === 'string' || t.kind === 'number' ? 'raw' : 'hcl';
  if (typeDeclared) return 'hcl';
  const def = decl.assignments[0]?.value;
  return def === undefined || def === null ? 'raw' : 'hcl';
}

function declareShorthandVariables(
  block: Block,
  variables: Map<string, VariableDecl>,
  constants: EvalScope,
  diags: Diagnostics,
): void {
  for (const item of block.body.items) {
    if (item.kind === 'Block') {
      unsupportedBlock(item, diags);
      continue;
    }
    if (variables.has(item.name)) {
      diags.error(
        'Duplicate variable',
        item.nameRange,
        `Duplicate ${item.name} variable definition found.`,
      );
      continue;
    }
    const value = evaluate(item.expr, constants, diags);
    if (value === undefined) continue;
    const decl: VariableDecl = {
      name: item.name,
      range: item.nameRange,
      inputMode: 'raw',
      assignments: [{ from: 'default', value, range: item.expr.range }],
      validations: [],
    };
    const t = inferredType(value);
    if (t) decl.type = t;
    decl.inputMode = inputMode(decl, false);
    variables.set(item.name, decl);
  }
}

function decodeValidation(
  varName: string,
  block: Block,
  constants: EvalScope,
  diags: Diagnostics,
): Validation | undefined {
  let condition: Expression | undefined;
  let errorMessage: string | undefined;
  let hasMessage = false;
  let ok = true;
  for (const item of block.body.items) {
    if (item.kind === 'Block') {
      unsupportedBlock(item, diags);
      continue;
    }
    if (item.name === 'condition') {
      condition = item.expr;
      if (!checkConditionReferences(varName, item.expr, diags)) ok = false;
    } else if (item.name === 'error_message') {
      hasMessage = true;
      errorMessage = validErrorMessage(item.expr, constants, diags);
    } else {
      diags.error(
        'Unsupported argument',
        item.nameRange,
        `An argument named "${item.name}" is not expected here.`,
      );
    }
  }
  const missing = [...(condition ? [] : ['condition']), ...(hasMessage ? [] : ['error_message'])];
  for (const name of missing) {
    diags.error(
      'Missing required argument',
      block.openBraceRange,
      `The argument "${name}" is required, but no definition was found.`,
    );
  }
  if (!ok || !condition || errorMessage === undefined) return undefined;
  return { condition, errorMessage, range: headerRange(block) };
}

function validErrorMessage(
  expr: Expression,
  constants: EvalScope,
  diags: Diagnostics,
): string | undefined {
  const msg = expectConstant(expr, 'string', constants, diags);
  if (typeof msg !== 'string') return undefined;
  if (msg === '') {
    diags.error(
      'Invalid validation error message',
      expr.range,
      'An empty string is not a valid nor useful error message.',
    );
    return undefined;
  }
  if (!looksLikeSentences(msg)) {
    diags.error(
      'Invalid validation error message',
      expr.range,
      'Validation error message must be at least one full sentence starting with an uppercase letter and ending with a period or question mark.',
    );
    return undefined;
  }
  return msg;
}

/** A validation condition may refer to its own variable only, as `var.<name>`. */
function checkConditionReferences(varName: string, cond: Expression, diags: Diagnostics): boolean {
  let good = 0;
  let ok = true;
  for (const ref of freeReferences(cond)) {
    if (ref.root === 'var' && ref.first === varName) {
      good++;
      continue;
    }
    diags.error(
      'Invalid reference in variable validation',
      ref.expr.range,
      `The condition for variable "${varName}" can only refer to the variable itself, using var.${varName}.`,
    );
    ok = false;
  }
  if (good === 0 && ok) {
    diags.error(
      'Invalid variable validation condition',
      cond.range,
      `The condition for variable "${varName}" must refer to var.${varName} in order to test incoming values.`,
    );
    ok = false;
  }
  return ok;
}

function looksLikeSentences(s: string): boolean {
  const chars = Array.from(s);
  const first = chars[0] ?? '';
  const last = chars.at(-1) ?? '';
  if (/\p{L}/u.test(first) && first === first.toLowerCase() && first !== first.toUpperCase())
    return false;
  return last === '.' || last === '?' || last === '!';
}

function declareLocals(block: Block, locals: LocalDecl[], diags: Diagnostics): void {
  for (const item of block.body.items) {
    if (item.kind === 'Block') {
      unsupportedBlock(item, diags);
      continue;
    }
    const prior = locals.find((l) => l.name === item.name);
    if (prior) {
      diags.error(
        'Duplicate local value',
        item.nameRange,
        `A local value named "${item.name}" was already defined at ${where(prior.nameRange)}. Local value names must be unique.`,
      );
      continue;
    }
    locals.push({ name: item.name, nameRange: item.nameRange, expr: item.expr });
  }
}

function unsupportedBlock(b: Block, diags: Diagnostics): void {
  diags.error(
    'Unsupported block type',
    b.typeRange,
    `Blocks of type "${b.type}" are not expected here.`,
  );
}

function expectConstant(
  expr: Expression,
  kind: 'string' | 'bool',
  constants: EvalScope,
  diags: Diagnostics,
): Value | undefined {
  const v = evaluate(expr, constants, diags);
  if (v === undefined) return undefined;
  const ok = kind === 'string' ? typeof v === 'string' : toBoolValue(v) !== undefined;
  if (!ok) {
    diags.error(
      'Incorrect attribute value type',
      expr.range,
      `Inappropriate value for attribute: ${kind === 'string' ? 'a string' : 'a bool'} is required.`,
    );
    return undefined;
  }
  return kind === 'bool' ? toBoolValue(v)! : v;
}

function where(r: SourceRange): string {
  return `${r.filename}:${r.start.line},${r.start.column}`;
}

// ---------------------------------------------------------------------------------------------
// Input values

/** Evaluates the text of a -var or NOMAD_VAR_ value; undefined after reporting a problem. */
function inputValue(
  decl: VariableDecl,
  text: string,
  fakeFilename: string,
  constants: EvalScope,
  diags: Diagnostics,
): { value: Value; range?: SourceRange } | undefined {
  if (decl.inputMode === 'raw') return { value: text };
  const parsed = parseExpression(text, fakeFilename);
  diags.extend(parsed.diagnostics);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const value = evaluate(parsed.expr, constants, diags);
  return value === undefined ? undefined : { value, range: parsed.expr.range };
}

function assign(
  decl: VariableDecl,
  from: Origin,
  raw: { value: Value; range?: SourceRange },
  failure: { summary: string; detail: (why: string) => string },
  diags: Diagnostics,
): void {
  let value = raw.value;
  if (decl.type) {
    const c = convertValue(value, decl.type);
    if (!c.ok) {
      diags.error(failure.summary, raw.range, failure.detail(describeConvertError(c)));
      // A later, higher-precedence value would still win; this one must not.
      decl.assignments.push({ from, value: INVALID });
      return;
    }
    value = c.value;
  }
  decl.assignments.push({ from, value, ...(raw.range ? { range: raw.range } : {}) });
}

/** Marks an assignment whose value failed conversion (already reported). */
const INVALID: ValueObject = Object.freeze({});

function collectEnv(
  env: Record<string, string | undefined>,
  variables: Map<string, VariableDecl>,
  constants: EvalScope,
  diags: Diagnostics,
): void {
  for (const [key, text] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || text === undefined) continue;
    const name = key.slice(ENV_PREFIX.length);
    const decl = variables.get(name);
    if (!decl) continue; // Nomad ignores NOMAD_VAR_ values for undeclared variables
    const raw = inputValue(decl, text, `<value for var.${name} from env>`, constants, diags);
    if (!raw) {
      decl.assignments.push({ from: 'env', value: INVALID });
      continue;
    }
    assign(
      decl,
      'env',
      raw,
      {
        summary: 'Invalid value for variable',
        detail: (why) =>
          `The value for ${name} (from ${key}) is not compatible with the variable's type constraint: ${why}.`,
      },
      diags,
    );
  }
}

function collectFlags(
  flags: string[],
  variables: Map<string, VariableDecl>,
  constants: EvalScope,
  diags: Diagnostics,
): void {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      diags.error(
        'Invalid -var option',
        undefined,
        `The given -var option "${flag}" is not correctly specified. Must be a variable name and value separated by an equals sign, like -var="key=value".`,
      );
      continue;
    }
    const name = flag.slice(0, eq);
    const decl = variables.get(name);
    if (!decl) {
      diags.error(
        'Undefined -var variable',
        undefined,
        `A "${name}" variable was passed in the command line but was not found in known variables. To declare variable "${name}", place this block in your job file: variable "${name}" {}`,
      );
      continue;
    }
    const raw = inputValue(
      decl,
      flag.slice(eq + 1),
      `<value for var.${name} from arguments>`,
      constants,
      diags,
    );
    if (!raw) {
      decl.assignments.push({ from: 'cli', value: INVALID });
      continue;
    }
    assign(
      decl,
      'cli',
      raw,
      {
        summary: 'Invalid argument value for -var variable',
        detail: (why) =>
          `The received arg value for ${name} is not compatible with the variable's type constraint: ${why}.`,
      },
      diags,
    );
  }
}

function collectVarFile(
  path: string,
  readFile: (p: string) => string,
  variables: Map<string, VariableDecl>,
  constants: EvalScope,
  diags: Diagnostics,
): void {
  let src: string;
  try {
    src = readFile(path);
  } catch (e) {
    diags.error(
      'Failed to read file',
      undefined,
      `failed to read "${path}": ${(e as Error).message}`,
    );
    return;
  }
  const entries = /^\s*\{/.test(src)
    ? jsonVarFile(src, path, diags)
    : hclVarFile(src, path, constants, diags);
  for (const entry of entries ?? []) {
    const decl = variables.get(entry.name);
    if (!decl) {
      diags.error(
        'Undefined variable',
        entry.nameRange,
        `A "${entry.name}" variable was set but was not found in known variables. To declare variable "${entry.name}", place this block in your job file: variable "${entry.name}" {}`,
      );
      continue;
    }
    if (entry.value === INVALID) {
      decl.assignments.push({ from: 'file', value: INVALID });
      continue;
    }
    assign(
      decl,
      'file',
      { value: entry.value, range: entry.valueRange },
      {
        summary: 'Invalid value for variable',
        detail: (why) =>
          `The value for ${entry.name} is not compatible with the variable's type constraint: ${why}.`,
      },
      diags,
    );
  }
}

interface FileEntry {
  name: string;
  nameRange: SourceRange;
  value: Value;
  valueRange: SourceRange;
}

function hclVarFile(
  src: string,
  path: string,
  constants: EvalScope,
  diags: Diagnostics,
): FileEntry[] | undefined {
  const parsed = parseHCL(src, path);
  diags.extend(parsed.diagnostics);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const out: FileEntry[] = [];
  for (const item of parsed.file.body.items) {
    if (item.kind === 'Block') {
      if (item.type === 'variable') {
        const name = item.labels[0]?.value ?? '';
        diags.error(
          'Variable declaration in a .var file',
          item.typeRange,
          `A .var file is used to assign values to variables that have already been declared in job files, not to declare new variables. To declare variable "${name}", place this block in one of your job files.\n\nTo set a value for this variable in ${path}, use the definition syntax instead:\n    ${name} = <value>`,
        );
      } else {
        diags.error(
          `Unexpected "${item.type}" block`,
          item.typeRange,
          'Blocks are not allowed here.',
        );
      }
      continue;
    }
    const value = evaluate(item.expr, constants, diags) ?? INVALID;
    out.push({ name: item.name, nameRange: item.nameRange, value, valueRange: item.expr.range });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON var files: `{"name": value}`, read with positions so that problems point at the value.

function jsonVarFile(src: string, filename: string, diags: Diagnostics): FileEntry[] | undefined {
  const r = new JsonReader(src, filename);
  const top = r.parseTop();
  if (typeof top === 'string') {
    diags.error('Invalid JSON', r.range(r.pos, r.pos), top);
    return undefined;
  }
  return top;
}

class JsonReader {
  pos = 0;
  private readonly lineStarts: number[] = [0];
  constructor(
    private readonly src: string,
    private readonly filename: string,
  ) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  private position(offset: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo]!;
    const before = this.src.slice(0, offset);
    return {
      line: lo + 1,
      column: Array.from(this.src.slice(lineStart, offset)).length + 1,
      byte: Buffer.byteLength(before, 'utf8'),
    };
  }

  range(start: number, end: number): SourceRange {
    return { filename: this.filename, start: this.position(start), end: this.position(end) };
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  /** The top-level object's members, or an error message. */
  parseTop(): FileEntry[] | string {
    this.ws();
    if (this.src[this.pos] !== '{') return 'The root value of a variables file must be an object.';
    this.pos++;
    const out: FileEntry[] = [];
    this.ws();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return this.end(out);
    }
    for (;;) {
      this.ws();
      const keyStart = this.pos;
      const key = this.value();
      if (typeof key !== 'string' || this.src[keyStart] !== '"')
        return 'Object keys must be strings.';
      const nameRange = this.range(keyStart, this.pos);
      this.ws();
      if (this.src[this.pos] !== ':') return 'Expected a colon after an object key.';
      this.pos++;
      this.ws();
      const valueStart = this.pos;
      const value = this.value();
      if (value === undefined) return this.error ?? 'Invalid value.';
      out.push({ name: key, nameRange, value, valueRange: this.range(valueStart, this.pos) });
      this.ws();
      const c = this.src[this.pos++];
      if (c === '}') return this.end(out);
      if (c !== ',') return 'Expected a comma or the end of the object.';
    }
  }

  private end(out: FileEntry[]): FileEntry[] | string {
    this.ws();
    return this.pos < this.src.length ? 'Extra characters after the JSON object.' : out;
  }

  private error: string | undefined;

  /** One JSON value, via JSON.parse on its exact span. */
  private value(): Value | undefined {
    const start = this.pos;
    const c = this.src[this.pos];
    if (c === '{' || c === '[') {
      let depth = 0;
      let inString = false;
      for (; this.pos < this.src.length; this.pos++) {
        const ch = this.src[this.pos];
        if (inString) {
          if (ch === '\\') this.pos++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') depth++;
        else if (ch === '}' || ch === ']') {
          depth--;
          if (depth === 0) {
            this.pos++;
            break;
          }
        }
      }
    } else if (c === '"') {
      for (this.pos++; this.pos < this.src.length && this.src[this.pos] !== '"'; this.pos++) {
        if (this.src[this.pos] === '\\') this.pos++;
      }
      this.pos++;
    } else {
      while (this.pos < this.src.length && /[^\s,}\]]/.test(this.src[this.pos]!)) this.pos++;
    }
    try {
      return toJsonValue(JSON.parse(this.src.slice(start, this.pos)));
    } catch (e) {
      this.pos = start;
      this.error = (e as Error).message;
      return undefined;
    }
  }
}

function toJsonValue(data: unknown): Value {
  if (Array.isArray(data)) return data.map(toJsonValue);
  if (data !== null && typeof data === 'object') {
    const out: ValueObject = {};
    for (const [k, v] of Object.entries(data)) setKey(out, k, toJsonValue(v));
    return out;
  }
  return data as Value;
}

// ---------------------------------------------------------------------------------------------
// Final values and validation

function finalValue(decl: VariableDecl, diags: Diagnostics): Value | undefined {
  const chosen = decl.assignments.at(-1);
  if (!chosen) {
    diags.error(
      `Unset variable "${decl.name}"`,
      decl.range,
      'A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables for details.',
    );
    return undefined;
  }
  if (chosen.value === INVALID) return undefined;
  return validate(decl, chosen, diags) ? chosen.value : undefined;
}

/** Runs every validation rule against the chosen value; false when one failed. */
function validate(decl: VariableDecl, chosen: Assignment, diags: Diagnostics): boolean {
  if (decl.validations.length === 0) return true;
  const scope = EvalScope.create({
    variables: { var: { [decl.name]: chosen.value } },
    functions: functionsWithoutFiles(),
  });
  let ok = true;
  for (const rule of decl.validations) {
    const result = evaluate(rule.condition, scope, diags);
    if (result === undefined) {
      ok = false;
      continue;
    }
    const passed = result === null ? undefined : toBoolValue(result);
    if (passed === undefined) {
      diags.error(
        'Invalid variable validation result',
        rule.condition.range,
        result === null
          ? 'Validation condition expression must return either true or false, not null.'
          : 'Invalid validation condition result value: a bool is required.',
      );
      ok = false;
      continue;
    }
    if (passed) continue;
    ok = false;
    const origin: Record<Origin, string> = {
      default: 'the default value',
      env: `the NOMAD_VAR_${decl.name} environment variable`,
      file: 'a variables file',
      cli: `the -var ${decl.name}=… option`,
    };
    // A value written in a file is shown where it was written; values from flags and the
    // environment have no place in a file, so the rule's condition is shown instead.
    const inFile = chosen.from === 'default' || chosen.from === 'file';
    diags.error(
      'Invalid value for variable',
      inFile && chosen.range ? chosen.range : rule.condition.range,
      `${rule.errorMessage}\n\nThe value came from ${origin[chosen.from]} and was checked by the validation rule at ${where(rule.range)}.`,
    );
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Locals

/** Evaluates locals in dependency order (they may refer to each other in any order). */
function evaluateLocals(
  locals: LocalDecl[],
  scope: EvalScope,
  target: ValueObject,
  diags: Diagnostics,
): void {
  const byName = new Map(locals.map((l) => [l.name, l]));
  const deps = new Map(
    locals.map((l) => [
      l.name,
      freeReferences(l.expr)
        .filter((r) => r.root === 'local' && r.first !== undefined && byName.has(r.first))
        .map((r) => r.first!),
    ]),
  );
  const state = new Map<string, 'visiting' | 'done'>();
  const order: LocalDecl[] = [];
  const inCycle = new Set<string>();

  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const first = byName.get(cycle[0]!)!;
      if (!cycle.every((n) => inCycle.has(n))) {
        diags.error(
          'Circular reference between local values',
          first.nameRange,
          `The local values ${cycle.map((n) => `local.${n}`).join(' → ')} refer to each other, so none of them can be evaluated.`,
        );
      }
      for (const n of cycle) inCycle.add(n);
      return;
    }
    state.set(name, 'visiting');
    for (const d of deps.get(name) ?? []) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(byName.get(name)!);
  };
  for (const l of locals) visit(l.name, []);

  for (const l of order) {
    if (inCycle.has(l.name)) {
      scope.markFailed('local', l.name);
      continue;
    }
    const v = evaluate(l.expr, scope, diags);
    if (v === undefined) scope.markFailed('local', l.name);
    else setKey(target, l.name, v);
  }
}

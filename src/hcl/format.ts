/**
 * `drover fmt`: rewrites HCL to the canonical layout of `terraform fmt` / `nomad fmt`, i.e. the
 * rules of hashicorp/hcl's `hclwrite` formatter, re-implemented over our own tokens.
 *
 * Only the whitespace between tokens changes, never a token:
 * - the file is cut into lines, each line into up to three cells: the lead, the "assign" cell
 *   (from an attribute's `=` to the end of its one-line expression) and a trailing line comment;
 * - each line is indented two spaces per line before it that left `{ [ ( ${ %{` open;
 * - spaces between the tokens of a cell follow a fixed list of rules (`spaceBetween`);
 * - the `=` of consecutive attribute lines, and the trailing comments of consecutive commented
 *   lines, are aligned in columns.
 * Template literal text (quoted strings, heredoc bodies) is copied exactly as written, and line
 * endings (LF or CRLF) stay as they are, as in hclwrite.
 *
 * Deliberate differences from hclwrite: whether a `-` negates or subtracts is read from the
 * syntax tree instead of guessed from the token before it; brackets left open inside a heredoc
 * count like any others; comments lose trailing blanks; the file ends in exactly one newline.
 *
 * Linear in the number of tokens.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import type { Body, Expression, File, TemplatePart, Token, TokenType } from './ast.js';
import { parseHCL } from './parser.js';
import { graphemeCount } from './functions/text.js';

export interface FormatResult {
  output: string;
  changed: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Formats one file. On syntax errors the source is returned unchanged with the errors: a
 * formatter working on a broken token stream could make changes that are hard to undo.
 */
export function formatHCL(src: string, filename: string): FormatResult {
  const { file, diagnostics } = parseHCL(src, filename);
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { output: src, changed: false, diagnostics };
  }
  const output = formatFile(src, file);
  return { output, changed: output !== src, diagnostics };
}

/** Formats an already parsed, error-free file. */
export function formatFile(src: string, file: File): string {
  const tokens = prepareTokens(src, file.tokens, negationOffsets(file.body));
  const lines = splitLines(tokens);
  indentLines(lines);
  spaceCells(lines);
  alignCells(lines);
  // The lexer skips a byte order mark like a blank; keep it so editors keep the encoding.
  return (src.startsWith('\uFEFF') ? '\uFEFF' : '') + render(lines);
}

// ---------------------------------------------------------------------------------------------
// Tokens as the formatter sees them

interface FmtToken {
  type: TokenType;
  /** Text to print: the source text (comments without trailing blanks). */
  text: string;
  /**
   * Part of template literal content (inside quotes or a heredoc, outside `${ }`): the source
   * before it is kept verbatim in `gap` and it never ends a line.
   */
  literal: boolean;
  gap: string;
  /** Spaces to print before the token (when not `literal`). */
  spaces: number;
  /** A `-` that negates rather than subtracts. */
  negation: boolean;
  /** Half of the `::` in a namespaced function name (`core::upper`): never spaced. */
  namespace?: boolean;
}

function newline(text = '\n'): FmtToken {
  return { type: 'Newline', text, literal: false, gap: '', spaces: 0, negation: false };
}

/**
 * Drops EOF, marks literal content, normalises comments and line endings. Copes with a lexer
 * that folds the newline into a `#` comment or the closing heredoc marker, or leaves a line
 * break without a Newline token: each becomes a Newline token of its own.
 */
function prepareTokens(src: string, tokens: readonly Token[], negations: Set<number>): FmtToken[] {
  const bytes = Buffer.from(src, 'utf8');
  const out: FmtToken[] = [];
  // 'T' while in template literal text, 'I' inside a `${ }` or `%{ }` within a template.
  const stack: ('T' | 'I')[] = [];
  let previous: Token | undefined;
  for (const tok of tokens) {
    if (tok.type === 'EOF') break;
    const literal = stack[stack.length - 1] === 'T';
    trackTemplates(stack, tok.type);
    const before = previous;
    previous = tok;

    if (literal) {
      const gap = before ? bytes.toString('utf8', before.range.end.byte, tok.range.start.byte) : '';
      const [text, folded] = tok.type === 'CHeredoc' ? splitFoldedNewline(tok.text) : [tok.text];
      out.push({ type: tok.type, text, literal, gap, spaces: 0, negation: false });
      if (folded) out.push(newline(folded));
      continue;
    }

    if (before && !before.text.endsWith('\n')) {
      const missing = tok.range.start.line - before.range.end.line;
      for (let i = 0; i < missing; i++) out.push(newline());
    }
    if (tok.type === 'Newline') {
      // One token per line break, each keeping its own LF or CRLF, as hclwrite does.
      for (const nl of tok.text.match(/\r?\n/g) ?? ['\n']) out.push(newline(nl));
    } else if (tok.type === 'Comment') {
      const [text, folded] = tok.text.startsWith('/*') ? [tok.text] : splitFoldedNewline(tok.text);
      const comment = withoutTrailingBlanks(text);
      out.push({ type: 'Comment', text: comment, literal, gap: '', spaces: 0, negation: false });
      if (folded) out.push(newline(folded));
    } else {
      const negation = tok.text === '-' && negations.has(tok.range.start.byte);
      const token: FmtToken = {
        type: tok.type,
        text: tok.text,
        literal,
        gap: '',
        spaces: 0,
        negation,
      };
      const last = out[out.length - 1];
      if (isColonPair(before, tok) && last) last.namespace = token.namespace = true;
      out.push(token);
    }
  }
  return out;
}

/** Two colons with nothing between them: the lexer's way of giving us a `::`. */
function isColonPair(first: Token | undefined, second: Token): boolean {
  return (
    first?.type === 'Colon' &&
    second.type === 'Colon' &&
    first.range.end.byte === second.range.start.byte
  );
}

/** Splits a line break off the end of a token's text: `[text, lineBreak]`. */
function splitFoldedNewline(text: string): [string, string?] {
  if (!text.endsWith('\n')) return [text];
  const cut = text.endsWith('\r\n') ? 2 : 1;
  return [text.slice(0, -cut), text.slice(-cut)];
}

function trackTemplates(stack: ('T' | 'I')[], type: TokenType): void {
  const top = stack[stack.length - 1];
  switch (type) {
    case 'OQuote':
    case 'OHeredoc':
      stack.push('T');
      break;
    case 'TemplateInterp':
    case 'TemplateControl':
      stack.push('I');
      break;
    case 'CQuote':
    case 'CHeredoc':
      if (top === 'T') stack.pop();
      break;
    case 'TemplateSeqEnd':
      if (top === 'I') stack.pop();
      break;
    default:
      break;
  }
}

/** Comments lose the blanks at the end of each of their lines; line breaks stay as written. */
function withoutTrailingBlanks(text: string): string {
  return text.includes('\n') ? text.split('\n').map(trimLineEnd).join('\n') : trimLineEnd(text);
}

function trimLineEnd(line: string): string {
  const cr = line.endsWith('\r') ? 1 : 0;
  let end = line.length - cr;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return end === line.length - cr ? line : line.slice(0, end) + (cr ? '\r' : '');
}

// ---------------------------------------------------------------------------------------------
// Lines and cells

interface Line {
  lead: FmtToken[];
  /** From an attribute's `=` to the end of its one-line expression; empty when none. */
  assign: FmtToken[];
  /** A `#` or `//` comment ending a line that has other tokens. */
  comment: FmtToken | undefined;
  /** The Newline token; absent on the last line. */
  end: FmtToken | undefined;
}

function splitLines(tokens: readonly FmtToken[]): Line[] {
  const lines: Line[] = [];
  let lead: FmtToken[] = [];
  const finish = (end: FmtToken | undefined): void => {
    lines.push(cutCells(lead, end));
    lead = [];
  };
  for (const tok of tokens) {
    if (tok.type === 'Newline' && !tok.literal) finish(tok);
    else lead.push(tok);
  }
  finish(undefined);
  return lines;
}

function cutCells(tokens: FmtToken[], end: FmtToken | undefined): Line {
  let lead = tokens;
  let comment: FmtToken | undefined;
  const last = lead[lead.length - 1];
  if (lead.length > 1 && last !== undefined && isLineComment(last)) {
    comment = last;
    lead = lead.slice(0, -1);
  }
  let assign: FmtToken[] = [];
  const eq = lead.findIndex((t, i) => i > 0 && t.type === 'Equal');
  // Only a whole one-line expression makes an assign cell: `a = {` opens a multi-line one.
  if (eq > 0 && netBrackets(lead, eq, lead.length) === 0) {
    assign = lead.slice(eq);
    lead = lead.slice(0, eq);
  }
  return { lead, assign, comment, end };
}

function isLineComment(t: FmtToken): boolean {
  return t.type === 'Comment' && !t.text.startsWith('/*');
}

function bracketChange(t: FmtToken): number {
  switch (t.type) {
    case 'OBrace':
    case 'OBrack':
    case 'OParen':
    case 'TemplateInterp':
    case 'TemplateControl':
      return 1;
    case 'CBrace':
    case 'CBrack':
    case 'CParen':
    case 'TemplateSeqEnd':
      return -1;
    default:
      return 0;
  }
}

function netBrackets(tokens: readonly FmtToken[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += bracketChange(tokens[i]!);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Pass 1: indentation

/**
 * A line that leaves brackets open indents the following lines one level, however many it
 * opened; the stack remembers how many, so that asymmetric input such as `[[` … `]` `]` still
 * comes back to the right level.
 */
function indentLines(lines: readonly Line[]): void {
  const opened: number[] = [];
  for (const line of lines) {
    const first = line.lead[0];
    if (first === undefined) continue;
    const net =
      netBrackets(line.lead, 0, line.lead.length) + netBrackets(line.assign, 0, line.assign.length);
    if (net < 0) {
      let closed = -net;
      while (closed > 0 && opened.length > 0) {
        const top = opened[opened.length - 1]!;
        if (closed >= top) {
          opened.pop();
          closed -= top;
        } else {
          opened[opened.length - 1] = top - closed;
          closed = 0;
        }
      }
    }
    first.spaces = 2 * opened.length;
    if (net > 0) opened.push(net);
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: spaces between tokens within a cell

function spaceCells(lines: readonly Line[]): void {
  for (const line of lines) {
    spaceWithin(line.lead);
    const eq = line.assign[0];
    if (eq !== undefined) {
      eq.spaces = 1;
      spaceWithin(line.assign);
    }
    if (line.comment) line.comment.spaces = 1;
    if (line.end) line.end.spaces = 0;
  }
}

function spaceWithin(cell: readonly FmtToken[]): void {
  for (let i = 1; i < cell.length; i++) {
    cell[i]!.spaces = spaceBetween(cell[i - 1]!, cell[i - 2], cell[i]!) ? 1 : 0;
  }
}

/** Whether `subject` is followed by a space when `after` comes next (hclwrite's rules, in order). */
function spaceBetween(subject: FmtToken, before: FmtToken | undefined, after: FmtToken): boolean {
  const s = subject.type;
  const a = after.type;
  if (s === 'Ident' && a === 'OParen') return false; // f(x)
  if (subject.namespace || after.namespace) return false; // core::upper
  if (s === 'Dot' || a === 'Dot') return false; // a.b
  if (a === 'Comma' || a === 'Ellipsis') return false; // f(a, b...)
  if (s === 'Comma') return true;
  if (s === 'OQuote' || s === 'QuotedLit' || s === 'OHeredoc') return false;
  if (a === 'QuotedLit' || a === 'CQuote' || a === 'CHeredoc') return false;
  // `for x in [y]`: `in` is a keyword here, not a name being indexed.
  if (s === 'Ident' && subject.text === 'in' && before?.type === 'Ident') return true;
  if (a === 'OBrack' && (s === 'Ident' || s === 'Number' || bracketChange(subject) < 0)) {
    return false; // a[0], f()[0]
  }
  if (s === 'Op' && subject.text === '!') return false;
  if (s === 'Op' && subject.text === '-') return !subject.negation;
  // Braces get inner spaces (`b { a = 1 }`), except an empty pair (`b {}`).
  if (s === 'OBrace' || a === 'CBrace') return !(s === 'OBrace' && a === 'CBrace');
  // `${ { a = 1 } }` keeps its spaces so the braces do not run together.
  if ((s === 'TemplateInterp' || s === 'TemplateControl') && a === 'OBrace') return true;
  if (s === 'CBrace' && a === 'TemplateSeqEnd') return true;
  if (s === 'TemplateSeqEnd' && (a === 'TemplateInterp' || a === 'TemplateControl')) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Pass 3: columns

/**
 * In each run of consecutive lines that have an assign cell, the `=` signs line up one space
 * after the longest lead; then, in each run of consecutive lines with a trailing comment, the
 * comments line up one space after the longest code. Any other line ends a run.
 */
function alignCells(lines: readonly Line[]): void {
  alignRuns(
    lines,
    (l) => l.assign[0],
    (l) => columns(l.lead),
  );
  alignRuns(
    lines,
    (l) => l.comment,
    (l) => columns(l.lead) + columns(l.assign),
  );
}

function alignRuns(
  lines: readonly Line[],
  cellStart: (l: Line) => FmtToken | undefined,
  width: (l: Line) => number,
): void {
  let start = -1;
  let max = 0;
  const close = (end: number): void => {
    for (let i = start; i < end; i++) {
      const line = lines[i]!;
      cellStart(line)!.spaces = max - width(line) + 1;
    }
    start = -1;
    max = 0;
  };
  lines.forEach((line, i) => {
    if (cellStart(line) === undefined) {
      if (start !== -1) close(i);
      return;
    }
    if (start === -1) start = i;
    max = Math.max(max, width(line));
  });
  if (start !== -1) close(lines.length);
}

/** Printed width of a cell in characters as people count them (grapheme clusters). */
function columns(cell: readonly FmtToken[]): number {
  let n = 0;
  for (const t of cell) n += (t.literal ? graphemeCount(t.gap) : t.spaces) + graphemeCount(t.text);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Output

function render(lines: readonly Line[]): string {
  let out = '';
  const put = (t: FmtToken | undefined): void => {
    if (t !== undefined) out += (t.literal ? t.gap : spaces(t.spaces)) + t.text;
  };
  for (const line of lines) {
    for (const t of line.lead) put(t);
    for (const t of line.assign) put(t);
    put(line.comment);
    put(line.end);
  }
  return withOneFinalNewline(out);
}

const SPACES = Array.from({ length: 64 }, (_, n) => ' '.repeat(n));

function spaces(n: number): string {
  return SPACES[n] ?? ' '.repeat(n);
}

/** Drops blank lines at the end and makes sure the last line ends, in the file's own style. */
function withOneFinalNewline(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  if (end === 0) return '';
  const first = end < text.length ? end : text.indexOf('\n');
  const crlf = text[first] === '\r' || (first > 0 && text[first - 1] === '\r');
  return text.slice(0, end) + (crlf ? '\r\n' : '\n');
}

// ---------------------------------------------------------------------------------------------
// Which `-` tokens negate

/** Byte offsets of every negation `-` in the tree (a unary `-`, or a folded negative literal). */
function negationOffsets(body: Body): Set<number> {
  const found = new Set<number>();
  const visitBody = (b: Body): void => {
    for (const item of b.items) {
      if (item.kind === 'Attribute') visit(item.expr);
      else visitBody(item.body);
    }
  };
  const visitParts = (parts: readonly TemplatePart[]): void => {
    for (const p of parts) {
      switch (p.kind) {
        case 'TemplateLiteral':
          break;
        case 'TemplateInterp':
          visit(p.expr);
          break;
        case 'TemplateIf':
          visit(p.cond);
          visitParts(p.then);
          if (p.else) visitParts(p.else);
          break;
        case 'TemplateFor':
          visit(p.collection);
          visitParts(p.body);
          break;
      }
    }
  };
  const visit = (e: Expression): void => {
    switch (e.kind) {
      case 'Literal':
        if (e.raw.startsWith('-')) found.add(e.range.start.byte);
        break;
      case 'Template':
        visitParts(e.parts);
        break;
      case 'Variable':
      case 'AnonSplatItem':
      case 'Invalid':
        break;
      case 'GetAttr':
        visit(e.object);
        break;
      case 'Index':
        visit(e.object);
        visit(e.key);
        break;
      case 'Splat':
        visit(e.source);
        visit(e.each);
        break;
      case 'FunctionCall':
        e.args.forEach(visit);
        break;
      case 'Conditional':
        visit(e.cond);
        visit(e.then);
        visit(e.else);
        break;
      case 'Binary':
        visit(e.left);
        visit(e.right);
        break;
      case 'Unary':
        if (e.op === '-') found.add(e.range.start.byte);
        visit(e.operand);
        break;
      case 'Tuple':
        e.items.forEach(visit);
        break;
      case 'Object':
        for (const item of e.items) {
          visit(item.key);
          visit(item.value);
        }
        break;
      case 'For':
        visit(e.collection);
        if (e.keyExpr) visit(e.keyExpr);
        visit(e.valueExpr);
        if (e.cond) visit(e.cond);
        break;
      case 'Paren':
        visit(e.expr);
        break;
    }
  };
  visitBody(body);
  return found;
}

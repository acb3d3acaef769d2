/**
 * The template half of the parser: decoding string-literal escapes, and turning the flat run of
 * pieces the parser reads between `"`…`"` or `<<EOT`…`EOT` into nested `TemplatePart`s.
 *
 * The order of the steps is hcl's (`parser_template.go`) and it matters:
 * 1. strip markers (`${~`, `~}`) trim the one literal token next to them while reading;
 * 2. a flush heredoc (`<<-`) then drops the smallest indentation from line-leading literals;
 * 3. neighbouring literals are joined;
 * 4. `if` / `else` / `endif` and `for` / `endfor` directives are nested.
 * Heredoc literals arrive one line per token, so a strip marker reaches only into its own line.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { spanning, type Pos, type SourceRange } from '../diag/range.js';
import type { Expression, TemplateFor, TemplateIf, TemplatePart, Token } from './ast.js';
import { isUnicodeSpace } from './lexer.js';

export interface Strip {
  left: boolean;
  right: boolean;
}

/** One piece of a template as read from the tokens, before nesting. */
export type RawPart =
  | { kind: 'lit'; value: string; range: SourceRange }
  | { kind: 'interp'; expr: Expression; strip: Strip; range: SourceRange }
  | { kind: 'if'; cond: Expression; strip: Strip; range: SourceRange }
  | { kind: 'else' | 'endif' | 'endfor'; strip: Strip; range: SourceRange }
  | {
      kind: 'for';
      keyVar?: string;
      valueVar: string;
      collection: Expression;
      strip: Strip;
      range: SourceRange;
    };

/** hcl's way of printing a range inside a message: `file:3,5-9` or `file:3,5-4,2`. */
export function formatRange(r: SourceRange): string {
  const { start, end } = r;
  if (start.line === end.line) return `${r.filename}:${start.line},${start.column}-${end.column}`;
  return `${r.filename}:${start.line},${start.column}-${end.line},${end.column}`;
}

// ---------------------------------------------------------------------------------------------
// Literal text

const BACKSLASH = 92;

/**
 * The value of a literal token: `$${` and `%%{` become `${` and `%{`; in quoted strings (not
 * heredocs) backslash escapes are decoded too. Bad escapes are reported and kept as written.
 */
export function decodeLiteral(tok: Token, quoted: boolean, diags: Diagnostic[]): string {
  const text = tok.text;
  if ((!quoted || text.indexOf('\\') < 0) && text.indexOf('$${') < 0 && text.indexOf('%%{') < 0) {
    return text;
  }
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && quoted) {
      out += text.slice(last, i);
      const start = i;
      const sel = i + 1 < n ? text[i + 1]! : '';
      i += 2;
      switch (sel) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'u':
        case 'U': {
          const want = sel === 'u' ? 4 : 8;
          let k = i;
          while (k < n && k - i < want && isHex(text.charCodeAt(k))) k++;
          const raw = text.slice(start, k);
          if (k - i < want) {
            escapeError(
              diags,
              tok,
              start,
              k,
              sel === 'u'
                ? 'The \\u escape sequence must be followed by four hexadecimal digits.'
                : 'The \\U escape sequence must be followed by eight hexadecimal digits.',
            );
            out += raw;
          } else {
            const cp = parseInt(text.slice(i, k), 16);
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
              const hex = cp.toString(16).padStart(4, '0');
              escapeError(diags, tok, start, k, `Cannot encode character U+${hex} in UTF-8.`);
              out += raw;
            } else {
              out += String.fromCodePoint(cp);
            }
          }
          i = k;
          break;
        }
        case '': {
          i = n;
          escapeError(
            diags,
            tok,
            start,
            n,
            'Backslash must be followed by an escape sequence selector character.',
          );
          out += '\\';
          break;
        }
        default: {
          // Keep the whole code point after the backslash.
          const cp = text.codePointAt(start + 1)!;
          const ch = String.fromCodePoint(cp);
          i = start + 1 + ch.length;
          escapeError(
            diags,
            tok,
            start,
            i,
            `The symbol ${JSON.stringify(ch)} is not a valid escape sequence selector.`,
          );
          out += ch;
          break;
        }
      }
      last = i;
      continue;
    }
    if ((c === 36 || c === 37) && text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === 123) {
      out += text.slice(last, i) + (c === 36 ? '${' : '%{');
      i += 3;
      last = i;
      continue;
    }
    i++;
  }
  return out + text.slice(last);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function escapeError(
  diags: Diagnostic[],
  tok: Token,
  from: number,
  to: number,
  detail: string,
): void {
  diags.push({
    severity: 'error',
    summary: 'Invalid escape sequence',
    detail,
    range: {
      filename: tok.range.filename,
      start: posWithin(tok, from),
      end: posWithin(tok, to),
    },
  });
}

/** The position of index `at` of a single-line token's text. */
function posWithin(tok: Token, at: number): Pos {
  const { line, column, byte } = tok.range.start;
  let cols = 0;
  let bytes = 0;
  for (let i = 0; i < at; i++) {
    const c = tok.text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      cols++;
      i++;
    } else {
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      cols++;
    }
  }
  return { line, column: column + cols, byte: byte + bytes };
}

export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isUnicodeSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

export function trimRightSpace(s: string): string {
  let i = s.length;
  while (i > 0 && isUnicodeSpace(s.charCodeAt(i - 1))) i--;
  return i === s.length ? s : s.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Flush heredocs and melding

/**
 * `<<-EOT`: find the line with the least leading whitespace and remove that much from every
 * line. Whitespace-only lines do not count (and keep their whitespace), a line that starts with
 * an interpolation or directive counts as zero. Works on the static text only, so interpolated
 * values cannot change the indentation chosen.
 */
export function flushHeredoc(parts: RawPart[]): void {
  let min = Infinity;
  let atLineStart = true;
  const adjust: { kind: 'lit'; value: string; range: SourceRange }[] = [];
  for (const p of parts) {
    if (atLineStart) {
      atLineStart = false;
      let spaces = 0;
      if (p.kind === 'lit') {
        const lead = leadingSpaces(p.value);
        if (lead === p.value.length && p.value.endsWith('\n')) {
          spaces = Infinity;
        } else {
          spaces = lead;
          adjust.push(p);
        }
      }
      if (spaces < min) min = spaces;
    }
    if (p.kind === 'lit' && p.value.endsWith('\n')) atLineStart = true;
  }
  if (min === Infinity || min === 0) return;
  for (const lit of adjust) {
    const removed = lit.value.slice(0, min);
    lit.value = lit.value.slice(min);
    const start = lit.range.start;
    lit.range = {
      filename: lit.range.filename,
      start: {
        line: start.line,
        column: start.column + min,
        byte: start.byte + utf8Length(removed),
      },
      end: lit.range.end,
    };
  }
}

function leadingSpaces(s: string): number {
  let i = 0;
  while (i < s.length && isUnicodeSpace(s.charCodeAt(i))) i++;
  return i;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return n;
}

/** Joins runs of neighbouring literals into one. */
export function meldLiterals(parts: RawPart[]): RawPart[] {
  const out: RawPart[] = [];
  for (const p of parts) {
    const prev = out[out.length - 1];
    if (p.kind === 'lit' && prev?.kind === 'lit') {
      out[out.length - 1] = {
        kind: 'lit',
        value: prev.value + p.value,
        range: spanning(prev.range, p.range),
      };
    } else {
      out.push(p);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Nesting directives

interface OpenIf {
  node: TemplateIf;
  inElse: boolean;
}
interface OpenFor {
  node: TemplateFor;
}
type Open = OpenIf | OpenFor;

const MAX_UNCLOSED_REPORTS = 3;

function isIf(o: Open): o is OpenIf {
  return o.node.kind === 'TemplateIf';
}

/**
 * Nests directives with an explicit stack (no recursion, so no depth limit is needed). Misplaced
 * `else` / `endif` / `endfor` are reported and skipped; directives still open at the end are
 * reported at `end` (the template's closing token).
 */
export function nestTemplateParts(
  parts: RawPart[],
  end: SourceRange,
  diags: Diagnostic[],
): TemplatePart[] {
  const root: TemplatePart[] = [];
  const stack: Open[] = [];
  const current = (): TemplatePart[] => {
    const top = stack[stack.length - 1];
    if (!top) return root;
    if (isIf(top)) return top.inElse ? (top.node.else ?? []) : top.node.then;
    return top.node.body;
  };
  const unexpected = (name: string, range: SourceRange, detail: string): void => {
    diags.push({ severity: 'error', summary: `Unexpected ${name} directive`, detail, range });
  };
  const unbalanced = 'The control directives within this template are unbalanced.';

  for (const p of parts) {
    switch (p.kind) {
      case 'lit':
        current().push({ kind: 'TemplateLiteral', value: p.value, range: p.range });
        break;
      case 'interp':
        current().push({
          kind: 'TemplateInterp',
          expr: p.expr,
          stripLeft: p.strip.left,
          stripRight: p.strip.right,
          range: p.range,
        });
        break;
      case 'if': {
        const node: TemplateIf = {
          kind: 'TemplateIf',
          cond: p.cond,
          then: [],
          strip: [p.strip],
          range: p.range,
        };
        current().push(node);
        stack.push({ node, inElse: false });
        break;
      }
      case 'for': {
        const node: TemplateFor = {
          kind: 'TemplateFor',
          valueVar: p.valueVar,
          collection: p.collection,
          body: [],
          strip: [p.strip],
          range: p.range,
        };
        if (p.keyVar !== undefined) node.keyVar = p.keyVar;
        current().push(node);
        stack.push({ node });
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) {
          unexpected('else', p.range, unbalanced);
        } else if (!isIf(top)) {
          unexpected('else', p.range, 'An else clause is not expected for a for directive.');
        } else if (top.inElse) {
          unexpected(
            'else',
            p.range,
            `Already in the else clause for the if started at ${formatRange(top.node.range)}.`,
          );
        } else {
          top.inElse = true;
          top.node.else = [];
          top.node.strip.push(p.strip);
        }
        break;
      }
      case 'endif':
      case 'endfor': {
        const top = stack[stack.length - 1];
        const wantIf = p.kind === 'endif';
        if (!top) {
          unexpected(p.kind, p.range, unbalanced);
        } else if (isIf(top) !== wantIf) {
          unexpected(
            p.kind,
            p.range,
            isIf(top)
              ? `Expecting an endif directive for the if started at ${formatRange(top.node.range)}.`
              : `Expecting an endfor directive corresponding to the for directive at ${formatRange(top.node.range)}.`,
          );
        } else {
          top.node.strip.push(p.strip);
          top.node.range = spanning(top.node.range, p.range);
          stack.pop();
        }
        break;
      }
    }
  }
  // Innermost first; a few are enough to act on, and a pathological input may have thousands.
  for (let k = stack.length - 1; k >= Math.max(0, stack.length - MAX_UNCLOSED_REPORTS); k--) {
    const open = stack[k]!;
    const what = isIf(open) ? 'if' : 'for';
    diags.push({
      severity: 'error',
      summary: 'Unexpected end of template',
      detail: `The ${what} directive at ${formatRange(open.node.range)} is missing its corresponding end${what} directive.`,
      range: end,
    });
  }
  return root;
}

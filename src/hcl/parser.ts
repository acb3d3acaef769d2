/**
 * The HCL2 native-syntax parser: a hand-written recursive-descent parser over the tokens of
 * `lexer.ts`, following hashicorp/hcl's `hclsyntax` (spec.md, parser.go, parser_template.go).
 *
 * Newlines end attributes and blocks and separate object items; inside `( )`, `[ ]`, `${ }`
 * and `for` expressions they are ignored. A stack of "newlines matter here" flags, pushed and
 * popped around those constructs, decides whether `peek` sees Newline tokens.
 *
 * Errors never throw. Each is a diagnostic with hcl's summary; after one the parser enters
 * recovery mode (later errors of the same body item are suppressed as likely echoes), skips to
 * a place it can trust (the matching bracket, the end of the line) and carries on, so
 * independent mistakes on different lines are each reported. Every loop consumes a token or
 * stops, and nesting deeper than MAX_DEPTH stops the parse with a diagnostic instead of
 * overflowing the stack.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { sortDiagnostics } from '../diag/diagnostic.js';
import { Span, spanning, type SourceRange } from '../diag/range.js';
import type {
  Attribute,
  BinaryOp,
  Block,
  BlockLabel,
  Body,
  BodyItem,
  Expression,
  File,
  FunctionCallExpr,
  InvalidExpr,
  ObjectItem,
  TemplateExpr,
  Token,
  TokenType,
} from './ast.js';
import { lex } from './lexer.js';
import {
  decodeLiteral,
  flushHeredoc,
  formatRange,
  meldLiterals,
  nestTemplateParts,
  trimLeftSpace,
  trimRightSpace,
  type RawPart,
  type Strip,
} from './parser-template.js';

export interface ParseResult {
  file: File;
  diagnostics: Diagnostic[];
}

export interface ParseExpressionResult {
  expr: Expression;
  diagnostics: Diagnostic[];
}

/** A template piece read from a `${ … }` or `%{ … }` sequence. */
type SequencePart = Exclude<RawPart, { kind: 'lit' }>;

/** How deeply blocks and expressions may nest before the parser gives up on the file. */
export const MAX_DEPTH = 512;

/** Parses a whole file (a body of attributes and blocks). */
export function parseHCL(src: string, filename: string): ParseResult {
  const { tokens, code, diagnostics } = lex(src, filename);
  const p = new Parser(code, diagnostics);
  const body = p.parseFileBody();
  return {
    file: { kind: 'File', filename, body, tokens },
    diagnostics: sortDiagnostics(p.diags),
  };
}

/**
 * Parses a standalone expression, e.g. the value of `-var name=VALUE`. Newlines are ignored, as
 * if the text were in parentheses.
 */
export function parseExpression(src: string, filename: string): ParseExpressionResult {
  const { code, diagnostics } = lex(src, filename);
  const p = new Parser(code, diagnostics);
  const expr = p.parseStandaloneExpression();
  return { expr, diagnostics: sortDiagnostics(p.diags) };
}

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

/** Tokens that open a nested region, and the token that closes each. */
const CLOSER: Partial<Record<TokenType, TokenType>> = {
  OBrace: 'CBrace',
  OBrack: 'CBrack',
  OParen: 'CParen',
  OQuote: 'CQuote',
  OHeredoc: 'CHeredoc',
  TemplateInterp: 'TemplateSeqEnd',
  TemplateControl: 'TemplateSeqEnd',
};

function between(a: SourceRange, b: SourceRange): SourceRange {
  return spanning(a, b);
}

/** Whether `b` starts where `a` ends. */
function startsAt(b: SourceRange, a: SourceRange): boolean {
  if (a instanceof Span && b instanceof Span) return b.from === a.to;
  return b.start.byte === a.end.byte;
}

/** Whether `a` starts in a column left of `b`'s start. */
function indentedLeftOf(a: SourceRange, b: SourceRange): boolean {
  // Same line: a cannot be left of b's start after it (tokens come in order). Saves positions.
  if (a instanceof Span && b instanceof Span && a.source === b.source) {
    const text = a.source.src;
    const nl = text.lastIndexOf('\n', a.from - 1);
    if (nl < b.from) return false;
  }
  return a.start.column < b.start.column;
}

/** The empty range at the start of `r`. */
function emptyAtStart(r: SourceRange): SourceRange {
  if (r instanceof Span) return new Span(r.source, r.from, r.from);
  return { filename: r.filename, start: r.start, end: r.start };
}

function isKeyword(t: Token, word: string): boolean {
  return t.type === 'Ident' && t.text === word;
}

class Parser {
  /** Tokens without comments: the parser never looks at those. */
  private readonly toks: Token[];
  private pos = 0;
  private readonly eof: Token;
  readonly diags: Diagnostic[];
  private readonly filename: string;

  /** Whether Newline tokens are significant at this point; a stack, top last. */
  private readonly newlineStack: boolean[] = [true];
  private newlines = true;

  /**
   * Set after an error has left the parser somewhere it cannot trust; suppresses further errors
   * until the next body item on a fresh line.
   */
  private recovery = false;
  /** Errors found so far, reported or not: lets callers ask "did that fail?". */
  private errors = 0;
  private depth = 0;
  /** Set when nesting got too deep: the rest of the file is skipped and nothing more reported. */
  private halted = false;
  /**
   * Blocks closed by a "}" indented left of their own header, in the order they closed: the
   * brace probably belonged to an enclosing block, so this one is the likely unclosed block.
   */
  private readonly misclosed: { header: string; at: SourceRange; brace: SourceRange }[] = [];

  /** `tokens`: the file's tokens without comments. */
  constructor(tokens: Token[], diags: Diagnostic[]) {
    this.toks = tokens;
    this.eof = this.toks[this.toks.length - 1]!;
    this.filename = this.eof.range.filename;
    this.diags = diags;
  }

  // -------------------------------------------------------------------------------------------
  // Token access

  private peekIndex(): number {
    let i = this.pos;
    if (!this.newlines) {
      while (this.toks[i]!.type === 'Newline') i++;
    }
    return i;
  }

  private peek(): Token {
    return this.toks[this.peekIndex()]!;
  }

  private read(): Token {
    const i = this.peekIndex();
    const t = this.toks[i]!;
    this.pos = t.type === 'EOF' ? i : i + 1;
    return t;
  }

  /** The next token, newlines included whatever the mode (for template contents). */
  private peekRaw(): Token {
    return this.toks[this.pos]!;
  }

  /** The range of the last token read. */
  private prevRange(): SourceRange {
    return this.pos > 0 ? this.toks[this.pos - 1]!.range : this.toks[0]!.range;
  }

  private pushNewlines(significant: boolean): void {
    this.newlineStack.push(significant);
    this.newlines = significant;
  }

  private popNewlines(): void {
    this.newlineStack.pop();
    this.newlines = this.newlineStack[this.newlineStack.length - 1] ?? true;
  }

  // -------------------------------------------------------------------------------------------
  // Errors and recovery

  /**
   * Records an error. Nothing is reported at an Invalid token (the lexer already said what is
   * wrong with it) or after the parse was halted, but the error still counts.
   */
  private error(
    summary: string,
    detail: string,
    range: SourceRange,
    at?: Token,
    context?: SourceRange,
  ): void {
    this.errors++;
    if (this.halted || at?.type === 'Invalid') return;
    const d: Diagnostic = { severity: 'error', summary, detail, range };
    if (context) d.context = context;
    this.diags.push(d);
  }

  /** Like `error`, but stays quiet in recovery mode (the error is probably an echo). */
  private softError(
    summary: string,
    detail: string,
    range: SourceRange,
    at?: Token,
    context?: SourceRange,
  ): void {
    if (this.recovery) {
      this.errors++;
      return;
    }
    this.error(summary, detail, range, at, context);
  }

  /** Whether an error was found since `before` while the parser is in recovery. */
  private failedSince(before: number): boolean {
    return this.recovery && this.errors > before;
  }

  /**
   * Skips forward to the token of type `end` that closes the current nesting level and returns
   * it (consumed), or returns EOF. Brackets of the same kind are counted.
   */
  private recover(end: TokenType): Token {
    this.recovery = true;
    let nest = 0;
    for (;;) {
      const t = this.read();
      if (t.type === 'EOF') return t;
      if (t.type === end) {
        if (nest === 0) return t;
        nest--;
      } else if (CLOSER[t.type] === end) {
        nest++;
      }
    }
  }

  /**
   * Skips to the end of the current body item: the next newline outside any brackets (consumed),
   * an unmatched `}` (left for the enclosing block), or EOF.
   */
  private recoverAfterBodyItem(): void {
    this.recovery = true;
    const open: TokenType[] = [];
    for (;;) {
      const t = this.peek();
      switch (t.type) {
        case 'EOF':
          return;
        case 'Newline':
          this.read();
          if (open.length === 0) return;
          continue;
        case 'CBrace':
          if (open.length === 0) return;
          break;
        default:
          break;
      }
      this.read();
      const closer = CLOSER[t.type];
      if (closer) {
        open.push(closer);
      } else if (
        t.type === 'CBrace' ||
        t.type === 'CBrack' ||
        t.type === 'CParen' ||
        t.type === 'CQuote' ||
        t.type === 'CHeredoc' ||
        t.type === 'TemplateSeqEnd'
      ) {
        const k = open.lastIndexOf(t.type);
        if (k >= 0) open.length = k;
      }
    }
  }

  /**
   * Recovery inside `${ … }` or `%{ … }`: skips to the matching sequence end (consumed). Stops
   * early, consuming nothing more, at the end of the enclosing quoted string or heredoc, and for
   * a quoted string at the end of the line, which no quoted string may cross.
   */
  private recoverTemplateSequence(quoted: boolean): void {
    this.recovery = true;
    let seq = 0;
    let quotes = 0;
    let heredocs = 0;
    for (;;) {
      const t = this.peekRaw();
      switch (t.type) {
        case 'EOF':
          return;
        case 'Newline':
          if (quoted) return;
          break;
        case 'TemplateInterp':
        case 'TemplateControl':
          seq++;
          break;
        case 'TemplateSeqEnd':
          if (seq === 0) {
            this.pos++;
            return;
          }
          seq--;
          break;
        case 'OQuote':
          quotes++;
          break;
        case 'CQuote':
          if (quotes === 0) return;
          quotes--;
          break;
        case 'OHeredoc':
          heredocs++;
          break;
        case 'CHeredoc':
          if (heredocs === 0) return;
          heredocs--;
          break;
        default:
          break;
      }
      this.pos++;
    }
  }

  /** Enters one level of nesting; false (and the parse halted) when that is one too many. */
  private enter(at?: SourceRange): boolean {
    this.depth++;
    if (this.depth <= MAX_DEPTH) return true;
    this.halt(at ?? this.peek().range);
    return false;
  }

  /**
   * For loops that build a chain (`a + b + c …`, `a.b.c …`): the tree grows one level deeper per
   * link without the parser recursing, but later stages walk it recursively, so links count as
   * nesting. True (and the parse halted) when the chain is too long.
   */
  private chainTooLong(links: number, at: SourceRange): boolean {
    if (this.depth + links <= MAX_DEPTH) return false;
    this.halt(at);
    return true;
  }

  /** Reports the nesting limit once and skips the rest of the file. */
  private halt(at: SourceRange): void {
    if (this.halted) return;
    this.error(
      'Nesting too deep',
      `Blocks and expressions may be nested at most ${MAX_DEPTH} levels deep. The rest of the file was not read.`,
      at,
    );
    this.halted = true;
    this.recovery = true;
    this.pos = this.toks.length - 1;
  }

  private invalid(range: SourceRange): InvalidExpr {
    return { kind: 'Invalid', range };
  }

  // -------------------------------------------------------------------------------------------
  // Bodies

  parseFileBody(): Body {
    const { items } = this.parseBodyItems('EOF');
    const eof = this.eof.range;
    return {
      kind: 'Body',
      items,
      range:
        eof instanceof Span
          ? new Span(eof.source, 0, eof.to)
          : { filename: this.filename, start: { line: 1, column: 1, byte: 0 }, end: eof.end },
    };
  }

  /**
   * Body items up to `end` (EOF for a file, `}` for a block, which is consumed and returned as
   * `close`). `open` is the block's `{`, for the "unclosed" error.
   */
  private parseBodyItems(
    end: 'EOF' | 'CBrace',
    open?: Token,
  ): { items: BodyItem[]; close?: Token } {
    const items: BodyItem[] = [];
    const attrs = new Map<string, Attribute>();
    for (;;) {
      // A new line is a fresh start: errors on it are not echoes of earlier ones.
      const prev = this.pos > 0 ? this.toks[this.pos - 1]!.type : 'Newline';
      if (prev === 'Newline' || prev === 'OBrace') this.recovery = false;

      const next = this.peek();
      if (next.type === end) {
        return { items, close: this.read() };
      }
      switch (next.type) {
        case 'Newline':
          this.read();
          continue;
        case 'Ident': {
          const item = this.parseBodyItem();
          if (!item) continue;
          items.push(item);
          if (item.kind === 'Attribute') {
            const existing = attrs.get(item.name);
            if (existing) {
              this.error(
                'Attribute redefined',
                `The argument "${item.name}" was already set at ${formatRange(existing.nameRange)}. Each argument may be set only once.`,
                item.nameRange,
              );
            } else {
              attrs.set(item.name, item);
            }
          }
          continue;
        }
        case 'EOF':
          // Only reached for a block body: the file ended inside it.
          this.softError(
            'Unclosed configuration block',
            'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.' +
              this.likelyUnclosed(open!),
            open!.range,
          );
          return { items };
        default: {
          const bad = this.read();
          if (bad.type === 'OQuote') {
            this.softError(
              'Invalid argument name',
              // drover's own meta keys have dots (drover.after), which only a map can hold.
              'Argument names must not be quoted. A key that is not a name goes in a map: `meta = { "drover.after" = "db" }` instead of a `meta { ... }` block.',
              bad.range,
              bad,
            );
          } else if (bad.type === 'CBrace') {
            this.softError(
              'Argument or block definition required',
              'An argument or block definition is required here. This closing brace has no matching opening brace.',
              bad.range,
              bad,
            );
          } else {
            this.softError(
              'Argument or block definition required',
              'An argument or block definition is required here.',
              bad.range,
              bad,
            );
          }
          this.recoverAfterBodyItem();
          continue;
        }
      }
    }
  }

  private parseBodyItem(): BodyItem | undefined {
    const ident = this.read();
    const next = this.peek();
    switch (next.type) {
      case 'Equal':
        return this.parseAttribute(ident, false);
      case 'OQuote':
      case 'OBrace':
      case 'Ident':
        return this.parseBlock(ident);
      default:
        this.softError(
          'Argument or block definition required',
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
          ident.range,
          next,
        );
        this.recoverAfterBodyItem();
        return undefined;
    }
  }

  private parseAttribute(ident: Token, singleLine: boolean): Attribute {
    const eq = this.read();
    const before = this.errors;
    const expr = this.parseExpression();
    let end = this.prevRange();
    if (this.failedSince(before)) {
      this.recoverAfterBodyItem();
    } else if (!singleLine) {
      const t = this.peek();
      if (t.type === 'Newline') {
        this.read();
      } else if (t.type !== 'EOF') {
        const comma = t.type === 'Comma';
        this.softError(
          comma ? 'Unexpected comma after argument' : 'Missing newline after argument',
          comma
            ? 'Argument definitions must be separated by newlines, not commas. An argument definition must end with a newline.'
            : 'An argument definition must end with a newline.',
          t.range,
          t,
          between(ident.range, t.range),
        );
        end = this.prevRange();
        this.recoverAfterBodyItem();
      }
    }
    return {
      kind: 'Attribute',
      name: ident.text,
      nameRange: ident.range,
      equalsRange: eq.range,
      expr,
      range: between(ident.range, end),
    };
  }

  /**
   * For an unclosed block: the first block inside it that was closed by a brace indented left
   * of its header (hcl's own message blames only the outer block, whose header is rarely where
   * the brace is missing), as a sentence to add to the error; empty when indentation suggests
   * none.
   */
  private likelyUnclosed(open: Token): string {
    // Each unclosed block (innermost first) takes its own suspect.
    const i = this.misclosed.findIndex((m) => m.at.start.byte > open.range.start.byte);
    if (i < 0) return '';
    const inside = this.misclosed.splice(i, 1)[0]!;
    const at = (r: SourceRange) => `${r.start.line}:${r.start.column}`;
    return ` Judging by indentation, the block ${inside.header} opened at ${at(inside.at)} is probably the one missing its closing brace: the "}" at ${at(inside.brace)} that closed it is indented like an enclosing block's.`;
  }

  private parseBlock(ident: Token): Block {
    const labels: BlockLabel[] = [];
    let open: Token | undefined;
    while (!open) {
      const t = this.peek();
      switch (t.type) {
        case 'OBrace':
          open = this.read();
          break;
        case 'OQuote':
          labels.push(this.parseQuotedLabel());
          break;
        case 'Ident':
          this.read();
          labels.push({ value: t.text, range: t.range, quoted: false });
          break;
        default: {
          const context = between(ident.range, t.range);
          if (t.type === 'Equal') {
            this.softError(
              'Invalid block definition',
              'The equals sign "=" indicates an argument definition, and must not be used when defining a block.',
              t.range,
              t,
              context,
            );
          } else if (t.type === 'Newline') {
            this.softError(
              'Invalid block definition',
              'A block definition must have block content delimited by "{" and "}", starting on the same line as the block header.',
              t.range,
              t,
              context,
            );
            // The usual cause is a brace on the next line: take it as the block's and go on.
            const brace = this.nextOpenBraceAfterNewlines();
            if (brace) {
              this.recovery = true;
              open = brace;
              break;
            }
          } else {
            this.softError(
              'Invalid block definition',
              'Either a quoted string block label or an opening brace ("{") is expected here.',
              t.range,
              t,
              context,
            );
          }
          if (open) break;
          this.recoverAfterBodyItem();
          const last = labels[labels.length - 1]?.range ?? ident.range;
          return {
            kind: 'Block',
            type: ident.text,
            typeRange: ident.range,
            labels,
            body: { kind: 'Body', items: [], range: ident.range },
            openBraceRange: ident.range,
            closeBraceRange: last,
            range: between(ident.range, last),
          };
        }
      }
    }

    let items: BodyItem[];
    let close: SourceRange;
    if (!this.enter(open.range)) {
      this.depth--;
      items = [];
      close = this.eof.range;
    } else {
      const first = this.peek();
      if (first.type === 'Newline' || first.type === 'EOF' || first.type === 'CBrace') {
        const body = this.parseBodyItems('CBrace', open);
        items = body.items;
        close = body.close?.range ?? this.eof.range;
        if (body.close && indentedLeftOf(body.close.range, ident.range)) {
          const header = [ident.text, ...labels.map((l) => JSON.stringify(l.value))].join(' ');
          this.misclosed.push({ header, at: ident.range, brace: body.close.range });
        }
      } else {
        items = this.parseSingleAttributeBody(open);
        close = this.prevRange();
      }
      this.depth--;
    }

    const eol = this.peek();
    if (eol.type === 'Newline') {
      this.read();
    } else if (eol.type !== 'EOF') {
      this.softError(
        'Missing newline after block definition',
        'A block definition must end with a newline.',
        eol.range,
        eol,
        between(ident.range, eol.range),
      );
      this.recoverAfterBodyItem();
    }

    return {
      kind: 'Block',
      type: ident.text,
      typeRange: ident.range,
      labels,
      body: { kind: 'Body', items, range: between(open.range, close) },
      openBraceRange: open.range,
      closeBraceRange: close,
      range: between(ident.range, close),
    };
  }

  /** If only newlines stand between here and a `{`, consumes them and the brace. */
  private nextOpenBraceAfterNewlines(): Token | undefined {
    let i = this.pos;
    while (this.toks[i]!.type === 'Newline') i++;
    if (this.toks[i]!.type !== 'OBrace') return undefined;
    this.pos = i + 1;
    return this.toks[i];
  }

  /**
   * `name "label" { attr = value }`: a block written on one line holds at most one attribute and
   * closes on the same line. Consumes through the closing brace when it can find it.
   */
  private parseSingleAttributeBody(open: Token): BodyItem[] {
    const items: BodyItem[] = [];
    const ident = this.read();
    if (ident.type !== 'Ident') {
      this.softError(
        'Argument or block definition required',
        'An argument or block definition is required here.',
        ident.range,
        ident,
      );
      this.recoverAfterBodyItem();
    } else {
      const next = this.peek();
      if (next.type === 'Equal') {
        items.push(this.parseAttribute(ident, true));
      } else if (next.type === 'OQuote' || next.type === 'OBrace' || next.type === 'Ident') {
        this.softError(
          'Argument definition required',
          `A single-line block definition can contain only a single argument. If you meant to define argument "${ident.text}", use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.`,
          between(ident.range, next.range),
          next,
        );
        this.recoverAfterBodyItem();
      } else {
        this.softError(
          'Argument or block definition required',
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
          ident.range,
          next,
        );
        this.recoverAfterBodyItem();
      }
    }

    const t = this.peek();
    switch (t.type) {
      case 'CBrace':
        this.read();
        break;
      case 'Comma':
        this.softError(
          'Invalid single-argument block definition',
          'Single-line block syntax can include only one argument definition. To define multiple arguments, use the multi-line block syntax with one argument definition per line.',
          t.range,
        );
        this.recover('CBrace');
        break;
      case 'Newline':
        this.softError(
          'Invalid single-argument block definition',
          "An argument definition on the same line as its containing block creates a single-line block definition, which must also be closed on the same line. Place the block's closing brace immediately after the argument definition.",
          t.range,
        );
        this.recover('CBrace');
        break;
      case 'EOF':
        this.softError(
          'Unclosed configuration block',
          'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
          open.range,
        );
        break;
      default:
        this.softError(
          'Invalid single-argument block definition',
          'A single-line block definition must end with a closing brace immediately after its single argument definition.',
          t.range,
          t,
        );
        this.recover('CBrace');
        break;
    }
    return items;
  }

  /** A quoted block label: a string with escapes but no template sequences. */
  private parseQuotedLabel(): BlockLabel {
    const open = this.read();
    let value = '';
    let end = open.range;
    for (;;) {
      const t = this.peekRaw();
      if (t.type === 'CQuote') {
        this.pos++;
        end = t.range;
        break;
      }
      if (t.type === 'QuotedLit' || t.type === 'Invalid') {
        this.pos++;
        if (t.type === 'QuotedLit') value += decodeLiteral(t, true, this.diags);
        end = t.range;
        continue;
      }
      if (t.type === 'TemplateInterp' || t.type === 'TemplateControl') {
        this.pos++;
        const which = t.type === 'TemplateInterp' ? '$' : '%';
        this.error(
          'Invalid string literal',
          `Template sequences are not allowed in this string. To include a literal "${which}", double it (as "${which}${which}") to escape it.`,
          t.range,
          t,
          between(open.range, t.range),
        );
        value += `${which}{ ... }`;
        this.recoverTemplateSequence(true);
        end = this.prevRange();
        continue;
      }
      // A newline or the end of the file: the label has no closing quote.
      this.error(
        'Unterminated string literal',
        'Unable to find the closing quote mark before the end of the line.',
        between(open.range, end),
      );
      this.recovery = true;
      break;
    }
    return { value, range: between(open.range, end), quoted: true };
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  parseStandaloneExpression(): Expression {
    this.pushNewlines(false);
    const expr = this.parseExpression();
    const next = this.peek();
    if (next.type !== 'EOF') {
      this.softError(
        'Extra characters after expression',
        'An expression was successfully parsed, but extra characters were found after it.',
        next.range,
        next,
      );
    }
    this.popNewlines();
    return expr;
  }

  private parseExpression(): Expression {
    if (!this.enter()) {
      this.depth--;
      return this.invalid(this.eof.range);
    }
    const expr = this.parseConditional();
    this.depth--;
    return expr;
  }

  /** `cond ? a : b`; both branches are full expressions, so the operator nests to the right. */
  private parseConditional(): Expression {
    const start = this.peek().range;
    const before = this.errors;
    const cond = this.parseBinary(1);
    if (this.failedSince(before)) return cond;
    const question = this.peek();
    if (question.type !== 'Question') return cond;
    this.read();

    const thenExpr = this.parseExpression();
    if (this.failedSince(before)) {
      return {
        kind: 'Conditional',
        cond,
        then: thenExpr,
        else: this.invalid(this.prevRange()),
        range: between(start, this.prevRange()),
      };
    }
    const colon = this.peek();
    if (colon.type !== 'Colon') {
      this.error(
        'Missing false expression in conditional',
        'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
        colon.range,
        colon,
        between(start, colon.range),
      );
      return {
        kind: 'Conditional',
        cond,
        then: thenExpr,
        else: this.invalid(colon.range),
        range: between(start, thenExpr.range),
      };
    }
    this.read();
    const elseExpr = this.parseExpression();
    return {
      kind: 'Conditional',
      cond,
      then: thenExpr,
      else: elseExpr,
      range: between(start, elseExpr.range),
    };
  }

  /** Binary operators by precedence climbing; operators of one level associate to the left. */
  private parseBinary(minPrecedence: number): Expression {
    const before = this.errors;
    let lhs = this.parseOperand();
    if (this.failedSince(before)) return lhs;
    for (let links = 1; ; links++) {
      const t = this.peek();
      if (t.type !== 'Op' && t.type !== 'Star') return lhs;
      const precedence = BINARY_PRECEDENCE[t.text];
      if (precedence === undefined || precedence < minPrecedence) return lhs;
      if (this.chainTooLong(links, t.range)) return lhs;
      this.read();
      const rhs = this.parseBinary(precedence + 1);
      lhs = {
        kind: 'Binary',
        op: t.text as BinaryOp,
        left: lhs,
        right: rhs,
        range: between(lhs.range, rhs.range),
      };
      if (this.failedSince(before)) return lhs;
    }
  }

  /** A term with its postfix operators (`.attr`, `[key]`, splats). */
  private parseOperand(): Expression {
    return this.parseTraversals(this.parseTerm());
  }

  private parseTraversals(from: Expression): Expression {
    let ret = from;
    for (let links = 1; ; links++) {
      const next = this.peek();
      if ((next.type === 'Dot' || next.type === 'OBrack') && this.chainTooLong(links, next.range)) {
        return ret;
      }
      if (next.type === 'Dot') {
        const dot = this.read();
        const name = this.peek();
        if (name.type === 'Ident') {
          this.read();
          ret = {
            kind: 'GetAttr',
            object: ret,
            name: name.text,
            nameRange: name.range,
            range: between(ret.range, name.range),
          };
        } else if (name.type === 'Number') {
          this.read();
          ret = this.legacyIndex(ret, name);
        } else if (name.type === 'Star') {
          ret = this.parseAttrSplat(ret, dot);
        } else {
          this.error(
            'Invalid attribute name',
            'An attribute name is required after a dot.',
            name.range,
            name,
          );
          this.recovery = true;
          ret = this.invalid(between(ret.range, dot.range));
        }
      } else if (next.type === 'OBrack') {
        const open = this.read();
        if (this.peek().type === 'Star') {
          ret = this.parseFullSplat(ret, open);
        } else {
          ret = this.parseIndex(ret, open);
        }
      } else {
        return ret;
      }
    }
  }

  /** `a.0`: hcl's legacy index syntax. `a.0.1` lexes as `a` `.` `0.1` and is refused. */
  private legacyIndex(object: Expression, num: Token): Expression {
    let key: Expression;
    const dot = num.text.indexOf('.');
    if (dot >= 0) {
      this.error(
        'Invalid legacy index syntax',
        `When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [${num.text.slice(0, dot)}][${num.text.slice(dot + 1)}].`,
        num.range,
        num,
      );
      key = this.invalid(num.range);
    } else {
      key = this.numberLiteral(num);
    }
    return {
      kind: 'Index',
      object,
      key,
      legacyDot: true,
      range: between(object.range, num.range),
    };
  }

  /** `source.*.a.b`: the attribute-only splat applies only `.attr` (and `.0`) steps per element. */
  private parseAttrSplat(source: Expression, dot: Token): Expression {
    const star = this.read();
    let each: Expression = { kind: 'AnonSplatItem', range: between(dot.range, star.range) };
    let last = star.range;
    for (let links = 1; this.peek().type === 'Dot'; links++) {
      if (this.chainTooLong(links, this.peek().range)) break;
      this.read();
      const t = this.peek();
      if (t.type === 'Ident') {
        this.read();
        each = {
          kind: 'GetAttr',
          object: each,
          name: t.text,
          nameRange: t.range,
          range: between(each.range, t.range),
        };
        last = t.range;
      } else if (t.type === 'Number') {
        this.read();
        each = this.legacyIndex(each, t);
        last = t.range;
      } else {
        if (t.type === 'Star') {
          this.softError(
            'Nested splat expression not allowed',
            'A splat expression (*) cannot be used inside another attribute-only splat expression.',
            t.range,
            t,
          );
        } else {
          this.softError(
            'Invalid attribute name',
            'An attribute name is required after a dot.',
            t.range,
            t,
          );
        }
        this.recovery = true;
        break;
      }
    }
    return { kind: 'Splat', source, each, full: false, range: between(source.range, last) };
  }

  /** `source[*].a[0]`: the full splat applies every following traversal step per element. */
  private parseFullSplat(source: Expression, open: Token): Expression {
    this.read(); // the star
    let close = this.read();
    if (close.type !== 'CBrack') {
      this.softError(
        'Missing close bracket on splat index',
        'The star for a full splat operator must be immediately followed by a closing bracket ("]").',
        close.range,
        close,
      );
      close = this.recover('CBrack');
    }
    const anon: Expression = { kind: 'AnonSplatItem', range: between(open.range, close.range) };
    let each: Expression;
    if (this.enter()) {
      each = this.parseTraversals(anon);
    } else {
      each = anon;
    }
    this.depth--;
    return { kind: 'Splat', source, each, full: true, range: between(source.range, each.range) };
  }

  private parseIndex(object: Expression, open: Token): Expression {
    this.pushNewlines(false);
    const before = this.errors;
    const key = this.parseExpression();
    let close: Token;
    if (this.failedSince(before)) {
      close = this.recover('CBrack');
    } else {
      close = this.read();
      if (close.type !== 'CBrack') {
        this.softError(
          'Missing close bracket on index',
          'The index operator must end with a closing bracket ("]").',
          close.range,
          close,
          between(open.range, close.range),
        );
        close = this.recover('CBrack');
      }
    }
    this.popNewlines();
    return { kind: 'Index', object, key, range: between(object.range, close.range) };
  }

  private parseTerm(): Expression {
    const start = this.peek();
    switch (start.type) {
      case 'OParen':
        return this.parseParens();
      case 'Number':
        this.read();
        return this.numberLiteral(start);
      case 'Ident': {
        this.read();
        const i = this.peekIndex();
        const next = this.toks[i]!;
        if (next.type === 'OParen') return this.parseFunctionCall(start, start.text, start.range);
        if (next.type === 'Colon' && this.isDoubleColon(i)) return this.parseNamespacedCall(start);
        switch (start.text) {
          case 'true':
            return { kind: 'Literal', value: true, raw: start.text, range: start.range };
          case 'false':
            return { kind: 'Literal', value: false, raw: start.text, range: start.range };
          case 'null':
            return { kind: 'Literal', value: null, raw: start.text, range: start.range };
          default:
            return { kind: 'Variable', name: start.text, range: start.range };
        }
      }
      case 'OQuote':
      case 'OHeredoc':
        return this.parseTemplate();
      case 'Op':
        if (start.text === '-' || start.text === '!') {
          this.read();
          let operand: Expression;
          if (this.enter()) {
            operand = this.parseOperand();
          } else {
            operand = this.invalid(this.eof.range);
          }
          this.depth--;
          return {
            kind: 'Unary',
            op: start.text,
            operand,
            range: between(start.range, operand.range),
          };
        }
        break;
      case 'OBrack':
        return this.parseTuple();
      case 'OBrace':
        return this.parseObject();
      default:
        break;
    }
    if (start.type === 'EOF') {
      this.softError(
        'Missing expression',
        'Expected the start of an expression, but found the end of the file.',
        start.range,
      );
    } else {
      this.softError(
        'Invalid expression',
        'Expected the start of an expression, but found an invalid expression token.',
        start.range,
        start,
      );
    }
    this.recovery = true;
    return this.invalid(start.range);
  }

  private numberLiteral(tok: Token): Expression {
    const value = Number(tok.text);
    if (!Number.isFinite(value)) {
      this.error(
        'Invalid number literal',
        Number.isNaN(value)
          ? 'Failed to recognize the value of this number literal.'
          : 'This number is too large to be represented.',
        tok.range,
        tok,
      );
      return this.invalid(tok.range);
    }
    return { kind: 'Literal', value, raw: tok.text, range: tok.range };
  }

  private parseParens(): Expression {
    const open = this.read();
    this.pushNewlines(false);
    const before = this.errors;
    const expr = this.parseExpression();
    if (this.errors > before) {
      // Put the parser after the closing parenthesis, so what follows has a chance.
      const close = this.recover('CParen');
      this.popNewlines();
      return { kind: 'Paren', expr, range: between(open.range, close.range) };
    }
    const close = this.peek();
    let end = close.range;
    if (close.type === 'CParen') {
      this.read();
    } else {
      this.error(
        'Unbalanced parentheses',
        'Expected a closing parenthesis to terminate the expression.',
        close.range,
        close,
        between(open.range, close.range),
      );
      this.recovery = true;
      end = this.prevRange();
    }
    this.popNewlines();
    return { kind: 'Paren', expr, range: between(open.range, end) };
  }

  /** Whether the Colon at index i is the first half of a `::` (a namespaced function name). */
  private isDoubleColon(i: number): boolean {
    const a = this.toks[i]!;
    const b = this.toks[i + 1]!;
    return b.type === 'Colon' && startsAt(b.range, a.range);
  }

  /** `provider::name::fn(…)`: hcl's function namespaces; the name keeps its `::`. */
  private parseNamespacedCall(first: Token): Expression {
    let name = first.text;
    let nameEnd = first.range;
    while (this.peek().type === 'Colon' && this.isDoubleColon(this.peekIndex())) {
      this.read();
      this.read();
      const part = this.read();
      if (part.type !== 'Ident') {
        this.error(
          'Missing function name',
          'Function scope resolution symbol :: must be followed by a function name in this scope.',
          part.range,
          part,
          between(first.range, part.range),
        );
        this.recovery = true;
        return this.invalid(between(first.range, part.range));
      }
      name += `::${part.text}`;
      nameEnd = part.range;
    }
    const open = this.peek();
    const nameRange = between(first.range, nameEnd);
    if (open.type !== 'OParen') {
      this.error(
        'Missing open parenthesis',
        'Function selector must be followed by an open parenthesis to begin the function call.',
        open.range,
        open,
        between(first.range, open.range),
      );
      this.recovery = true;
      return this.invalid(nameRange);
    }
    return this.parseFunctionCall(first, name, nameRange);
  }

  private parseFunctionCall(first: Token, name: string, nameRange: SourceRange): FunctionCallExpr {
    const open = this.read();
    const args: Expression[] = [];
    let expandFinal = false;
    let close: Token | undefined;
    this.pushNewlines(false);
    for (;;) {
      if (this.peek().type === 'CParen') {
        close = this.read();
        break;
      }
      const before = this.errors;
      args.push(this.parseExpression());
      if (this.failedSince(before)) {
        const t = this.recover('CParen');
        if (t.type === 'CParen') close = t;
        break;
      }
      const sep = this.read();
      if (sep.type === 'CParen') {
        close = sep;
        break;
      }
      if (sep.type === 'Ellipsis') {
        expandFinal = true;
        if (this.peek().type === 'CParen') {
          close = this.read();
        } else {
          this.softError(
            'Missing closing parenthesis',
            'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
            sep.range,
            sep,
            between(first.range, sep.range),
          );
          const t = this.recover('CParen');
          if (t.type === 'CParen') close = t;
        }
        break;
      }
      if (sep.type !== 'Comma') {
        if (sep.type === 'EOF') {
          this.softError(
            'Unterminated function call',
            'There is no closing parenthesis for this function call before the end of the file. This may be caused by incorrect parenthesis nesting elsewhere in this file.',
            between(first.range, open.range),
          );
        } else {
          this.softError(
            'Missing argument separator',
            'A comma is required to separate each function argument from the next.',
            sep.range,
            sep,
            between(first.range, sep.range),
          );
        }
        const t = this.recover('CParen');
        if (t.type === 'CParen') close = t;
        break;
      }
      if (this.peek().type === 'CParen') {
        close = this.read(); // a trailing comma
        break;
      }
    }
    this.popNewlines();
    return {
      kind: 'FunctionCall',
      name,
      nameRange,
      args,
      expandFinal,
      range: between(first.range, close?.range ?? this.prevRange()),
    };
  }

  private parseTuple(): Expression {
    const open = this.read();
    this.pushNewlines(false);
    if (isKeyword(this.peek(), 'for')) {
      const expr = this.parseFor(open);
      this.popNewlines();
      return expr;
    }
    const items: Expression[] = [];
    let close: Token;
    for (;;) {
      if (this.peek().type === 'CBrack') {
        close = this.read();
        break;
      }
      const before = this.errors;
      items.push(this.parseExpression());
      if (this.failedSince(before)) {
        close = this.recover('CBrack');
        break;
      }
      const next = this.peek();
      if (next.type === 'CBrack') {
        close = this.read();
        break;
      }
      if (next.type !== 'Comma') {
        if (next.type === 'EOF') {
          this.softError(
            'Unterminated tuple constructor expression',
            'There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.',
            open.range,
          );
        } else {
          this.softError(
            'Missing item separator',
            'Expected a comma to mark the beginning of the next item.',
            next.range,
            next,
            between(open.range, next.range),
          );
        }
        close = this.recover('CBrack');
        break;
      }
      this.read();
    }
    this.popNewlines();
    return { kind: 'Tuple', items, range: between(open.range, close.range) };
  }

  private parseObject(): Expression {
    const open = this.read();
    // `{` + newlines + `for` is still a for expression: those ignore newlines.
    this.pushNewlines(false);
    const isFor = isKeyword(this.peek(), 'for');
    if (isFor) {
      const expr = this.parseFor(open);
      this.popNewlines();
      return expr;
    }
    this.popNewlines();

    this.pushNewlines(true);
    const items: ObjectItem[] = [];
    let close: Token;
    for (;;) {
      let next = this.peek();
      if (next.type === 'Newline') {
        this.read();
        continue;
      }
      if (next.type === 'CBrace') {
        close = this.read();
        break;
      }
      const parenthesised = next.type === 'OParen';
      let before = this.errors;
      const key = this.parseExpression();
      if (this.failedSince(before)) {
        close = this.recover('CBrace');
        break;
      }
      next = this.peek();
      if (next.type !== 'Equal' && next.type !== 'Colon') {
        const context = between(open.range, next.range);
        if (next.type === 'Newline' || next.type === 'Comma') {
          this.softError(
            'Missing attribute value',
            'Expected an attribute value, introduced by an equals sign ("=").',
            next.range,
            next,
            context,
          );
        } else if (next.type === 'Ident') {
          this.softError(
            'Missing key/value separator',
            'Expected an equals sign ("=") to mark the beginning of the attribute value. If you intended to given an attribute name containing periods or spaces, write the name in quotes to create a string literal.',
            next.range,
            next,
            context,
          );
        } else if (next.type === 'EOF') {
          this.softError(
            'Unterminated object constructor expression',
            'There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
            open.range,
          );
        } else {
          this.softError(
            'Missing key/value separator',
            'Expected an equals sign ("=") to mark the beginning of the attribute value.',
            next.range,
            next,
            context,
          );
        }
        close = this.recover('CBrace');
        break;
      }
      const sep = this.read();
      before = this.errors;
      const value = this.parseExpression();
      items.push({
        key,
        bareKey: key.kind === 'Variable' && !parenthesised,
        value,
        separator: sep.type === 'Colon' ? ':' : '=',
        range: between(key.range, value.range),
      });
      if (this.failedSince(before)) {
        close = this.recover('CBrace');
        break;
      }
      next = this.peek();
      if (next.type === 'CBrace') {
        close = this.read();
        break;
      }
      if (next.type !== 'Comma' && next.type !== 'Newline') {
        if (next.type === 'EOF') {
          this.softError(
            'Unterminated object constructor expression',
            'There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
            open.range,
          );
        } else {
          this.softError(
            'Missing attribute separator',
            'Expected a newline or comma to mark the beginning of the next attribute.',
            next.range,
            next,
            between(open.range, next.range),
          );
        }
        close = this.recover('CBrace');
        break;
      }
      this.read();
    }
    this.popNewlines();
    return { kind: 'Object', items, range: between(open.range, close.range) };
  }

  /** `[for k, v in coll : v if cond]` and `{for k, v in coll : k => v... if cond}`. */
  private parseFor(open: Token): Expression {
    this.pushNewlines(false);
    const expr = this.parseForInner(open);
    this.popNewlines();
    return expr;
  }

  private parseForInner(open: Token): Expression {
    this.read(); // `for`
    const makeObject = open.type === 'OBrace';
    const closeType: TokenType = makeObject ? 'CBrace' : 'CBrack';
    const fail = (detail: string): Expression => {
      const t = this.peek();
      this.softError("Invalid 'for' expression", detail, t.range, t, between(open.range, t.range));
      const close = this.recover(closeType);
      return this.invalid(between(open.range, close.range));
    };
    const bail = (): Expression => {
      const close = this.recover(closeType);
      return this.invalid(between(open.range, close.range));
    };

    if (this.peek().type !== 'Ident')
      return fail("For expression requires variable name after 'for'.");
    let keyVar: string | undefined;
    let valueVar = this.read().text;
    if (this.peek().type === 'Comma') {
      this.read();
      keyVar = valueVar;
      if (this.peek().type !== 'Ident') {
        return fail('For expression requires value variable name after comma.');
      }
      valueVar = this.read().text;
    }
    if (!isKeyword(this.peek(), 'in')) {
      return fail("For expression requires the 'in' keyword after its name declarations.");
    }
    this.read();

    let before = this.errors;
    const collection = this.parseExpression();
    if (this.failedSince(before)) return bail();
    if (this.peek().type !== 'Colon') {
      return fail('For expression requires a colon after the collection expression.');
    }
    this.read();

    before = this.errors;
    let keyExpr: Expression | undefined;
    let valueExpr = this.parseExpression();
    if (this.peek().type === 'FatArrow') {
      this.read();
      keyExpr = valueExpr;
      valueExpr = this.parseExpression();
    }
    if (this.failedSince(before)) return bail();

    let ellipsis: Token | undefined;
    if (this.peek().type === 'Ellipsis') ellipsis = this.read();

    let cond: Expression | undefined;
    if (isKeyword(this.peek(), 'if')) {
      this.read();
      before = this.errors;
      cond = this.parseExpression();
      if (this.failedSince(before)) return bail();
    }

    let close: Token;
    if (this.peek().type === closeType) {
      close = this.read();
    } else {
      const t = this.peek();
      this.softError(
        "Invalid 'for' expression",
        "Extra characters after the end of the 'for' expression.",
        t.range,
        t,
        between(open.range, t.range),
      );
      close = this.recover(closeType);
    }
    const range = between(open.range, close.range);

    if (!makeObject) {
      if (keyExpr) {
        this.error(
          "Invalid 'for' expression",
          'Key expression is not valid when building a tuple.',
          keyExpr.range,
          undefined,
          range,
        );
      }
      if (ellipsis) {
        this.error(
          "Invalid 'for' expression",
          'Grouping ellipsis (...) cannot be used when building a tuple.',
          ellipsis.range,
          undefined,
          range,
        );
      }
    } else if (!keyExpr) {
      this.error(
        "Invalid 'for' expression",
        'Key expression is required when building an object.',
        valueExpr.range,
        undefined,
        range,
      );
    }

    const expr: Expression = {
      kind: 'For',
      valueVar,
      collection,
      valueExpr,
      group: ellipsis !== undefined,
      range,
    };
    if (keyVar !== undefined) expr.keyVar = keyVar;
    if (keyExpr) expr.keyExpr = keyExpr;
    if (cond) expr.cond = cond;
    return expr;
  }

  // -------------------------------------------------------------------------------------------
  // Templates

  /** A quoted string or a heredoc, the next token being its opener. */
  private parseTemplate(): TemplateExpr {
    const open = this.read();
    const simple = this.plainString(open);
    if (simple) return simple;
    const heredoc = open.type === 'OHeredoc';
    const quoted = !heredoc;
    const endType: TokenType = heredoc ? 'CHeredoc' : 'CQuote';
    const parts: RawPart[] = [];
    let ltrimNext = false;
    let canTrimPrev = false;
    let close: Token | undefined;
    const errorsBefore = this.errors;

    for (;;) {
      const t = this.peekRaw();
      if (t.type === endType) {
        this.pos++;
        close = t;
        break;
      }
      const ltrim = ltrimNext;
      ltrimNext = false;
      const trimPrev = canTrimPrev;
      canTrimPrev = false;

      if (t.type === 'Invalid') {
        // A stray character the lexer already reported (a lone carriage return): step over it.
        this.pos++;
        this.errors++;
        continue;
      }
      if (t.type === 'QuotedLit') {
        this.pos++;
        let value = decodeLiteral(t, quoted, this.diags);
        if (ltrim) value = trimLeftSpace(value);
        parts.push({ kind: 'lit', value, range: t.range });
        canTrimPrev = true;
        continue;
      }
      if (t.type === 'TemplateInterp' || t.type === 'TemplateControl') {
        this.pos++;
        const stripLeft = t.text.length === 3;
        if (stripLeft && trimPrev) {
          const prev = parts[parts.length - 1];
          if (prev?.kind === 'lit') prev.value = trimRightSpace(prev.value);
        }
        this.pushNewlines(false);
        const part =
          t.type === 'TemplateInterp'
            ? this.parseInterpolation(t, quoted)
            : this.parseDirective(t, quoted);
        this.popNewlines();
        if (part) {
          parts.push(part);
          ltrimNext = part.strip.right;
        }
        continue;
      }

      // Anything else means the template never closed.
      this.unterminatedTemplate(open, t, quoted);
      if (heredoc && t.type !== 'EOF') {
        // Skip the rest of the heredoc as best we can.
        while (this.peekRaw().type !== 'EOF' && this.peekRaw().type !== 'CHeredoc') this.pos++;
        if (this.peekRaw().type === 'CHeredoc') close = this.toks[this.pos++];
      }
      break;
    }

    if (heredoc && open.text.startsWith('<<-')) flushHeredoc(parts);
    let melded = meldLiterals(parts);
    for (const p of melded) if (p.kind === 'lit') p.value = normalizeText(p.value);
    const endRange = close?.range ?? this.peekRaw().range;
    if (melded.length === 0) {
      // "" is a template with one empty literal, placed just inside the quotes.
      const at = emptyAtStart(endRange);
      melded = [{ kind: 'lit', value: '', range: at }];
    }
    // Unbalanced directives after a broken one are echoes of that error: do not report them.
    const structure: Diagnostic[] = [];
    const templateParts = nestTemplateParts(melded, endRange, structure);
    if (this.errors === errorsBefore) this.diags.push(...structure);
    this.errors += structure.length;
    const expr: TemplateExpr = {
      kind: 'Template',
      parts: templateParts,
      range: between(open.range, close?.range ?? this.prevRange()),
    };
    if (heredoc) {
      const flush = open.text.startsWith('<<-');
      expr.heredoc = { marker: open.text.slice(flush ? 3 : 2).trimEnd(), flush };
    }
    return expr;
  }

  /** Fast path for the commonest template: a quoted string that is one plain literal. */
  private plainString(open: Token): TemplateExpr | undefined {
    if (open.type !== 'OQuote') return undefined;
    const lit = this.toks[this.pos]!;
    const close = this.toks[this.pos + 1];
    if (lit.type !== 'QuotedLit' || close?.type !== 'CQuote') return undefined;
    this.pos += 2;
    return {
      kind: 'Template',
      parts: [
        {
          kind: 'TemplateLiteral',
          value: normalizeText(decodeLiteral(lit, true, this.diags)),
          range: lit.range,
        },
      ],
      range: between(open.range, close.range),
    };
  }

  private unterminatedTemplate(open: Token, at: Token, quoted: boolean): void {
    if (quoted) {
      this.softError(
        'Unterminated template string',
        'No closing quote mark was found for this string before the end of the line. Quoted strings may not be split over multiple lines: to produce a multi-line string, use the \\n escape or the "heredoc" syntax (<<EOT).',
        between(open.range, this.prevRange()),
      );
      this.recovery = true;
      return;
    }
    const marker = open.text.replace(/^<<-?/, '').trimEnd();
    const opener = open.text.trimEnd();
    const openerRange: SourceRange = {
      filename: open.range.filename,
      start: open.range.start,
      end: {
        line: open.range.start.line,
        column: open.range.start.column + opener.length,
        byte: open.range.start.byte + opener.length,
      },
    };
    // The classic mistake: the closing marker is the last line of the file, with no newline.
    const last = this.toks[this.pos - 1];
    const markerWithoutNewline =
      at.type === 'EOF' && last?.type === 'QuotedLit' && last.text.trim() === marker;
    this.softError(
      'Unterminated template string',
      markerWithoutNewline
        ? `The closing marker "${marker}" must be followed by a newline; add one at the end of the file.`
        : `No closing marker "${marker}" was found for this heredoc. The marker must stand on a line of its own.`,
      openerRange,
      at,
    );
    this.recovery = true;
  }

  /** After `${` or `${~`: the expression and the closing `}` or `~}`. */
  private parseInterpolation(open: Token, quoted: boolean): SequencePart {
    const expr = this.parseExpression();
    const close = this.peek();
    let stripRight = false;
    if (close.type === 'TemplateSeqEnd') {
      this.read();
      stripRight = close.text.startsWith('~');
    } else {
      if (close.type === 'EOF') {
        this.softError(
          'Unclosed template interpolation sequence',
          'There is no closing brace for this interpolation sequence before the end of the file. This might be caused by incorrect nesting inside the given expression.',
          open.range,
        );
      } else if (close.type === 'Colon') {
        this.softError(
          'Extra characters after interpolation expression',
          'Template interpolation doesn\'t expect a colon at this location. Did you intend this to be a literal sequence to be processed as part of another language? If so, you can escape it by starting with "$${" instead of just "${".',
          close.range,
          close,
          between(open.range, close.range),
        );
      } else if (quoted && (close.type === 'CQuote' || close.type === 'OQuote')) {
        this.softError(
          'Unclosed template interpolation sequence',
          'There is no closing brace for this interpolation sequence before the end of the quoted template. This might be caused by incorrect nesting inside the given expression.',
          open.range,
        );
      } else {
        this.softError(
          'Extra characters after interpolation expression',
          'Expected a closing brace to end the interpolation expression, but found extra characters.\n\nThis can happen when you include interpolation syntax for another language, such as shell scripting, but forget to escape the interpolation start token. If this is an embedded sequence for another language, escape it by starting with "$${" instead of just "${".',
          close.range,
          close,
          between(open.range, close.range),
        );
      }
      this.recoverTemplateSequence(quoted);
    }
    return {
      kind: 'interp',
      expr,
      strip: { left: open.text.length === 3, right: stripRight },
      range: between(open.range, this.prevRange()),
    };
  }

  /** After `%{` or `%{~`: one directive (`if`, `else`, `endif`, `for`, `endfor`). */
  private parseDirective(open: Token, quoted: boolean): SequencePart | undefined {
    const kw = this.peek();
    if (kw.type !== 'Ident') {
      this.softError(
        'Invalid template directive',
        'A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.',
        kw.range,
        kw,
        between(open.range, kw.range),
      );
      this.recoverTemplateSequence(quoted);
      return undefined;
    }
    this.read();

    let part: SequencePart;
    const strip: Strip = { left: open.text.length === 3, right: false };
    const placeholder = open.range; // replaced below once the closing brace is known
    switch (kw.text) {
      case 'if':
        part = { kind: 'if', cond: this.parseExpression(), strip, range: placeholder };
        break;
      case 'else':
      case 'endif':
      case 'endfor':
        part = { kind: kw.text, strip, range: placeholder };
        break;
      case 'for': {
        const fail = (detail: string): undefined => {
          const t = this.peek();
          this.softError("Invalid 'for' directive", detail, t.range, t);
          this.recoverTemplateSequence(quoted);
          return undefined;
        };
        if (this.peek().type !== 'Ident')
          return fail("For directive requires variable name after 'for'.");
        let keyVar: string | undefined;
        let valueVar = this.read().text;
        if (this.peek().type === 'Comma') {
          this.read();
          keyVar = valueVar;
          if (this.peek().type !== 'Ident') {
            return fail('For directive requires value variable name after comma.');
          }
          valueVar = this.read().text;
        }
        if (!isKeyword(this.peek(), 'in'))
          return fail("For directive requires 'in' keyword after names.");
        this.read();
        const collection = this.parseExpression();
        part = { kind: 'for', valueVar, collection, strip, range: placeholder };
        if (keyVar !== undefined) part.keyVar = keyVar;
        break;
      }
      default: {
        const suggestion = suggestKeyword(kw.text);
        this.softError(
          'Invalid template control keyword',
          `"${kw.text}" is not a valid template control keyword.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
          kw.range,
          kw,
          between(open.range, kw.range),
        );
        this.recoverTemplateSequence(quoted);
        return undefined;
      }
    }

    const close = this.peek();
    if (close.type === 'TemplateSeqEnd') {
      this.read();
      strip.right = close.text.startsWith('~');
    } else {
      this.softError(
        `Extra characters in ${kw.text} marker`,
        'Expected a closing brace to end the sequence, but found extra characters.',
        close.range,
        close,
        between(open.range, close.range),
      );
      this.recoverTemplateSequence(quoted);
    }
    part.range = between(open.range, this.prevRange());
    return part;
  }
}

const NON_ASCII = /[\u0080-\uffff]/;

/** hcl's strings are cty strings, which are always in Unicode normal form C. */
function normalizeText(s: string): string {
  return NON_ASCII.test(s) ? s.normalize('NFC') : s;
}

const DIRECTIVE_KEYWORDS = ['if', 'for', 'else', 'endif', 'endfor'];

/** The directive keyword closest to a misspelt one, if any is close (edit distance ≤ 2). */
function suggestKeyword(given: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of DIRECTIVE_KEYWORDS) {
    const d = editDistance(given, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

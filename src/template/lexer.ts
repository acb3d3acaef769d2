/**
 * The lexer of Go's text/template: splits a template into text and the tokens of its actions.
 * Trim markers (`{{- `, ` -}}`) are applied here, to the neighbouring text, as Go does; comments
 * (`{{/* … *\/}}`) become one token so the parser can drop them.
 */
import { TemplateError } from './errors.js';
import { positionOf } from './position.js';

export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'comment'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The token's source text (for text: after trimming). */
  value: string;
  /** Offset in the template text. */
  pos: number;
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const TRIM_MARKER = '-';
// One character (a UTF-16 unit) each; ASCII is decided without a regular expression (hot).
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n';
const LETTER_DIGIT = /[\p{L}\p{Nd}_]/u;
const isAlnum = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  if (k < 0x80)
    return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || (k >= 48 && k <= 57) || k === 95;
  return LETTER_DIGIT.test(c);
};

export interface Delims {
  left: string;
  right: string;
}

/** Every token of `text`, ending with an `eof` token. */
export function lex(text: string, delims: Delims): Token[] {
  return new Lexer(text, delims).run();
}

class Lexer {
  private readonly tokens: Token[] = [];
  private pos = 0;
  /** Trim the spaces at the start of the next text (the previous action ended with ` -}}`). */
  private trimNext = false;
  private parenDepth = 0;

  constructor(
    private readonly text: string,
    private readonly delims: Delims,
  ) {}

  run(): Token[] {
    while (this.pos < this.text.length) this.lexText();
    this.tokens.push({ kind: 'eof', value: '', pos: this.text.length });
    return this.tokens;
  }

  private fail(message: string, at: number): never {
    const { line, column } = positionOf(this.text, at);
    throw new TemplateError(message, line, column);
  }

  private emit(kind: TokenKind, value: string, pos: number): void {
    this.tokens.push({ kind, value, pos });
  }

  /** Text up to the next left delimiter, then the action that follows. */
  private lexText(): void {
    const { left } = this.delims;
    const start = this.pos;
    const at = this.text.indexOf(left, this.pos);
    const end = at < 0 ? this.text.length : at;
    let body = this.text.slice(start, end);
    let bodyStart = start;
    if (this.trimNext) {
      const trimmed = body.replace(/^[ \t\r\n]+/, '');
      bodyStart += body.length - trimmed.length;
      body = trimmed;
      this.trimNext = false;
    }
    if (at >= 0 && this.hasLeftTrim(at)) body = body.replace(/[ \t\r\n]+$/, '');
    if (body.length > 0) this.emit('text', body, bodyStart);
    this.pos = end;
    if (at >= 0) this.lexAction();
  }

  /** `{{- ` : the delimiter, a '-' and an ASCII space. */
  private hasLeftTrim(at: number): boolean {
    const after = at + this.delims.left.length;
    return this.text[after] === TRIM_MARKER && isSpace(this.text[after + 1]);
  }

  /** ` -}}` at `at`: an ASCII space, a '-' and the delimiter. */
  private hasRightTrim(at: number): boolean {
    return (
      isSpace(this.text[at]) &&
      this.text[at + 1] === TRIM_MARKER &&
      this.text.startsWith(this.delims.right, at + 2)
    );
  }

  private atRightDelim(): { trim: boolean; length: number } | undefined {
    if (this.hasRightTrim(this.pos)) return { trim: true, length: 2 + this.delims.right.length };
    if (this.text.startsWith(this.delims.right, this.pos))
      return { trim: false, length: this.delims.right.length };
    return undefined;
  }

  private lexAction(): void {
    const actionStart = this.pos;
    this.pos += this.delims.left.length;
    if (this.hasLeftTrim(actionStart)) this.pos += 2;
    if (this.text.startsWith('/*', this.pos)) return this.lexComment(actionStart);
    this.emit('leftDelim', this.delims.left, actionStart);
    this.parenDepth = 0;
    for (;;) {
      const right = this.atRightDelim();
      if (right) {
        if (this.parenDepth > 0) this.fail('unclosed left paren', this.pos);
        this.emit('rightDelim', this.delims.right, this.pos);
        this.pos += right.length;
        this.trimNext = right.trim;
        return;
      }
      if (this.pos >= this.text.length) {
        const started = positionOf(this.text, actionStart).line;
        const here = positionOf(this.text, this.pos).line;
        this.fail(
          started === here ? 'unclosed action' : `unclosed action started at line ${started}`,
          this.pos,
        );
      }
      this.lexInsideAction();
    }
  }

  private lexComment(actionStart: number): void {
    const end = this.text.indexOf('*/', this.pos + 2);
    if (end < 0) this.fail('unclosed comment', actionStart);
    const body = this.text.slice(this.pos, end + 2);
    this.pos = end + 2;
    const right = this.atRightDelim();
    if (!right) this.fail('comment ends before closing delimiter', actionStart);
    this.emit('comment', body, actionStart);
    this.pos += right.length;
    this.trimNext = right.trim;
  }

  private lexInsideAction(): void {
    const start = this.pos;
    const c = this.text[this.pos]!;
    if (isSpace(c)) {
      while (isSpace(this.text[this.pos]) && !this.hasRightTrim(this.pos)) this.pos++;
      // A space that begins ` -}}` is the caller's delimiter; newlines are spaces (Go 1.16+).
      if (this.pos === start) return;
      this.emit('space', this.text.slice(start, this.pos), start);
      return;
    }
    if (c === '=') return this.single('assign');
    if (c === ':') {
      if (this.text[this.pos + 1] !== '=') this.fail('expected :=', start);
      this.emit('declare', ':=', start);
      this.pos += 2;
      return;
    }
    if (c === '|') return this.single('pipe');
    if (c === ',') return this.single('comma');
    if (c === '"') return this.lexQuote();
    if (c === '`') return this.lexRawQuote();
    if (c === "'") return this.lexChar();
    if (c === '$') return this.lexVariable();
    if (c === '.') {
      const next = this.text[this.pos + 1];
      if (next === undefined || !/[0-9]/.test(next)) return this.lexField();
    }
    if (c === '+' || c === '-' || /[0-9.]/.test(c)) return this.lexNumber();
    if (isAlnum(c)) return this.lexIdentifier();
    if (c === '(') {
      this.parenDepth++;
      return this.single('leftParen');
    }
    if (c === ')') {
      this.parenDepth--;
      if (this.parenDepth < 0) this.fail('unexpected right paren', start);
      return this.single('rightParen');
    }
    this.fail(`unrecognized character in action: ${quoteRune(c)}`, start);
  }

  private single(kind: TokenKind): void {
    this.emit(kind, this.text[this.pos]!, this.pos);
    this.pos++;
  }

  private lexQuote(): void {
    const start = this.pos;
    let i = this.pos + 1;
    for (;;) {
      const c = this.text[i];
      if (c === undefined || c === '\n') this.fail('unterminated quoted string', start);
      if (c === '\\') {
        i += 2;
        continue;
      }
      i++;
      if (c === '"') break;
    }
    this.emit('string', this.text.slice(start, i), start);
    this.pos = i;
  }

  private lexRawQuote(): void {
    const start = this.pos;
    const end = this.text.indexOf('`', start + 1);
    if (end < 0) this.fail('unterminated raw quoted string', start);
    this.emit('rawString', this.text.slice(start, end + 1), start);
    this.pos = end + 1;
  }

  private lexChar(): void {
    const start = this.pos;
    let i = this.pos + 1;
    for (;;) {
      const c = this.text[i];
      if (c === undefined || c === '\n') this.fail('unterminated character constant', start);
      if (c === '\\') {
        i += 2;
        continue;
      }
      i++;
      if (c === "'") break;
    }
    this.emit('char', this.text.slice(start, i), start);
    this.pos = i;
  }

  private word(from: number): number {
    let i = from;
    while (isAlnum(this.text[i])) i++;
    return i;
  }

  private lexVariable(): void {
    const start = this.pos;
    const end = this.word(start + 1);
    this.emit('variable', this.text.slice(start, end), start);
    this.pos = end;
    this.checkTerminator();
  }

  private lexField(): void {
    const start = this.pos;
    const end = this.word(start + 1);
    if (end === start + 1) {
      this.emit('dot', '.', start);
    } else {
      this.emit('field', this.text.slice(start, end), start);
    }
    this.pos = end;
    this.checkTerminator();
  }

  private lexIdentifier(): void {
    const start = this.pos;
    const end = this.word(start);
    const word = this.text.slice(start, end);
    const kind: TokenKind = KEYWORDS.has(word)
      ? 'keyword'
      : word === 'true' || word === 'false'
        ? 'bool'
        : word === 'nil'
          ? 'nil'
          : 'identifier';
    this.emit(kind, word, start);
    this.pos = end;
    this.checkTerminator();
  }

  /** After a word: a space, the end of the action, or punctuation, as Go's atTerminator. */
  private checkTerminator(): void {
    const c = this.text[this.pos];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || c === '=') return;
    if (this.text.startsWith(this.delims.right, this.pos)) return;
    this.fail(`bad character ${quoteRune(c)}`, this.pos);
  }

  private lexNumber(): void {
    const start = this.pos;
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(this.text);
    const len = m ? m[0].length : 0;
    const after = this.text[start + len];
    const noDigits = /^[+-]?(0[xXbBoO]_?)?i?$/.test(m?.[0] ?? '');
    if (len === 0 || noDigits || isAlnum(after) || after === '.') {
      const end = this.word(start + Math.max(len, 1));
      this.fail(`bad number syntax: ${JSON.stringify(this.text.slice(start, end))}`, start);
    }
    this.emit('number', m![0], start);
    this.pos = start + len;
  }
}

/** Go's number literals (ints in any base, floats, hex floats, imaginary), matched in place. */
const NUMBER =
  /[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9_]+(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?)i?/y;

function quoteRune(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

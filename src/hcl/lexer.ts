/**
 * The HCL2 native-syntax lexer (hashicorp/hcl `hclsyntax/scan_tokens.rl`, re-implemented by hand).
 *
 * One pass over the source with a small explicit stack of modes: ordinary expression tokens,
 * the inside of a quoted string, and the inside of a heredoc. `${` / `%{` push an expression
 * mode that the matching `}` pops, so templates nest to any depth without recursion.
 *
 * Every character of the file ends up in exactly one token except spaces, tabs and a leading
 * byte order mark, so a formatter can rebuild the file from the tokens and the gaps between
 * their ranges. Tokens keep UTF-16 offsets only; a token's range resolves them to positions when
 * read (lines and columns 1-based, columns in Unicode code points, a tab one column; bytes 0-based
 * UTF-8 offsets), which most tokens' ranges never are.
 *
 * Differences from hcl's scanner, all in error handling:
 * - comments never include their newline; the newline is its own token;
 * - a quoted string that reaches the end of its line is cut there (no closing quote token),
 *   so that the rest of the file is not read as string text;
 * - an unterminated `/*` comment runs to the end of the file and is reported.
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { SourceText, Span } from '../diag/range.js';
import type { Token, TokenType } from './ast.js';

export interface LexResult {
  tokens: Token[];
  /** The same tokens without comments (what the parser reads), made as they are lexed. */
  code: Token[];
  diagnostics: Diagnostic[];
}

export function lex(src: string, filename: string): LexResult {
  return new Lexer(src, filename).run();
}

/** A token is its own range: one object per token, positions made only when asked for. */
class LexToken extends Span implements Token {
  constructor(
    readonly type: TokenType,
    readonly text: string,
    source: SourceText,
    from: number,
    to: number,
  ) {
    super(source, from, to);
  }

  get range(): Span {
    return this;
  }
}

const enum Mode {
  /** Expression tokens at the top of the file. */
  Root,
  /** Expression tokens inside `${ … }` or `%{ … }`; `braces` counts open `{` inside. */
  Interp,
  Quoted,
  Heredoc,
}

interface Frame {
  mode: Mode;
  braces: number;
  /** Heredoc only: the closing marker and whether the next character starts a line. */
  marker: string;
  startOfLine: boolean;
}

// Character codes used below.
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const BANG = 33;
const DQUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const PERCENT = 37;
const AMP = 38;
const APOS = 39;
const LPAREN = 40;
const RPAREN = 41;
const STAR = 42;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const DIGIT0 = 48;
const DIGIT9 = 57;
const COLON = 58;
const SEMI = 59;
const LT = 60;
const EQ = 61;
const GT = 62;
const QUESTION = 63;
const LBRACK = 91;
const BACKSLASH = 92;
const RBRACK = 93;
const CARET = 94;
const UNDERSCORE = 95;
const BACKTICK = 96;
const LBRACE = 123;
const PIPE = 124;
const RBRACE = 125;
const TILDE = 126;
const BOM = 0xfeff;

const ID_START = /^\p{ID_Start}$/u;
const ID_CONTINUE = /^\p{ID_Continue}$/u;

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isDigit(c: number): boolean {
  return c >= DIGIT0 && c <= DIGIT9;
}

function isAsciiIdentContinue(c: number): boolean {
  return isAsciiLetter(c) || isDigit(c) || c === UNDERSCORE || c === MINUS;
}

/**
 * Go's `unicode.IsSpace`, which hcl uses to strip template whitespace and to find a heredoc's
 * closing marker.
 */
export function isUnicodeSpace(c: number): boolean {
  if (c <= 0xff) {
    return (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0;
  }
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** How many invalid-character reports of one kind are worth reading before they become noise. */
const MAX_INVALID_REPORTS = 20;

class Lexer {
  private readonly src: string;
  private readonly n: number;
  private readonly source: SourceText;
  private readonly tokens: Token[] = [];
  private readonly codeTokens: Token[] = [];
  private readonly diags: Diagnostic[] = [];
  private readonly frames: Frame[] = [];

  /** The cursor: index into `src` (UTF-16 units). */
  private i = 0;
  /** The start of the token being scanned. */
  private ti = 0;

  /** Reports already made per kind of invalid character, to keep repeats down as hcl does. */
  private readonly told = new Map<string, number>();

  constructor(src: string, filename: string) {
    this.src = src;
    this.n = src.length;
    this.source = new SourceText(filename, src);
  }

  run(): LexResult {
    this.frames.push(frame(Mode.Root));
    if (this.n > 0 && this.src.charCodeAt(0) === BOM) {
      // hcl skips a UTF-8 byte order mark; it takes bytes but no column (see SourceText.pos).
      this.i = 1;
    }
    while (this.i < this.n) {
      const top = this.frames[this.frames.length - 1]!;
      switch (top.mode) {
        case Mode.Root:
        case Mode.Interp:
          this.scanExpressionToken(top);
          break;
        case Mode.Quoted:
          this.scanQuoted();
          break;
        case Mode.Heredoc:
          this.scanHeredoc(top);
          break;
      }
    }
    this.mark();
    this.emit('EOF');
    return { tokens: this.tokens, code: this.codeTokens, diagnostics: this.diags };
  }

  // -------------------------------------------------------------------------------------------
  // Cursor movement

  private mark(): void {
    this.ti = this.i;
  }

  /** Moves over k ASCII characters that are not newlines. */
  private skipAscii(k: number): void {
    this.i += k;
  }

  /** Moves over one character of any kind (a surrogate pair is one). */
  private skipChar(): void {
    const c = this.src.charCodeAt(this.i);
    if (c >= 0xd800 && c <= 0xdbff && this.i + 1 < this.n) {
      const d = this.src.charCodeAt(this.i + 1);
      this.i += d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    } else {
      this.i++;
    }
  }

  private code(at: number): number {
    return at < this.n ? this.src.charCodeAt(at) : -1;
  }

  private emit(type: TokenType): Token {
    const tok = new LexToken(type, this.src.slice(this.ti, this.i), this.source, this.ti, this.i);
    this.tokens.push(tok);
    if (type !== 'Comment') this.codeTokens.push(tok);
    return tok;
  }

  private emitAscii(type: TokenType, k: number): void {
    this.mark();
    this.skipAscii(k);
    this.emit(type);
  }

  // -------------------------------------------------------------------------------------------
  // Expression tokens

  private scanExpressionToken(top: Frame): void {
    const c = this.src.charCodeAt(this.i);
    switch (c) {
      case SPACE:
      case TAB: {
        let j = this.i + 1;
        while (j < this.n) {
          const d = this.src.charCodeAt(j);
          if (d !== SPACE && d !== TAB) break;
          j++;
        }
        this.skipAscii(j - this.i);
        return;
      }
      case LF:
        this.newlineToken(1);
        return;
      case CR:
        if (this.code(this.i + 1) === LF) this.newlineToken(2);
        else
          this.invalid(1, 'Invalid character', 'This character is not used within the language.');
        return;
      case HASH:
        this.lineComment();
        return;
      case SLASH: {
        const d = this.code(this.i + 1);
        if (d === SLASH) this.lineComment();
        else if (d === STAR) this.blockComment();
        else this.emitAscii('Op', 1);
        return;
      }
      case DQUOTE:
        this.emitAscii('OQuote', 1);
        this.frames.push(frame(Mode.Quoted));
        return;
      case LBRACE:
        this.emitAscii('OBrace', 1);
        top.braces++;
        return;
      case RBRACE:
        if (top.mode === Mode.Interp && top.braces === 0) {
          this.emitAscii('TemplateSeqEnd', 1);
          this.frames.pop();
        } else {
          this.emitAscii('CBrace', 1);
          if (top.braces > 0) top.braces--;
        }
        return;
      case TILDE:
        if (this.code(this.i + 1) === RBRACE) {
          // Always a sequence end, even where a plain `}` is expected, so that the parser can
          // say what is wrong (as hcl does).
          this.emitAscii('TemplateSeqEnd', 2);
          if (top.mode === Mode.Interp && top.braces === 0) this.frames.pop();
          else if (top.braces > 0) top.braces--;
        } else {
          this.bitwise(1, ' Did you mean boolean NOT ("!")?');
        }
        return;
      case LBRACK:
        this.emitAscii('OBrack', 1);
        return;
      case RBRACK:
        this.emitAscii('CBrack', 1);
        return;
      case LPAREN:
        this.emitAscii('OParen', 1);
        return;
      case RPAREN:
        this.emitAscii('CParen', 1);
        return;
      case COMMA:
        this.emitAscii('Comma', 1);
        return;
      case QUESTION:
        this.emitAscii('Question', 1);
        return;
      case COLON:
        this.emitAscii('Colon', 1);
        return;
      case STAR:
        this.emitAscii('Star', 1);
        return;
      case DOT:
        if (this.code(this.i + 1) === DOT && this.code(this.i + 2) === DOT) {
          this.emitAscii('Ellipsis', 3);
        } else {
          this.emitAscii('Dot', 1);
        }
        return;
      case EQ: {
        const d = this.code(this.i + 1);
        if (d === EQ) this.emitAscii('Op', 2);
        else if (d === GT) this.emitAscii('FatArrow', 2);
        else this.emitAscii('Equal', 1);
        return;
      }
      case BANG:
        this.emitAscii('Op', this.code(this.i + 1) === EQ ? 2 : 1);
        return;
      case LT:
        if (this.code(this.i + 1) === LT && this.heredocOpener()) return;
        this.emitAscii('Op', this.code(this.i + 1) === EQ ? 2 : 1);
        return;
      case GT:
        this.emitAscii('Op', this.code(this.i + 1) === EQ ? 2 : 1);
        return;
      case PLUS:
      case MINUS:
      case PERCENT:
        this.emitAscii('Op', 1);
        return;
      case AMP:
        if (this.code(this.i + 1) === AMP) this.emitAscii('Op', 2);
        else this.bitwise(1, ' Did you mean boolean AND ("&&")?');
        return;
      case PIPE:
        if (this.code(this.i + 1) === PIPE) this.emitAscii('Op', 2);
        else this.bitwise(1, ' Did you mean boolean OR ("||")?');
        return;
      case CARET:
        this.bitwise(1, '');
        return;
      case SEMI:
        this.invalidOnce(
          'semicolon',
          1,
          'The ";" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.',
        );
        return;
      case APOS:
        this.invalidAlternating(
          'apostrophe',
          'Single quotes are not valid. Use double quotes (") to enclose strings.',
        );
        return;
      case BACKTICK:
        this.invalidAlternating(
          'backtick',
          'The "`" character is not valid. To create a multi-line string, use the "heredoc" syntax, like "<<EOT".',
        );
        return;
      default:
        break;
    }
    if (isDigit(c)) {
      this.number();
    } else if (isAsciiLetter(c) || c === UNDERSCORE) {
      this.identifier();
    } else if (c >= 0x80 && ID_START.test(String.fromCodePoint(this.src.codePointAt(this.i)!))) {
      this.identifier();
    } else {
      // Anything else, a byte order mark past the first byte included, is an error as in hcl.
      this.mark();
      this.skipChar();
      this.emit('Invalid');
      this.report(
        'invalid',
        'Invalid character',
        'This character is not used within the language.',
        MAX_INVALID_REPORTS,
      );
    }
  }

  private newlineToken(k: number): void {
    this.mark();
    this.i += k;
    this.emit('Newline');
  }

  private lineComment(): void {
    this.mark();
    let j = this.i;
    while (j < this.n) {
      const c = this.src.charCodeAt(j);
      if (c === LF || (c === CR && this.code(j + 1) === LF)) break;
      j++;
    }
    this.skipTo(j);
    this.emit('Comment');
  }

  private blockComment(): void {
    this.mark();
    const close = this.src.indexOf('*/', this.i + 2);
    const end = close < 0 ? this.n : close + 2;
    this.skipTo(end);
    this.emit('Comment');
    if (close < 0) {
      this.diags.push({
        severity: 'error',
        summary: 'Unterminated comment',
        detail: 'This comment has no closing "*/" before the end of the file.',
        range: new Span(this.source, this.ti, this.ti),
      });
    }
  }

  /**
   * Moves the cursor to index `end` one character at a time (a surrogate pair straddling `end`
   * takes the cursor past it, so tokens never split a pair).
   */
  private skipTo(end: number): void {
    while (this.i < end) {
      const c = this.src.charCodeAt(this.i);
      if (c < 0xd800 || c > 0xdbff) this.i++;
      else this.skipChar();
    }
  }

  /**
   * A number: digits, then any run of digits, dots and exponents (`e`, `E`, optional sign, a
   * digit) that does not end in a dot. As in hcl, `1.2.3` is one (invalid) token, which is why
   * the legacy index form `a.0.1` cannot chain.
   */
  private number(): void {
    this.mark();
    let j = this.i + 1;
    let good = j;
    for (;;) {
      const c = this.code(j);
      if (isDigit(c)) {
        j++;
        good = j;
      } else if (c === DOT) {
        j++;
      } else if (c === 101 || c === 69) {
        const s = this.code(j + 1);
        if (isDigit(s)) {
          j += 2;
          good = j;
        } else if ((s === PLUS || s === MINUS) && isDigit(this.code(j + 2))) {
          j += 3;
          good = j;
        } else {
          break;
        }
      } else {
        break;
      }
    }
    this.skipAscii(good - this.i);
    this.emit('Number');
  }

  private identifier(): void {
    this.mark();
    let j = this.i;
    let ascii = true;
    // The first character is already known to be a valid start.
    const first = this.src.codePointAt(j)!;
    j += first > 0xffff ? 2 : 1;
    if (first >= 0x80) ascii = false;
    while (j < this.n) {
      const c = this.src.charCodeAt(j);
      if (c < 0x80) {
        if (!isAsciiIdentContinue(c)) break;
        j++;
        continue;
      }
      const cp = this.src.codePointAt(j)!;
      if (!ID_CONTINUE.test(String.fromCodePoint(cp))) break;
      ascii = false;
      j += cp > 0xffff ? 2 : 1;
    }
    if (ascii) this.skipAscii(j - this.i);
    else this.skipTo(j);
    this.emit('Ident');
  }

  /**
   * `<<EOT` or `<<-EOT` directly followed by a newline opens a heredoc; the token includes the
   * newline. Returns false (consuming nothing) when the text is not a heredoc opener.
   */
  private heredocOpener(): boolean {
    let j = this.i + 2;
    if (this.code(j) === MINUS) j++;
    const markerStart = j;
    const c = this.code(j);
    if (!(isAsciiLetter(c) || c === UNDERSCORE)) {
      if (c < 0x80 || !ID_START.test(String.fromCodePoint(this.src.codePointAt(j)!))) return false;
    }
    j += (this.src.codePointAt(j) ?? 0) > 0xffff ? 2 : 1;
    while (j < this.n) {
      const d = this.src.charCodeAt(j);
      if (d < 0x80) {
        if (!isAsciiIdentContinue(d)) break;
        j++;
        continue;
      }
      const cp = this.src.codePointAt(j)!;
      if (!ID_CONTINUE.test(String.fromCodePoint(cp))) break;
      j += cp > 0xffff ? 2 : 1;
    }
    const markerEnd = j;
    if (this.code(j) === CR) j++;
    if (this.code(j) !== LF) return false;
    this.mark();
    this.skipTo(j + 1);
    this.emit('OHeredoc');
    const f = frame(Mode.Heredoc);
    f.marker = this.src.slice(markerStart, markerEnd);
    f.startOfLine = true;
    this.frames.push(f);
    return true;
  }

  private bitwise(k: number, suggestion: string): void {
    this.mark();
    this.skipAscii(k);
    this.emit('Invalid');
    this.report(
      'bitwise',
      'Unsupported operator',
      `Bitwise operators are not supported.${suggestion}`,
      4,
    );
  }

  private invalid(k: number, summary: string, detail: string): void {
    this.mark();
    this.skipAscii(k);
    this.emit('Invalid');
    this.report('invalid', summary, detail, MAX_INVALID_REPORTS);
  }

  private invalidOnce(kind: string, k: number, detail: string): void {
    this.mark();
    this.skipAscii(k);
    this.emit('Invalid');
    this.report(kind, 'Invalid character', detail, 1);
  }

  /** Quote-like characters come in pairs; report only the opening one of each pair, as hcl does. */
  private invalidAlternating(kind: string, detail: string): void {
    this.mark();
    this.skipAscii(1);
    const tok = this.emit('Invalid');
    const seen = this.told.get(kind) ?? 0;
    if (seen % 2 === 0 && seen < MAX_INVALID_REPORTS) {
      this.diags.push({
        severity: 'error',
        summary: 'Invalid character',
        detail,
        range: tok.range,
      });
    }
    this.told.set(kind, seen + 1);
  }

  /** Reports the last emitted token, unless `limit` reports of this kind were already made. */
  private report(kind: string, summary: string, detail: string, limit: number): void {
    const seen = this.told.get(kind) ?? 0;
    if (seen >= limit) return;
    this.told.set(kind, seen + 1);
    this.diags.push({
      severity: 'error',
      summary,
      detail,
      range: this.tokens[this.tokens.length - 1]!.range,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Templates

  /** Emits `${`, `${~`, `%{` or `%{~` and enters expression mode until the matching `}`. */
  private templateOpener(type: 'TemplateInterp' | 'TemplateControl'): void {
    this.emitAscii(type, this.code(this.i + 2) === TILDE ? 3 : 2);
    this.frames.push(frame(Mode.Interp));
  }

  private scanQuoted(): void {
    const c = this.src.charCodeAt(this.i);
    if (c === DQUOTE) {
      this.emitAscii('CQuote', 1);
      this.frames.pop();
      return;
    }
    if (c === LF || (c === CR && this.code(this.i + 1) === LF)) {
      this.abandonQuoted(c === LF ? 1 : 2);
      return;
    }
    if (c === CR) {
      this.loneCarriageReturn();
      return;
    }
    const d = this.code(this.i + 1);
    if (c === DOLLAR && d === LBRACE) {
      this.templateOpener('TemplateInterp');
      return;
    }
    if (c === PERCENT && d === LBRACE) {
      this.templateOpener('TemplateControl');
      return;
    }
    // Literal text up to the next quote, newline or template opener. Escapes are kept raw here
    // (the parser decodes them) but are skipped over so that `\"` does not end the string.
    this.mark();
    let ascii = true;
    let j = this.i;
    while (j < this.n) {
      const e = this.src.charCodeAt(j);
      if (e === DQUOTE || e === LF || e === CR) break;
      if (e === BACKSLASH) {
        const f = this.code(j + 1);
        if (f === LF || f === -1 || (f === CR && this.code(j + 2) === LF)) {
          j++;
          continue;
        }
        if (f >= 0x80) ascii = false;
        j += f >= 0xd800 && f <= 0xdbff ? 3 : 2;
        continue;
      }
      if (e === DOLLAR || e === PERCENT) {
        const f = this.code(j + 1);
        if (f === LBRACE) break;
        if (f === e && this.code(j + 2) === LBRACE) {
          j += 3; // `$${` and `%%{` are escapes for a literal `${` and `%{`
          continue;
        }
        j++;
        continue;
      }
      if (e >= 0x80) ascii = false;
      j++;
    }
    if (ascii) this.skipAscii(j - this.i);
    else this.skipTo(j);
    this.emit('QuotedLit');
  }

  /** A carriage return not followed by a line feed: hcl takes it for a line break in a string. */
  private loneCarriageReturn(): void {
    this.mark();
    this.skipAscii(1);
    this.emit('Invalid');
    this.report(
      'cr',
      'Invalid multi-line string',
      'Quoted strings may not be split over multiple lines, and this carriage return counts as a line break. To produce a multi-line string, either use the \\r and \\n escapes or use the "heredoc" multi-line template syntax.',
      MAX_INVALID_REPORTS,
    );
  }

  /**
   * A quoted string may not span lines. At a newline inside one, drop back out of every template
   * level opened since the nearest heredoc (or the top of the file) and emit the newline as an
   * ordinary token: the parser reports the unterminated string, and the next line is read as
   * normal code instead of as string text.
   */
  private abandonQuoted(k: number): void {
    while (this.frames.length > 1) {
      const top = this.frames[this.frames.length - 1]!;
      if (top.mode === Mode.Heredoc) {
        top.startOfLine = true;
        break;
      }
      this.frames.pop();
    }
    this.newlineToken(k);
  }

  private scanHeredoc(top: Frame): void {
    if (top.startOfLine && this.closingMarker(top)) return;
    const c = this.src.charCodeAt(this.i);
    const d = this.code(this.i + 1);
    if (c === CR && d !== LF) {
      top.startOfLine = false;
      this.loneCarriageReturn();
      return;
    }
    if (c === DOLLAR && d === LBRACE) {
      top.startOfLine = false;
      this.templateOpener('TemplateInterp');
      return;
    }
    if (c === PERCENT && d === LBRACE) {
      top.startOfLine = false;
      this.templateOpener('TemplateControl');
      return;
    }
    // One literal token per line (newline included), cut short by a template opener: hcl's
    // strip markers and flush-heredoc rule work on exactly these pieces.
    this.mark();
    let ascii = true;
    let j = this.i;
    let endsLine = false;
    while (j < this.n) {
      const e = this.src.charCodeAt(j);
      if (e === LF) {
        j++;
        endsLine = true;
        break;
      }
      if (e === CR && this.code(j + 1) !== LF) break;
      if (e === DOLLAR || e === PERCENT) {
        const f = this.code(j + 1);
        if (f === LBRACE) break;
        if (f === e && this.code(j + 2) === LBRACE) {
          j += 3;
          continue;
        }
      }
      if (e >= 0x80) ascii = false;
      j++;
    }
    if (endsLine) {
      this.skipTo(j);
    } else if (ascii) {
      this.skipAscii(j - this.i);
    } else {
      this.skipTo(j);
    }
    this.emit('QuotedLit');
    top.startOfLine = endsLine;
  }

  /**
   * At the start of a heredoc line: if the line holds only the marker (spaces around it are
   * allowed, as in hcl) and ends with a newline, emit the marker and the newline and leave the
   * heredoc.
   */
  private closingMarker(top: Frame): boolean {
    const src = this.src;
    let j = this.i;
    while (j < this.n && src.charCodeAt(j) !== LF && isUnicodeSpace(src.charCodeAt(j))) j++;
    if (!src.startsWith(top.marker, j)) return false;
    let k = j + top.marker.length;
    while (k < this.n) {
      const c = src.charCodeAt(k);
      if (c === LF || !isUnicodeSpace(c)) break;
      k++;
    }
    if (k >= this.n || src.charCodeAt(k) !== LF) return false;
    const nl = k > this.i && src.charCodeAt(k - 1) === CR ? k - 1 : k;
    this.mark();
    this.skipTo(nl);
    this.emit('CHeredoc');
    this.frames.pop();
    this.newlineToken(k + 1 - nl);
    return true;
  }
}

function frame(mode: Mode): Frame {
  return { mode, braces: 0, marker: '', startOfLine: false };
}

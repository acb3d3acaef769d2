/**
 * One scan of a Go template's text (default delimiters) that recognises the simple actions most
 * templates are made of, and lists the functions they call — without tokens or a tree:
 *
 *   {{ env "X" }}  {{ .Data.data.key | toJSON }}  {{ $s.Port }}  {{- range $i, $s := service "db" -}}
 *   {{ if … }} / {{ with … }} / {{ range … }}, {{ else }}, {{ end }}
 *
 * that is pipelines of known function names, plain double-quoted strings (no escapes), fields,
 * `.` and declared variables, separated by spaces and `|`. Whatever falls outside — comments,
 * parentheses, numbers, escapes, `else if`, `define`, `template`, an unknown function, a missing
 * `end`, any syntax error — gives undefined: the caller parses such a text with the renderer's
 * parser. So an accepted text is one that parser accepts, with the same calls in the same order
 * (test/jobspec/template-scan.test.ts holds the two against each other).
 */

/** A function named in the text, at its offset. */
export interface TemplateCall {
  name: string;
  pos: number;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const DASH = 45;
const DOT = 46;
const DOLLAR = 36;
const QUOTE = 34;
const BACKSLASH = 92;
const PIPE = 124;
const BRACE_CLOSE = 125;
const COLON = 58;
const EQUALS = 61;
const COMMA = 44;

const isSpace = (c: number): boolean => c === SPACE || c === TAB || c === CR || c === LF;
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isWordChar = (c: number): boolean => isLetter(c) || (c >= 48 && c <= 57);

/** Words that are not function names inside an action: keywords and constants. */
const RESERVED = new Set([
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
  'true',
  'false',
  'nil',
]);

/** Thrown inside the scan when the text is not in the simple form; never escapes it. */
const NOT_SIMPLE = new Error('not in the simple form');

/**
 * The function calls of a template in the simple form, in order; undefined when the text is not
 * in that form (it may still be valid: the renderer's parser decides).
 */
export function simpleTemplateCalls(
  text: string,
  isFunction: (name: string) => boolean,
): TemplateCall[] | undefined {
  try {
    return new SimpleScan(text, isFunction).run();
  } catch (err) {
    if (err === NOT_SIMPLE) return undefined;
    throw err;
  }
}

function notSimple(): never {
  throw NOT_SIMPLE;
}

/** An open `if`, `with` or `range`: the variables in scope when it began, and its `else`. */
interface OpenControl {
  vars: number;
  hasElse: boolean;
}

class SimpleScan {
  private readonly calls: TemplateCall[] = [];
  /** Variables in scope, as Go's parser keeps them (a control's are dropped at its end). */
  private readonly vars: string[] = ['$'];
  private readonly open: OpenControl[] = [];

  constructor(
    private readonly text: string,
    private readonly isFunction: (name: string) => boolean,
  ) {}

  run(): TemplateCall[] {
    const { text } = this;
    let pos = text.indexOf('{{');
    while (pos >= 0) {
      pos = this.action(pos + 2);
      pos = text.indexOf('{{', pos);
    }
    if (this.open.length > 0) notSimple(); // unexpected EOF
    return this.calls;
  }

  /** The length of the right delimiter (`}}`, or ` -}}` trimming) at i; 0 when there is none. */
  private closeAt(i: number): number {
    const t = this.text;
    const c = t.charCodeAt(i);
    if (c === BRACE_CLOSE) return t.charCodeAt(i + 1) === BRACE_CLOSE ? 2 : 0;
    if (isSpace(c) && t.charCodeAt(i + 1) === DASH) {
      return t.charCodeAt(i + 2) === BRACE_CLOSE && t.charCodeAt(i + 3) === BRACE_CLOSE ? 4 : 0;
    }
    return 0;
  }

  /** Past the spaces at i, stopping at a space that begins ` -}}` (that is the delimiter). */
  private skipSpaces(i: number): number {
    const t = this.text;
    while (isSpace(t.charCodeAt(i)) && this.closeAt(i) === 0) i++;
    return i;
  }

  private wordEnd(i: number): number {
    const t = this.text;
    while (isWordChar(t.charCodeAt(i))) i++;
    // A letter beyond ASCII would continue the word for Go: not the simple form.
    if (t.charCodeAt(i) >= 0x80) notSimple();
    return i;
  }

  /** One action from just after its `{{`; returns the offset after its right delimiter. */
  private action(start: number): number {
    const t = this.text;
    let i = start;
    // `{{- ` trims the text before; `{{-3}}` is a number, not the simple form.
    if (t.charCodeAt(i) === DASH && isSpace(t.charCodeAt(i + 1))) i += 2;
    i = this.skipSpaces(i);
    if (isLetter(t.charCodeAt(i))) {
      const end = this.wordEnd(i);
      const word = t.slice(i, end);
      if (word === 'end' || word === 'else') {
        const close = this.closeAt(this.skipSpaces(end));
        if (close === 0) notSimple(); // `{{ else if … }}` and the like
        const control = this.open[this.open.length - 1];
        if (!control) notSimple(); // nothing to end
        if (word === 'end') {
          this.open.pop();
          this.vars.length = control.vars;
        } else if (control.hasElse) notSimple();
        else control.hasElse = true;
        return this.skipSpaces(end) + close;
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        // Go ends a keyword at a space or punctuation; `{{if$x}}` is an error.
        if (!isSpace(t.charCodeAt(end))) notSimple();
        this.open.push({ vars: this.vars.length, hasElse: false });
        return this.pipeline(end, word === 'range');
      }
    }
    return this.pipeline(i, false);
  }

  /** Declarations, then commands separated by `|`, up to the right delimiter. */
  private pipeline(start: number, inRange: boolean): number {
    let i = this.declarations(this.skipSpaces(start), inRange);
    for (let stage = 0; ; stage++) {
      i = this.skipSpaces(i);
      let first = true;
      for (;;) {
        const c = this.text.charCodeAt(i);
        const executable = c !== QUOTE && c !== DOT;
        // A later stage gets the previous value as its last argument: it must be a command.
        if (first && stage > 0 && !executable) notSimple();
        first = false;
        i = this.operand(i);
        const close = this.closeAt(i);
        if (close > 0) return i + close;
        const next = this.text.charCodeAt(i);
        if (next === PIPE) break;
        if (!isSpace(next)) notSimple();
        i = this.skipSpaces(i);
        const closeAfter = this.closeAt(i);
        if (closeAfter > 0) return i + closeAfter;
        if (this.text.charCodeAt(i) === PIPE) break;
      }
      i++; // past `|`
    }
  }

  /** `$x :=` (and in range `$i, $x :=`): declares; returns where the commands start. */
  private declarations(start: number, inRange: boolean): number {
    const t = this.text;
    if (t.charCodeAt(start) !== DOLLAR) return start;
    const first = this.wordEnd(start + 1);
    let i = this.skipSpaces(first);
    if (t.charCodeAt(i) === COLON && t.charCodeAt(i + 1) === EQUALS) {
      this.vars.push(t.slice(start, first));
      return i + 2;
    }
    if (t.charCodeAt(i) === EQUALS) notSimple(); // assignment: not the simple form
    if (t.charCodeAt(i) !== COMMA) return start; // a variable used as an operand
    if (!inRange) notSimple();
    i = this.skipSpaces(i + 1);
    if (t.charCodeAt(i) !== DOLLAR) notSimple();
    const second = this.wordEnd(i + 1);
    const after = this.skipSpaces(second);
    if (t.charCodeAt(after) !== COLON || t.charCodeAt(after + 1) !== EQUALS) notSimple();
    this.vars.push(t.slice(start, first), t.slice(i, second));
    return after + 2;
  }

  /** One operand at i (a command must have one); returns the offset after it. */
  private operand(i: number): number {
    const t = this.text;
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      for (let j = i + 1; j < t.length; j++) {
        const d = t.charCodeAt(j);
        if (d === QUOTE) return j + 1;
        if (d === BACKSLASH || d === LF) notSimple();
      }
      notSimple();
    }
    if (c === DOT) {
      // `.` alone, or fields `.A.B`; `.5`, `.A.` and the like are not the simple form.
      if (!isLetter(t.charCodeAt(i + 1))) {
        const after = t.charCodeAt(i + 1);
        if (isSpace(after) || after === PIPE || this.closeAt(i + 1) > 0) return i + 1;
        notSimple();
      }
      return this.fields(i);
    }
    if (c === DOLLAR) {
      const end = this.wordEnd(i + 1);
      if (!this.vars.includes(t.slice(i, end))) notSimple();
      return t.charCodeAt(end) === DOT ? this.fields(end) : end;
    }
    if (isLetter(c)) {
      const end = this.wordEnd(i);
      const name = t.slice(i, end);
      if (RESERVED.has(name) || !this.isFunction(name)) notSimple();
      this.calls.push({ name, pos: i });
      return end;
    }
    return notSimple();
  }

  /** Fields `.A.B…` from the dot at i; each dot is followed by a name. */
  private fields(i: number): number {
    const t = this.text;
    while (t.charCodeAt(i) === DOT) {
      if (!isLetter(t.charCodeAt(i + 1))) notSimple();
      i = this.wordEnd(i + 1);
    }
    return i;
  }
}

/**
 * go-bexpr, the boolean expression language of Nomad's `filter` query parameter (Traefik sends
 * `Tags contains "traefik.enable=true"`; the CLI's `-filter`), evaluated against the JSON objects
 * an endpoint returns: Nomad applies it to its structs, whose field names are the JSON's.
 *
 * Grammar (after go-bexpr's grammar.peg):
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | "(" or ")" | match
 *   match   := selector ("==" | "!=") value
 *            | selector "is" ["not"] "empty"
 *            | selector ["not"] ("contains" | "matches") value
 *            | value ["not"] "in" selector
 *   selector:= ident ("." ident | "[" string "]")*
 *   value   := "string" | `raw string` | number | true | false | ident
 * A literal is coerced to the type of the value it is compared with, as go-bexpr does.
 */

export class FilterError extends Error {}

type Selector = readonly string[];
type Literal = string;

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'equal' | 'notEqual'; selector: Selector; value: Literal }
  | { kind: 'empty' | 'notEmpty'; selector: Selector }
  | { kind: 'contains' | 'notContains'; selector: Selector; value: Literal }
  | { kind: 'in' | 'notIn'; selector: Selector; value: Literal }
  | { kind: 'matches' | 'notMatches'; selector: Selector; value: RegExp };

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: string; at: number }
  | { t: 'punct'; v: '(' | ')' | '[' | ']' | '.' | '==' | '!='; at: number }
  | { t: 'end'; at: number };

const IDENT = /[A-Za-z_][A-Za-z0-9_/-]*/y;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('==', i) || src.startsWith('!=', i)) {
      out.push({ t: 'punct', v: src.slice(i, i + 2) as '==' | '!=', at: i });
      i += 2;
    } else if ('()[].'.includes(c) && !(c === '.' && /\d/.test(src[i + 1] ?? ''))) {
      out.push({ t: 'punct', v: c as '(' | ')' | '[' | ']' | '.', at: i });
      i++;
    } else if (c === '"') {
      const [v, next] = quoted(src, i);
      out.push({ t: 'string', v, at: i });
      i = next;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new FilterError(`${i}: unterminated raw string`);
      out.push({ t: 'string', v: src.slice(i + 1, end), at: i });
      i = end + 1;
    } else if (/[-\d.]/.test(c) && matchAt(NUMBER, src, i)) {
      const v = matchAt(NUMBER, src, i)!;
      out.push({ t: 'number', v, at: i });
      i += v.length;
    } else if (matchAt(IDENT, src, i)) {
      const v = matchAt(IDENT, src, i)!;
      out.push({ t: 'ident', v, at: i });
      i += v.length;
    } else {
      throw new FilterError(`${i}: unexpected character ${JSON.stringify(c)}`);
    }
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

function matchAt(re: RegExp, src: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(src)?.[0];
}

/** A double-quoted string with Go's escapes; returns the text and the index after the quote. */
function quoted(src: string, start: number): [string, number] {
  let i = start + 1;
  let v = '';
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') return [v, i + 1];
    if (c === '\\') {
      const e = src[i + 1] ?? '';
      if (!(e in escapes)) throw new FilterError(`${i}: invalid escape \\${e}`);
      v += escapes[e];
      i += 2;
    } else {
      v += c;
      i++;
    }
  }
  throw new FilterError(`${start}: unterminated string`);
}

// ---------------------------------------------------------------------------------------------
// Parser

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'contains', 'matches']);

/** Parses an expression; throws FilterError with the position of what it could not read. */
export function parseFilter(src: string): FilterExpr {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (offset = 0): Token => tokens[Math.min(pos + offset, tokens.length - 1)]!;
  const isWord = (tok: Token, word: string) => tok.t === 'ident' && tok.v === word;
  const isPunct = (tok: Token, p: string) => tok.t === 'punct' && tok.v === p;
  const fail = (expected: string): never => {
    const tok = peek();
    const found = tok.t === 'end' ? 'end of expression' : JSON.stringify(tokenText(tok));
    throw new FilterError(`${tok.at}: expected ${expected}, found ${found}`);
  };
  const word = (w: string) => (isWord(peek(), w) ? (pos++, true) : false);

  const orExpr = (): FilterExpr => {
    let left = andExpr();
    while (word('or')) left = { kind: 'or', left, right: andExpr() };
    return left;
  };
  const andExpr = (): FilterExpr => {
    let left = notExpr();
    while (word('and')) left = { kind: 'and', left, right: notExpr() };
    return left;
  };
  const notExpr = (): FilterExpr => {
    // `not` starts a negation unless it is the `not` of `"x" not in Sel` (a value comes first).
    if (isWord(peek(), 'not')) {
      pos++;
      return { kind: 'not', expr: notExpr() };
    }
    if (isPunct(peek(), '(')) {
      pos++;
      const inner = orExpr();
      if (!isPunct(peek(), ')')) fail('")"');
      pos++;
      return inner;
    }
    return match();
  };
  const selector = (): Selector => {
    const first = peek();
    if (first.t !== 'ident' || KEYWORDS.has(first.v)) fail('a selector');
    pos++;
    const parts = [(first as { v: string }).v];
    for (;;) {
      if (isPunct(peek(), '.')) {
        pos++;
        const tok = peek();
        if (tok.t !== 'ident' && tok.t !== 'number') fail('a field name after "."');
        parts.push((tok as { v: string }).v);
        pos++;
      } else if (isPunct(peek(), '[')) {
        pos++;
        const tok = peek();
        if (tok.t !== 'string') fail('a quoted key inside "[ ]"');
        parts.push((tok as { v: string }).v);
        pos++;
        if (!isPunct(peek(), ']')) fail('"]"');
        pos++;
      } else {
        return parts;
      }
    }
  };
  const value = (): Literal => {
    const tok = peek();
    if (tok.t === 'string' || tok.t === 'number' || (tok.t === 'ident' && !KEYWORDS.has(tok.v))) {
      pos++;
      return tok.v;
    }
    return fail('a value');
  };
  const regex = (): RegExp => {
    const text = value();
    try {
      return new RegExp(text);
    } catch (err) {
      throw new FilterError(`invalid regular expression ${JSON.stringify(text)}: ${String(err)}`);
    }
  };
  const match = (): FilterExpr => {
    // `value in Selector` / `value not in Selector`: a literal, then `in` or `not in`.
    const startsValue = peek().t === 'string' || peek().t === 'number';
    const inFollows = isWord(peek(1), 'in') || (isWord(peek(1), 'not') && isWord(peek(2), 'in'));
    if (startsValue || (peek().t === 'ident' && inFollows)) {
      const v = value();
      const negated = word('not');
      if (!word('in')) fail('"in" or "not in"');
      return { kind: negated ? 'notIn' : 'in', selector: selector(), value: v };
    }
    const sel = selector();
    if (isPunct(peek(), '==') || isPunct(peek(), '!=')) {
      const op = (peek() as { v: string }).v;
      pos++;
      return { kind: op === '==' ? 'equal' : 'notEqual', selector: sel, value: value() };
    }
    if (word('is')) {
      const negated = word('not');
      if (!word('empty')) fail('"empty"');
      return { kind: negated ? 'notEmpty' : 'empty', selector: sel };
    }
    const negated = word('not');
    if (word('contains'))
      return { kind: negated ? 'notContains' : 'contains', selector: sel, value: value() };
    if (word('matches'))
      return { kind: negated ? 'notMatches' : 'matches', selector: sel, value: regex() };
    return fail('"==", "!=", "is", "contains", "matches" or "in"');
  };

  const expr = orExpr();
  if (peek().t !== 'end') fail('"and", "or" or the end of the expression');
  return expr;
}

function tokenText(tok: Token): string {
  return tok.t === 'end' ? '' : tok.v;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Whether `datum` (a JSON object as the endpoint returns it) matches `expr`. */
export function evaluateFilter(expr: FilterExpr, datum: unknown): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluateFilter(expr.left, datum) && evaluateFilter(expr.right, datum);
    case 'or':
      return evaluateFilter(expr.left, datum) || evaluateFilter(expr.right, datum);
    case 'not':
      return !evaluateFilter(expr.expr, datum);
    case 'equal':
      return equals(select(datum, expr.selector), expr.value);
    case 'notEqual':
      return !equals(select(datum, expr.selector), expr.value);
    case 'empty':
      return isEmpty(select(datum, expr.selector));
    case 'notEmpty':
      return !isEmpty(select(datum, expr.selector));
    case 'contains':
    case 'in':
      return contains(select(datum, expr.selector), expr.value);
    case 'notContains':
    case 'notIn':
      return !contains(select(datum, expr.selector), expr.value);
    case 'matches':
      return matches(select(datum, expr.selector), expr.value);
    case 'notMatches':
      return !matches(select(datum, expr.selector), expr.value);
  }
}

/** A filter function for a query's `filter` parameter; undefined when there is none. */
export function compileFilter(
  src: string | null | undefined,
): ((datum: unknown) => boolean) | undefined {
  if (src === null || src === undefined || src.trim() === '') return undefined;
  const expr = parseFilter(src);
  return (datum) => evaluateFilter(expr, datum);
}

function select(datum: unknown, path: Selector): unknown {
  let at: unknown = datum;
  for (const key of path) {
    if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else if (at !== null && typeof at === 'object' && !Array.isArray(at))
      at = (at as Record<string, unknown>)[key];
    else return undefined;
  }
  return at;
}

/** `literal` read as the type of `actual`, then compared. */
function equals(actual: unknown, literal: Literal): boolean {
  if (typeof actual === 'number') return literal.trim() !== '' && Number(literal) === actual;
  if (typeof actual === 'boolean') return literal === String(actual);
  if (typeof actual === 'string') return actual === literal;
  return false;
}

function isEmpty(actual: unknown): boolean {
  if (actual === undefined || actual === null || actual === '') return true;
  if (Array.isArray(actual)) return actual.length === 0;
  if (typeof actual === 'object') return Object.keys(actual).length === 0;
  return false;
}

/** A list holds an equal element, a map the key, a string the substring. */
function contains(actual: unknown, literal: Literal): boolean {
  if (Array.isArray(actual)) return actual.some((element) => equals(element, literal));
  if (typeof actual === 'string') return actual.includes(literal);
  if (actual !== null && typeof actual === 'object') return Object.hasOwn(actual, literal);
  return false;
}

function matches(actual: unknown, re: RegExp): boolean {
  if (typeof actual === 'string') return re.test(actual);
  if (Array.isArray(actual)) return actual.some((e) => typeof e === 'string' && re.test(e));
  return false;
}

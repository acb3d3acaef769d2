/**
 * The parser of Go's text/template: tokens into a tree per template (the main one and each
 * `define`/`block`), with Go's checks and messages: unknown functions, undefined variables,
 * `{{break}}` outside `{{range}}`, a missing `{{end}}`.
 */
import type { Arg, BranchNode, Command, Node, Pipeline } from './ast.js';
import { TemplateError } from './errors.js';
import { lex, type Delims, type Token, type TokenKind } from './lexer.js';
import { parseNumber, unquote } from './literals.js';
import { positionOf } from './position.js';

export interface ParseResult {
  root: Node[];
  /** Templates named by `define` and `block`. */
  defines: Map<string, Node[]>;
  /** Every function identifier, in the order it appears. */
  calls: { name: string; pos: number }[];
}

/** What ended an item list: `{{end}}` or `{{else}}` (with its position). */
interface ListEnd {
  kind: 'end' | 'else';
  pos: number;
}

const OPERAND_START = new Set<TokenKind>([
  'bool',
  'char',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

export function parse(
  text: string,
  delims: Delims,
  hasFunction: (name: string) => boolean,
): ParseResult {
  return new Parser(text, lex(text, delims), hasFunction).parseTop();
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private readonly defines = new Map<string, Node[]>();
  private readonly calls: { name: string; pos: number }[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  fail(message: string, pos: number): never {
    const { line, column } = positionOf(this.text, pos);
    throw new TemplateError(message, line, column);
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.kind === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }

  private backup(n = 1): void {
    this.i -= n;
  }

  /** Go's item String(): how a token appears in "unexpected … in …". */
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'EOF';
    if (t.kind === 'keyword') return `<${t.value}>`;
    if (t.value.length > 10) return `${JSON.stringify(t.value).slice(0, 11)}"...`;
    return JSON.stringify(t.value);
  }

  private unexpected(t: Token, context: string): never {
    this.fail(`unexpected ${this.describe(t)} in ${context}`, t.pos);
  }

  private expect(kind: TokenKind, context: string): Token {
    const t = this.nextNonSpace();
    if (t.kind !== kind) this.unexpected(t, context);
    return t;
  }

  parseTop(): ParseResult {
    const root: Node[] = [];
    while (this.peek().kind !== 'eof') {
      if (this.peek().kind === 'leftDelim') {
        const save = this.i;
        this.next();
        const t = this.nextNonSpace();
        if (t.kind === 'keyword' && t.value === 'define') {
          this.parseDefinition(t);
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n && 'kind' in n) this.fail(`unexpected {{${n.kind}}}`, n.pos);
      if (n) root.push(n);
    }
    return { root, defines: this.defines, calls: this.calls };
  }

  /** `{{define "name"}} … {{end}}`: a template of its own, with fresh variables. */
  private parseDefinition(at: Token): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.kind !== 'string' && nameTok.kind !== 'rawString')
      this.unexpected(nameTok, context);
    const name = this.unquoteAt(nameTok);
    this.expect('rightDelim', context);
    const body = this.withFreshScope(() => this.itemList());
    if (body.end.kind !== 'end') this.fail(`unexpected {{${body.end.kind}}} in ${context}`, at.pos);
    this.addDefinition(name, body.list, at.pos);
  }

  private addDefinition(name: string, list: Node[], pos: number): void {
    const prev = this.defines.get(name);
    if (prev && !isEmptyTree(prev) && !isEmptyTree(list))
      this.fail(`template: multiple definition of template ${JSON.stringify(name)}`, pos);
    if (!prev || !isEmptyTree(list)) this.defines.set(name, list);
  }

  private withFreshScope<T>(f: () => T): T {
    const vars = this.vars;
    const depth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    try {
      return f();
    } finally {
      this.vars = vars;
      this.rangeDepth = depth;
    }
  }

  /** Nodes up to `{{end}}` or `{{else}}`; EOF first is an error. */
  private itemList(): { list: Node[]; end: ListEnd } {
    const list: Node[] = [];
    while (this.peekNonSpace().kind !== 'eof') {
      const n = this.textOrAction();
      if (n && 'kind' in n) return { list, end: n };
      if (n) list.push(n);
    }
    this.fail('unexpected EOF', this.text.length);
  }

  private textOrAction(): Node | ListEnd | undefined {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'text':
        return { type: 'text', text: t.value, pos: t.pos };
      case 'comment':
        return undefined;
      case 'leftDelim':
        return this.action();
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node | ListEnd {
    const t = this.nextNonSpace();
    if (t.kind === 'keyword') {
      switch (t.value) {
        case 'block':
          return this.blockControl(t);
        case 'break':
        case 'continue':
          return this.loopControl(t);
        case 'else':
          return this.elseControl(t);
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: t.pos };
        case 'if':
        case 'range':
        case 'with':
          return this.parseControl(t.value, t.pos);
        case 'template':
          return this.templateControl(t);
        case 'define':
          this.unexpected(t, 'command');
      }
    }
    this.backup();
    return { type: 'action', pipe: this.pipeline('command', 'rightDelim'), pos: t.pos };
  }

  private loopControl(t: Token): Node {
    if (this.rangeDepth === 0) this.fail(`{{${t.value}}} outside {{range}}`, t.pos);
    this.expect('rightDelim', `{{${t.value}}}`);
    return { type: t.value as 'break' | 'continue', pos: t.pos };
  }

  private elseControl(t: Token): ListEnd {
    const p = this.peekNonSpace();
    // `{{else if …}}` and `{{else with …}}`: the caller parses the nested control.
    if (p.kind === 'keyword' && (p.value === 'if' || p.value === 'with'))
      return { kind: 'else', pos: t.pos };
    this.expect('rightDelim', 'else');
    return { kind: 'else', pos: t.pos };
  }

  private parseControl(context: 'if' | 'range' | 'with', pos: number): BranchNode {
    const depth = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      const body = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: Node[] | undefined;
      if (body.end.kind === 'else') {
        const p = this.peekNonSpace();
        if (p.kind === 'keyword' && p.value === context && context !== 'range') {
          // `else if` / `else with`: one nested control that shares our {{end}}.
          this.nextNonSpace();
          elseList = [this.parseControl(context, p.pos)];
        } else {
          const rest = this.itemList();
          if (rest.end.kind !== 'end') this.fail('expected end; found {{else}}', rest.end.pos);
          elseList = rest.list;
        }
      }
      return { type: context, pipe, list: body.list, elseList, pos };
    } finally {
      this.vars.length = depth;
    }
  }

  private templateName(t: Token, context: string): string {
    if (t.kind !== 'string' && t.kind !== 'rawString') this.unexpected(t, context);
    return this.unquoteAt(t);
  }

  private templateControl(at: Token): Node {
    const context = 'template clause';
    const name = this.templateName(this.nextNonSpace(), context);
    let pipe: Pipeline | undefined;
    if (this.nextNonSpace().kind !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', name, pipe, pos: at.pos };
  }

  /** `{{block "name" pipeline}} body {{end}}`: define "name" as body, then execute it. */
  private blockControl(at: Token): Node {
    const context = 'block clause';
    const name = this.templateName(this.nextNonSpace(), context);
    const pipe = this.pipeline(context, 'rightDelim');
    const body = this.withFreshScope(() => this.itemList());
    if (body.end.kind !== 'end') this.fail(`unexpected {{${body.end.kind}}} in ${context}`, at.pos);
    this.addDefinition(name, body.list, at.pos);
    return { type: 'template', name, pipe, pos: at.pos };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): Pipeline {
    const start = this.peekNonSpace();
    const pipe: Pipeline = { isAssign: false, decl: [], cmds: [], pos: start.pos };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.kind === end) {
        this.checkPipeline(pipe, context, t);
        return pipe;
      }
      if (!OPERAND_START.has(t.kind)) this.unexpected(t, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  /** `$x :=`, `$x =`, and in range `$i, $v :=`. */
  private declarations(pipe: Pipeline, context: string): void {
    for (;;) {
      const save = this.i;
      const v = this.nextNonSpace();
      if (v.kind !== 'variable') {
        this.i = save;
        return;
      }
      const n = this.nextNonSpace();
      if (n.kind === 'declare' || n.kind === 'assign') {
        pipe.isAssign = n.kind === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.value))
          this.fail(`undefined variable ${JSON.stringify(v.value)}`, v.pos);
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        return;
      }
      if (n.kind === 'comma') {
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.kind === 'variable') continue;
          this.fail('range can only initialize variables', p.pos);
        }
        this.fail(`too many declarations in ${context}`, v.pos);
      }
      this.i = save;
      return;
    }
  }

  private checkPipeline(pipe: Pipeline, context: string, at: Token): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, at.pos);
    pipe.cmds.slice(1).forEach((c, k) => {
      const first = c.args[0]!;
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.type))
        this.fail(`non executable command in pipeline stage ${k + 2}`, first.pos);
    });
  }

  private command(): Command {
    const cmd: Command = { args: [], pos: this.peekNonSpace().pos };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.kind === 'space') continue;
      if (t.kind === 'rightDelim' || t.kind === 'rightParen') this.backup();
      else if (t.kind !== 'pipe') {
        if (OPERAND_START.has(t.kind)) this.fail('missing space?', t.pos);
        this.unexpected(t, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command', cmd.pos);
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().kind !== 'field') return node;
    const names: string[] = [];
    while (this.peek().kind === 'field') names.push(this.next().value.slice(1));
    switch (node.type) {
      case 'field':
        return { ...node, names: [...node.names, ...names] };
      case 'variable':
        return { ...node, names: [...node.names, ...names] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.fail(`unexpected . after term ${JSON.stringify(argSource(node))}`, node.pos);
      // falls through (fail never returns)
      default:
        return { type: 'chain', node, names, pos: node.pos };
    }
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'identifier':
        if (!this.hasFunction(t.value))
          this.fail(`function ${JSON.stringify(t.value)} not defined`, t.pos);
        this.calls.push({ name: t.value, pos: t.pos });
        return { type: 'identifier', name: t.value, pos: t.pos };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable':
        if (!this.vars.includes(t.value))
          this.fail(`undefined variable ${JSON.stringify(t.value)}`, t.pos);
        return { type: 'variable', name: t.value, names: [], pos: t.pos };
      case 'field':
        return { type: 'field', names: [t.value.slice(1)], pos: t.pos };
      case 'bool':
        return { type: 'bool', value: t.value === 'true', pos: t.pos };
      case 'char':
      case 'number':
        try {
          return {
            type: 'number',
            value: parseNumber(t.value, t.kind === 'char'),
            text: t.value,
            isChar: t.kind === 'char',
            pos: t.pos,
          };
        } catch (e) {
          this.fail((e as Error).message, t.pos);
        }
      // falls through (fail never returns)
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return { type: 'pipe', pipe, pos: t.pos };
      }
      case 'string':
      case 'rawString':
        return { type: 'string', value: this.unquoteAt(t), quoted: t.value, pos: t.pos };
      default:
        this.backup();
        return undefined;
    }
  }

  private unquoteAt(t: Token): string {
    if (t.kind === 'rawString') return t.value.slice(1, -1).replace(/\r/g, '');
    try {
      return unquote(t.value);
    } catch (e) {
      this.fail((e as Error).message, t.pos);
    }
  }
}

function argSource(a: Arg): string {
  switch (a.type) {
    case 'string':
      return a.quoted;
    case 'number':
      return a.text;
    case 'bool':
      return String(a.value);
    case 'nil':
      return 'nil';
    default:
      return '.';
  }
}

/** Go's IsEmptyTree: only spaces and comments. */
function isEmptyTree(list: Node[]): boolean {
  return list.every((n) => n.type === 'text' && n.text.trim() === '');
}

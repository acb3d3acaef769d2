/**
 * The executor: walks a parsed template with Go's text/template semantics (truth, fields and
 * methods, pipelines passing their value as the last argument, variables and their scopes, range
 * over slices, sorted maps and integers, break/continue, named templates).
 */
import {
  argText,
  type Arg,
  type BranchNode,
  type Command,
  type Node,
  type Pipeline,
} from './ast.js';
import type { TemplateContext } from './context.js';
import { TemplateError } from './errors.js';
import { printValue } from './fmt.js';
import { positionOf } from './position.js';
import { descriptor, isMap, isStruct, isTrue, mapKeys, typeName, type Value } from './values.js';

/** A function's arguments are checked against [min, max] before it runs (Go's arity error). */
export interface TemplateFunc {
  min: number;
  max: number;
  fn: (args: Value[], env: FuncEnv) => Value;
}

/** What a function may reach besides its arguments. */
export interface FuncEnv {
  /** Execute a named template of this render (consul-template's executeTemplate). */
  executeTemplate(name: string, data: Value): string;
  /** State shared by one render (consul-template's scratch). */
  scratch: Map<string, Value>;
  ctx: TemplateContext;
}

export interface ExecInput {
  name: string;
  text: string;
  root: Node[];
  defines: Map<string, Node[]>;
  funcs: ReadonlyMap<string, TemplateFunc>;
  ctx: TemplateContext;
  errMissingKey: boolean;
}

/** Go's maxExecDepth is 100000; JavaScript's stack is smaller. */
const MAX_DEPTH = 1000;

/** No final value: the first command of a pipeline. */
const MISSING = Symbol('missing');
type Final = Value | typeof MISSING;

/** Control flow of {{break}} and {{continue}}, unwinding to the range. */
class Break extends Error {}
class Continue extends Error {}

interface Variable {
  name: string;
  value: Value;
}

export function execute(input: ExecInput, data: Value): string {
  const out: string[] = [];
  new State(input, out, input.name, 0, new Map()).run(input.root, data);
  return out.join('');
}

class State implements FuncEnv {
  private vars: Variable[] = [];
  /** The node being evaluated, for the error position. */
  private at: { pos: number; text: string } = { pos: 0, text: '' };

  constructor(
    private readonly input: ExecInput,
    private readonly out: string[],
    private readonly tmplName: string,
    private readonly depth: number,
    readonly scratch: Map<string, Value>,
  ) {}

  /** Execute a template body with `dot` as both `.` and `$`. */
  run(list: Node[], dot: Value): void {
    this.vars = [{ name: '$', value: dot }];
    for (const n of list) this.walk(dot, n);
  }

  /** A named template, executed into `out` one level deeper. */
  private nested(name: string, out: string[], dot: Value): void {
    const list = this.input.defines.get(name);
    if (!list) this.fail(`template ${JSON.stringify(name)} not defined`);
    if (this.depth + 1 > MAX_DEPTH) this.fail(`exceeded maximum template depth (${MAX_DEPTH})`);
    new State(this.input, out, name, this.depth + 1, this.scratch).run(list, dot);
  }

  get ctx(): TemplateContext {
    return this.input.ctx;
  }

  executeTemplate(name: string, data: Value): string {
    if (!this.input.defines.has(name))
      throw new Error(`template ${JSON.stringify(name)} not defined`);
    const out: string[] = [];
    this.nested(name, out, data);
    return out.join('');
  }

  private fail(message: string): never {
    const { line, column } = positionOf(this.input.text, this.at.pos);
    const where = this.at.text ? ` at <${this.at.text}>` : '';
    throw new TemplateError(
      `executing ${JSON.stringify(this.tmplName)}${where}: ${message}`,
      line,
      column,
    );
  }

  private setAt(pos: number, text: string): void {
    this.at = { pos, text };
  }

  private walk(dot: Value, n: Node): void {
    switch (n.type) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out.push(this.printable(v));
        return;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, n);
      case 'range':
        return this.walkRange(dot, n);
      case 'template':
        return this.walkTemplate(dot, n);
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private printable(v: Value): string {
    if (typeof v === 'function') this.fail(`can't print ${this.at.text} of type func`);
    return printValue(v);
  }

  private scoped(f: () => void): void {
    const mark = this.vars.length;
    try {
      f();
    } finally {
      this.vars.length = mark;
    }
  }

  private walkIfOrWith(dot: Value, n: BranchNode): void {
    this.scoped(() => {
      const v = this.evalPipeline(dot, n.pipe);
      if (isTrue(v)) this.walkBody(n.type === 'with' ? v : dot, n.list);
      else if (n.elseList) this.walkBody(dot, n.elseList);
    });
  }

  private walkBody(dot: Value, list: Node[]): void {
    this.scoped(() => {
      for (const node of list) this.walk(dot, node);
    });
  }

  private walkRange(dot: Value, n: BranchNode): void {
    this.scoped(() => {
      this.setAt(n.pos, 'range');
      const val = this.evalPipeline(dot, n.pipe, true);
      const mark = this.vars.length;
      const bind = (name: string, value: Value): void => {
        if (n.pipe.isAssign) this.setVar(name, value);
        else this.vars.push({ name, value });
      };
      const one = (key: Value, elem: Value): boolean => {
        if (n.pipe.decl.length === 1) bind(n.pipe.decl[0]!, elem);
        if (n.pipe.decl.length === 2) {
          bind(n.pipe.decl[0]!, key);
          bind(n.pipe.decl[1]!, elem);
        }
        try {
          for (const node of n.list) this.walk(elem, node);
        } catch (e) {
          if (e instanceof Break) return false;
          if (!(e instanceof Continue)) throw e;
        } finally {
          this.vars.length = mark;
        }
        return true;
      };
      let count = 0;
      if (val === undefined || val === null) count = 0;
      else if (Array.isArray(val)) {
        for (let i = 0; i < val.length; i++) {
          count++;
          if (!one(BigInt(i), val[i])) break;
        }
      } else if (typeof val === 'bigint') {
        if (n.pipe.decl.length > 1)
          this.fail(`can't use ${val} to iterate over more than one variable`);
        for (let i = 0n; i < val; i++) {
          count++;
          if (!one(i, i)) break;
        }
      } else if (isMap(val)) {
        for (const k of mapKeys(val)) {
          count++;
          if (!one(k, val[k])) break;
        }
      } else {
        this.fail(`range can't iterate over ${printValue(val)}`);
      }
      if (count === 0 && n.elseList) this.walkBody(dot, n.elseList);
    });
  }

  private walkTemplate(dot: Value, n: Extract<Node, { type: 'template' }>): void {
    const data = n.pipe ? this.evalPipeline(dot, n.pipe) : undefined;
    this.setAt(n.pos, `template ${JSON.stringify(n.name)}`);
    this.nested(n.name, this.out, data);
  }

  private evalPipeline(dot: Value, pipe: Pipeline, isRange = false): Value {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    // A nil interface{} result is "no value", as Go's evalPipeline unwraps it.
    const v = value === MISSING || value === null ? undefined : value;
    // A range sets its variables per element.
    if (!isRange) {
      for (const name of pipe.decl) {
        if (pipe.isAssign) this.setVar(name, v);
        else this.vars.push({ name, value: v });
      }
    }
    return v;
  }

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.fail(`undefined variable: ${name}`);
  }

  private evalCommand(dot: Value, cmd: Command, final: Final): Value {
    const first = cmd.args[0]!;
    this.setAt(first.pos, argText(first));
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first.names, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first.name, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd, final);
        return this.evalPipeline(dot, first.pipe);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.fail('nil is not a command');
      // falls through (fail never returns)
      case 'number':
        return first.value;
      case 'string':
        return first.value;
    }
  }

  private notAFunction(cmd: Command, final: Final): void {
    if (cmd.args.length > 1 || final !== MISSING)
      this.fail(`can't give argument to non-function ${argText(cmd.args[0]!)}`);
  }

  private evalArg(dot: Value, a: Arg): Value {
    this.setAt(a.pos, argText(a));
    switch (a.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, a.names, [a], MISSING);
      case 'variable':
        return this.evalVariable(dot, a, [a], MISSING);
      case 'pipe':
        return this.evalPipeline(dot, a.pipe);
      case 'identifier':
        return this.evalFunction(dot, a.name, [a], MISSING);
      case 'chain':
        return this.evalChain(dot, a, [a], MISSING);
      case 'bool':
      case 'number':
      case 'string':
        return a.value;
    }
  }

  private evalChain(
    dot: Value,
    chain: Extract<Arg, { type: 'chain' }>,
    args: Arg[],
    final: Final,
  ): Value {
    if (chain.node.type === 'nil')
      this.fail(`indirection through explicit nil in ${argText(chain)}`);
    const pipe = this.evalArg(dot, chain.node);
    this.setAt(chain.pos, argText(chain));
    return this.evalFieldChain(dot, pipe, chain.names, args, final);
  }

  private evalVariable(
    dot: Value,
    v: Extract<Arg, { type: 'variable' }>,
    args: Arg[],
    final: Final,
  ): Value {
    const value = this.varValue(v.name);
    if (v.names.length === 0) {
      if (args.length > 1 || final !== MISSING)
        this.fail(`can't give argument to non-function ${v.name}`);
      return value;
    }
    return this.evalFieldChain(dot, value, v.names, args, final);
  }

  /** `.A.B.C args…`: every name but the last without arguments. */
  private evalFieldChain(
    dot: Value,
    receiver: Value,
    names: string[],
    args: Arg[],
    final: Final,
  ): Value {
    let r = receiver;
    for (let i = 0; i < names.length - 1; i++) r = this.evalField(dot, names[i]!, r, [], MISSING);
    return this.evalField(dot, names[names.length - 1]!, r, args, final);
  }

  private evalField(dot: Value, name: string, receiver: Value, args: Arg[], final: Final): Value {
    const hasArgs = args.length > 1 || final !== MISSING;
    // Go treats a missing receiver (nil data, a missing key) as a missing key itself.
    if (receiver === undefined) {
      if (this.input.errMissingKey) this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    const method = descriptor(receiver)?.methods?.[name];
    if (method) {
      const argv = this.evalArgs(dot, args, final);
      try {
        return method(...argv);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        this.fail(`error calling ${name}: ${(e as Error).message}`);
      }
    }
    if (isStruct(receiver)) {
      if (!Object.hasOwn(receiver, name))
        this.fail(`can't evaluate field ${name} in type ${typeName(receiver)}`);
      if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`);
      return receiver[name];
    }
    if (isMap(receiver)) {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name)) return receiver[name];
      if (this.input.errMissingKey) this.fail(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    this.fail(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalArgs(dot: Value, args: Arg[], final: Final): Value[] {
    const argv = args.slice(1).map((a) => this.evalArg(dot, a));
    if (final !== MISSING) argv.push(final);
    if (args[0]) this.setAt(args[0].pos, args.map(argText).join(' '));
    return argv;
  }

  private evalFunction(dot: Value, name: string, args: Arg[], final: Final): Value {
    const f = this.input.funcs.get(name);
    if (!f) this.fail(`${JSON.stringify(name)} is not a defined function`);
    const argc = args.length - 1 + (final === MISSING ? 0 : 1);
    if (argc < f.min || argc > f.max) {
      const want =
        f.max === Infinity
          ? `at least ${f.min}`
          : f.min === f.max
            ? `${f.min}`
            : `${f.min} to ${f.max}`;
      this.fail(`wrong number of args for ${name}: want ${want} got ${argc}`);
    }
    // `and` and `or` stop at the first argument that decides the result, as Go 1.18+.
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, name, args, final);
    const argv = this.evalArgs(dot, args, final).map((v) => (v === undefined ? null : v));
    try {
      return f.fn(argv, this);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      this.fail(`error calling ${name}: ${(e as Error).message}`);
    }
  }

  private evalAndOr(dot: Value, name: string, args: Arg[], final: Final): Value {
    const rest: (() => Value)[] = args.slice(1).map((a) => () => this.evalArg(dot, a));
    if (final !== MISSING) rest.push(() => final);
    let v: Value = undefined;
    for (const next of rest) {
      v = next();
      if (isTrue(v) === (name === 'or')) return v;
    }
    return v;
  }
}

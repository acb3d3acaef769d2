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

/** A function's own failure, reported as Go's `error calling NAME: …`. */
export class FuncError extends Error {}

interface Variable {
  name: string;
  value: Value;
}

export function execute(input: ExecInput, data: Value): string {
  const out: string[] = [];
  const scratch = new Map<string, Value>();
  const run = (name: string, root: Node[], dot: Value, depth: number): void => {
    if (depth > MAX_DEPTH)
      throw new TemplateError(`exceeded maximum template depth (${MAX_DEPTH})`, 1, 1);
    new State(input, out, name, depth, run, scratch).walkList(dot, root, [
      { name: '$', value: dot },
    ]);
  };
  run(input.name, input.root, data, 0);
  return out.join('');
}

type Runner = (name: string, root: Node[], dot: Value, depth: number) => void;

class State implements FuncEnv {
  private vars: Variable[] = [];
  /** The node being evaluated, for the error position. */
  private at: { pos: number; text: string } = { pos: 0, text: '' };

  constructor(
    private readonly input: ExecInput,
    private readonly out: string[],
    private readonly tmplName: string,
    private readonly depth: number,
    private readonly run: Runner,
    readonly scratch: Map<string, Value>,
  ) {}

  get ctx(): TemplateContext {
    return this.input.ctx;
  }

  executeTemplate(name: string, data: Value): string {
    const list = this.input.defines.get(name);
    if (!list) throw new FuncError(`template ${JSON.stringify(name)} not defined`);
    const sub: string[] = [];
    new State(this.input, sub, name, this.depth + 1, this.run, this.scratch).walkList(data, list, [
      { name: '$', value: data },
    ]);
    return sub.join('');
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

  walkList(dot: Value, list: Node[], vars?: Variable[]): void {
    if (vars) this.vars = vars;
    for (const n of list) this.walk(dot, n);
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
    if (typeof v === 'function') this.fail(`can't print ${argText(this.atArg())} of type func`);
    return printValue(v);
  }

  private atArg(): Arg {
    return { type: 'identifier', name: this.at.text, pos: this.at.pos };
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
      const one = (key: Value, elem: Value): boolean => {
        if (n.pipe.decl.length === 1) this.vars.push({ name: n.pipe.decl[0]!, value: elem });
        if (n.pipe.decl.length === 2) {
          this.vars.push({ name: n.pipe.decl[0]!, value: key });
          this.vars.push({ name: n.pipe.decl[1]!, value: elem });
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
    this.setAt(n.pos, `template ${JSON.stringify(n.name)}`);
    const list = this.input.defines.get(n.name);
    if (!list) this.fail(`template ${JSON.stringify(n.name)} not defined`);
    const data = n.pipe ? this.evalPipeline(dot, n.pipe) : undefined;
    if (this.depth + 1 > MAX_DEPTH) this.fail(`exceeded maximum template depth (${MAX_DEPTH})`);
    new State(this.input, this.out, n.name, this.depth + 1, this.run, this.scratch).walkList(
      data,
      list,
      [{ name: '$', value: data }],
    );
  }

  private evalPipeline(dot: Value, pipe: Pipeline, isRange = false): Value {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? undefined : value;
    // A range declares its own variables per element.
    if (!isRange || pipe.isAssign) {
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
    if (receiver === undefined) this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
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
    this.setAt(args[0]!.pos, argText(args[0]!));
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
      this.setAt(args[0]!.pos, name);
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

/**
 * How HCL functions are declared. The evaluator converts each argument to its parameter's type
 * (reporting "Invalid function argument" at the argument) before calling `impl`; an `impl` reports
 * its own argument problems by returning a `FuncError`.
 *
 * `try`, `can` and `convert` need their arguments unevaluated (to catch errors, or to read a type
 * expression): they are `lazy` functions and receive `LazyArg`s instead of values.
 */
import type { Diagnostics } from '../../diag/diagnostic.js';
import type { SourceRange } from '../../diag/range.js';
import type { Expression } from '../ast.js';
import type { FileAccess } from '../files.js';
import type { HclType } from '../types.js';
import type { Value } from '../value.js';

export interface Param {
  name: string;
  type: HclType;
  /** cty functions reject null arguments unless the parameter allows them. */
  allowNull?: boolean;
}

/** A failure inside a function; with `argIndex` it is reported at that argument. */
export class FuncError {
  constructor(
    readonly message: string,
    readonly argIndex?: number,
  ) {}
}

/** What functions may ask of the scope they are called in (an `EvalScope` gives it). */
export interface CallScope {
  /** The directory relative paths resolve against (the jobspec's). */
  readonly baseDir: string;
  readonly files: FileAccess;
  /** The clock, for `timestamp()`. */
  now(): Date;
}

export interface CallContext {
  /** The scope of the call: base directory, file access, clock. */
  scope: CallScope;
  name: string;
  range: SourceRange;
}

export interface EagerFunction {
  kind: 'eager';
  params: Param[];
  variadic?: Param;
  impl(args: Value[], ctx: CallContext): Value | FuncError;
}

/** An argument a lazy function evaluates itself, when and if it wants. */
export interface LazyArg {
  range: SourceRange;
  /** The argument's expression; absent for values that came from `...` expansion. */
  expr?: Expression;
  evaluate(diags: Diagnostics): Value | undefined;
}

export interface LazyCallContext extends CallContext {
  diags: Diagnostics;
  /** Evaluates any expression in the call's scope (e.g. an `optional(T, default)` default). */
  evaluate(expr: Expression, diags: Diagnostics): Value | undefined;
}

export interface LazyFunction {
  kind: 'lazy';
  params: Param[];
  variadic?: Param;
  /** Returns undefined only after reporting to `ctx.diags`. */
  impl(args: LazyArg[], ctx: LazyCallContext): Value | FuncError | undefined;
}

export type HclFunction = EagerFunction | LazyFunction;

export type FunctionTable = ReadonlyMap<string, HclFunction>;

/** Declares an ordinary function. */
export function fn(params: Param[], impl: EagerFunction['impl'], variadic?: Param): EagerFunction {
  return variadic ? { kind: 'eager', params, variadic, impl } : { kind: 'eager', params, impl };
}

export function param(name: string, type: HclType, allowNull = false): Param {
  return allowNull ? { name, type, allowNull } : { name, type };
}

export function argError(index: number, message: string): FuncError {
  return new FuncError(message, index);
}

export function callError(message: string): FuncError {
  return new FuncError(message);
}

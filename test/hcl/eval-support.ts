/** Helpers for the evaluator tests: parse an expression, evaluate it, describe the diagnostics. */
import { expect } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { EvalScope, evaluate, type ScopeOptions } from '../../src/hcl/eval.js';
import { standardFunctions } from '../../src/hcl/functions/index.js';
import { parseExpression } from '../../src/hcl/parser.js';
import type { Value } from '../../src/hcl/value.js';

export const FILE = 'test.hcl';

/** "summary @ line:col-line:col" — what the tests compare diagnostics by. */
export function describeDiag(d: Diagnostic): string {
  const r = d.range;
  const at = r ? ` @ ${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column}` : '';
  return `${d.summary}${at}`;
}

export interface Outcome {
  value: Value | undefined;
  diags: Diagnostic[];
}

export function scopeWith(opts: ScopeOptions = {}): EvalScope {
  return EvalScope.create({ functions: standardFunctions(), ...opts });
}

/** Parses src as an expression (it must parse cleanly) and evaluates it in scope. */
export function run(src: string, scope: EvalScope = scopeWith()): Outcome {
  const parsed = parseExpression(src, FILE);
  expect(parsed.diagnostics.map(describeDiag), `parse of ${src}`).toEqual([]);
  const diags = new Diagnostics();
  const value = evaluate(parsed.expr, scope, diags);
  if (value === undefined)
    expect(diags.hasErrors, `undefined without an error for ${src}`).toBe(true);
  return { value, diags: diags.items };
}

/** Expects a clean evaluation and returns the value. */
export function ok(src: string, scope?: EvalScope): Value | undefined {
  const r = run(src, scope);
  expect(
    r.diags.map((d) => `${describeDiag(d)}: ${d.detail ?? ''}`),
    src,
  ).toEqual([]);
  return r.value;
}

/** Expects a failed evaluation and returns its diagnostics as "summary @ range" strings. */
export function fails(src: string, scope?: EvalScope): { where: string[]; details: string[] } {
  const r = run(src, scope);
  expect(r.value, `value of ${src}`).toBeUndefined();
  return { where: r.diags.map(describeDiag), details: r.diags.map((d) => d.detail ?? '') };
}

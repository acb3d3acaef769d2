/**
 * Type conversion functions: tostring, tonumber, tobool, tolist, toset, tomap, convert, and the
 * error-catching `try` and `can`, which evaluate their arguments themselves.
 */
import { Diagnostics } from '../../diag/diagnostic.js';
import {
  convertValue,
  describeConvertError,
  parseTypeExpr,
  T,
  typeFriendlyName,
  type HclType,
} from '../types.js';
import { typeName } from '../value.js';
import {
  argError,
  callError,
  fn,
  param,
  type HclFunction,
  type LazyArg,
  type LazyFunction,
} from './spec.js';

function toType(target: HclType): HclFunction {
  return fn([param('v', T.any, true)], ([v]) => {
    const r = convertValue(v!, target);
    if (r.ok) return r.value;
    const name = typeFriendlyName(target);
    if (typeof v === 'string' && target.kind === 'number') {
      return argError(
        0,
        `cannot convert "${v}" to number; given string must be a decimal representation of a number`,
      );
    }
    if (typeof v === 'string' && target.kind === 'bool') {
      return argError(
        0,
        `cannot convert "${v}" to bool; only the strings "true" or "false" are allowed`,
      );
    }
    const generic = r.path.length === 0 && r.message.endsWith('required');
    return argError(
      0,
      `cannot convert ${typeName(v!)} to ${name}${generic ? '' : `: ${describeConvertError(r)}`}`,
    );
  });
}

function describeFailure(d: Diagnostics): string {
  return d.items
    .filter((x) => x.severity === 'error')
    .map((x) => {
      const at = x.range
        ? ` (at ${x.range.filename}:${x.range.start.line},${x.range.start.column}-${x.range.end.column})`
        : '';
      return `- ${x.summary}${at}${x.detail ? `\n  ${x.detail}` : ''}`;
    })
    .join('\n');
}

const tryFunction: LazyFunction = {
  kind: 'lazy',
  params: [],
  variadic: param('expressions', T.any, true),
  impl(args: LazyArg[]) {
    if (args.length === 0) return callError('at least one argument is required');
    const failures: string[] = [];
    for (const a of args) {
      const scratch = new Diagnostics();
      const v = a.evaluate(scratch);
      if (v !== undefined && !scratch.hasErrors) return v;
      failures.push(describeFailure(scratch));
    }
    return callError(
      `no expression succeeded:\n${failures.join('\n')}\n\nAt least one expression must produce a successful result`,
    );
  },
};

const canFunction: LazyFunction = {
  kind: 'lazy',
  params: [param('expression', T.any, true)],
  impl([a]) {
    const scratch = new Diagnostics();
    const v = a!.evaluate(scratch);
    return v !== undefined && !scratch.hasErrors;
  },
};

const convertFunction: LazyFunction = {
  kind: 'lazy',
  params: [param('value', T.any, true), param('type', T.any)],
  impl([valueArg, typeArg], ctx) {
    const v = valueArg!.evaluate(ctx.diags);
    if (!typeArg!.expr) return argError(1, 'a type expression is required, not an expanded value');
    const diags = ctx.diags;
    const type = parseTypeExpr(typeArg!.expr, diags, (e) => ctx.evaluate(e, diags));
    if (v === undefined || type === undefined) return undefined;
    const r = convertValue(v, type);
    return r.ok ? r.value : argError(0, describeConvertError(r));
  },
};

export const conversionFunctions: Record<string, HclFunction> = {
  tostring: toType(T.string),
  tonumber: toType(T.number),
  tobool: toType(T.bool),
  tolist: toType(T.list(T.any)),
  toset: toType(T.set(T.any)),
  tomap: toType(T.map(T.any)),
  try: tryFunction,
  can: canFunction,
  convert: convertFunction,
};

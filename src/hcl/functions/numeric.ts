/** Numeric functions. */
import { T } from '../types.js';
import type { Value } from '../value.js';
import { argError, callError, fn, param, type FuncError, type HclFunction } from './spec.js';

const num = (name: string) => param(name, T.number);

function finite(n: number): Value | FuncError {
  return Number.isFinite(n)
    ? Object.is(n, -0)
      ? 0
      : n
    : callError('the result is not a finite number');
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Go's strconv.ParseInt-style parsing for bases 2–62 (digits beyond z are upper case). */
function parseInteger(s: string, base: number): number | undefined {
  let text = s;
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    if (text[0] === '-') sign = -1;
    text = text.slice(1);
  }
  if (text === '') return undefined;
  let n = 0;
  for (const c of text) {
    let d = DIGITS.indexOf(c);
    // For bases up to 36 letters are case-insensitive.
    if (base <= 36 && d >= 36) d -= 26;
    if (d < 0 || d >= base) return undefined;
    n = n * base + d;
  }
  return sign * n;
}

export const numericFunctions: Record<string, HclFunction> = {
  abs: fn([num('num')], ([n]) => Math.abs(n as number)),
  ceil: fn([num('num')], ([n]) => finite(Math.ceil(n as number))),
  floor: fn([num('num')], ([n]) => finite(Math.floor(n as number))),
  signum: fn([num('num')], ([n]) => finite(Math.sign(n as number))),
  pow: fn([num('num'), num('power')], ([n, p]) => finite(Math.pow(n as number, p as number))),
  log: fn([num('num'), num('base')], ([n, b]) => {
    if ((n as number) <= 0) return argError(0, 'must be greater than zero');
    if ((b as number) <= 0 || b === 1) return argError(1, 'must be greater than zero and not one');
    return finite(Math.log(n as number) / Math.log(b as number));
  }),
  max: fn(
    [],
    (ns) =>
      ns.length === 0 ? callError('must pass at least one number') : Math.max(...(ns as number[])),
    num('numbers'),
  ),
  min: fn(
    [],
    (ns) =>
      ns.length === 0 ? callError('must pass at least one number') : Math.min(...(ns as number[])),
    num('numbers'),
  ),
  parseint: fn([param('number', T.string), num('base')], ([s, b]) => {
    const base = b as number;
    if (!Number.isInteger(base) || base < 2 || base > 62) {
      return argError(1, 'base must be a whole number between 2 and 62 inclusive');
    }
    const n = parseInteger(s as string, base);
    return n === undefined
      ? argError(0, `cannot parse "${s as string}" as a base ${base} integer`)
      : n;
  }),
};

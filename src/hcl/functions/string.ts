/** String functions: case, trimming, splitting, substrings, regular expressions. */
import { T } from '../types.js';
import type { Value, ValueObject } from '../value.js';
import { argError, callError, fn, param, type HclFunction } from './spec.js';
import { compileRe2, expandTemplate, graphemeCount, graphemes } from './text.js';

const str = (name: string) => param(name, T.string);

function regexFunction(all: boolean): HclFunction {
  return fn([str('pattern'), str('string')], ([pattern, s]) => {
    const c = compileRe2(pattern as string, all);
    if (!c.ok) return argError(0, c.error);
    const named = c.names.some((n) => n !== undefined);
    if (named && c.names.some((n) => n === undefined)) {
      return argError(0, 'named and unnamed capture groups cannot be mixed in a pattern');
    }
    const shape = (m: RegExpMatchArray): Value => {
      if (named) {
        const out: ValueObject = {};
        c.names.forEach((n, i) => {
          if (n) out[n] = m[i + 1] ?? null;
        });
        return out;
      }
      if (c.names.length === 0) return m[0];
      return c.names.map((_, i) => m[i + 1] ?? null);
    };
    if (all) return [...(s as string).matchAll(c.re)].map(shape);
    const m = c.re.exec(s as string);
    return m ? shape(m) : callError('pattern did not match any part of the given string');
  });
}

export const stringFunctions: Record<string, HclFunction> = {
  upper: fn([str('str')], ([s]) => (s as string).toUpperCase()),
  lower: fn([str('str')], ([s]) => (s as string).toLowerCase()),
  title: fn([str('str')], ([s]) =>
    (s as string).replace(
      /(^|[^\p{L}\p{N}_])(\p{L})/gu,
      (_m, pre: string, c: string) => pre + c.toUpperCase(),
    ),
  ),
  chomp: fn([str('str')], ([s]) => (s as string).replace(/(?:\r\n?|\n)*$/, '')),
  indent: fn([param('spaces', T.number), str('str')], ([n, s]) => {
    const pad = ' '.repeat(Math.max(0, Math.trunc(n as number)));
    return (s as string).replace(/\n/g, `\n${pad}`);
  }),
  trimspace: fn([str('str')], ([s]) => (s as string).trim()),
  trim: fn([str('str'), str('cutset')], ([s, cut]) => {
    const chars = new Set(Array.from(cut as string));
    const cps = Array.from(s as string);
    let a = 0;
    let b = cps.length;
    while (a < b && chars.has(cps[a]!)) a++;
    while (b > a && chars.has(cps[b - 1]!)) b--;
    return cps.slice(a, b).join('');
  }),
  trimprefix: fn([str('str'), str('prefix')], ([s, p]) =>
    (s as string).startsWith(p as string) ? (s as string).slice((p as string).length) : s!,
  ),
  trimsuffix: fn([str('str'), str('suffix')], ([s, p]) => {
    const v = s as string;
    const suf = p as string;
    return suf !== '' && v.endsWith(suf) ? v.slice(0, v.length - suf.length) : v;
  }),
  startswith: fn([str('str'), str('prefix')], ([s, p]) => (s as string).startsWith(p as string)),
  endswith: fn([str('str'), str('suffix')], ([s, p]) => (s as string).endsWith(p as string)),
  strcontains: fn([str('str'), str('substr')], ([s, p]) => (s as string).includes(p as string)),
  split: fn([str('separator'), str('str')], ([sep, s]) =>
    sep === '' ? Array.from(s as string) : (s as string).split(sep as string),
  ),
  join: fn(
    [str('separator')],
    ([sep, ...lists]) => {
      if (lists.length === 0) return callError('at least one list is required');
      const items: string[] = [];
      for (const [i, l] of lists.entries()) {
        for (const item of l as Value[]) {
          if (item === null)
            return argError(i + 1, 'element is null; cannot concatenate null values');
          items.push(item as string);
        }
      }
      return items.join(sep as string);
    },
    param('lists', T.list(T.string)),
  ),
  strlen: fn([str('str')], ([s]) => graphemeCount(s as string)),
  strrev: fn([str('str')], ([s]) =>
    graphemes(s as string)
      .reverse()
      .join(''),
  ),
  substr: fn([str('str'), param('offset', T.number), param('length', T.number)], ([s, o, l]) => {
    const g = graphemes(s as string);
    let offset = Math.trunc(o as number);
    let length = Math.trunc(l as number);
    if (offset < 0) offset = Math.max(0, g.length + offset);
    if (offset > g.length) return argError(1, 'offset is beyond the end of the string');
    if (length < 0) length = g.length - offset;
    return g.slice(offset, offset + length).join('');
  }),
  replace: fn([str('str'), str('substr'), str('replace')], ([s, sub, rep]) =>
    (s as string).split(sub as string).join(rep as string),
  ),
  regex_replace: fn([str('str'), str('substr'), str('replace')], ([s, pattern, rep]) => {
    const c = compileRe2(pattern as string, true);
    if (!c.ok) return argError(1, c.error);
    const input = s as string;
    let out = '';
    let last = 0;
    for (const m of input.matchAll(c.re)) {
      out += input.slice(last, m.index) + expandTemplate(rep as string, m);
      last = m.index + m[0].length;
    }
    return out + input.slice(last);
  }),
  regex: regexFunction(false),
  regexall: regexFunction(true),
};

/**
 * The sprig functions consul-template exposes as `sprig_<name>`. The common ones are built here
 * (SPRIG_BUILT lists them); every other sprig name parses and fails its render saying it is not
 * built, so a template never renders differently from Nomad without saying so.
 */
import { createHash } from 'node:crypto';
import { int, str, toText } from './args.js';
import { fn, goLen } from './builtins.js';
import type { FuncEnv, TemplateFunc } from './exec.js';
import { printValue } from './fmt.js';
import { fromJSON, title, toPlain, trimCutset } from './functions-core.js';
import { goRegExp, regexReplaceAll } from './regexp.js';
import { formatGoTime } from './timefmt.js';
import { isMap, isStruct, isTrue, mapKeys, struct, typeName, type Value } from './values.js';

/** sprig's empty: nil, zero numbers, false, and empty strings, slices and maps. */
function empty(v: Value): boolean {
  if (isStruct(v)) return false;
  return !isTrue(v);
}

/** cast.ToInt64-like conversion sprig's math uses: numbers, numeric strings, bools; else 0. */
function toInt64(v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim());
  return 0n;
}

function toFloat64(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

function list(v: Value): Value[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new Error(`Cannot find first on type ${typeName(v)}`);
  return v;
}

function dictArg(v: Value): { [key: string]: Value } {
  if (!isMap(v))
    throw new Error(`wrong type for value; expected map[string]interface {}; got ${typeName(v)}`);
  return v;
}

function deepEqual(a: Value, b: Value): boolean {
  return printValue(a) === printValue(b) && typeName(a) === typeName(b);
}

/** A time.Time as sprig's now returns it; prints as Go's Time.String() in UTC. */
function timeValue(d: Date): Value {
  return struct(
    'time.Time',
    {},
    {
      string: () => formatGoTime(d, '2006-01-02 15:04:05.999999999 -0700 MST'),
      methods: {
        Unix: () => BigInt(Math.floor(d.getTime() / 1000)),
        UTC: () => timeValue(d),
        Format: (layout) => formatGoTime(d, str(layout)),
        Year: () => BigInt(d.getUTCFullYear()),
      },
    },
  );
}

const TIMES = new WeakMap<object, Date>();

function nowValue(e: FuncEnv): Value {
  const d = (e.ctx.now ?? (() => new Date()))();
  const t = timeValue(d);
  TIMES.set(t as object, d);
  return t;
}

function dateArg(v: Value): Date {
  if (typeof v === 'object' && v !== null && TIMES.has(v)) return TIMES.get(v)!;
  if (typeof v === 'bigint') return new Date(Number(v) * 1000);
  throw new Error(`date: wrong type for value; expected time.Time or int; got ${typeName(v)}`);
}

const strFn = (f: (s: string) => Value): TemplateFunc => fn(1, 1, ([a]) => f(toText(a)));

const BUILT: [string, TemplateFunc][] = [
  // Defaults and flow
  ['default', fn(1, 2, (a) => (a.length < 2 || empty(a[1]) ? a[0]! : a[1]!))],
  ['empty', fn(1, 1, ([v]) => empty(v))],
  ['coalesce', fn(0, Infinity, (a) => a.find((v) => !empty(v)) ?? null)],
  ['ternary', fn(3, 3, ([t, f, c]) => (c === true ? t! : f!))],
  [
    'fail',
    fn(1, 1, ([m]) => {
      throw new Error(str(m));
    }),
  ],
  [
    'required',
    fn(2, 2, ([m, v]) => {
      if (v === null || (typeof v === 'string' && v === '')) throw new Error(str(m));
      return v!;
    }),
  ],
  // Strings
  ['upper', strFn((s) => s.toUpperCase())],
  ['lower', strFn((s) => s.toLowerCase())],
  ['title', strFn(title)],
  ['trim', strFn((s) => s.trim())],
  ['trimAll', fn(2, 2, ([c, s]) => trimCutset(toText(s), str(c)))],
  [
    'trimPrefix',
    fn(2, 2, ([p, s]) => {
      const x = toText(s);
      const q = str(p);
      return q && x.startsWith(q) ? x.slice(q.length) : x;
    }),
  ],
  [
    'trimSuffix',
    fn(2, 2, ([p, s]) => {
      const x = toText(s);
      const q = str(p);
      return q && x.endsWith(q) ? x.slice(0, -q.length) : x;
    }),
  ],
  ['replace', fn(3, 3, ([o, n, s]) => toText(s).split(str(o)).join(str(n)))],
  ['contains', fn(2, 2, ([sub, s]) => toText(s).includes(str(sub)))],
  ['hasPrefix', fn(2, 2, ([p, s]) => toText(s).startsWith(str(p)))],
  ['hasSuffix', fn(2, 2, ([p, s]) => toText(s).endsWith(str(p)))],
  ['repeat', fn(2, 2, ([n, s]) => toText(s).repeat(Math.max(0, Number(int(n)))))],
  [
    'trunc',
    fn(2, 2, ([c, s]) => {
      const x = toText(s);
      const n = Number(int(c));
      if (n < 0 && x.length + n > 0) return x.slice(x.length + n);
      if (n >= 0 && x.length > n) return x.slice(0, n);
      return x;
    }),
  ],
  [
    'quote',
    fn(0, Infinity, (a) =>
      a
        .filter((v) => v !== null)
        .map((v) => JSON.stringify(toText(v)))
        .join(' '),
    ),
  ],
  [
    'squote',
    fn(0, Infinity, (a) =>
      a
        .filter((v) => v !== null)
        .map((v) => `'${toText(v)}'`)
        .join(' '),
    ),
  ],
  [
    'indent',
    fn(2, 2, ([n, s]) => {
      const pad = ' '.repeat(Number(int(n)));
      return pad + toText(s).replace(/\n/g, `\n${pad}`);
    }),
  ],
  [
    'nindent',
    fn(2, 2, ([n, s]) => {
      const pad = ' '.repeat(Number(int(n)));
      return `\n${pad}${toText(s).replace(/\n/g, `\n${pad}`)}`;
    }),
  ],
  ['splitList', fn(2, 2, ([sep, s]) => toText(s).split(str(sep)))],
  ['join', fn(2, 2, ([sep, l]) => (Array.isArray(l) ? l.map(toText) : [toText(l)]).join(str(sep)))],
  ['toString', fn(1, 1, ([v]) => toText(v))],
  ['toStrings', fn(1, 1, ([v]) => list(v).map(toText))],
  ['regexMatch', fn(2, 2, ([re, s]) => goRegExp(str(re), '').test(str(s)))],
  ['regexReplaceAll', fn(3, 3, ([re, s, repl]) => regexReplaceAll(str(re), str(repl), str(s)))],
  [
    'regexFindAll',
    fn(3, 3, ([re, s, n]) => {
      const all = [...str(s).matchAll(goRegExp(str(re), 'g'))].map((m) => m[0]);
      const k = Number(int(n));
      return k < 0 ? all : all.slice(0, k);
    }),
  ],
  ['sha256sum', strFn((s) => createHash('sha256').update(s, 'utf8').digest('hex'))],
  ['b64enc', strFn((s) => Buffer.from(s, 'utf8').toString('base64'))],
  [
    'b64dec',
    strFn((s) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
        return 'illegal base64 data at input byte 0';
      return Buffer.from(s, 'base64').toString('utf8');
    }),
  ],
  ['toJson', fn(1, 1, ([v]) => JSON.stringify(toPlain(v)) ?? 'null')],
  ['toPrettyJson', fn(1, 1, ([v]) => JSON.stringify(toPlain(v), null, 2) ?? 'null')],
  [
    'fromJson',
    fn(1, 1, ([s]) => {
      try {
        return fromJSON(JSON.parse(str(s)));
      } catch {
        return {};
      }
    }),
  ],
  // Conversions
  [
    'atoi',
    fn(1, 1, ([s]) => {
      const x = str(s);
      return /^[+-]?\d+$/.test(x) ? BigInt(x) : 0n;
    }),
  ],
  ['int', fn(1, 1, ([v]) => toInt64(v))],
  ['int64', fn(1, 1, ([v]) => toInt64(v))],
  ['float64', fn(1, 1, ([v]) => toFloat64(v))],
  // Math (int64, as sprig)
  ['add', fn(0, Infinity, (a) => a.reduce<bigint>((s, v) => s + toInt64(v), 0n))],
  ['add1', fn(1, 1, ([v]) => toInt64(v) + 1n)],
  ['sub', fn(2, 2, ([a, b]) => toInt64(a) - toInt64(b))],
  ['mul', fn(1, Infinity, (a) => a.reduce<bigint>((s, v) => s * toInt64(v), 1n))],
  [
    'div',
    fn(2, 2, ([a, b]) => {
      const d = toInt64(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return toInt64(a) / d;
    }),
  ],
  [
    'mod',
    fn(2, 2, ([a, b]) => {
      const d = toInt64(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return toInt64(a) % d;
    }),
  ],
  ['max', fn(1, Infinity, (a) => a.map(toInt64).reduce((m, v) => (v > m ? v : m)))],
  ['min', fn(1, Infinity, (a) => a.map(toInt64).reduce((m, v) => (v < m ? v : m)))],
  [
    'until',
    fn(1, 1, ([n]) => {
      const k = Number(int(n));
      return Array.from({ length: Math.max(k, 0) }, (_, i) => BigInt(i));
    }),
  ],
  // Lists
  ['list', fn(0, Infinity, (a) => a)],
  ['first', fn(1, 1, ([l]) => list(l)[0] ?? null)],
  [
    'last',
    fn(1, 1, ([l]) => {
      const x = list(l);
      return x[x.length - 1] ?? null;
    }),
  ],
  ['rest', fn(1, 1, ([l]) => list(l).slice(1))],
  ['initial', fn(1, 1, ([l]) => list(l).slice(0, -1))],
  ['append', fn(2, 2, ([l, v]) => [...list(l), v!])],
  ['prepend', fn(2, 2, ([l, v]) => [v!, ...list(l)])],
  ['concat', fn(0, Infinity, (a) => a.flatMap((l) => list(l)))],
  ['reverse', fn(1, 1, ([l]) => [...list(l)].reverse())],
  [
    'uniq',
    fn(1, 1, ([l]) => list(l).filter((v, i, all) => all.findIndex((w) => deepEqual(v, w)) === i)),
  ],
  ['has', fn(2, 2, ([n, l]) => list(l).some((v) => deepEqual(v, n)))],
  [
    'without',
    fn(1, Infinity, ([l, ...out]) => list(l).filter((v) => !out.some((o) => deepEqual(v, o)))),
  ],
  ['sortAlpha', fn(1, 1, ([l]) => (Array.isArray(l) ? l.map(toText) : [toText(l)]).sort())],
  // Dictionaries
  [
    'dict',
    fn(0, Infinity, (a) => {
      const d: { [key: string]: Value } = {};
      for (let i = 0; i < a.length; i += 2) d[toText(a[i])] = i + 1 < a.length ? a[i + 1]! : '';
      return d;
    }),
  ],
  [
    'get',
    fn(2, 2, ([d, k]) => {
      const m = dictArg(d);
      const key = str(k);
      return Object.hasOwn(m, key) ? m[key]! : '';
    }),
  ],
  [
    'set',
    fn(3, 3, ([d, k, v]) => {
      const m = dictArg(d);
      m[str(k)] = v!;
      return m;
    }),
  ],
  [
    'unset',
    fn(2, 2, ([d, k]) => {
      const m = dictArg(d);
      delete m[str(k)];
      return m;
    }),
  ],
  ['hasKey', fn(2, 2, ([d, k]) => Object.hasOwn(dictArg(d), str(k)))],
  // sprig leaves keys in Go's random map order; drover sorts them so renders are stable.
  ['keys', fn(0, Infinity, (a) => a.flatMap((d) => mapKeys(dictArg(d))))],
  [
    'values',
    fn(1, 1, ([d]) => {
      const m = dictArg(d);
      return mapKeys(m).map((k) => m[k]!);
    }),
  ],
  [
    'pluck',
    fn(1, Infinity, ([k, ...ds]) =>
      ds
        .map(dictArg)
        .filter((m) => Object.hasOwn(m, str(k)))
        .map((m) => m[str(k)]!),
    ),
  ],
  // Time
  ['now', fn(0, 0, (_a, e) => nowValue(e))],
  ['date', fn(2, 2, ([f, d]) => formatGoTime(dateArg(d), str(f)))],
  ['unixEpoch', fn(1, 1, ([d]) => String(Math.floor(dateArg(d).getTime() / 1000)))],
  // Environment (the task's, as everywhere in drover)
  ['env', fn(1, 1, ([k], e) => e.ctx.env[str(k)] ?? '')],
  ['len', fn(1, 1, ([v]) => goLen(v))],
];

/** sprig's other functions: parsed, and refused at render time. */
const NOT_BUILT = [
  'abbrev',
  'abbrevboth',
  'adler32sum',
  'ago',
  'all',
  'any',
  'b32dec',
  'b32enc',
  'base',
  'bcrypt',
  'biggest',
  'buildCustomCert',
  'camelcase',
  'cat',
  'ceil',
  'chunk',
  'clean',
  'compact',
  'date_in_zone',
  'date_modify',
  'dateInZone',
  'dateModify',
  'decryptAES',
  'deepCopy',
  'deepEqual',
  'derivePassword',
  'dig',
  'dir',
  'divf',
  'duration',
  'durationRound',
  'encryptAES',
  'expandenv',
  'ext',
  'float64',
  'floor',
  'genCA',
  'genCAWithKey',
  'genPrivateKey',
  'genSelfSignedCert',
  'genSelfSignedCertWithKey',
  'genSignedCert',
  'genSignedCertWithKey',
  'getHostByName',
  'htmlDate',
  'htmlDateInZone',
  'htpasswd',
  'initials',
  'isAbs',
  'kebabcase',
  'kindIs',
  'kindOf',
  'maxf',
  'merge',
  'mergeOverwrite',
  'minf',
  'mulf',
  'mustAppend',
  'mustChunk',
  'mustCompact',
  'mustDateModify',
  'mustDeepCopy',
  'mustFirst',
  'mustFromJson',
  'mustHas',
  'mustInitial',
  'mustLast',
  'mustMerge',
  'mustMergeOverwrite',
  'mustPrepend',
  'mustPush',
  'mustRegexFind',
  'mustRegexFindAll',
  'mustRegexMatch',
  'mustRegexReplaceAll',
  'mustRegexReplaceAllLiteral',
  'mustRegexSplit',
  'mustRest',
  'mustReverse',
  'mustSlice',
  'mustToDate',
  'mustToJson',
  'mustToPrettyJson',
  'mustToRawJson',
  'mustUniq',
  'mustWithout',
  'nospace',
  'omit',
  'osBase',
  'osClean',
  'osDir',
  'osExt',
  'osIsAbs',
  'pick',
  'plural',
  'push',
  'randAlpha',
  'randAlphaNum',
  'randAscii',
  'randBytes',
  'randInt',
  'randNumeric',
  'regexFind',
  'regexQuoteMeta',
  'regexReplaceAllLiteral',
  'regexSplit',
  'round',
  'semver',
  'semverCompare',
  'seq',
  'sha1sum',
  'shuffle',
  'slice',
  'snakecase',
  'sortAlpha',
  'split',
  'splitn',
  'subf',
  'substr',
  'swapcase',
  'toDate',
  'toDecimal',
  'toRawJson',
  'trimall',
  'tuple',
  'typeIs',
  'typeIsLike',
  'typeOf',
  'untitle',
  'untilStep',
  'upper',
  'urlJoin',
  'urlParse',
  'uuidv4',
  'wrap',
  'wrapWith',
  'addf',
  'add1f',
  'atoi',
];

export const SPRIG_BUILT: readonly string[] = BUILT.map(([n]) => n).sort();

export const SPRIG_FUNCTIONS: [string, TemplateFunc][] = [
  ...NOT_BUILT.filter((n) => !SPRIG_BUILT.includes(n)).map((n): [string, TemplateFunc] => [
    `sprig_${n}`,
    fn(0, Infinity, () => {
      throw new Error(
        `sprig_${n} is not built in drover yet (built sprig functions: ${SPRIG_BUILT.join(', ')})`,
      );
    }),
  ]),
  ...BUILT.map(([n, f]): [string, TemplateFunc] => [`sprig_${n}`, f]),
];

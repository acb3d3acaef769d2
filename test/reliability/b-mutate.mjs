/**
 * Mutations of the fuzz part: from a valid input (a jobspec, drover.hcl, planfile or state
 * file) to a hostile one. Seeded, so a reported input can be made again from its seed.
 * JavaScript (types in b-mutate.d.mts) because the fuzz workers make their own inputs: a
 * worker thread loads plain modules, and a seed crosses to it where megabytes of text would.
 */
/** mulberry32: small, fast, seeded; the fuzz needs reproducible, not cryptographic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r, n) => Math.floor(r() * n);
/**
 * How often a mutation that can be huge (a string of up to 2 MB, nesting 100,000 deep) is:
 * such an input costs drover 0.1–1.5 s against about 2 ms for the rest, so at 1 in 5 they were
 * 90 % of the run; at 1 in 50 a full run still tries thousands of them.
 */
const HUGE_RATE = 0.02;
const pick = (r, xs) => xs[int(r, xs.length)];
/** Characters that parsers get wrong: NUL, lone surrogates, BOM, RTL override, emoji, CR. */
const ODD_CHARS = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '\u200b',
  '\uffff',
  '😀',
  '\r',
  '\u2028',
  '\\',
  '"',
  '${',
  '%{',
  '<<EOF',
  '#',
  '/*',
  '\t',
];
const HUGE_NUMBERS = [
  '1e999999',
  '-1e999999',
  '9'.repeat(400),
  '0.' + '0'.repeat(400) + '1',
  '1e-400',
  '18446744073709551617',
  '-0',
  'NaN',
  '0x7fffffffffffffff',
  '1.7976931348623157e309',
];
function at(text, i, remove, insert) {
  return text.slice(0, i) + insert + text.slice(i + remove);
}
/** A value nested `depth` deep in brackets, braces or parentheses (the parser's depth guard). */
function nested(r, depth) {
  const [open, close] = pick(r, [
    ['[', ']'],
    ['{ a = ', ' }'],
    ['(', ')'],
    ['[{"a":', '}]'],
  ]);
  return open.repeat(depth) + '1' + close.repeat(depth);
}
/** The mutations of any text: each takes the text and returns a changed copy. */
const TEXT_MUTATIONS = [
  // Byte flip: one character replaced by a random code unit.
  (r, t) => at(t, int(r, t.length + 1), 1, String.fromCharCode(int(r, 0x10000))),
  // Token deletion and duplication.
  (r, t) => {
    const tokens = t.split(/(\s+|[{}[\]()=,:"])/);
    tokens.splice(int(r, tokens.length), 1 + int(r, 3));
    return tokens.join('');
  },
  (r, t) => {
    const tokens = t.split(/(\s+|[{}[\]()=,:"])/);
    const i = int(r, tokens.length);
    const n = 1 + int(r, 8);
    tokens.splice(i, 0, ...tokens.slice(i, i + n), ...tokens.slice(i, i + n));
    return tokens.join('');
  },
  // Truncation anywhere.
  (r, t) => t.slice(0, int(r, t.length)),
  // Odd characters.
  (r, t) => at(t, int(r, t.length + 1), 0, pick(r, ODD_CHARS).repeat(1 + int(r, 3))),
  // A number made huge, tiny or odd.
  (r, t) => {
    const numbers = [...t.matchAll(/\b\d+(\.\d+)?\b/g)];
    const m = numbers.length > 0 ? pick(r, numbers) : undefined;
    return m
      ? at(t, m.index, m[0].length, pick(r, HUGE_NUMBERS))
      : at(t, int(r, t.length), 0, pick(r, HUGE_NUMBERS));
  },
  // A string made huge (up to 2 MB) or full of escapes.
  (r, t) => {
    const quote = t.indexOf('"', int(r, t.length));
    const filler = pick(r, ['x', '\\n', '\\u0000', '$${', '%%{', 'é', '\\\\']);
    const body = filler.repeat(1 + int(r, r() < HUGE_RATE ? 1_000_000 : 5_000));
    return quote < 0 ? at(t, t.length, 0, `"${body}"`) : at(t, quote + 1, 0, body);
  },
  // A value nested deep (past the parser's limit at times).
  (r, t) => {
    const eq = t.indexOf('=', int(r, t.length));
    const value = nested(r, 1 + int(r, r() < HUGE_RATE ? 100_000 : 600));
    return eq < 0 ? at(t, t.length, 0, `x = ${value}\n`) : at(t, eq + 1, 0, ` ${value} `);
  },
  // A block repeated, or a slice of the text spliced elsewhere.
  (r, t) => {
    const i = int(r, t.length);
    const j = Math.min(t.length, i + int(r, 400));
    return at(t, int(r, t.length + 1), 0, t.slice(i, j).repeat(1 + int(r, 4)));
  },
];
/** Stands for a value nested thousands deep, spliced in as text (JSON.stringify recurses). */
const DEEP = '\u0001deep\u0001';
/** JSON values a hand or a bug may put in place of any field. */
function hostileJson(r) {
  return pick(r, [
    () => null,
    () => '',
    () => -1,
    () => 1e308,
    () => 2 ** 53 + 1,
    () => true,
    () => [],
    () => ({}),
    () => 'x'.repeat(1 + int(r, r() < HUGE_RATE * 5 ? 1_000_000 : 5_000)),
    () => pick(r, ODD_CHARS),
    () => DEEP,
    () => ({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
    () => '../../../../etc/passwd',
  ])();
}
/** Every path to a value in a JSON document (objects' keys and arrays' indexes). */
export function jsonPaths(doc, prefix = []) {
  const out = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...jsonPaths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) out.push(...jsonPaths(v, [...prefix, k]));
  return out;
}
/** A copy of `doc` with the value at `path` replaced (or deleted when `value` is undefined). */
export function withValueAt(doc, path, value) {
  if (path.length === 0) return value;
  const copy = structuredClone(doc);
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const last = path[path.length - 1];
  if (value === undefined && Array.isArray(parent)) parent.splice(last, 1);
  else if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}
/** A structural mutation of a JSON document: a field's value replaced, deleted or added. */
function mutateJson(r, text) {
  const doc = JSON.parse(text);
  const paths = jsonPaths(doc);
  const path = pick(r, paths);
  const roll = r();
  // Deleting the root leaves nothing: JSON.stringify(undefined) is undefined, the file empty.
  if (roll < 0.15) return JSON.stringify(withValueAt(doc, path, undefined)) ?? '';
  const target = path.reduce((v, k) => v[k], doc);
  const isObject = target !== null && typeof target === 'object' && !Array.isArray(target);
  if (roll < 0.25 && isObject)
    return JSON.stringify(withValueAt(doc, [...path, 'unknown_field'], 1));
  const depth = 1 + int(r, r() < HUGE_RATE * 5 ? 20_000 : 600);
  return JSON.stringify(withValueAt(doc, path, hostileJson(r))).replace(
    JSON.stringify(DEEP),
    '['.repeat(depth) + '{"a":1}' + ']'.repeat(depth),
  );
}
/** One mutated input: 1–3 mutations of `seed`, structural ones too when it is JSON. */
export function mutate(r, seed, json) {
  let t = seed;
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) {
    if (json && i === 0 && r() < 0.6) {
      t = mutateJson(r, t);
      continue;
    }
    t = pick(r, TEXT_MUTATIONS)(r, t);
  }
  return t;
}

/**
 * Input number `n` of a kind: its own generator, seeded by the kind and `n`, picks a seed text
 * and mutates it, so any input is made again from (kind, n) alone, in a worker or out of one.
 */
export function fuzzInput(seeds, kind, n) {
  let h = 2166136261;
  for (const c of kind) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  const r = rng((h ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const pool = seeds[kind];
  return mutate(r, pool[int(r, pool.length)], kind === 'planfile' || kind === 'state');
}

/**
 * Fuzz test: random mutations of the valid corpus jobspecs never make the parser throw or hang,
 * every diagnostic has a sound range, and the parser agrees with HashiCorp's parser (the
 * @cdktf/hcl2json oracle) on whether the text is valid — and, when it is, on its JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { parseHCL } from '../../src/hcl/parser.js';
import { runOracle } from './hcl2json-oracle.js';
import { toHcl2JsonShape } from './hcl2json-shape.js';
import { rangeProblems } from './range-check.js';

/** Fixed, so every run checks the same inputs; set DROVER_FUZZ_SEED to explore others. */
const SEED = Number(process.env.DROVER_FUZZ_SEED ?? 20240611);
const RUNS = 2000;
/** Far above what any input here needs (well under 10 ms); only a runaway parse trips it. */
const GUARD_MS = 2000;

const corpusDir = fileURLToPath(new URL('../fixtures/hcl/', import.meta.url));
const seeds = readdirSync(corpusDir)
  .filter((f) => f.startsWith('nomad-') && f.endsWith('.hcl'))
  .sort()
  .map((f) => readFileSync(join(corpusDir, f), 'utf8'));

// ---------------------------------------------------------------------------------------------
// Mutations

/** Fragments that matter to the lexer and parser: delimiters, template starts, heredocs. */
const FRAGMENTS = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '"',
  '\\',
  '${',
  '%{',
  '~}',
  '${~',
  '%{ if x }',
  '%{ endif }',
  '%{ for v in xs }',
  '%{ endfor }',
  '%{ else }',
  '$${',
  '%%{',
  '<<EOT\n',
  '<<-EOT\n',
  'EOT\n',
  '\n',
  '\r\n',
  '\r',
  '\t',
  '#',
  '//',
  '/*',
  '*/',
  '=',
  ':',
  ',',
  '.',
  '...',
  '.*',
  '[*]',
  '?',
  '=>',
  '!',
  '-',
  '&&',
  '||',
  '==',
  'for',
  'in',
  'if',
  'null',
  '0',
  '1.5e3',
  '-1',
  'a.b',
  '\u00e9',
  '\u{1F680}',
  '\u200b',
  '\ufeff',
  '\u0000',
  'x = 1\n',
  'block "l" {\n',
  'f(',
  '...)',
] as const;

/**
 * Random text from scripts and symbols that have been in Unicode for long: hclsyntax's
 * identifier tables are from an older Unicode version than Node's, and letters added since would
 * only show that skew, not parser bugs.
 */
const UNICODE_BLOCKS: [number, number][] = [
  [0xa0, 0xff], // Latin-1 supplement (incl. no-break space)
  [0x300, 0x36f], // combining diacritical marks
  [0x391, 0x3c9], // Greek
  [0x410, 0x44f], // Cyrillic
  [0x5d0, 0x5ea], // Hebrew (right-to-left)
  [0x627, 0x64a], // Arabic
  [0x2000, 0x206f], // general punctuation: odd spaces, zero-width, line/paragraph separators
  [0x2190, 0x21ff], // arrows
  [0x3041, 0x3096], // Hiragana
  [0x4e00, 0x4fff], // CJK ideographs
  [0x1f600, 0x1f64f], // emoji
];
const unicodeChar = fc
  .oneof(...UNICODE_BLOCKS.map(([lo, hi]) => fc.integer({ min: lo, max: hi })))
  .map((cp) => String.fromCodePoint(cp));

type Mutation =
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'duplicate'; from: number; length: number; to: number }
  | { op: 'swapChars'; a: number; b: number }
  | { op: 'deleteToken'; index: number }
  | { op: 'duplicateToken'; index: number }
  | { op: 'swapTokens'; a: number; b: number }
  | { op: 'nest'; at: number; open: string; depth: number; balanced: boolean }
  | { op: 'truncate'; at: number };

const CLOSERS: Record<string, string> = { '[': ']', '(': ')', '{': '}', '"${': '}"', '${': '}' };

const pos = fc.nat({ max: 1_000_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete'), at: pos, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    op: fc.constant('insert'),
    at: pos,
    text: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) },
      { weight: 1, arbitrary: fc.string({ unit: unicodeChar, maxLength: 6 }) },
    ),
  }),
  fc.record({
    op: fc.constant('duplicate'),
    from: pos,
    length: fc.integer({ min: 1, max: 60 }),
    to: pos,
  }),
  fc.record({ op: fc.constant('swapChars'), a: pos, b: pos }),
  fc.record({ op: fc.constant('deleteToken'), index: pos }),
  fc.record({ op: fc.constant('duplicateToken'), index: pos }),
  fc.record({ op: fc.constant('swapTokens'), a: pos, b: pos }),
  fc.record({
    op: fc.constant('nest'),
    at: pos,
    open: fc.constantFrom(...Object.keys(CLOSERS)),
    depth: fc.integer({ min: 1, max: 300 }),
    balanced: fc.boolean(),
  }),
  fc.record({ op: fc.constant('truncate'), at: pos }),
);

/** Words, runs of space, template openers, and single other characters. */
function tokenize(src: string): string[] {
  return src.match(/[\p{L}\p{N}_-]+|\s+|\$\{|%\{|<<-?\w+|./gsu) ?? [];
}

function applyMutation(src: string, m: Mutation): string {
  const at = (n: number) => n % (src.length + 1);
  switch (m.op) {
    case 'delete':
      return src.slice(0, at(m.at)) + src.slice(at(m.at) + m.length);
    case 'insert':
      return src.slice(0, at(m.at)) + m.text + src.slice(at(m.at));
    case 'duplicate': {
      const piece = src.slice(at(m.from), at(m.from) + m.length);
      return src.slice(0, at(m.to)) + piece + src.slice(at(m.to));
    }
    case 'swapChars': {
      const chars = [...src];
      if (chars.length === 0) return src;
      const a = m.a % chars.length;
      const b = m.b % chars.length;
      [chars[a], chars[b]] = [chars[b]!, chars[a]!];
      return chars.join('');
    }
    case 'deleteToken':
    case 'duplicateToken': {
      const tokens = tokenize(src);
      if (tokens.length === 0) return src;
      const i = m.index % tokens.length;
      tokens.splice(
        i,
        m.op === 'deleteToken' ? 1 : 0,
        ...(m.op === 'deleteToken' ? [] : [tokens[i]!]),
      );
      return tokens.join('');
    }
    case 'swapTokens': {
      const tokens = tokenize(src);
      if (tokens.length === 0) return src;
      const a = m.a % tokens.length;
      const b = m.b % tokens.length;
      [tokens[a], tokens[b]] = [tokens[b]!, tokens[a]!];
      return tokens.join('');
    }
    case 'nest': {
      const inner =
        m.open.repeat(m.depth) + (m.balanced ? '1' + CLOSERS[m.open]!.repeat(m.depth) : '');
      return src.slice(0, at(m.at)) + inner + src.slice(at(m.at));
    }
    case 'truncate':
      return src.slice(0, at(m.at));
  }
}

const mutatedJobspec = fc
  .record({
    seed: fc.nat({ max: seeds.length - 1 }),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  })
  .map(({ seed, mutations }) => mutations.reduce(applyMutation, seeds[seed]!));

// ---------------------------------------------------------------------------------------------
// Checks

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === 'error');

/** Parses without throwing (an exception fails the property), within the generous guard. */
function parseGuarded(source: string) {
  const started = performance.now();
  const result = parseHCL(source, 'fuzz.hcl');
  const elapsed = performance.now() - started;
  expect(elapsed, 'parse took implausibly long').toBeLessThan(GUARD_MS);
  return result;
}


it('explore', async () => {
  const samples = fc.sample(mutatedJobspec, { seed: Number(process.env.S ?? 1), numRuns: Number(process.env.RUNS ?? 2000) });
  const cats = new Map<string, { n: number; ex: string }>();
  const add = (k: string, ex: string) => { const c = cats.get(k); if (c) c.n++; else cats.set(k, { n: 1, ex }); };
  for (const src of samples) {
    if (src.slice(1).includes('\ufeff')) continue;
    let r;
    try { r = parseHCL(src, 'fuzz.hcl'); } catch (e) { add('THROW ' + String(e).slice(0, 80), src); continue; }
    const rp = rangeProblems(r.diagnostics, src, 'fuzz.hcl');
    if (rp.length) add('RANGE ' + rp[0]!.replace(/\d+/g, 'N').slice(0, 100), src);
    const errs = errorsOf(r.diagnostics);
    const o = await runOracle('fuzz.hcl', src);
    if (o.kind === 'syntax-error' && errs.length === 0) add('MISSED ' + o.message.replace(/fuzz\.hcl:[\d,-]+/g, '').slice(14, 90), src);
    if (o.kind !== 'syntax-error' && errs.length > 0) add('EXTRA ' + errs[0]!.summary, src);
    if (o.kind === 'ok' && errs.length === 0) {
      try { expect(toHcl2JsonShape(r.file, src)).toEqual(o.json); } catch (e) { add('JSONDIFF', src); }
    }
  }
  for (const [k, v] of [...cats].sort((a, b) => b[1].n - a[1].n)) console.log(v.n, k, JSON.stringify(v.ex).length < 3000 ? '' : '');
  for (const [k, v] of cats) require('fs').writeFileSync('/tmp/full5/ex-' + k.replace(/[^a-z]/gi, '').slice(0, 40) + '.hcl', v.ex);
}, 600_000);

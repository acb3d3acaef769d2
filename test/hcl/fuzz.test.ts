/**
 * Fuzz test: random mutations of the valid corpus jobspecs never make the parser throw or hang,
 * every diagnostic has a sound range, and the parser agrees with HashiCorp's parser (the
 * @cdktf/hcl2json oracle) on whether the text is valid — and, when it is, on its JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
// prettier-ignore
const FRAGMENTS: readonly string[] = [
  ...'{ } [ ] ( ) " \\ ${ %{ ~} ${~ $${ %%{ # // /* */ = : , . ... .* [*] ? => ! - && || =='.split(' '),
  ...'for in if null 0 1.5e3 -1 a.b f( ...)'.split(' '),
  '%{ if x }', '%{ else }', '%{ endif }', '%{ for v in xs }', '%{ endfor }',
  '<<EOT\n', '<<-EOT\n', 'EOT\n', '\n', '\r\n', '\r', '\t', 'x = 1\n', 'block "l" {\n',
  '\u00e9', '\u{1F680}', '\u200b', '\ufeff', '\u0000',
];

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

/**
 * Applies one mutation. Positions count code points, not UTF-16 units, so no mutation splits a
 * surrogate pair: text read from a UTF-8 file can never hold a lone surrogate.
 */
function applyMutation(src: string, m: Mutation): string {
  const chars = [...src];
  const at = (n: number) => n % (chars.length + 1);
  const insertAt = (i: number, text: string) =>
    chars.slice(0, i).join('') + text + chars.slice(i).join('');
  switch (m.op) {
    case 'delete':
      return chars.slice(0, at(m.at)).join('') + chars.slice(at(m.at) + m.length).join('');
    case 'insert':
      return insertAt(at(m.at), m.text);
    case 'duplicate':
      return insertAt(at(m.to), chars.slice(at(m.from), at(m.from) + m.length).join(''));
    case 'swapChars':
      return swapped(chars, m.a, m.b).join('');
    case 'deleteToken':
    case 'duplicateToken': {
      const tokens = tokenize(src);
      if (tokens.length === 0) return src;
      const i = m.index % tokens.length;
      if (m.op === 'deleteToken') tokens.splice(i, 1);
      else tokens.splice(i, 0, tokens[i]!);
      return tokens.join('');
    }
    case 'swapTokens':
      return swapped(tokenize(src), m.a, m.b).join('');
    case 'nest': {
      const open = m.open.repeat(m.depth);
      return insertAt(at(m.at), m.balanced ? open + '1' + CLOSERS[m.open]!.repeat(m.depth) : open);
    }
    case 'truncate':
      return chars.slice(0, at(m.at)).join('');
  }
}

function swapped(items: string[], a: number, b: number): string[] {
  if (items.length === 0) return items;
  const i = a % items.length;
  const j = b % items.length;
  [items[i], items[j]] = [items[j]!, items[i]!];
  return items;
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

describe('parser fuzzing', () => {
  it('has seeds', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(20);
  });

  it('survives mutated jobspecs and agrees with hclsyntax on validity', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedJobspec, async (source) => {
        const { file, diagnostics } = parseGuarded(source);
        expect(rangeProblems(diagnostics, source, 'fuzz.hcl')).toEqual([]);

        const errors = errorsOf(diagnostics).map((d) => `${d.range?.start.line}: ${d.summary}`);
        const oracle = await runOracle('fuzz.hcl', source);
        if (oracle.kind === 'syntax-error') {
          expect(errors.length, `hclsyntax said: ${oracle.message}`).toBeGreaterThan(0);
        } else {
          expect(errors, 'hclsyntax accepts this text').toEqual([]);
          if (oracle.kind === 'ok') expect(toHcl2JsonShape(file, source)).toEqual(oracle.json);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 60_000);

  // Recursion depth is the classic way a hand-written parser dies: these must not throw.
  it.each([
    ['tuples', 'a = ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n'],
    ['parentheses', 'a = ' + '('.repeat(20_000) + '1' + ')'.repeat(20_000) + '\n'],
    ['objects', 'a = ' + '{ a = '.repeat(20_000) + '1' + ' }'.repeat(20_000) + '\n'],
    ['interpolations', 'a = ' + '"${'.repeat(20_000) + 'x' + '}"'.repeat(20_000) + '\n'],
    ['blocks', 'b {\n'.repeat(20_000) + '}\n'.repeat(20_000)],
    ['unary operators', 'a = ' + '!'.repeat(20_000) + 'true\n'],
    ['unclosed tuples', 'a = ' + '['.repeat(20_000)],
    ['unclosed blocks', 'b {\n'.repeat(20_000)],
  ])('survives 20,000 nested %s', (_what, source) => {
    const { diagnostics } = parseGuarded(source);
    expect(rangeProblems(diagnostics, source, 'fuzz.hcl')).toEqual([]);
  });

  it.each([
    ['empty input', ''],
    ['only a BOM', '\ufeff'],
    ['a NUL byte', 'a = 1\u0000\n'],
    ['astral-plane characters', 'a = "\u{1F680}\u{1F680}"\nb = \u{1F680}\n'],
    ['only newlines', '\n\n\r\n\n'],
  ])('survives %s', (_what, source) => {
    const { diagnostics } = parseGuarded(source);
    expect(rangeProblems(diagnostics, source, 'fuzz.hcl')).toEqual([]);
  });
});

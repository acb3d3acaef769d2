/**
 * Differential test: our parser against HashiCorp's (hclsyntax, compiled to WASM in
 * @cdktf/hcl2json). Every corpus file must convert to exactly the JSON hcl2json produces, with
 * LF and with CRLF line endings; every invalid input must be rejected by both, on the same line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { parseHCL } from '../../src/hcl/parser.js';
import { hcl2json } from './hcl2json-oracle.js';
import { toHcl2JsonShape } from './hcl2json-shape.js';
import { rangeProblems } from './range-check.js';

const corpusDir = fileURLToPath(new URL('../fixtures/hcl/', import.meta.url));
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.hcl'))
  .sort();

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === 'error');
const summaries = (ds: readonly Diagnostic[]) =>
  errorsOf(ds).map((d) => `${d.range?.start.line}:${d.range?.start.column}: ${d.summary}`);

async function expectSameJson(name: string, source: string): Promise<void> {
  const expected = await hcl2json(name, source);
  const { file, diagnostics } = parseHCL(source, name);
  expect(summaries(diagnostics)).toEqual([]);
  expect(toHcl2JsonShape(file, source)).toEqual(expected);
}

describe('the corpus', () => {
  it('is big enough to mean something', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(corpus.filter((f) => f.startsWith('nomad-')).length).toBeGreaterThanOrEqual(20);
  });
});

describe('our JSON equals hcl2json on every corpus file', () => {
  it.each(corpus)('%s', async (name) => {
    await expectSameJson(name, readFileSync(join(corpusDir, name), 'utf8'));
  });
});

describe('… and again with CRLF line endings', () => {
  const lfOnly = corpus.filter((f) => !readFileSync(join(corpusDir, f), 'utf8').includes('\r'));
  it.each(lfOnly)('%s', async (name) => {
    const source = readFileSync(join(corpusDir, name), 'utf8').replaceAll('\n', '\r\n');
    await expectSameJson(name, source);
  });
});

/**
 * Invalid inputs, with the line hclsyntax reports the (first) error on, and other lines we may
 * report it on instead when ours is at least as helpful.
 */
const invalid: { name: string; source: string; line: number; orLine?: number }[] = [
  { name: 'unclosed block', source: 'job "x" {\n  a = 1\n', line: 1 },
  {
    name: 'unclosed nested block',
    source: 'job "x" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n    }\n  \n}\n',
    line: 1,
  },
  { name: 'missing equals', source: 'a 1\n', line: 1 },
  { name: 'attribute set twice', source: 'a = 1\na = 2\n', line: 2 },
  { name: 'string runs past the line', source: 'a = "abc\nb = 1\n', line: 1 },
  { name: 'unclosed interpolation', source: 'a = "${x"\n', line: 1 },
  { name: 'empty interpolation', source: 'a = 1\n\nb = "${}"\n', line: 3 },
  { name: 'two expressions in an interpolation', source: 'a = "${a b}"\n', line: 1 },
  // hclsyntax points at the end of the file; pointing at the opening marker is better.
  { name: 'unterminated heredoc', source: 'a = <<EOT\nabc\n', line: 3, orLine: 1 },
  { name: 'text after heredoc marker', source: 'a = <<EOT abc\nEOT\n', line: 1 },
  { name: 'unknown directive', source: 'a = "%{ iff x }%{ endif }"\n', line: 1 },
  { name: 'if without endif', source: 'a = "%{ if x }"\n', line: 1 },
  { name: 'endif without if', source: 'a = "%{ endif }"\n', line: 1 },
  { name: 'else in a for directive', source: 'a = "%{for x in y}%{else}%{endfor}"\n', line: 1 },
  { name: 'block inside a one-line block', source: 'a { b { } }\n', line: 1 },
  { name: 'one-line block over two lines', source: 'a { b = 1\n}\n', line: 1 },
  { name: 'two attributes in a one-line block', source: 'a { b = 1 c = 2 }\n', line: 1 },
  { name: 'number as block label', source: 'job 1 {\n}\n', line: 1 },
  { name: 'interpolation in a block label', source: 'job "${x}" {\n}\n', line: 1 },
  { name: 'missing value', source: 'a =\n', line: 1 },
  { name: 'two operators', source: 'a = 1 +* 2\n', line: 1 },
  { name: 'unclosed tuple', source: 'a = [1, 2\n', line: 1 },
  { name: 'missing comma in tuple', source: 'a = [1 2]\n', line: 1 },
  { name: 'unclosed object', source: 'a = { b = 1\n', line: 2 },
  { name: 'object item without value', source: 'a = { b }\n', line: 1 },
  { name: 'double comma in object', source: 'a = {\n  b = 1,, c = 2\n}\n', line: 2 },
  { name: 'two attributes on one line', source: 'a = 1 b = 2\n', line: 1 },
  { name: 'stray closing brace', source: '}\n', line: 1 },
  { name: 'invalid character', source: 'a = 1 @\n', line: 1 },
  // A byte-order mark is allowed only as the very first character of a file.
  { name: 'byte-order mark inside the file', source: 'a = 1\n\ufeff\nb = 2\n', line: 2 },
  { name: 'curly quotes', source: 'a = \u201csmart\u201d\n', line: 1 },
  { name: 'unknown escape', source: 'a = "\\q"\n', line: 1 },
  { name: 'short unicode escape', source: 'a = "\\u12"\n', line: 1 },
  { name: 'for without in', source: 'a = [for x y : x]\n', line: 1 },
  { name: 'for without colon', source: 'a = [for x in y]\n', line: 1 },
  { name: 'object for without key', source: 'a = {for k, v in m : k}\n', line: 1 },
  { name: 'empty function argument', source: 'a = f(1,,2)\n', line: 1 },
  { name: 'conditional without else', source: 'a = x ? 1\n', line: 1 },
  { name: 'dot without name', source: 'a = x.\n', line: 1 },
  { name: 'unclosed parenthesis', source: 'a = (1\n', line: 2 },
  { name: 'quoted attribute name', source: '"a" = 1\n', line: 1 },
  { name: 'hex number', source: 'a = 0x10\n', line: 1 },
  { name: 'number too large', source: 'a = 1e99999999999\n', line: 1 },
  { name: 'unclosed block comment', source: '/* never closed\na = 1\n', line: 1 },
];

describe('both parsers reject invalid input, on the same line', () => {
  it.each(invalid)('$name', async ({ name, source, line, orLine }) => {
    const oracle = await hcl2json('x.hcl', source).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    // The table itself is checked against the oracle: it must fail to parse, first on `line`.
    expect(oracle).toMatch(new RegExp(`^parse config: \\[x\\.hcl:${line},`));

    const { diagnostics } = parseHCL(source, 'x.hcl');
    const errors = errorsOf(diagnostics);
    expect(errors.length, `${name}: no error reported`).toBeGreaterThan(0);
    expect(rangeProblems(errors, source, 'x.hcl')).toEqual([]);
    const lines = errors.map((d) => d.range?.start.line);
    expect(
      lines.includes(line) || (orLine !== undefined && lines.includes(orLine)),
      `lines ${lines.join(', ')}`,
    ).toBe(true);
  });
});

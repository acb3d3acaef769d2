import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHCL } from '../../src/hcl/format.js';
import { parseHCL } from '../../src/hcl/parser.js';

/**
 * [rule, input, expected]. Expected outputs are those of `terraform fmt` (hclwrite), except
 * where drover deliberately differs: exactly one newline at EOF (none for an empty file),
 * trailing whitespace dropped inside comments, `-` read as negation from the syntax tree, and
 * brackets left open inside a heredoc counted like any other. (terraform also rewrites `"${x}"`
 * to `x` and quotes bare labels; those are Terraform's own rewrites, not hclwrite's layout.)
 */
const cases: [string, string, string][] = [
  ['spaces around the = of an attribute', 'a=1\n', 'a = 1\n'],
  ['attribute access keeps no spaces', 'a=b . c\n', 'a = b.c\n'],
  ['index follows its collection', 'a=b [c]\n', 'a = b[c]\n'],
  ['call then index', 'a=b ( ) [c]\n', 'a = b()[c]\n'],
  ['index on a tuple literal', 'a=["hello"] [0]\n', 'a = ["hello"][0]\n'],
  ['binary operators get spaces, parens none inside', 'a = ( x+2 )*3\n', 'a = (x + 2) * 3\n'],
  ['negation after an operator', 'a = x+-2\n', 'a = x + -2\n'],
  ['negation at the start and binary minus', 'a = -2-1\n', 'a = -2 - 1\n'],
  ['binary minus before a negation', 'a = x - -y\n', 'a = x - -y\n'],
  ['a dash inside a name is not an operator', 'a = x- -y\n', 'a = x- - y\n'],
  [
    'call arguments: space after comma, none before',
    'a = foo(1, -2,a*b, b ,c)\n',
    'a = foo(1, -2, a * b, b, c)\n',
  ],
  ['expansion ellipsis', 'a = foo(a,b ...)\n', 'a = foo(a, b...)\n'],
  ['bang', 'a = ! true && ! b\n', 'a = !true && !b\n'],
  ['comparison and logic', 'a = x==1||y!=2&&z>=3\n', 'a = x == 1 || y != 2 && z >= 3\n'],
  ['conditional', 'a = x?b:c\n', 'a = x ? b : c\n'],
  ['conditional with negative branches', 'a = x ? - 1 : - 2\n', 'a = x ? -1 : -2\n'],
  ['interpolation interior tidied', 'a = "hello ${ name }"\n', 'a = "hello ${name}"\n'],
  ['strip markers', 'a = "hello ${~ name ~}"\n', 'a = "hello ${~name~}"\n'],
  ['adjacent interpolations', 'a = "${b}${c}${ d } ${e}"\n', 'a = "${b}${c}${d} ${e}"\n'],
  [
    'template directives',
    'a = "x%{ if true }${ var.foo }%{ else }y%{ endif }"\n',
    'a = "x%{if true}${var.foo}%{else}y%{endif}"\n',
  ],
  [
    'literal text inside strings untouched',
    'a = "  two  spaces ,( ) "\n',
    'a = "  two  spaces ,( ) "\n',
  ],
  ['empty block', 'b{}\n', 'b {}\n'],
  ['one-line block', 'b "x" {a=1}\n', 'b "x" { a = 1 }\n'],
  ['object constructor', 'a = {x=1, y=[1,2]}\n', 'a = { x = 1, y = [1, 2] }\n'],
  ['object with colons', 'a = {"k": 1}\n', 'a = { "k" : 1 }\n'],
  ['nested empty tuples', 'a = [ [ ] ]\n', 'a = [[]]\n'],
  ['tuple for', 'a = [for x in y: x]\n', 'a = [for x in y : x]\n'],
  [
    'for over a tuple literal keeps "in [" apart',
    'a = [for x in [y]: x*2]\n',
    'a = [for x in [y] : x * 2]\n',
  ],
  [
    'object for with grouping and condition',
    'a = {for k,v in m: k=>v... if v!=null}\n',
    'a = { for k, v in m : k => v... if v != null }\n',
  ],
  ['splats', 'a = b[*].c\nd = e.*.f\n', 'a = b[*].c\nd = e.*.f\n'],
  ['namespaced function name', 'a = core::upper( "x" )\n', 'a = core::upper("x")\n'],
  ['legacy index', 'a = b.0.c\n', 'a = b.0.c\n'],
  ['block body indented', 'b {\na = 1\n}\n', 'b {\n  a = 1\n}\n'],
  [
    'nested blocks indented',
    'job "x" {\ngroup "y" {\ntask "z" {\ndriver = "docker"\n}\n}\n}\n',
    'job "x" {\n  group "y" {\n    task "z" {\n      driver = "docker"\n    }\n  }\n}\n',
  ],
  [
    'multi-line call indented',
    'a = foo(\n1,\n- 2,\na*b,\n)\n',
    'a = foo(\n  1,\n  -2,\n  a * b,\n)\n',
  ],
  ['nested multi-line tuples', 'a = [\n[\nx\n]\n]\n', 'a = [\n  [\n    x\n  ]\n]\n'],
  ['asymmetric brackets', 'a = [[\n[\nx\n]]\n]\n', 'a = [[\n  [\n    x\n  ]]\n]\n'],
  ['multi-line interpolation', 'a = "x${\nhello\n}"\n', 'a = "x${\n  hello\n}"\n'],
  ['= aligned in a run', 'a = 1\nbungle = 2\n', 'a      = 1\nbungle = 2\n'],
  ['blank line ends the run', 'a = 1\n\nbungle = 2\n', 'a = 1\n\nbungle = 2\n'],
  ['comment line ends the run', 'a = 1\n# c\nbungle = 2\n', 'a = 1\n# c\nbungle = 2\n'],
  ['block ends the run', 'a = 1\nb {}\nbungle = 2\n', 'a = 1\nb {}\nbungle = 2\n'],
  [
    'multi-line value ends the run',
    'a = 1\nbb = [\n1,\n]\nccc = 3\n',
    'a = 1\nbb = [\n  1,\n]\nccc = 3\n',
  ],
  ['object keys aligned', 'a = {\nx=1\nlong=2\n}\n', 'a = {\n  x    = 1\n  long = 2\n}\n'],
  [
    'trailing comments aligned',
    'a = 1 # foo\nbungle = "bonce" # baz\n',
    'a      = 1       # foo\nbungle = "bonce" # baz\n',
  ],
  [
    'whole-line comment not aligned',
    '# here we go\na = 1 # foo\nbungle = "bonce" # baz\n',
    '# here we go\na      = 1       # foo\nbungle = "bonce" # baz\n',
  ],
  [
    'block line joins the comment run',
    'foo {} # here we go\na = 1 # foo\nbungle = "bonce" # baz\n',
    'foo {}           # here we go\na      = 1       # foo\nbungle = "bonce" # baz\n',
  ],
  [
    'line without comment ends the comment run',
    'aa = 1 # x\nb = 22\nc = 333 # y\n',
    'aa = 1 # x\nb  = 22\nc  = 333 # y\n',
  ],
  [
    'comments after multi-line values',
    'a = 1 # foo\nbungle = (\n    "bonce"\n) # baz\nzebra = "striped" # baz\n',
    'a = 1 # foo\nbungle = (\n  "bonce"\n)                 # baz\nzebra = "striped" # baz\n',
  ],
  [
    'comment after an open paren',
    'a="apple"# foo\nbungle=(# woo parens\n"bonce"\n)# baz\nzebra="striped"# baz\n',
    'a = "apple" # foo\nbungle = (  # woo parens\n  "bonce"\n)                 # baz\nzebra = "striped" # baz\n',
  ],
  [
    'unicode widths',
    '𝒜 = 1 # foo\nbungle = "🇬🇧" # baz\nzebra = "striped" # baz\n',
    '𝒜      = 1         # foo\nbungle = "🇬🇧"       # baz\nzebra  = "striped" # baz\n',
  ],
  ['slash comments', 'a = 1 // one\nbb = 2 // two\n', 'a  = 1 // one\nbb = 2 // two\n'],
  [
    'block comments keep their inside',
    'x {\n/* a\n     b */\ncount = 1 /* c */\n}\n',
    'x {\n  /* a\n     b */\n  count = 1 /* c */\n}\n',
  ],
  ['comments inside brackets indented', 'foo = [\n# ...\n]\n', 'foo = [\n  # ...\n]\n'],
  [
    'heredoc body untouched',
    'foo {\nbar = <<EOT\n  Foo  bar\tbaz\nEOT\n}\n',
    'foo {\n  bar = <<EOT\n  Foo  bar\tbaz\nEOT\n}\n',
  ],
  [
    'flush heredoc untouched',
    'foo {\nbar = <<-EOT\n    Foo bar baz\n    EOT\n}\n',
    'foo {\n  bar = <<-EOT\n    Foo bar baz\n    EOT\n}\n',
  ],
  [
    'heredoc interpolations tidied',
    'foo {\nbar = <<EOT\n${ a }${b} ${{a=1}}\nEOT\n}\n',
    'foo {\n  bar = <<EOT\n${a}${b} ${ { a = 1 } }\nEOT\n}\n',
  ],
  [
    'heredoc is one line for alignment',
    'a = 1\nbb = <<EOT\nx\nEOT\nccc = 3\n',
    'a   = 1\nbb  = <<EOT\nx\nEOT\nccc = 3\n',
  ],
  [
    // hclwrite stops counting at `<<EOT` and then loses the block's indent after the heredoc.
    'an interpolation left open across heredoc lines indents them like any bracket',
    'x {\na = <<EOT\nx ${\nfoo\n} y\nEOT\nb = 1\n}\n',
    'x {\n  a = <<EOT\nx ${\n    foo\n  } y\nEOT\n  b = 1\n}\n',
  ],
  [
    'heredoc after heredoc',
    'foo {\nbar = <<EOT\nx\nEOT\nbaz = <<EOT\ny\nEOT\n}\n',
    'foo {\n  bar = <<EOT\nx\nEOT\n  baz = <<EOT\ny\nEOT\n}\n',
  ],
  ['trailing whitespace and tabs', 'a\t=\t1   \n\nb = 2 \t\n', 'a = 1\n\nb = 2\n'],
  ['blank lines kept, at the start too', '\n\na = 1\n\n\n\nb = 2\n', '\n\na = 1\n\n\n\nb = 2\n'],
  ['one newline at EOF', 'a = 1\n\n\n', 'a = 1\n'],
  ['newline added at EOF', 'a = 1', 'a = 1\n'],
  ['CRLF kept, one at EOF', 'a = 1\r\n\r\n\r\n', 'a = 1\r\n'],
  ['CRLF inside a heredoc kept', 'a = <<EOT\r\n x \r\nEOT\r\n', 'a = <<EOT\r\n x \r\nEOT\r\n'],
  [
    'trailing whitespace in comments dropped',
    'a = 1 # c  \t\n/* x  \n y */ \n',
    'a = 1 # c\n/* x\n y */\n',
  ],
  [
    'negation after => and inside an interpolation',
    'a = {for k, v in m : k=>-v}\nb = "x${ -y }"\n',
    'a = { for k, v in m : k => -v }\nb = "x${-y}"\n',
  ],
  ['CRLF kept', 'x {\r\na = 1 # c\r\nbb = 2\r\n}\r\n', 'x {\r\n  a  = 1 # c\r\n  bb = 2\r\n}\r\n'],
  ['empty file', '', ''],
  ['byte order mark kept', '\uFEFFa=1\n', '\uFEFFa = 1\n'],
  ['only blank lines', '\n  \n\n', ''],
  [
    'realistic jobspec',
    'job "web" {\ndatacenters=["dc1"]\ntype="service"\n\ngroup "app" {\ncount=3\nnetwork {\nport "http" { to = 8080 }\n}\n\ntask "server" {\ndriver="docker"\nconfig {\nimage="nginx:1.25"\nports=["http"]\n}\nresources {\ncpu=500 # MHz\nmemory=256 # MB\n}\n}\n}\n}\n',
    'job "web" {\n  datacenters = ["dc1"]\n  type        = "service"\n\n  group "app" {\n    count = 3\n    network {\n      port "http" { to = 8080 }\n    }\n\n    task "server" {\n      driver = "docker"\n      config {\n        image = "nginx:1.25"\n        ports = ["http"]\n      }\n      resources {\n        cpu    = 500 # MHz\n        memory = 256 # MB\n      }\n    }\n  }\n}\n',
  ],
];

const FIXTURES = join(import.meta.dirname, '../fixtures/fmt');
const fixtureInputs = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.hcl') && !f.endsWith('.golden.hcl'))
  .sort();
const read = (f: string): string => readFileSync(join(FIXTURES, f), 'utf8');

/** The tree without positions: what formatting must never change. */
function stripRanges(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripRanges);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'range' || k.endsWith('Range') || k === 'tokens' || k === 'filename') continue;
    out[k] = stripRanges(x);
  }
  return out;
}

function syntaxTree(src: string): unknown {
  const { file, diagnostics } = parseHCL(src, 'x.hcl');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return stripRanges(file.body);
}

/** A comment as formatting may leave it: blanks at the ends of its lines go. */
const trimComment = (text: string): string => text.replace(/[ \t]+$/gm, '');

/** Every token but newlines: formatting moves none of them, and changes none but comments. */
function significantTokens(src: string): string[] {
  return parseHCL(src, 'x.hcl')
    .file.tokens.filter((t) => t.type !== 'Newline' && t.type !== 'EOF')
    .map((t) => (t.type === 'Comment' ? trimComment(t.text) : t.text));
}

/** Each comment with the line it sits on. */
function commentLines(src: string): string[] {
  return parseHCL(src, 'x.hcl')
    .file.tokens.filter((t) => t.type === 'Comment')
    .map((t) => `${t.range.start.line}: ${trimComment(t.text)}`);
}

function checkFormatting(input: string): void {
  const once = formatHCL(input, 'x.hcl');
  expect(once.diagnostics).toEqual([]);
  const twice = formatHCL(once.output, 'x.hcl');
  expect(twice.output).toBe(once.output);
  expect(twice.changed).toBe(false);
  expect(syntaxTree(once.output)).toEqual(syntaxTree(input));
  expect(significantTokens(once.output)).toEqual(significantTokens(input));
  expect(commentLines(once.output)).toEqual(commentLines(input));
}

describe('formatHCL: the layout rules', () => {
  it.each(cases)('%s', (_rule, input, expected) => {
    const result = formatHCL(input, 'case.hcl');
    expect(result.diagnostics).toEqual([]);
    expect(result.output).toBe(expected);
    expect(result.changed).toBe(expected !== input);
  });
});

describe('formatHCL: fixtures', () => {
  it.each(fixtureInputs)('%s matches its golden file', (name) => {
    const golden = read(name.replace(/\.hcl$/, '.golden.hcl'));
    expect(formatHCL(read(name), name).output).toBe(golden);
  });

  it('leaves a canonical file alone', () => {
    const src = read('canonical.hcl');
    expect(formatHCL(src, 'canonical.hcl')).toEqual({
      output: src,
      changed: false,
      diagnostics: [],
    });
  });
});

describe('formatHCL: idempotent, and changes nothing but whitespace', () => {
  it.each(fixtureInputs)('fixture %s', (name) => checkFormatting(read(name)));
  it.each(cases)('case: %s', (_rule, input) => checkFormatting(input));
});

describe('formatHCL: syntax errors', () => {
  // [input, [line, column] of each error]
  const broken: [string, [number, number][]][] = [
    ['job "x" {\n  count = \n}\n', [[2, 11]]],
    ['job "x" {\n  a = "unterminated\n}\n', [[2, 7]]],
    ['a = 1\nb = [1, 2\n', [[2, 5]]],
    [
      'a = (1 +)\nb = {\n',
      [
        [1, 9],
        [3, 1],
      ],
    ],
  ];

  it.each(broken)('returns %j unchanged with its errors', (input, places) => {
    const result = formatHCL(input, 'bad.hcl');
    expect(result.output).toBe(input);
    expect(result.changed).toBe(false);
    expect(
      result.diagnostics.map((d) => [d.severity, d.range?.start.line, d.range?.start.column]),
    ).toEqual(places.map(([line, column]) => ['error', line, column]));
    expect(result.diagnostics.every((d) => d.range?.filename === 'bad.hcl')).toBe(true);
  });
});

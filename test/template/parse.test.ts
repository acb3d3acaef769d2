/**
 * Parsing: Go's parse_test.go errorTests (the message must contain Go's text, at Go's line),
 * positions of errors, trimming and delimiters, and calledFunctions for the plan's checks.
 */
import { describe, expect, it } from 'vitest';
import { calledFunctions, consulVaultCalls, parseTemplate } from '../../src/template/index.js';
import { errorOf, render } from './support.js';

/** [name, input, line, text the message contains] — from Go's errorTests. */
const errorTests: [string, string, number, string][] = [
  ['unclosed1', 'line1\n{{', 2, 'unclosed action'],
  ['unclosed2', 'line1\n{{define `x`}}line2\n{{', 3, 'unclosed action'],
  ['unclosed3', 'line1\n{{"x"\n"y"\n', 4, 'unclosed action started at line 2'],
  ['unclosed4', '{{\n\n\n\n\n', 6, 'unclosed action started at line 1'],
  ['var1', 'line1\n{{\nx\n}}', 3, 'function "x" not defined'],
  ['function', '{{foo}}', 1, 'function "foo" not defined'],
  ['comment1', '{{/*}}', 1, 'unclosed comment'],
  ['comment2', '{{/*\nhello\n}}', 1, 'unclosed comment'],
  ['lparen', '{{.X (1 2 3}}', 1, 'unclosed left paren'],
  ['rparen', '{{.X 1 2 3 ) }}', 1, 'unexpected right paren'],
  ['rparen2', '{{(.X 1 2 3', 1, 'unclosed action'],
  ['space', '{{`x`3}}', 1, 'in operand'],
  ['idchar', '{{a#}}', 1, "'#'"],
  ['charconst', "{{'a}}", 1, 'unterminated character constant'],
  ['stringconst', '{{"a}}', 1, 'unterminated quoted string'],
  ['rawstringconst', '{{`a}}', 1, 'unterminated raw quoted string'],
  ['number', '{{0xi}}', 1, 'number syntax'],
  [
    'multidefine',
    '{{define `a`}}a{{end}}{{define `a`}}b{{end}}',
    1,
    'multiple definition of template',
  ],
  ['eof', '{{range .X}}', 1, 'unexpected EOF'],
  ['variable', '{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}', 1, 'unexpected ":="'],
  ['multidecl', '{{$a,$b,$c := 23}}', 1, 'too many declarations'],
  ['undefvar', '{{$a}}', 1, 'undefined variable'],
  ['wrongdot', '{{true.any}}', 1, 'unexpected . after term'],
  ['wrongpipeline', '{{12|false}}', 1, 'non executable command in pipeline'],
  ['emptypipeline', '{{ ( ) }}', 1, 'missing value for parenthesized pipeline'],
  ['multilinerawstring', '{{ $v := `\n` }} {{', 2, 'unclosed action'],
  ['rangeundefvar', '{{range $k}}{{end}}', 1, 'undefined variable'],
  ['rangeundefvars', '{{range $k, $v}}{{end}}', 1, 'undefined variable'],
  ['rangemissingvalue1', '{{range $k,}}{{end}}', 1, 'missing value for range'],
  ['rangemissingvalue2', '{{range $k, $v := }}{{end}}', 1, 'missing value for range'],
  ['rangenotvariable1', '{{range $k, .}}{{end}}', 1, 'range can only initialize variables'],
  ['rangenotvariable2', '{{range $k, 123 := .}}{{end}}', 1, 'range can only initialize variables'],
  // More of Go's parser errors.
  ['end at top', 'a{{end}}', 1, 'unexpected {{end}}'],
  ['else at top', 'a{{else}}', 1, 'unexpected {{else}}'],
  ['break outside range', '{{break}}', 1, '{{break}} outside {{range}}'],
  ['continue outside range', '{{if true}}{{continue}}{{end}}', 1, '{{continue}} outside {{range}}'],
  [
    'break in define inside range',
    '{{range .}}{{end}}{{define "x"}}{{break}}{{end}}',
    1,
    'outside {{range}}',
  ],
  ['empty action', '{{}}', 1, 'missing value for command'],
  ['missing if value', '{{if}}{{end}}', 1, 'missing value for if'],
  ['else else', '{{if 1}}{{else}}{{else}}{{end}}', 1, 'expected end; found {{else}}'],
  [
    'variable scope ends with its control',
    '{{if true}}{{$x := 1}}{{end}}{{$x}}',
    1,
    'undefined variable "$x"',
  ],
  [
    'variable of a define is its own',
    '{{$x := 1}}{{define "a"}}{{$x}}{{end}}',
    1,
    'undefined variable "$x"',
  ],
  ['assign to undeclared', '{{$x = 1}}', 1, 'undefined variable "$x"'],
  ['template name must be a string', '{{template .X}}', 1, 'unexpected ".X" in template clause'],
  ['unknown escape', '{{"\\q"}}', 1, 'invalid syntax'],
  ['bad char', '{{@}}', 1, "unrecognized character in action: U+0040 '@'"],
  ['complex numbers', '{{1i}}', 1, 'complex numbers are not supported'],
  ['int overflow', '{{99999999999999999999}}', 1, 'overflows int'],
  ['nested define', '{{if 1}}{{define "x"}}{{end}}{{end}}', 1, 'unexpected <define> in command'],
];

describe("Go's parse errors", () => {
  it.each(errorTests)('%s', (_name, input, line, message) => {
    const err = errorOf(() => parseTemplate(input, { name: _name }));
    expect(err.message).toContain(message);
    expect(err.line).toBe(line);
  });

  it('names the column of an unknown function', () => {
    const err = errorOf(() => parseTemplate('ok\n  x {{ upper "a" }}'));
    expect([err.message, err.line, err.column]).toEqual(['function "upper" not defined', 2, 8]);
  });

  it('names the column of an unexpected token', () => {
    const err = errorOf(() => parseTemplate('{{ if 1 }}\n{{ 3 = 4 }}{{ end }}'));
    expect(err.message).toBe('unexpected "=" in operand');
    expect([err.line, err.column]).toEqual([2, 6]);
  });
});

describe('trimming, comments and delimiters', () => {
  it.each([
    ['{{- "a" -}}  \n {{ "b" }}', 'ab'],
    ['a  {{- /* c */}}  b', 'a  b'],
    ['a  {{- /* c */ -}}  b', 'ab'],
    ['a {{/* c */}} b', 'a  b'],
    ['a\n{{- if true }}\n  x\n{{- end }}\nb', 'a\n  x\nb'],
    ['{{ range $i := 3 -}}\n  {{ $i }}\n{{- end }}', '012'],
    ['x{{-  "y"  -}}z', 'xyz'],
    ['{{"a"}}\t{{- "b"}}', 'ab'],
    ['{{ "\\u00e9\\x41\\101\\n" }}', 'éAA\n'],
    ['{{ `raw\\n` }}', 'raw\\n'],
    ['{{ "{{" }}', '{{'],
    ['{{ /* not a comment without the delimiter first */ 1 }}', ''],
  ])('%j renders %j', (text, want) => {
    if (want === '') expect(() => parseTemplate(text)).toThrow();
    else expect(render(text)).toBe(want);
  });

  it('custom delimiters leave the default ones as text', () => {
    expect(render('[[ "x" ]] {{ y }}', { env: {} }, { leftDelim: '[[', rightDelim: ']]' })).toBe(
      'x {{ y }}',
    );
    expect(render('<< "a" ->> b', { env: {} }, { leftDelim: '<<', rightDelim: '>>' })).toBe('ab');
  });

  it('trims with custom delimiters', () => {
    expect(render('a [[- "b" -]] c', { env: {} }, { leftDelim: '[[', rightDelim: ']]' })).toBe(
      'abc',
    );
  });
});

describe('calledFunctions', () => {
  it('lists every function identifier in order with its position', () => {
    const t = parseTemplate(
      '{{ with secret "kv/x" }}{{ .Data.password }}{{ end }}\n' +
        '{{ range service "db" }}{{ .Address | printf "%s" }}{{ end }}\n' +
        '{{ define "x" }}{{ key "a/b" }}{{ end }}{{ "key" }} {{ env "HOME" }}',
    );
    expect(calledFunctions(t)).toEqual([
      { name: 'secret', line: 1, column: 9 },
      { name: 'service', line: 2, column: 10 },
      { name: 'printf', line: 2, column: 39 },
      { name: 'key', line: 3, column: 20 },
      { name: 'env', line: 3, column: 56 },
    ]);
  });

  it('does not count fields, variables, strings or comments', () => {
    const t = parseTemplate('{{ $key := .key }}{{/* secret */}}{{ "service" }}{{ $key }}');
    expect(calledFunctions(t)).toEqual([]);
  });

  it('counts functions at the head of a chain and inside parentheses', () => {
    const t = parseTemplate('{{ (nomadVar "a").user }}{{ scratch.Get "x" }}');
    expect(calledFunctions(t).map((f) => f.name)).toEqual(['nomadVar', 'scratch']);
  });

  it('consulVaultCalls keeps only the Consul and Vault lookups', () => {
    const t = parseTemplate(
      '{{ env "A" }}\n{{ with secret "kv/x" }}{{ .Data.p | toUpper }}{{ end }}{{ keyOrDefault "k" "d" }}',
    );
    expect(consulVaultCalls(t)).toEqual([
      { name: 'secret', line: 2, column: 9 },
      { name: 'keyOrDefault', line: 2, column: 60 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { SourceRange } from '../../src/diag/range.js';
import type { Attribute, Block, Expression, TemplateExpr } from '../../src/hcl/ast.js';
import { MAX_DEPTH, parseExpression, parseHCL } from '../../src/hcl/parser.js';
import { bodyLines, sexpr } from './sexpr.js';

function attrExpr(src: string): Expression {
  const { file, diagnostics } = parseHCL(`x = ${src}\n`, 't.hcl');
  expect(diagnostics.map((d) => `${d.summary}: ${d.detail}`)).toEqual([]);
  const item = file.body.items[0]!;
  expect(item.kind).toBe('Attribute');
  return (item as Attribute).expr;
}

/** `line:col-line:col` */
function span(r: SourceRange): string {
  return `${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column}`;
}

function errors(src: string): string[] {
  const { diagnostics } = parseHCL(src, 't.hcl');
  return diagnostics.map((d) => `${d.range!.start.line}:${d.range!.start.column} ${d.summary}`);
}

describe('parseHCL: expressions', () => {
  const cases: [string, string][] = [
    // literals
    ['1', '1'],
    ['1.5e3', '1.5e3'],
    ['true', 'true'],
    ['null', 'null'],
    // precedence: || < && < == != < < <= > >= < + - < * / %, all left-associative
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['1 * 2 + 3', '(+ (* 1 2) 3)'],
    ['a - b - c', '(- (- a b) c)'],
    ['a % b / c * d', '(* (/ (% a b) c) d)'],
    ['a || b && c', '(|| a (&& b c))'],
    ['a && b || c', '(|| (&& a b) c)'],
    ['a == b != c', '(!= (== a b) c)'],
    ['a < b == c >= d', '(== (< a b) (>= c d))'],
    ['a + b <= c * d', '(<= (+ a b) (* c d))'],
    ['a > b && c != d', '(&& (> a b) (!= c d))'],
    // unary operators bind tighter than any binary one, and take traversals with them
    ['!a && -b', '(&& (! a) (- b))'],
    ['-46 + 5', '(+ (- 46) 5)'],
    ['- - 1', '(- (- 1))'],
    ['-a.b[0]', '(- ([] (. a b) 0))'],
    ['!a == b', '(== (! a) b)'],
    // conditionals nest to the right and sit below every binary operator
    ['a ? b : c', '(? a b c)'],
    ['a ? b : c ? d : e', '(? a b (? c d e))'],
    ['a ? b ? c : d : e', '(? a (? b c d) e)'],
    ['a || b ? c + 1 : d', '(? (|| a b) (+ c 1) d)'],
    ['(a + b) * c', '(* (paren (+ a b)) c)'],
    ['(\n  a\n  + b\n)', '(paren (+ a b))'],
    // traversals
    ['a.b.c', '(. (. a b) c)'],
    ['a[0]["k"][b + 1]', '([] ([] ([] a 0) (tpl "k")) (+ b 1))'],
    ['a[\n  0\n]', '([] a 0)'],
    ['a.0', '([] a 0 legacy)'],
    ['a.0.b', '(. ([] a 0 legacy) b)'],
    ['true.x', '(. true x)'],
    // splats: `.*` carries only .attr steps, `[*]` carries every following step
    ['a.*', '(.* a @)'],
    ['a.*.b.c[0]', '([] (.* a (. (. @ b) c)) 0)'],
    ['a.*.b.0', '(.* a ([] (. @ b) 0 legacy))'],
    ['a[*]', '([*] a @)'],
    ['a[*].b[0].c', '([*] a (. ([] (. @ b) 0) c))'],
    ['a[*][*].b', '([*] a ([*] @ (. @ b)))'],
    ['a[*].b.*.c', '([*] a (.* (. @ b) (. @ c)))'],
    // function calls
    ['f()', '(call f)'],
    ['f(1, "a",)', '(call f 1 (tpl "a"))'],
    ['f(a, b...)', '(call f a b ...)'],
    ['f(\n  1,\n  2\n)', '(call f 1 2)'],
    ['f(g(h(1)))', '(call f (call g (call h 1)))'],
    ['p::q::r(1)', '(call p::q::r 1)'],
    ['f(1).x', '(. (call f 1) x)'],
    // tuples
    ['[]', '[]'],
    ['[1, 2,]', '[1 2]'],
    ['[\n  1,\n  2\n]', '[1 2]'],
    ['[[1], [2, [3]]]', '[[1] [2 [3]]]'],
    // objects
    ['{}', '{}'],
    ['{ a = 1, b = 2 }', '{bare:a=1 bare:b=2}'],
    ['{\n  a = 1\n  b = 2\n}', '{bare:a=1 bare:b=2}'],
    ['{ a = 1, b = 2, }', '{bare:a=1 bare:b=2}'],
    ['{ "a" : 1 }', '{(tpl "a"):1}'],
    ['{ (a) = 1 }', '{(paren a)=1}'],
    ['{ a.b = 1 }', '{(. a b)=1}'],
    ['{ 1 = 2, true = 3 }', '{1=2 true=3}'],
    ['{ a = { b = [1,\n  2] } }', '{bare:a={bare:b=[1 2]}}'],
    ['{ "for" = 1 }', '{(tpl "for")=1}'],
    // for expressions
    ['[for v in l : v]', '(for ,v l v)'],
    ['[for i, v in l : v if i < 2]', '(for i,v l v if (< i 2))'],
    ['{for k, v in m : k => v}', '(for k,v m k => v)'],
    ['{for k, v in m : v => k... if k != ""}', '(for k,v m v => k... if (!= k (tpl "")))'],
    ['{\n  for k, v in m :\n  k => v\n}', '(for k,v m k => v)'],
    ['[for x in [for y in z : y] : x].0', '([] (for ,x (for ,y z y) x) 0 legacy)'],
    ['[(for), a]', '[(paren for) a]'],
  ];
  it.each(cases)('%j', (src, want) => {
    expect(sexpr(attrExpr(src))).toBe(want);
  });
});

describe('parseHCL: templates', () => {
  const cases: [string, string][] = [
    ['"a"', '(tpl "a")'],
    ['""', '(tpl "")'],
    ['"a${b}c"', '(tpl "a" ${b} "c")'],
    ['"${a}"', '(tpl ${a})'],
    ['"${a}${b}"', '(tpl ${a} ${b})'],
    ['"${ f("x", "${y}") }"', '(tpl ${(call f (tpl "x") (tpl ${y}))})'],
    // escapes
    ['"\\n\\r\\t\\"\\\\"', '(tpl "\\n\\r\\t\\"\\\\")'],
    ['"\\u00e9\\U0001F600"', '(tpl "é😀")'],
    // literal text is in Unicode normal form C, as hcl's cty strings are
    ['"e\u0301 and \\u0065\\u0301"', '(tpl "\u00e9 and \u00e9")'],
    ['"$${a} %%{b} $a %a $$ $"', '(tpl "${a} %{b} $a %a $$ $")'],
    ['"$$$${a}"', '(tpl "$$${a}")'],
    ['"a\\\\${b}"', '(tpl "a\\\\" ${b})'],
    // strip markers trim the whitespace of the neighbouring literal
    ['"x ${~ a ~} y"', '(tpl "x" ${~a~} "y")'],
    ['"x \\n${~a}"', '(tpl "x" ${~a})'],
    ['"${a ~}  ${b}"', '(tpl ${a~} "" ${b})'],
    ['"${a} ${~b}"', '(tpl ${a} "" ${~b})'],
    // directives
    ['"%{if a}x%{else}y%{endif}"', '(tpl %if(a then "x" else "y"))'],
    ['"%{ if a }x%{ endif }"', '(tpl %if(a then "x"))'],
    ['"%{if a}%{endif}"', '(tpl %if(a then ))'],
    ['"%{for v in l}${v},%{endfor}"', '(tpl %for(,v in l: ${v} ","))'],
    ['"%{for k, v in m}${k}%{endfor}"', '(tpl %for(k,v in m: ${k}))'],
    [
      '"%{if a}%{for x in y}[${x}]%{endfor}%{else}none%{endif}"',
      '(tpl %if(a then %for(,x in y: "[" ${x} "]") else "none"))',
    ],
    ['"%{ if a ~}  x  %{~ endif ~}  z"', '(tpl %if(a then "x") "z")'],
    ['"a %{~ if b ~} c %{~ else ~} d %{~ endif ~} e"', '(tpl "a" %if(b then "c" else "d") "e")'],
  ];
  it.each(cases)('%j', (src, want) => {
    expect(sexpr(attrExpr(src))).toBe(want);
  });

  it('records strip markers on directives', () => {
    const t = attrExpr('"%{~ if a ~}x%{ else ~}y%{~ endif }"') as TemplateExpr;
    expect(t.parts[0]).toMatchObject({
      kind: 'TemplateIf',
      strip: [
        { left: true, right: true },
        { left: false, right: true },
        { left: true, right: false },
      ],
    });
    const f = attrExpr('"%{for x in y ~}a%{~ endfor}"') as TemplateExpr;
    expect(f.parts[0]).toMatchObject({
      kind: 'TemplateFor',
      strip: [
        { left: false, right: true },
        { left: true, right: false },
      ],
    });
  });

  const heredocs: [string, string, string][] = [
    ['plain', '<<EOT\nhello\n  ${name}\nEOT', '(tpl "hello\\n  " ${name} "\\n")'],
    ['empty', '<<EOT\nEOT', '(tpl "")'],
    ['backslashes are literal', '<<EOT\na\\nb $${c}\nEOT', '(tpl "a\\\\nb ${c}\\n")'],
    ['indented closing marker', '<<EOT\nx\n    EOT', '(tpl "x\\n")'],
    [
      'flush removes the common indentation',
      '<<-EOT\n    a\n      b\n    EOT',
      '(tpl "a\\n  b\\n")',
    ],
    [
      'flush ignores blank lines',
      '<<-EOT\n    a\n\n      \n    b\n  EOT',
      '(tpl "a\\n\\n      \\nb\\n")',
    ],
    ['flush counts a tab as one character', '<<-EOT\n  a\n\tb\n  EOT', '(tpl " a\\nb\\n")'],
    [
      'flush: a line starting with an interpolation counts as unindented',
      '<<-EOT\n  a\n${b}\nEOT',
      '(tpl "  a\\n" ${b} "\\n")',
    ],
    [
      'flush applies to the static text only',
      '<<-EOT\n    a ${b}\n    c\n    EOT',
      '(tpl "a " ${b} "\\nc\\n")',
    ],
    [
      'a strip marker reaches the previous line end',
      '<<EOT\nfoo\n${~ x}\nEOT',
      '(tpl "foo" ${~x} "\\n")',
    ],
    [
      'a strip marker reaches only into its own line',
      '<<EOT\n%{ if a ~}\n  x\n%{ endif }\nEOT',
      '(tpl %if(a then "  x\\n") "\\n")',
    ],
    [
      'flush after a strip marker (hcl keeps the next line as is)',
      '<<-EOT\n    a\n    %{ if b ~}\n      c\n    %{ endif ~}\n    d\n    EOT',
      '(tpl "a\\n" %if(b then "      c\\n") "    d\\n")',
    ],
    ['CRLF line endings are kept', '<<EOT\r\nwin\r\nEOT', '(tpl "win\\r\\n")'],
  ];
  it.each(heredocs)('heredoc: %s', (_name, src, want) => {
    const expr = attrExpr(src);
    expect(sexpr(expr)).toBe(want);
  });

  it('records the heredoc marker and flush flag', () => {
    expect((attrExpr('<<-EOF\nx\nEOF') as TemplateExpr).heredoc).toEqual({
      marker: 'EOF',
      flush: true,
    });
    expect((attrExpr('<<EOT\nx\nEOT') as TemplateExpr).heredoc).toEqual({
      marker: 'EOT',
      flush: false,
    });
    expect((attrExpr('"x"') as TemplateExpr).heredoc).toBeUndefined();
  });

  it('heredocs work inside function calls and collections', () => {
    expect(sexpr(attrExpr('f(<<EOT\nx\nEOT\n, 1)'))).toBe('(call f (tpl "x\\n") 1)');
    expect(sexpr(attrExpr('{\n  a = <<EOT\nx\nEOT\n  b = 1\n}'))).toBe(
      '{bare:a=(tpl "x\\n") bare:b=1}',
    );
  });
});

describe('parseHCL: bodies', () => {
  const cases: [string, string, string[]][] = [
    ['attributes', 'a = 1\nb = "x"\n', ['a = 1', 'b = (tpl "x")']],
    ['no final newline', 'a = 1', ['a = 1']],
    [
      'blocks with quoted and bare labels',
      'job "web" {\n  group api "x\\"y" {\n    count = 2\n  }\n}\n',
      ['job "web" {', '  group api "x\\"y" {', '    count = 2', '  }', '}'],
    ],
    ['an empty block', 'a {}\nb "x" {\n}\n', ['a {', '}', 'b "x" {', '}']],
    ['a one-line block', 'a "x" { b = 1 }\nc = 2', ['a "x" {', '  b = 1', '}', 'c = 2']],
    ['a one-line block with an object', 'a { b = { c = 1 } }', ['a {', '  b = {bare:c=1}', '}']],
    [
      'comments everywhere',
      '# head\na = 1 // trailing\n/* block */ b = 2\nc { # after brace\n  /* multi\n  line */\n  d = [1, # inside\n    2]\n}\n',
      ['a = 1', 'b = 2', 'c {', '  d = [1 2]', '}'],
    ],
    ['CRLF line endings', 'a = 1\r\nb {\r\n  c = 2\r\n}\r\n', ['a = 1', 'b {', '  c = 2', '}']],
    ['a byte order mark', '\uFEFFa = 1\n', ['a = 1']],
    ['blank lines and trailing comment without newline', '\n\n  a = 1\n\n# end', ['a = 1']],
  ];
  it.each(cases)('%s', (_name, src, want) => {
    const { file, diagnostics } = parseHCL(src, 't.hcl');
    expect(diagnostics).toEqual([]);
    expect(bodyLines(file.body)).toEqual(want);
  });

  it('keeps every token, comments and newlines included', () => {
    const src = 'a = 1 # c\n';
    const { file } = parseHCL(src, 't.hcl');
    expect(file.tokens.map((t) => t.type)).toEqual([
      'Ident',
      'Equal',
      'Number',
      'Comment',
      'Newline',
      'EOF',
    ]);
    expect(file.filename).toBe('t.hcl');
  });
});

describe('parseHCL: ranges', () => {
  const src = 'job "web" {\n  count = 3\n  name  = "a${b}c"\n}\n';
  const { file } = parseHCL(src, 'j.hcl');
  const job = file.body.items[0] as Block;
  const count = job.body.items[0] as Attribute;
  const name = job.body.items[1] as Attribute;

  it('covers blocks, labels and braces', () => {
    expect(span(job.range)).toBe('1:1-4:2');
    expect(span(job.typeRange)).toBe('1:1-1:4');
    expect(job.labels.map((l) => [l.value, l.quoted, span(l.range)])).toEqual([
      ['web', true, '1:5-1:10'],
    ]);
    expect(span(job.openBraceRange)).toBe('1:11-1:12');
    expect(span(job.closeBraceRange)).toBe('4:1-4:2');
    expect(span(job.body.range)).toBe('1:11-4:2');
    expect(job.range.filename).toBe('j.hcl');
  });

  it('covers attributes from the name to the end of the value', () => {
    expect(span(count.range)).toBe('2:3-2:12');
    expect(span(count.nameRange)).toBe('2:3-2:8');
    expect(span(count.equalsRange)).toBe('2:9-2:10');
    expect(span(count.expr.range)).toBe('2:11-2:12');
    expect(count.expr.range.start.byte).toBe(22);
  });

  it('covers template parts', () => {
    const t = name.expr as TemplateExpr;
    expect(span(t.range)).toBe('3:11-3:19');
    expect(t.parts.map((p) => `${p.kind} ${span(p.range)}`)).toEqual([
      'TemplateLiteral 3:12-3:13',
      'TemplateInterp 3:13-3:17',
      'TemplateLiteral 3:17-3:18',
    ]);
  });

  it('covers the file body', () => {
    expect(span(file.body.range)).toBe('1:1-5:1');
  });

  const exprRanges: [string, string, (e: Expression) => SourceRange, string][] = [
    ['binary', 'a + b * c', (e) => e.range, '1:5-1:14'],
    ['conditional', 'a ? b : c', (e) => e.range, '1:5-1:14'],
    ['unary', '-a.b', (e) => e.range, '1:5-1:9'],
    ['paren', '(a)', (e) => e.range, '1:5-1:8'],
    ['get attr name', 'a.bc', (e) => (e.kind === 'GetAttr' ? e.nameRange : e.range), '1:7-1:9'],
    ['index', 'a[1]', (e) => e.range, '1:5-1:9'],
    ['full splat', 'a[*].c', (e) => e.range, '1:5-1:11'],
    ['full splat each', 'a[*].c', (e) => (e.kind === 'Splat' ? e.each.range : e.range), '1:6-1:11'],
    ['attr splat', 'a.*.b.c', (e) => e.range, '1:5-1:12'],
    ['call', 'f(1, 2)', (e) => e.range, '1:5-1:12'],
    ['call name', 'f(1, 2)', (e) => (e.kind === 'FunctionCall' ? e.nameRange : e.range), '1:5-1:6'],
    ['tuple', '[1, 2]', (e) => e.range, '1:5-1:11'],
    [
      'object item',
      '{ a = 1 }',
      (e) => (e.kind === 'Object' ? e.items[0]!.range : e.range),
      '1:7-1:12',
    ],
    ['for', '[for x in y : x]', (e) => e.range, '1:5-1:21'],
    ['heredoc', '<<EOT\nx\nEOT', (e) => e.range, '1:5-3:4'],
    [
      'flush heredoc literal starts after the removed indentation',
      '<<-EOT\n   x\n    y\n  EOT',
      (e) => (e.kind === 'Template' ? e.parts[0]!.range : e.range),
      '2:4-4:1',
    ],
    [
      'unicode columns',
      '"é😀" + b',
      (e) => (e.kind === 'Binary' ? e.right.range : e.range),
      '1:12-1:13',
    ],
  ];
  it.each(exprRanges)('%s', (_name, exprSrc, pick, want) => {
    expect(span(pick(attrExpr(exprSrc)))).toBe(want);
  });
});

describe('parseHCL: a quoted key in a block', () => {
  it('says that a key with dots goes in a map', () => {
    const { diagnostics } = parseHCL('meta {\n  "drover.after" = "db"\n}\n', 't.hcl');
    expect(diagnostics.map((d) => d.detail)).toEqual([
      expect.stringContaining('meta = { "drover.after" = "db" }'),
    ]);
  });
});

describe('parseHCL: syntax errors', () => {
  const cases: [string, string, string[]][] = [
    ['two values on one line', 'a = 1 2', ['1:7 Missing newline after argument']],
    ['commas between arguments', 'a = 1, b = 2', ['1:6 Unexpected comma after argument']],
    ['a missing value', 'a =\nb = 1', ['1:4 Invalid expression']],
    ['a missing value at the end', 'a = ', ['1:5 Missing expression']],
    ['a quoted argument name', '"a" = 1', ['1:1 Invalid argument name']],
    ['a name alone', 'a\nb = 1', ['1:1 Argument or block definition required']],
    ['a stray closing brace', 'a = 1\n}\nb = 2', ['2:1 Argument or block definition required']],
    ['a stray token', 'a = 1\n[\nb = 2', ['2:1 Argument or block definition required']],
    ['= after block labels', 'a "x" = {\n}', ['1:7 Invalid block definition']],
    ['a brace on the next line', 'a "x"\n{\n  b = 1\n}\nc = 2', ['1:6 Invalid block definition']],
    ['an unclosed block', 'a {\n  b = 1\n', ['1:3 Unclosed configuration block']],
    [
      'an unclosed nested block',
      'a {\n  b {\n    c = 1\n}\n',
      ['1:3 Unclosed configuration block'],
    ],
    [
      'two arguments in a one-line block',
      'a { b = 1, c = 2 }',
      ['1:10 Invalid single-argument block definition'],
    ],
    [
      'a one-line block closed on another line',
      'a { b = 1\n}',
      ['1:10 Invalid single-argument block definition'],
    ],
    ['a nested block in a one-line block', 'a { b {} }', ['1:5 Argument definition required']],
    [
      'a missing newline after a block',
      'a {} b = 1',
      ['1:6 Missing newline after block definition'],
    ],
    ['a missing tuple comma', 'a = [1 2]', ['1:8 Missing item separator']],
    ['an unclosed tuple', 'a = [1,', ['1:8 Missing expression']],
    [
      'an unclosed tuple after an item',
      'a = [1',
      ['1:5 Unterminated tuple constructor expression'],
    ],
    ['a missing argument comma', 'a = f(1 2)', ['1:9 Missing argument separator']],
    ['an unclosed call', 'a = f(1', ['1:5 Unterminated function call']],
    ['an expansion not last', 'a = f(x..., y)', ['1:8 Missing closing parenthesis']],
    ['a missing object separator', 'a = { b = 1 c = 2 }', ['1:13 Missing attribute separator']],
    ['a missing object equals', 'a = { b c }', ['1:9 Missing key/value separator']],
    ['an object key alone', 'a = {\n  b\n}', ['2:4 Missing attribute value']],
    ['an unclosed object', 'a = { b = 1', ['1:5 Unterminated object constructor expression']],
    ['unbalanced parentheses', 'a = (1 2)', ['1:8 Unbalanced parentheses']],
    ['a dot with no name', 'a = b.\nc = 1', ['1:7 Invalid attribute name']],
    ['a nested attribute splat', 'a = b.*.*', ['1:9 Nested splat expression not allowed']],
    ['a chained legacy index', 'a = b.0.1', ['1:7 Invalid legacy index syntax']],
    ['an unclosed index', 'a = b[1}', ['1:8 Missing close bracket on index']],
    ['a bad splat', 'a = b[*x]', ['1:8 Missing close bracket on splat index']],
    ['a bad number', 'a = 1.2.3', ['1:5 Invalid number literal']],
    ['a number too large', 'a = 1e99999', ['1:5 Invalid number literal']],
    ['a lone carriage return in a string', 'a = "x\ry"\nb = 1', ['1:7 Invalid multi-line string']],
    [
      'a conditional without false branch',
      'a = x ? y\n',
      ['1:10 Missing false expression in conditional'],
    ],
    ['a for without colon', 'a = [for x in y]', ["1:16 Invalid 'for' expression"]],
    ['a for without in', 'a = [for x y : x]', ["1:12 Invalid 'for' expression"]],
    ['a key in a tuple for', 'a = [for k, v in y : k => v]', ["1:22 Invalid 'for' expression"]],
    ['grouping in a tuple for', 'a = [for v in y : v...]', ["1:20 Invalid 'for' expression"]],
    ['an object for without key', 'a = {for v in y : v}', ["1:19 Invalid 'for' expression"]],
    ['for used as an object key', 'a = { for = 1 }', ["1:11 Invalid 'for' expression"]],
    ['an unterminated string', 'a = "abc\nb = 2', ['1:5 Unterminated template string']],
    ['an unterminated string at the end', 'a = "abc', ['1:5 Unterminated template string']],
    [
      'an unclosed interpolation',
      'a = "${b"\nc = 1',
      ['1:6 Unclosed template interpolation sequence'],
    ],
    [
      'extra characters in an interpolation',
      'a = "${b c}"',
      ['1:10 Extra characters after interpolation expression'],
    ],
    [
      'a colon in an interpolation',
      'a = "${b:c}"',
      ['1:9 Extra characters after interpolation expression'],
    ],
    ['a directive without keyword', 'a = "%{ 1 }"', ['1:9 Invalid template directive']],
    [
      'an unknown directive',
      'a = "%{ iff x }%{ endif }"',
      ['1:9 Invalid template control keyword'],
    ],
    [
      'extra characters in a directive',
      'a = "%{ else x }"',
      ['1:14 Extra characters in else marker'],
    ],
    ['an unclosed if', 'a = "%{ if x }y"', ['1:16 Unexpected end of template']],
    ['an unclosed for', 'a = "%{ for v in l }y"', ['1:22 Unexpected end of template']],
    ['a stray endif', 'a = "x%{ endif }"', ['1:7 Unexpected endif directive']],
    [
      'endfor closing an if',
      'a = "%{ if x }%{ endfor }%{ endif }"',
      ['1:15 Unexpected endfor directive'],
    ],
    [
      'else in a for',
      'a = "%{ for x in y }%{ else }%{ endfor }"',
      ['1:21 Unexpected else directive'],
    ],
    ['two elses', 'a = "%{if x}%{else}%{else}%{endif}"', ['1:20 Unexpected else directive']],
    ['a bad escape', 'a = "x\\qy"', ['1:7 Invalid escape sequence']],
    ['a short unicode escape', 'a = "\\u12"', ['1:6 Invalid escape sequence']],
    ['an unencodable escape', 'a = "\\UFFFFFFFF"', ['1:6 Invalid escape sequence']],
    ['an unterminated heredoc', 'a = <<EOT\nabc\n', ['1:5 Unterminated template string']],
    [
      'a heredoc marker without newline',
      'a = <<EOT\nabc\nEOT',
      ['1:5 Unterminated template string'],
    ],
    ['template sequences in a label', 'a "x${y}" {}', ['1:5 Invalid string literal']],
    ['an unterminated label', 'a "x\n{}', ['1:3 Unterminated string literal']],
    ['a namespace without call', 'a = b::c', ['1:9 Missing open parenthesis']],
    ['an attribute set twice', 'a = 1\na = 2', ['2:1 Attribute redefined']],
    ['single quotes', "a = 'x'", ['1:5 Invalid character']],
    ['a bitwise operator', 'a = b & c', ['1:7 Unsupported operator']],
    ['an unterminated comment', 'a = 1\n/* x', ['2:1 Unterminated comment']],
  ];
  it.each(cases)('%s', (_name, src, want) => {
    expect(errors(src)).toEqual(want);
  });

  it('gives hcl-style details', () => {
    const { diagnostics } = parseHCL('a = 1\na = 2', 'f.hcl');
    expect(diagnostics[0]!.detail).toBe(
      'The argument "a" was already set at f.hcl:1,1-2. Each argument may be set only once.',
    );
    const [d] = parseHCL('a = "%{ iff x }%{ endif }"', 'f.hcl').diagnostics;
    expect(d!.detail).toBe('"iff" is not a valid template control keyword. Did you mean "if"?');
    const [m] = parseHCL('a = <<EOT\nabc\nEOT', 'f.hcl').diagnostics;
    expect(m!.detail).toContain('must be followed by a newline');
  });

  it('names the block whose closing brace is probably missing, by indentation', () => {
    const detail = (src: string) =>
      parseHCL(src, 'f.hcl').diagnostics.map((d) => `${span(d.range!)} ${d.detail}`);
    const hint = (header: string, at: string, brace: string) =>
      ` Judging by indentation, the block ${header} opened at ${at} is probably the one missing its closing brace: the "}" at ${brace} that closed it is indented like an enclosing block's.`;
    const plain =
      'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.';
    // The outer block is still the one reported (it reached the end of the file), but the
    // inner block, closed by the brace meant for `job`, is named.
    const one = [
      'job "x" {',
      '  group "g" {',
      '    task "web" {',
      '      driver = "docker"',
      '    }',
      '',
      '    task "db" {',
      '      driver = "docker"',
      '',
      '  }',
      '}',
      '',
    ].join('\n');
    expect(detail(one)).toEqual([`1:9-1:10 ${plain}${hint('task "db"', '7:5', '10:3')}`]);

    // Two braces missing: each unclosed block (innermost first) names its own suspect.
    const two = [
      'job "x" {',
      '  group "g" {',
      '    task "web" {',
      '      config {',
      '        image = "x"',
      '',
      '    }',
      '  }',
      '',
    ].join('\n');
    expect(detail(two)).toEqual([
      `1:9-1:10 ${plain}${hint('task "web"', '3:5', '8:3')}`,
      `2:13-2:14 ${plain}${hint('config', '4:7', '7:5')}`,
    ]);

    // A block that is really the last one open gets no guess.
    expect(detail('a {\n  b {\n    c = 1\n  }\n')).toEqual([`1:3-1:4 ${plain}`]);
  });

  it('gives the exact range of a bad escape', () => {
    const [d] = parseHCL('a = "é\\qy"', 'f.hcl').diagnostics;
    expect(span(d!.range!)).toBe('1:7-1:9');
    expect(d!.range!.start.byte).toBe(7);
  });

  it('never reports an invalid character twice', () => {
    expect(errors('a = b ; c\nd = `x`\n')).toEqual([
      '1:7 Invalid character',
      '2:5 Invalid character',
    ]);
  });
});

describe('parseHCL: recovery', () => {
  it('reports independent mistakes on different lines and keeps the rest', () => {
    const src = [
      'job "web" {',
      '  datacenters = ["dc1" "dc2"]',
      '  group "api" {',
      '    count = 3 4',
      '    task "t" {',
      '      driver = "docker',
      '      config {',
      '        image = "nginx"',
      '      }',
      '    }',
      '  }',
      '  type = "service"',
      '}',
      '',
    ].join('\n');
    const { file, diagnostics } = parseHCL(src, 'j.hcl');
    expect(
      diagnostics.map((d) => `${d.range!.start.line}:${d.range!.start.column} ${d.summary}`),
    ).toEqual([
      '2:24 Missing item separator',
      '4:15 Missing newline after argument',
      '6:16 Unterminated template string',
    ]);
    expect(bodyLines(file.body)).toEqual([
      'job "web" {',
      '  datacenters = [(tpl "dc1")]',
      '  group "api" {',
      '    count = 3',
      '    task "t" {',
      '      driver = (tpl "docker")',
      '      config {',
      '        image = (tpl "nginx")',
      '      }',
      '    }',
      '  }',
      '  type = (tpl "service")',
      '}',
    ]);
  });

  it('recovers after a bad value that stops before the closing brace', () => {
    expect(errors('a {\n  b = }\nc = 1\n')).toEqual(['2:7 Invalid expression']);
    const { file } = parseHCL('a {\n  b = }\nc = 1\n', 't.hcl');
    expect(bodyLines(file.body)).toEqual(['a {', '  b = <invalid>', '}', 'c = 1']);
  });

  it('marks recovered spots with Invalid nodes', () => {
    const { file } = parseHCL('a = [1, *, 3]\n', 't.hcl');
    expect(sexpr((file.body.items[0] as Attribute).expr)).toBe('[1 <invalid>]');
  });
});

describe('parseHCL: pathological input', () => {
  const deep = 5000;
  const cases: [string, string][] = [
    ['brackets', `a = ${'['.repeat(deep)}`],
    ['closed brackets', `a = ${'['.repeat(deep)}${']'.repeat(deep)}`],
    ['parentheses', `a = ${'('.repeat(deep)}1${')'.repeat(deep)}`],
    ['objects', `a = ${'{a='.repeat(deep)}`],
    ['unary operators', `a = ${'!'.repeat(deep)}x`],
    ['conditionals', `a = ${'x ? y : '.repeat(deep)}z`],
    ['templates', `a = ${'"${'.repeat(deep)}x${'}"'.repeat(deep)}`],
    ['blocks', `${'a {\n'.repeat(deep)}${'}\n'.repeat(deep)}`],
    ['splats', `a = x${'[*]'.repeat(deep)}`],
    ['calls', `a = ${'f('.repeat(deep)}`],
    // chains build trees as deep as they are long, which later stages walk recursively
    ['operator chains', `a = ${'1 + '.repeat(deep)}1`],
    ['attribute chains', `a = x${'.b'.repeat(deep)}`],
    ['index chains', `a = x${'[0]'.repeat(deep)}`],
    ['splat chains', `a = x.*${'.b'.repeat(deep)}`],
  ];
  it.each(cases)('stops deep %s with one diagnostic', (_name, src) => {
    const { diagnostics } = parseHCL(src, 't.hcl');
    expect(diagnostics.map((d) => d.summary)).toEqual(['Nesting too deep']);
  });

  it('accepts nesting just under the limit', () => {
    const n = MAX_DEPTH - 2;
    const { diagnostics } = parseHCL(`a = ${'['.repeat(n)}${']'.repeat(n)}\n`, 't.hcl');
    expect(diagnostics).toEqual([]);
  });

  it('handles thousands of unclosed directives and long operator chains', () => {
    const ifs = parseHCL(`a = "${'%{if x}'.repeat(5000)}"`, 't.hcl');
    expect(ifs.diagnostics.length).toBeLessThanOrEqual(3);
    const sum = parseHCL(`a = ${'1 + '.repeat(MAX_DEPTH - 2)}1\nb = 1`, 't.hcl');
    expect(sum.diagnostics).toEqual([]);
  });

  it('terminates without throwing on mangled input', () => {
    const base =
      'job "x" {\n  a = [for k, v in m : "${k}=%{if v}y%{endif}" if k != ""]\n  b = <<-EOT\n    ${c.*.d[0]}\n  EOT\n  e { f = g(h...) }\n}\n';
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '(',
      ')',
      '"',
      '${',
      '%{',
      '~}',
      '<<EOT\n',
      '\n',
      '.',
      '*',
      ',',
      '?',
      ':',
      '=',
      '#',
      '/*',
      '\\',
    ];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      let src = base;
      for (let k = 0; k < 1 + rand(4); k++) {
        const at = rand(src.length);
        src =
          rand(2) === 0
            ? src.slice(0, at) + pieces[rand(pieces.length)]! + src.slice(at)
            : src.slice(0, at) + src.slice(at + 1 + rand(3));
      }
      const { file, diagnostics } = parseHCL(src, 'f.hcl');
      expect(file.kind).toBe('File');
      for (const d of diagnostics) expect(d.range!.start.line).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('parseExpression', () => {
  it('parses a standalone expression, ignoring newlines', () => {
    const { expr, diagnostics } = parseExpression('[1,\n 2]', 'v');
    expect(diagnostics).toEqual([]);
    expect(sexpr(expr)).toBe('[1 2]');
    expect(sexpr(parseExpression('a\n+ b', 'v').expr)).toBe('(+ a b)');
    expect(sexpr(parseExpression('{ a = 1, b = "x" }', 'v').expr)).toBe(
      '{bare:a=1 bare:b=(tpl "x")}',
    );
  });

  it('reports extra characters after the expression', () => {
    const { diagnostics } = parseExpression('1 2', 'v');
    expect(diagnostics.map((d) => `${d.range!.start.column} ${d.summary}`)).toEqual([
      '3 Extra characters after expression',
    ]);
  });

  it('reports an empty expression', () => {
    expect(parseExpression('', 'v').diagnostics.map((d) => d.summary)).toEqual([
      'Missing expression',
    ]);
  });
});

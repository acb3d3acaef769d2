import { describe, expect, it } from 'vitest';
import type { Token } from '../../src/hcl/ast.js';
import { lex } from '../../src/hcl/lexer.js';

/** Tokens as `Type:text`, without the final EOF. */
function tokens(src: string): string[] {
  const { tokens } = lex(src, 't.hcl');
  expect(tokens[tokens.length - 1]!.type).toBe('EOF');
  return tokens.slice(0, -1).map((t) => `${t.type}:${t.text}`);
}

function where(t: Token): string {
  const { start, end } = t.range;
  return `${start.line}:${start.column}:${start.byte}-${end.line}:${end.column}:${end.byte}`;
}

/** Rebuilds the source from the tokens and the gaps between their byte ranges. */
function rebuild(src: string, toks: Token[]): string {
  const bytes = Buffer.from(src, 'utf8');
  let out = '';
  let at = 0;
  for (const t of toks) {
    out += bytes.toString('utf8', at, t.range.start.byte) + t.text;
    at = t.range.end.byte;
  }
  return out + bytes.toString('utf8', at);
}

describe('lex: token kinds and texts', () => {
  const cases: [string, string, string[]][] = [
    ['attribute', 'a = 1', ['Ident:a', 'Equal:=', 'Number:1']],
    ['identifiers with dashes and unicode', 'foo-bar_1 ñandú', ['Ident:foo-bar_1', 'Ident:ñandú']],
    ['a dash-digit run stays in the identifier', 'a-1', ['Ident:a-1']],
    [
      'operators',
      '== != <= >= && || ! < > + - * / %',
      [
        'Op:==',
        'Op:!=',
        'Op:<=',
        'Op:>=',
        'Op:&&',
        'Op:||',
        'Op:!',
        'Op:<',
        'Op:>',
        'Op:+',
        'Op:-',
        'Star:*',
        'Op:/',
        'Op:%',
      ],
    ],
    [
      'punctuation',
      '{ } [ ] ( ) , . ... = : ? =>',
      [
        'OBrace:{',
        'CBrace:}',
        'OBrack:[',
        'CBrack:]',
        'OParen:(',
        'CParen:)',
        'Comma:,',
        'Dot:.',
        'Ellipsis:...',
        'Equal:=',
        'Colon::',
        'Question:?',
        'FatArrow:=>',
      ],
    ],
    ['integers and decimals', '1 1.5 10.25', ['Number:1', 'Number:1.5', 'Number:10.25']],
    ['exponents', '1e5 1.5E-3 2e+10', ['Number:1e5', 'Number:1.5E-3', 'Number:2e+10']],
    ['a number does not end in a dot', '1.', ['Number:1', 'Dot:.']],
    ['an e without digits is not an exponent', '1e', ['Number:1', 'Ident:e']],
    ['dotted digit runs are one number (as in hcl)', 'a.0.1', ['Ident:a', 'Dot:.', 'Number:0.1']],
    ['legacy index', 'a.0.b', ['Ident:a', 'Dot:.', 'Number:0', 'Dot:.', 'Ident:b']],
    ['hash comment excludes the newline', '# hi\na', ['Comment:# hi', 'Newline:\n', 'Ident:a']],
    ['slash comment before CRLF', '// hi\r\na', ['Comment:// hi', 'Newline:\r\n', 'Ident:a']],
    ['block comment spans lines', 'a /* x\ny */ b', ['Ident:a', 'Comment:/* x\ny */', 'Ident:b']],
    ['simple string', '"abc"', ['OQuote:"', 'QuotedLit:abc', 'CQuote:"']],
    ['empty string', '""', ['OQuote:"', 'CQuote:"']],
    ['escaped quote stays inside', '"a\\"b"', ['OQuote:"', 'QuotedLit:a\\"b', 'CQuote:"']],
    [
      'interpolation',
      '"a${b}c"',
      [
        'OQuote:"',
        'QuotedLit:a',
        'TemplateInterp:${',
        'Ident:b',
        'TemplateSeqEnd:}',
        'QuotedLit:c',
        'CQuote:"',
      ],
    ],
    [
      'strip markers',
      '"${~ b ~}"',
      ['OQuote:"', 'TemplateInterp:${~', 'Ident:b', 'TemplateSeqEnd:~}', 'CQuote:"'],
    ],
    [
      'directive',
      '"%{if x}y%{endif}"',
      [
        'OQuote:"',
        'TemplateControl:%{',
        'Ident:if',
        'Ident:x',
        'TemplateSeqEnd:}',
        'QuotedLit:y',
        'TemplateControl:%{',
        'Ident:endif',
        'TemplateSeqEnd:}',
        'CQuote:"',
      ],
    ],
    [
      'escaped openers are literal text',
      '"$${a} %%{b} $c %"',
      ['OQuote:"', 'QuotedLit:$${a} %%{b} $c %', 'CQuote:"'],
    ],
    [
      'braces inside an interpolation are counted',
      '"${ {a=1}["a"] }"',
      [
        'OQuote:"',
        'TemplateInterp:${',
        'OBrace:{',
        'Ident:a',
        'Equal:=',
        'Number:1',
        'CBrace:}',
        'OBrack:[',
        'OQuote:"',
        'QuotedLit:a',
        'CQuote:"',
        'CBrack:]',
        'TemplateSeqEnd:}',
        'CQuote:"',
      ],
    ],
    [
      'nested strings',
      '"${f("x")}"',
      [
        'OQuote:"',
        'TemplateInterp:${',
        'Ident:f',
        'OParen:(',
        'OQuote:"',
        'QuotedLit:x',
        'CQuote:"',
        'CParen:)',
        'TemplateSeqEnd:}',
        'CQuote:"',
      ],
    ],
    [
      'heredoc: one literal per line, marker and newline apart',
      'a = <<EOT\nx\n  y\nEOT\n',
      [
        'Ident:a',
        'Equal:=',
        'OHeredoc:<<EOT\n',
        'QuotedLit:x\n',
        'QuotedLit:  y\n',
        'CHeredoc:EOT',
        'Newline:\n',
      ],
    ],
    [
      'flush heredoc with an indented marker',
      '<<-EOT\n  x\n  EOT\n',
      ['OHeredoc:<<-EOT\n', 'QuotedLit:  x\n', 'CHeredoc:  EOT', 'Newline:\n'],
    ],
    [
      'heredoc with CRLF',
      '<<EOT\r\nx\r\nEOT\r\n',
      ['OHeredoc:<<EOT\r\n', 'QuotedLit:x\r\n', 'CHeredoc:EOT', 'Newline:\r\n'],
    ],
    [
      'heredoc with interpolation',
      '<<EOT\na${b}\nEOT\n',
      [
        'OHeredoc:<<EOT\n',
        'QuotedLit:a',
        'TemplateInterp:${',
        'Ident:b',
        'TemplateSeqEnd:}',
        'QuotedLit:\n',
        'CHeredoc:EOT',
        'Newline:\n',
      ],
    ],
    [
      'marker text inside a line does not close the heredoc',
      '<<EOT\nx EOT\nEOTX\nEOT\n',
      ['OHeredoc:<<EOT\n', 'QuotedLit:x EOT\n', 'QuotedLit:EOTX\n', 'CHeredoc:EOT', 'Newline:\n'],
    ],
    ['<< without a marker line is two operators', 'a << b', ['Ident:a', 'Op:<', 'Op:<', 'Ident:b']],
    [
      'an unterminated string ends at the end of its line',
      'a = "abc\nb = 1',
      [
        'Ident:a',
        'Equal:=',
        'OQuote:"',
        'QuotedLit:abc',
        'Newline:\n',
        'Ident:b',
        'Equal:=',
        'Number:1',
      ],
    ],
    [
      'an unterminated string also leaves its interpolation',
      'a = "${x"\nb',
      [
        'Ident:a',
        'Equal:=',
        'OQuote:"',
        'TemplateInterp:${',
        'Ident:x',
        'OQuote:"',
        'Newline:\n',
        'Ident:b',
      ],
    ],
    ['a stray ~} is a sequence end', '~}', ['TemplateSeqEnd:~}']],
    [
      'invalid characters',
      "a & 'b' ;",
      ['Ident:a', 'Invalid:&', "Invalid:'", 'Ident:b', "Invalid:'", 'Invalid:;'],
    ],
  ];
  it.each(cases)('%s', (_name, src, want) => {
    expect(tokens(src)).toEqual(want);
  });
});

describe('lex: positions', () => {
  it('counts columns in code points and bytes in UTF-8', () => {
    const { tokens } = lex('a = "é😀" + b', 't.hcl');
    const b = tokens.find((t) => t.text === 'b')!;
    expect(where(b)).toBe('1:12:15-1:13:16');
    const lit = tokens.find((t) => t.type === 'QuotedLit')!;
    expect(where(lit)).toBe('1:6:5-1:8:11');
  });

  it('starts a new line after LF and CRLF and counts a tab as one column', () => {
    const { tokens } = lex('a\r\n\tb\nc', 't.hcl');
    expect(tokens.map(where)).toEqual([
      '1:1:0-1:2:1',
      '1:2:1-2:1:3',
      '2:2:4-2:3:5',
      '2:3:5-3:1:6',
      '3:1:6-3:2:7',
      '3:2:7-3:2:7',
    ]);
  });

  it('skips a byte order mark: bytes move on, columns do not', () => {
    const { tokens, diagnostics } = lex('\uFEFFa = 1', 't.hcl');
    expect(diagnostics).toEqual([]);
    expect(where(tokens[0]!)).toBe('1:1:3-1:2:4');
  });

  it('places heredoc tokens on their lines', () => {
    const { tokens } = lex('x = <<EOT\nab\n  EOT\n', 't.hcl');
    expect(tokens.slice(2).map((t) => `${t.type} ${where(t)}`)).toEqual([
      'OHeredoc 1:5:4-2:1:10',
      'QuotedLit 2:1:10-3:1:13',
      'CHeredoc 3:1:13-3:6:18',
      'Newline 3:6:18-4:1:19',
      'EOF 4:1:19-4:1:19',
    ]);
  });
});

describe('lex: every character is in a token or a gap of spaces', () => {
  const samples = [
    'job "x" {\n  a = 1 # c\n  b = "é${x}😀"\r\n}\n',
    '\uFEFFa = <<-EOT\n  x ${y} %{ if z ~}w%{ endif }\n  EOT\n',
    'a = [for k, v in m : "${k}=${v}" if v != null]\n/* end */',
    "a = \"unterminated\nb = 'x' & ` ~ \r c",
    '\t\ta\t=\t"\\u00e9"\n',
  ];
  it.each(samples)('%j', (src) => {
    const { tokens } = lex(src, 't.hcl');
    expect(rebuild(src, tokens)).toBe(src);
    for (let k = 1; k < tokens.length; k++) {
      expect(tokens[k]!.range.start.byte).toBeGreaterThanOrEqual(tokens[k - 1]!.range.end.byte);
    }
  });
});

describe('lex: diagnostics', () => {
  const cases: [string, string, string[]][] = [
    ['single quotes: reported once per pair', "a = 'b'", ['1:5 Invalid character']],
    [
      'bitwise operators',
      'a = b | c & d',
      ['1:7 Unsupported operator', '1:11 Unsupported operator'],
    ],
    ['a tilde', 'a = ~b', ['1:5 Unsupported operator']],
    ['semicolons: reported once', 'a = 1;\nb = 2;', ['1:6 Invalid character']],
    ['backticks', 'a = `x`', ['1:5 Invalid character']],
    ['other characters', 'a = b @ c', ['1:7 Invalid character']],
    ['a lone carriage return', 'a = 1\rb', ['1:6 Invalid character']],
    ['a lone carriage return in a string', 'a = "x\ry"', ['1:7 Invalid multi-line string']],
    [
      'a lone carriage return in a heredoc',
      'a = <<EOT\nx\ry\nEOT\n',
      ['2:2 Invalid multi-line string'],
    ],
    ['an unterminated block comment', 'a = 1\n/* no end', ['2:1 Unterminated comment']],
  ];
  it.each(cases)('%s', (_name, src, want) => {
    const { diagnostics } = lex(src, 't.hcl');
    expect(
      diagnostics.map((d) => `${d.range!.start.line}:${d.range!.start.column} ${d.summary}`),
    ).toEqual(want);
  });

  it('explains what to use instead', () => {
    const { diagnostics } = lex('a = b & c', 't.hcl');
    expect(diagnostics[0]!.detail).toBe(
      'Bitwise operators are not supported. Did you mean boolean AND ("&&")?',
    );
  });
});

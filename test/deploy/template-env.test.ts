import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/deploy/template-env.js';

// Cases from hashicorp/go-envparse's parseLine tests (what Nomad reads env templates with).
describe('parseEnvFile', () => {
  it.each([
    ['FoO=', 'FoO', ''],
    ['F_O= ', 'F_O', ''],
    ['FOO=bar', 'FOO', 'bar'],
    ['export FOO=bar', 'FOO', 'bar'],
    [' FOO = bar baz ', 'FOO', 'bar baz'],
    ['export FOO = bar', 'FOO', 'bar'],
    ['A1B2C3=a1b2c3', 'A1B2C3', 'a1b2c3'],
    ['FOO=bar # ok', 'FOO', 'bar'],
    ['FOO=#bar#', 'FOO', ''],
    ['FOO= # bar ', 'FOO', ''],
    ['FOO="bar#"', 'FOO', 'bar#'],
    ['FOO="bar\\n"', 'FOO', 'bar\n'],
    ['FOO="bar\\n" # comment', 'FOO', 'bar\n'],
    ['FOO = " bar\\t" ', 'FOO', ' bar\t'],
    ["FOO='bar#'", 'FOO', 'bar#'],
    ["FOO='\\n' # empty", 'FOO', '\\n'],
    ["FOO='' # empty", 'FOO', ''],
    ["FOO=normal'single ' ", 'FOO', 'normalsingle '],
    ['FOO= "double\\\\" normal # "EOL"', 'FOO', 'double\\ normal'],
    ['U1=\u{1F525}', 'U1', '\u{1F525}'],
    ["_=x' ' ", '_', 'x '],
  ])('%j → %s=%j', (line, key, value) => {
    expect(parseEnvFile(line)).toEqual({ [key]: value });
  });

  it('reads several lines, skipping blank lines and comments; a later key wins', () => {
    expect(parseEnvFile('# settings\nA=1\n\n  # more\nB="two words"\nA=3\n')).toEqual({
      A: '3',
      B: 'two words',
    });
  });

  it.each([
    ['FOO', 'line 1: missing "="'],
    ['=x', 'line 1: empty key'],
    ['1A=x', 'key must start with [A-Za-z_]'],
    ['A="open', 'unmatched "'],
    ["A='open", "unmatched '"],
    ['A="\\x"', 'invalid escape sequence'],
    ['A=a\tb', 'invalid value character'],
  ])('refuses %j, naming the line', (text, message) => {
    expect(() => parseEnvFile(`OK=1\n${text}`.split('\n').reverse().join('\n'))).toThrow(message);
  });
});

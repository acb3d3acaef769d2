import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { EvalScope, evaluate, freeReferences } from '../../src/hcl/eval.js';
import { parseExpression } from '../../src/hcl/parser.js';
import type { Value } from '../../src/hcl/value.js';
import { fails, ok, scopeWith } from './eval-support.js';

const data = scopeWith({
  variables: {
    obj: { a: { b: [10, 20] }, 'k-1': 'v' },
    list: [{ n: 1 }, { n: 2 }],
    n: null,
    s: 'str',
    k: 'z',
  },
});

describe('literals and templates', () => {
  it.each<[string, Value]>([
    ['1', 1],
    ['1.5e3', 1500],
    ['true', true],
    ['null', null],
    ['"a"', 'a'],
    ['"a${1}b"', 'a1b'],
    ['"${1}"', 1], // template wrap: the value itself, unconverted
    ['"${true}"', true],
    ['"${[1, 2]}"', [1, 2]],
    ['"x${true}"', 'xtrue'],
    ['"x${1.5}"', 'x1.5'],
    ['"x${1e21}"', 'x1000000000000000000000'],
    ['"x${0.000001}"', 'x0.000001'],
    ['"x${-0}"', 'x0'],
    ['"%{if true}yes%{else}no%{endif}"', 'yes'],
    ['"%{if false}yes%{else}no%{endif}"', 'no'],
    ['"%{if false}yes%{endif}"', ''],
    ['"%{for x in [1, 2]}${x},%{endfor}"', '1,2,'],
    ['"%{for k, v in {b = 2, a = 1}}${k}=${v};%{endfor}"', 'a=1;b=2;'],
    ['"a  %{~ if true ~}  b  %{~ endif ~}  c"', 'abc'],
    ['"a  ${~ "b" ~}  c"', 'abc'],
    ['"  ${~ 1 ~}  "', '1'],
    ['<<EOT\nhello ${"world"}\nEOT\n', 'hello world\n'],
    ['<<-EOT\n    indented\n      more\n    EOT\n', 'indented\n  more\n'],
  ])('%s', (src, want) => {
    expect(ok(src)).toEqual(want);
  });

  it.each<[string, string[]]>([
    ['"a${[1]}"', ['Invalid template interpolation value @ 1:5-1:8']],
    ['"a${null}"', ['Invalid template interpolation value @ 1:5-1:9']],
    ['"%{if null}x%{endif}"', ['Null condition @ 1:7-1:11']],
    ['"%{if 1}x%{endif}"', ['Incorrect condition type @ 1:7-1:8']],
    ['"%{for x in 5}x%{endfor}"', ['Iteration over non-iterable value @ 1:13-1:14']],
  ])('%s fails', (src, want) => {
    expect(fails(src).where).toEqual(want);
  });
});

describe('operators', () => {
  it.each<[string, Value]>([
    ['1 + 2', 3],
    ['"1" + 2', 3],
    ['5 - 7', -2],
    ['2 * 3.5', 7],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['1 < 2', true],
    ['2 <= 2', true],
    ['3 > 4', false],
    ['3 >= 4', false],
    ['"10" > 9', true],
    ['1 == 1', true],
    ['1 == "1"', false],
    ['[1, { a = 2 }] == [1, { a = 2 }]', true],
    ['{ a = 1 } != { a = 2 }', true],
    ['null == null', true],
    ['"a" != null', true],
    ['true && false', false],
    ['false || true', true],
    ['"true" && true', true],
    ['false && undefined_thing', false], // short-circuit
    ['true || undefined_thing', true],
    ['!true', false],
    ['-(3)', -3],
    ['-"4"', -4],
  ])('%s', (src, want) => {
    expect(ok(src)).toEqual(want);
  });

  it.each<[string, string, string]>([
    [
      'true + 1',
      'Invalid operand @ 1:1-1:5',
      'Unsuitable value for left operand: a number is required.',
    ],
    [
      '1 + "a"',
      'Invalid operand @ 1:5-1:8',
      'Unsuitable value for right operand: a number is required.',
    ],
    [
      '1 - null',
      'Invalid operand @ 1:5-1:9',
      'Unsuitable value for right operand: a number is required, but the value is null.',
    ],
    [
      '[1] < 2',
      'Invalid operand @ 1:1-1:4',
      'Unsuitable value for left operand: a number is required.',
    ],
    ['1 / 0', 'Operation failed @ 1:1-1:6', "Error during operation: can't divide by zero."],
    ['1 % 0', 'Operation failed @ 1:1-1:6', "Error during operation: can't use modulo by zero."],
    [
      '1 && true',
      'Invalid operand @ 1:1-1:2',
      'Unsuitable value for left operand: a bool is required.',
    ],
    [
      'true && 1',
      'Invalid operand @ 1:9-1:10',
      'Unsuitable value for right operand: a bool is required.',
    ],
    ['!1', 'Invalid operand @ 1:2-1:3', 'Unsuitable value for unary operand: a bool is required.'],
    [
      '-true',
      'Invalid operand @ 1:2-1:6',
      'Unsuitable value for unary operand: a number is required.',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src);
    expect(r.where).toEqual([where]);
    expect(r.details).toEqual([detail]);
  });
});

describe('conditionals', () => {
  it.each<[string, Value]>([
    ['true ? 1 : 2', 1],
    ['false ? 1 : "x"', 'x'],
    ['true ? 1 : "x"', '1'], // types unify to string, as in HCL
    ['"false" ? 1 : 2', 2],
    ['true ? "ok" : nowhere.to.be.found', 'ok'], // only the chosen branch is evaluated
    ['true ? [1] : 2', [1]],
    ['false ? null : 3', 3],
  ])('%s', (src, want) => {
    expect(ok(src)).toEqual(want);
  });

  it.each<[string, string]>([
    ['null ? 1 : 2', 'Null condition @ 1:1-1:5'],
    ['"yes" ? 1 : 2', 'Incorrect condition type @ 1:1-1:6'],
    ['true ? 1 : false', 'Inconsistent conditional result types @ 1:1-1:17'],
    ['false ? 1 : [1][3]', 'Invalid index @ 1:16-1:19'],
  ])('%s fails', (src, where) => {
    expect(fails(src).where).toEqual([where]);
  });
});

describe('tuples and objects', () => {
  it.each<[string, Value]>([
    ['[1, "a", null, [true]]', [1, 'a', null, [true]]],
    ['{ a = 1, "b c" = 2, (k) = 3 }', { a: 1, 'b c': 2, z: 3 }],
    ['{ a: 1, b: 2 }', { a: 1, b: 2 }],
    ['{ true = 1, null = 2 }', { true: 1, null: 2 }],
    ['{ 1 = "one" }', { '1': 'one' }],
    ['{ ("${k}-x") = 1 }', { 'z-x': 1 }],
    ['{ __proto__ = 1 }.__proto__', 1],
  ])('%s', (src, want) => {
    expect(ok(src, data)).toEqual(want);
  });

  it.each<[string, string]>([
    ['{ (null) = 1 }', 'Null value as key @ 1:3-1:9'],
    ['{ ([1]) = 1 }', 'Incorrect key type @ 1:3-1:8'],
    ['{ a.b = 1 }', 'Ambiguous attribute key @ 1:3-1:6'],
    ['[1, nope, 2]', 'Unknown variable @ 1:5-1:9'],
  ])('%s fails', (src, where) => {
    expect(fails(src, data).where).toEqual([where]);
  });
});

describe('for expressions', () => {
  it.each<[string, Value]>([
    ['[for x in [1, 2, 3] : x * 2]', [2, 4, 6]],
    ['[for i, x in ["a", "b"] : "${i}${x}"]', ['0a', '1b']],
    ['[for x in [1, 2, 3, 4] : x if x % 2 == 0]', [2, 4]],
    ['[for k, v in { b = 2, a = 1 } : "${k}${v}"]', ['a1', 'b2']],
    ['{ for k, v in { a = 1, b = 2 } : v => k }', { '1': 'a', '2': 'b' }],
    ['{ for x in ["a", "b", "a"] : x => x... }', { a: ['a', 'a'], b: ['b'] }],
    ['{ for i, x in ["a", "b"] : x => i if i > 0 }', { b: 1 }],
    ['[for x in [] : x]', []],
    ['[for x in list : x.n]', [1, 2]],
  ])('%s', (src, want) => {
    expect(ok(src, data)).toEqual(want);
  });

  it.each<[string, string, string]>([
    [
      '{ for x in ["a", "a"] : x => 1 }',
      'Duplicate object key @ 1:25-1:26',
      'Two different items produced the key "a"',
    ],
    ['[for x in null : x]', 'Iteration over null value @ 1:11-1:15', 'A null value cannot be used'],
    [
      '[for x in "abc" : x]',
      'Iteration over non-iterable value @ 1:11-1:16',
      'A value of type string cannot be used',
    ],
    [
      '[for x in [1] : x if null]',
      "Invalid 'for' condition @ 1:22-1:26",
      "The value of the 'if' clause must not be null.",
    ],
    [
      '[for x in [1] : x if "y"]',
      "Invalid 'for' condition @ 1:22-1:25",
      "The 'if' clause value is invalid",
    ],
    [
      '{ for x in [1] : null => x }',
      'Invalid object key @ 1:18-1:22',
      "Key expression in 'for' expression must not produce a null value.",
    ],
    [
      '{ for x in [1] : [x] => x }',
      'Invalid object key @ 1:18-1:21',
      'The key expression produced an invalid result',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, data);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('attribute, index and splat', () => {
  it.each<[string, Value]>([
    ['obj.a.b[1]', 20],
    ['obj.a.b.0', 10],
    ['obj["a"]["b"]', [10, 20]],
    ['obj["k-1"]', 'v'],
    ['obj.a.b["1"]', 20],
    ['list[1].n', 2],
    ['list[*].n', [1, 2]],
    ['list.*.n', [1, 2]],
    ['list[*]', [{ n: 1 }, { n: 2 }]],
    ['n[*]', []], // splat of null: empty tuple
    ['obj.a[*].b', [[10, 20]]], // splat of a non-list: the value wrapped
    ['s[*]', ['str']],
    ['[[1, 2], [3]][*][0]', [1, 3]],
  ])('%s', (src, want) => {
    expect(ok(src, data)).toEqual(want);
  });

  it.each<[string, string, string]>([
    [
      'obj.nope',
      'Unsupported attribute @ 1:5-1:9',
      'This object does not have an attribute named "nope".',
    ],
    ['obj.a.b.x', 'Unsupported attribute @ 1:9-1:10', 'This value does not have any attributes.'],
    [
      'list.n',
      'Unsupported attribute @ 1:6-1:7',
      'Can\'t access attributes on a list of objects. Did you mean to access attribute "n"',
    ],
    [
      's.x',
      'Unsupported attribute @ 1:3-1:4',
      "Can't access attributes on a primitive-typed value (string).",
    ],
    ['n.x', 'Attempt to get attribute from null value @ 1:3-1:4', 'This value is null'],
    ['n[0]', 'Attempt to index null value @ 1:2-1:5', 'This value is null'],
    [
      'obj.a.b[2]',
      'Invalid index @ 1:8-1:11',
      'the given index is greater than or equal to the length of the collection.',
    ],
    [
      'obj.a.b[-1]',
      'Invalid index @ 1:8-1:12',
      'a negative number is not a valid index for a sequence.',
    ],
    ['obj.a.b[0.5]', 'Invalid index @ 1:8-1:13', 'the given index has a fractional part.'],
    ['obj.a.b["x"]', 'Invalid index @ 1:8-1:13', 'a number is required.'],
    ['[][0]', 'Invalid index @ 1:3-1:6', 'the collection has no elements.'],
    [
      'obj["zz"]',
      'Invalid index @ 1:4-1:10',
      'The given key does not identify an element in this collection value.',
    ],
    ['obj[null]', 'Invalid index @ 1:4-1:10', "Can't use a null value as an indexing key."],
    ['s[0]', 'Invalid index @ 1:2-1:5', 'This value does not have any indices.'],
    [
      'list[*].x',
      'Unsupported attribute @ 1:9-1:10',
      'This object does not have an attribute named "x".',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, data);
    expect(r.where).toEqual([where, ...(src === 'list[*].x' ? [where] : [])]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('function calls', () => {
  it.each<[string, Value]>([
    ['upper("a")', 'A'],
    ['max([1, 5, 3]...)', 5],
    ['max(1, [7, 2]...)', 7],
    ['join("-", ["a", "b"])', 'a-b'],
    ['format("%s=%d", "a", 1)', 'a=1'],
    ['try(obj.nope, "fallback")', 'fallback'],
    ['try(obj.a.b[0], "fallback")', 10],
    ['can(obj.nope)', false],
    ['can(obj.a)', true],
    ['convert("5", number)', 5],
    ['convert([1, 2], list(string))', ['1', '2']],
    ['convert({ a = "1" }, object({ a = number, b = optional(string, "d") }))', { a: 1, b: 'd' }],
  ])('%s', (src, want) => {
    expect(ok(src, data)).toEqual(want);
  });

  it.each<[string, string, string]>([
    [
      'uper("a")',
      'Call to unknown function @ 1:1-1:5',
      'There is no function named "uper". Did you mean "upper"?',
    ],
    [
      'upper()',
      'Not enough function arguments @ 1:7-1:8',
      'Function "upper" expects 1 argument(s). Missing value for "str".',
    ],
    [
      'upper("a", "b")',
      'Too many function arguments @ 1:12-1:15',
      'Function "upper" expects only 1 argument(s).',
    ],
    [
      'upper([1])',
      'Invalid function argument @ 1:7-1:10',
      'Invalid value for "str" parameter: string required.',
    ],
    [
      'upper(null)',
      'Invalid function argument @ 1:7-1:11',
      'Invalid value for "str" parameter: argument must not be null.',
    ],
    [
      'max(1, "x")',
      'Invalid function argument @ 1:8-1:11',
      'Invalid value for "numbers" parameter: a number is required.',
    ],
    [
      'max(null...)',
      'Invalid expanding argument value @ 1:5-1:9',
      'The expanding argument (indicated by ...) must not be null.',
    ],
    [
      'max(1...)',
      'Invalid expanding argument value @ 1:5-1:6',
      'must be of a tuple, list, or set type.',
    ],
    [
      'element([], 0)',
      'Error in function call @ 1:1-1:15',
      'Call to function "element" failed: cannot use element function with an empty list.',
    ],
    [
      'try(obj.nope, obj.nope2)',
      'Error in function call @ 1:1-1:25',
      'no expression succeeded:\n- Unsupported attribute (at test.hcl:1,9-13)',
    ],
    [
      'convert({ a = "x" }, object({ a = number }))',
      'Invalid function argument @ 1:9-1:20',
      'Invalid value for "value" parameter: attribute "a": a number is required.',
    ],
    [
      'convert(1, lisst(string))',
      'Invalid type specification @ 1:12-1:17',
      'Keyword "lisst" is not a valid type constructor.',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, data);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });

  it('reports a call where functions are not allowed', () => {
    const scope = EvalScope.create();
    expect(fails('upper("a")', scope).where).toEqual(['Function calls not allowed @ 1:1-1:11']);
  });
});

describe('deferred references (Nomad keeps unknown names for the client)', () => {
  const nomad = scopeWith({
    variables: { var: { x: '1', list: ['a'] }, local: { y: 2 } },
    deferUnknown: true,
  });

  it.each<[string, Value]>([
    ['"${attr.kernel.name}"', '${attr.kernel.name}'],
    ['"${node.unique.name}"', '${node.unique.name}'],
    ['"${node.datacenter}"', '${node.datacenter}'],
    ['"${meta.rack}"', '${meta.rack}'],
    ['"${NOMAD_PORT_http}"', '${NOMAD_PORT_http}'],
    ['"${NOMAD_ALLOC_INDEX}"', '${NOMAD_ALLOC_INDEX}'],
    ['"${env["X"]}"', '${env["X"]}'],
    ['"${device.model}"', '${device.model}'],
    ['"${unique.hostname}"', '${unique.hostname}'],
    ['"${ attr.kernel.name }"', '${attr.kernel.name}'],
    [
      '"${attr.platform.aws.placement.availability-zone}"',
      '${attr.platform.aws.placement.availability-zone}',
    ],
    ['"${attr.unique.network.ip-address.0}"', '${attr.unique.network.ip-address.0}'],
    ['"prefix-${node.unique.name}-${var.x}-${local.y}"', 'prefix-${node.unique.name}-1-2'],
    ['attr.kernel.name', '${attr.kernel.name}'],
    ['upper(node.class)', '${NODE.CLASS}'],
    ['attr.kernel.name == "linux"', false],
    ['[for v in var.list : "${v}-${NOMAD_ALLOC_ID}"]', ['a-${NOMAD_ALLOC_ID}']],
  ])('%s', (src, want) => {
    expect(ok(src, nomad)).toEqual(want);
  });

  it('keeps the exact source spelling when the source text is at hand', () => {
    const src = '"${env[ "X" ]}"';
    const scope = scopeWith({ deferUnknown: true, sourceText: () => src });
    expect(ok(src, scope)).toBe('${env[ "X" ]}');
  });

  it.each<[string, string, string]>([
    [
      'var.undefined_name',
      'Reference to undeclared input variable @ 1:1-1:19',
      'An input variable with the name "undefined_name" has not been declared.',
    ],
    ['"${var.nope}"', 'Reference to undeclared input variable @ 1:4-1:12', 'has not been declared'],
    ['"a ${var.xx}"', 'Reference to undeclared input variable @ 1:6-1:12', 'Did you mean "x"?'],
    [
      'local.nope',
      'Reference to undeclared local value @ 1:1-1:11',
      'A local value with the name "nope" has not been declared.',
    ],
    ['"${meta[var.x]}"', 'Invalid index @ 1:8-1:15', 'This value does not have any indices.'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, nomad);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });

  it('without deferral an unknown name is an error at the name', () => {
    const r = fails('"${attr.kernel.name}"', scopeWith({ variables: { attrs: 1 } }));
    expect(r.where).toEqual(['Unknown variable @ 1:4-1:8']);
    expect(r.details).toEqual(['There is no variable named "attr". Did you mean "attrs"?']);
  });

  it('where variables are not allowed any reference is an error', () => {
    const r = fails('var.x', scopeWith({ variablesAllowed: false }));
    expect(r.where).toEqual(['Variables not allowed @ 1:1-1:4']);
  });
});

describe('scopes and references', () => {
  it('child scopes shadow their parents', () => {
    const parent = scopeWith({ variables: { a: 1, b: 2 } });
    const child = parent.child({ a: 10 });
    expect(ok('a + b', child)).toBe(12);
    expect(ok('a + b', parent)).toBe(3);
  });

  it('finds the free references of an expression', () => {
    const { expr } = parseExpression(
      '"${var.a}" == [for x in local.l : x.y if var.b["c"]][0] ? upper(attr.k.n) : "%{for i in z}${i}${q}%{endfor}"',
      'r.hcl',
    );
    const refs = freeReferences(expr).map((r) => `${r.root}${r.first ? `.${r.first}` : ''}`);
    expect(refs).toEqual(['var.a', 'local.l', 'var.b', 'attr.k', 'z', 'q']);
  });

  it('evaluates with diagnostics collected, never throwing, for an invalid node', () => {
    const { expr } = parseExpression('1 +', 'bad.hcl');
    const diags = new Diagnostics();
    expect(() => evaluate(expr, scopeWith(), diags)).not.toThrow();
  });
});

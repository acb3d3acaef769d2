/**
 * Go text/template execution, table-driven. Cases and expected outputs come from Go's
 * src/text/template/exec_test.go (execTests, cmpTests, TestMissingMapKey, TestExecError,
 * TestJSEscaping, TestTree, TestDelims), with its test data rebuilt as template values.
 */
import { describe, expect, it } from 'vitest';
import { sprint } from '../../src/template/fmt.js';
import { struct, type Value } from '../../src/template/values.js';
import { errorOf, render, renderData } from './support.js';

const U = struct('*template.U', { V: 'v' }, { methods: { TrueFalse: (b) => (b ? 'true' : '') } });

/** Go's tVal, as far as template values can express it. */
const tVal: Value = struct(
  '*template.T',
  {
    True: true,
    I: 17n,
    U16: 16n,
    X: 'x',
    S: 'xyz',
    U,
    FloatZero: 0,
    SI: [3n, 4n, 5n],
    SIEmpty: [],
    SB: [true, false],
    AI: [3n, 4n, 5n],
    MSI: { one: 1n, two: 2n, three: 3n },
    MSIone: { one: 1n },
    MSIEmpty: {},
    MXI: {},
    SMSI: [
      { one: 1n, two: 2n },
      { eleven: 11n, twelve: 12n },
    ],
    Empty0: null,
    Empty1: 3n,
    Empty2: 'empty2',
    Empty3: [7n, 8n],
    Empty4: struct('*template.UinEmpty', { V: 'UinEmpty' }),
    PSI: [21n, 22n, 23n],
    BinaryFunc: (a, b) => `[${sprint([a])}=${sprint([b])}]`,
    VariadicFunc: (...s) => `<${s.map((x) => sprint([x])).join('+')}>`,
    NilOKFunc: (p) => p === null,
    ErrFunc: () => 'bla',
    Str: struct('*bytes.Buffer', {}, { string: () => 'foozle' }),
  },
  {
    methods: {
      Method0: () => 'M0',
      Method1: (a) => a ?? null,
      Method2: (a, b) => `Method2: ${sprint([a])} ${sprint([b])}`,
      Method3: (a) => `Method3: ${sprint([a ?? null])}`,
      MAdd: (a, l) => (l as bigint[]).map((x) => (a as bigint) + x),
      GetU: () => U,
      Copy: () => tVal,
      MyError: (fail) => {
        if (fail) throw new Error('my error');
        return false;
      },
    },
  },
);

/** [name, input, output, data, ok] */
type Case = [string, string, string, Value, boolean];

const execTests: Case[] = [
  // Trivial cases.
  ['empty', '', '', null, true],
  ['text', 'some text', 'some text', null, true],
  ['nil action', '{{nil}}', '', null, false],
  // Ideal constants.
  ['ideal int', '{{printf "%T %d" 123 123}}', 'int 123', null, true],
  ['ideal float', '{{printf "%T %.1f" 1.0 1.0}}', 'float64 1.0', null, true],
  ['ideal exp float', '{{printf "%T %.1f" 1e1 1e1}}', 'float64 10.0', null, true],
  ['ideal nil without type', '{{nil}}', '', null, false],
  ['ideal nil with type', '{{printf "%T" nil}}', '<nil>', null, true],
  ['ideal hex float', '{{printf "%T %.1f" 0x1p1 0x1p1}}', 'float64 2.0', null, true],
  ['ideal negative int', '{{printf "%T %d" -12 -12}}', 'int -12', null, true],
  ['ideal char', "{{printf \"%T %d\" 'a' 'a'}}", 'int 97', null, true],
  // Fields of structs.
  ['.X', '-{{.X}}-', '-x-', tVal, true],
  ['.U.V', '-{{.U.V}}-', '-v-', tVal, true],
  // Fields on maps.
  ['map .one', '{{.MSI.one}}', '1', tVal, true],
  ['map .two', '{{.MSI.two}}', '2', tVal, true],
  ['map .NO', '{{.MSI.NO}}', '<no value>', tVal, true],
  ['map missing key', '{{.MXI.one}}', '<no value>', tVal, true],
  ['map .WRONG args', '{{.MSI.one 1}}', '', tVal, false],
  // Dots of all kinds to test basic evaluation.
  ['dot int', '<{{.}}>', '<13>', 13n, true],
  ['dot float', '<{{.}}>', '<15.1>', 15.1, true],
  ['dot bool', '<{{.}}>', '<true>', true, true],
  ['dot string', '<{{.}}>', '<hello>', 'hello', true],
  ['dot slice', '<{{.}}>', '<[-1 -2 -3]>', [-1n, -2n, -3n], true],
  ['dot map', '<{{.}}>', '<map[two:22]>', { two: 22n }, true],
  ['dot struct', '<{{.}}>', '<{7 seven}>', struct('struct', { a: 7n, b: 'seven' }), true],
  // Variables.
  ['$ int', '{{$}}', '123', 123n, true],
  ['$.I', '{{$.I}}', '17', tVal, true],
  ['$.U.V', '{{$.U.V}}', 'v', tVal, true],
  ['declare in action', '{{$x := $.U.V}}{{$x}}', 'v', tVal, true],
  ['simple assignment', '{{$x := 2}}{{$x = 3}}{{$x}}', '3', tVal, true],
  ['nested assignment', '{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}', '3', tVal, true],
  [
    'nested assignment changes the last declaration',
    '{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}',
    '1',
    tVal,
    true,
  ],
  // Type with String method.
  ['V{6666}.String()', '-{{.Str}}-', '-foozle-', tVal, true],
  // Empty interfaces holding values.
  ['empty nil', '{{.Empty0}}', '<no value>', tVal, true],
  ['empty with int', '{{.Empty1}}', '3', tVal, true],
  ['empty with string', '{{.Empty2}}', 'empty2', tVal, true],
  ['empty with slice', '{{.Empty3}}', '[7 8]', tVal, true],
  ['empty with struct', '{{.Empty4}}', '{UinEmpty}', tVal, true],
  ['empty with struct, field', '{{.Empty4.V}}', 'UinEmpty', tVal, true],
  // Edge cases with <no value> with an interface value.
  ['field on interface', '{{.foo}}', '<no value>', null, true],
  ['field on parenthesized interface', '{{(.).foo}}', '<no value>', null, true],
  ['unparenthesized non-function', '{{1 2}}', '', null, false],
  ['parenthesized non-function', '{{(1) 2}}', '', null, false],
  ['parenthesized non-function with no args', '{{(1)}}', '1', null, true],
  // Method calls.
  ['.Method0', '-{{.Method0}}-', '-M0-', tVal, true],
  ['.Method1(1234)', '-{{.Method1 1234}}-', '-1234-', tVal, true],
  ['.Method1(.I)', '-{{.Method1 .I}}-', '-17-', tVal, true],
  ['.Method2(3, .X)', '-{{.Method2 3 .X}}-', '-Method2: 3 x-', tVal, true],
  ['.Method2(.U16, `str`)', '-{{.Method2 .U16 `str`}}-', '-Method2: 16 str-', tVal, true],
  [
    '.Method2(.U16, $x)',
    '{{if $x := .X}}-{{.Method2 .U16 $x}}{{end}}-',
    '-Method2: 16 x-',
    tVal,
    true,
  ],
  ['.Method3(nil constant)', '-{{.Method3 nil}}-', '-Method3: <nil>-', tVal, true],
  [
    'method on var',
    '{{if $x := .}}-{{$x.Method2 .U16 $x.X}}{{end}}-',
    '-Method2: 16 x-',
    tVal,
    true,
  ],
  [
    'method on chained var',
    '{{range .MSIone}}{{if $.U.TrueFalse $.True}}{{$.U.TrueFalse $.True}}{{else}}WRONG{{end}}{{end}}',
    'true',
    tVal,
    true,
  ],
  [
    'chained method',
    '{{range .MSIone}}{{if $.GetU.TrueFalse $.True}}{{$.U.TrueFalse $.True}}{{else}}WRONG{{end}}{{end}}',
    'true',
    tVal,
    true,
  ],
  [
    'chained method on variable',
    '{{with $x := .}}{{with .SI}}{{$.GetU.TrueFalse $.True}}{{end}}{{end}}',
    'true',
    tVal,
    true,
  ],
  ['.NilOKFunc not nil', '{{call .NilOKFunc .PSI}}', 'false', tVal, true],
  ['.NilOKFunc nil', '{{call .NilOKFunc nil}}', 'true', tVal, true],
  // Function call builtin.
  ['.BinaryFunc', '{{call .BinaryFunc `1` `2`}}', '[1=2]', tVal, true],
  ['.VariadicFunc0', '{{call .VariadicFunc}}', '<>', tVal, true],
  ['.VariadicFunc2', '{{call .VariadicFunc `he` `llo`}}', '<he+llo>', tVal, true],
  [
    'if .BinaryFunc call',
    '{{ if .BinaryFunc}}{{call .BinaryFunc `1` `2`}}{{end}}',
    '[1=2]',
    tVal,
    true,
  ],
  [
    'if not .BinaryFunc call',
    '{{ if not .BinaryFunc}}{{call .BinaryFunc `1` `2`}}{{else}}No{{end}}',
    'No',
    tVal,
    true,
  ],
  ['.ErrFunc', '{{call .ErrFunc}}', 'bla', tVal, true],
  ['call nil', '{{call nil}}', '', tVal, false],
  ['empty call', '{{call}}', '', tVal, false],
  ['empty call after pipe valid', '{{.ErrFunc | call}}', 'bla', tVal, true],
  ['empty call after pipe invalid', '{{1 | call}}', '', tVal, false],
  // Pipelines.
  ['pipeline', '-{{.Method0 | .Method2 .U16}}-', '-Method2: 16 M0-', tVal, true],
  [
    'pipeline func',
    '-{{call .VariadicFunc `llo` | call .VariadicFunc `he` }}-',
    '-<he+<llo>>-',
    tVal,
    true,
  ],
  // Nil values aren't missing arguments.
  ['nil pipeline', '{{ .Empty0 | call .NilOKFunc }}', 'true', tVal, true],
  ['nil call arg', '{{ call .NilOKFunc .Empty0 }}', 'true', tVal, true],
  // Parenthesized expressions with field accesses.
  ['parens: $ in paren', '{{($).X}}', 'x', tVal, true],
  ['parens: $.GetU in paren', '{{($.GetU).V}}', 'v', tVal, true],
  [
    'parens in pipeline',
    '{{printf `%d %d %d` (1) (2 | add 3) (multiply 4 (add 5 6))}}',
    '1 5 44',
    tVal,
    true,
  ],
  // If.
  ['if true', '{{if true}}TRUE{{end}}', 'TRUE', tVal, true],
  ['if false', '{{if false}}TRUE{{else}}FALSE{{end}}', 'FALSE', tVal, true],
  ['if nil', '{{if nil}}TRUE{{end}}', '', tVal, false],
  ['if 1', '{{if 1}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO', tVal, true],
  ['if 0', '{{if 0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO', tVal, true],
  ['if 1.5', '{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO', tVal, true],
  ['if 0.0', '{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO', tVal, true],
  ['if emptystring', '{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['if string', '{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY', tVal, true],
  ['if emptyslice', '{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['if slice', '{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY', tVal, true],
  ['if emptymap', '{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['if map', '{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY', tVal, true],
  ['if map unset', '{{if .MXI.none}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO', tVal, true],
  ['if map not unset', '{{if not .MXI.none}}ZERO{{else}}NON-ZERO{{end}}', 'ZERO', tVal, true],
  [
    'if $x with $y int',
    '{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}',
    'true,17',
    tVal,
    true,
  ],
  [
    'if $x with $x int',
    '{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}',
    '17,true',
    tVal,
    true,
  ],
  ['if else if', '{{if false}}FALSE{{else if true}}TRUE{{end}}', 'TRUE', tVal, true],
  ['if else chain', '{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}', '3', tVal, true],
  // Print etc.
  ['print', '{{print "hello, print"}}', 'hello, print', tVal, true],
  ['print 123', '{{print 1 2 3}}', '1 2 3', tVal, true],
  ['print nil', '{{print nil}}', '<nil>', tVal, true],
  ['println', '{{println 1 2 3}}', '1 2 3\n', tVal, true],
  ['printf int', '{{printf "%04x" 127}}', '007f', tVal, true],
  ['printf float', '{{printf "%g" 3.5}}', '3.5', tVal, true],
  ['printf string', '{{printf "%s" "hello"}}', 'hello', tVal, true],
  ['printf field', '{{printf "%s" .U.V}}', 'v', tVal, true],
  ['printf method', '{{printf "%s" .Method0}}', 'M0', tVal, true],
  ['printf dot', '{{with .I}}{{printf "%d" .}}{{end}}', '17', tVal, true],
  ['printf var', '{{with $x := .I}}{{printf "%d" $x}}{{end}}', '17', tVal, true],
  [
    'printf lots',
    '{{printf "%d %s %g %s" 127 "hello" 7.5 .Method0}}',
    '127 hello 7.5 M0',
    tVal,
    true,
  ],
  // HTML.
  [
    'html',
    '{{html "<script>alert(\\"XSS\\");</script>"}}',
    '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;',
    null,
    true,
  ],
  [
    'html pipeline',
    '{{printf "<script>alert(\\"XSS\\");</script>" | html}}',
    '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;',
    null,
    true,
  ],
  ['html untyped nil', '{{html .Empty0}}', '&lt;no value&gt;', tVal, true],
  // JavaScript.
  ['js', '{{js .}}', "It\\'d be nice.", "It'd be nice.", true],
  // URL query.
  [
    'urlquery',
    '{{"http://www.example.org/"|urlquery}}',
    'http%3A%2F%2Fwww.example.org%2F',
    null,
    true,
  ],
  // Booleans.
  ['not', '{{not true}} {{not false}}', 'false true', null, true],
  ['and', '{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}', 'false 0 0 1', null, true],
  ['or', '{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}', '0 1 true 1', null, true],
  ['or short-circuit', '{{or 0 1 (mustEnv "NOPE")}}', '1', null, true],
  ['and short-circuit', '{{and 1 0 (mustEnv "NOPE")}}', '0', null, true],
  ['or short-circuit2', '{{or 0 0 (mustEnv "NOPE")}}', '', null, false],
  ['and short-circuit2', '{{and 1 1 (mustEnv "NOPE")}}', '', null, false],
  ['and pipe-true', '{{1 | and 1}}', '1', null, true],
  ['and pipe-false', '{{0 | and 1}}', '0', null, true],
  ['or pipe-true', '{{1 | or 0}}', '1', null, true],
  ['or pipe-false', '{{0 | or 0}}', '0', null, true],
  ['and undef', '{{and 1 .Unknown}}', '<no value>', null, true],
  ['or undef', '{{or 0 .Unknown}}', '<no value>', null, true],
  ['boolean if', '{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}', 'TRUE', tVal, true],
  ['boolean if not', '{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}', 'FALSE', null, true],
  ['boolean if pipe', '{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}', 'FALSE', null, true],
  // Indexing.
  ['slice[0]', '{{index .SI 0}}', '3', tVal, true],
  ['slice[1]', '{{index .SI 1}}', '4', tVal, true],
  ['slice[HUGE]', '{{index .SI 10}}', '', tVal, false],
  ['slice[WRONG]', '{{index .SI `hello`}}', '', tVal, false],
  ['slice[nil]', '{{index .SI nil}}', '', tVal, false],
  ['map[one]', '{{index .MSI `one`}}', '1', tVal, true],
  ['map[two]', '{{index .MSI `two`}}', '2', tVal, true],
  ['map[nil]', '{{index .MSI nil}}', '', tVal, false],
  ['map[WRONG]', '{{index .MSI 10}}', '', tVal, false],
  ['double index', '{{index .SMSI 1 `eleven`}}', '11', tVal, true],
  ['nil[1]', '{{index nil 1}}', '', tVal, false],
  ['index of an interface field', '{{index .Empty3 0}}', '7', tVal, true],
  // Slicing.
  ['slice[:]', '{{slice .SI}}', '[3 4 5]', tVal, true],
  ['slice[1:]', '{{slice .SI 1}}', '[4 5]', tVal, true],
  ['slice[1:2]', '{{slice .SI 1 2}}', '[4]', tVal, true],
  ['slice[-1:]', '{{slice .SI -1}}', '', tVal, false],
  ['slice[1:-2]', '{{slice .SI 1 -2}}', '', tVal, false],
  ['slice[2:1]', '{{slice .SI 2 1}}', '', tVal, false],
  ['out of range', '{{slice .SI 4 5}}', '', tVal, false],
  ['array[1:2]', '{{slice .AI 1 2}}', '[4]', tVal, true],
  ['string[:]', '{{slice .S}}', 'xyz', tVal, true],
  ['string[0:1]', '{{slice .S 0 1}}', 'x', tVal, true],
  ['string[1:]', '{{slice .S 1}}', 'yz', tVal, true],
  ['string[1:2]', '{{slice .S 1 2}}', 'y', tVal, true],
  ['string out of range', '{{slice .S 1 5}}', '', tVal, false],
  ['3-index slice of string', '{{slice .S 1 2 2}}', '', tVal, false],
  ['slice of an interface field', '{{slice .Empty3 0 1}}', '[7]', tVal, true],
  // Len.
  ['slice', '{{len .SI}}', '3', tVal, true],
  ['map', '{{len .MSI }}', '3', tVal, true],
  ['len of int', '{{len 3}}', '', tVal, false],
  ['len of nothing', '{{len .Empty0}}', '', tVal, false],
  ['len of an interface field', '{{len .Empty3}}', '2', tVal, true],
  // With.
  ['with true', '{{with true}}{{.}}{{end}}', 'true', tVal, true],
  ['with false', '{{with false}}{{.}}{{else}}FALSE{{end}}', 'FALSE', tVal, true],
  ['with 1', '{{with 1}}{{.}}{{else}}ZERO{{end}}', '1', tVal, true],
  ['with 0', '{{with 0}}{{.}}{{else}}ZERO{{end}}', 'ZERO', tVal, true],
  ['with 1.5', '{{with 1.5}}{{.}}{{else}}ZERO{{end}}', '1.5', tVal, true],
  ['with 0.0', '{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}', 'ZERO', tVal, true],
  ['with emptystring', '{{with ``}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['with string', '{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}', 'notempty', tVal, true],
  ['with emptyslice', '{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['with slice', '{{with .SI}}{{.}}{{else}}EMPTY{{end}}', '[3 4 5]', tVal, true],
  ['with emptymap', '{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['with map', '{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}', 'map[one:1]', tVal, true],
  ['with empty interface, struct field', '{{with .Empty4}}{{.V}}{{end}}', 'UinEmpty', tVal, true],
  ['with $x int', '{{with $x := .I}}{{$x}}{{end}}', '17', tVal, true],
  ['with $x struct.U.V', '{{with $x := $}}{{$x.U.V}}{{end}}', 'v', tVal, true],
  ['with variable and action', '{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}', 'v', tVal, true],
  ['with else with', '{{with 0}}{{.}}{{else with true}}{{.}}{{end}}', 'true', tVal, true],
  [
    'with else with chain',
    '{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}',
    'notempty',
    tVal,
    true,
  ],
  // Range.
  ['range []int', '{{range .SI}}-{{.}}-{{end}}', '-3--4--5-', tVal, true],
  ['range empty no else', '{{range .SIEmpty}}-{{.}}-{{end}}', '', tVal, true],
  ['range []int else', '{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}', '-3--4--5-', tVal, true],
  ['range empty else', '{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  [
    'range []int break else',
    '{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}',
    '-3-',
    tVal,
    true,
  ],
  [
    'range []int continue else',
    '{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}',
    '-3--4--5-',
    tVal,
    true,
  ],
  ['range []bool', '{{range .SB}}-{{.}}-{{end}}', '-true--false-', tVal, true],
  ['range []int method', '{{range .SI | .MAdd .I}}-{{.}}-{{end}}', '-20--21--22-', tVal, true],
  ['range map', '{{range .MSI}}-{{.}}-{{end}}', '-1--3--2-', tVal, true],
  ['range empty map no else', '{{range .MSIEmpty}}-{{.}}-{{end}}', '', tVal, true],
  ['range map else', '{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}', '-1--3--2-', tVal, true],
  ['range empty map else', '{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY', tVal, true],
  ['range empty interface', '{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}', '-7--8-', tVal, true],
  ['range empty nil', '{{range .Empty0}}-{{.}}-{{end}}', '', tVal, true],
  ['range $x SI', '{{range $x := .SI}}<{{$x}}>{{end}}', '<3><4><5>', tVal, true],
  [
    'range $x $y SI',
    '{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}',
    '<0=3><1=4><2=5>',
    tVal,
    true,
  ],
  ['range $x MSIone', '{{range $x := .MSIone}}<{{$x}}>{{end}}', '<1>', tVal, true],
  [
    'range $x $y MSIone',
    '{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}',
    '<one=1>',
    tVal,
    true,
  ],
  ['range $x PSI', '{{range $x := .PSI}}<{{$x}}>{{end}}', '<21><22><23>', tVal, true],
  [
    'declare in range',
    '{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}',
    '<21><22><23>',
    tVal,
    true,
  ],
  [
    'range 5',
    '{{range $v := 5}}{{printf "%T%d" $v $v}}{{end}}',
    'int0int1int2int3int4',
    null,
    true,
  ],
  ['range int with two variables', '{{range $i, $v := 5}}{{$v}}{{end}}', '', null, false],
  ['range 0 else', '{{range $v := 0}}{{$v}}{{else}}empty{{end}}', 'empty', null, true],
  // Cute examples.
  ['or as if true', '{{or .SI "slice is empty"}}', '[3 4 5]', tVal, true],
  ['or as if false', '{{or .SIEmpty "slice is empty"}}', 'slice is empty', tVal, true],
  // Error handling.
  ['error method, error', '{{.MyError true}}', '', tVal, false],
  ['error method, no error', '{{.MyError false}}', 'false', tVal, true],
  // Numbers.
  ['decimal', '{{print 1234}}', '1234', tVal, true],
  ['decimal _', '{{print 12_34}}', '1234', tVal, true],
  ['binary', '{{print 0b101}}', '5', tVal, true],
  ['binary _', '{{print 0b_1_0_1}}', '5', tVal, true],
  ['BINARY', '{{print 0B101}}', '5', tVal, true],
  ['octal0', '{{print 0377}}', '255', tVal, true],
  ['octal', '{{print 0o377}}', '255', tVal, true],
  ['octal _', '{{print 0o_3_7_7}}', '255', tVal, true],
  ['OCTAL', '{{print 0O377}}', '255', tVal, true],
  ['hex', '{{print 0x123}}', '291', tVal, true],
  ['hex _', '{{print 0x1_23}}', '291', tVal, true],
  ['HEX', '{{print 0X123ABC}}', '1194684', tVal, true],
  ['float', '{{print 123.4}}', '123.4', tVal, true],
  ['float _', '{{print 0_0_1_2_3.4}}', '123.4', tVal, true],
  ['hex float', '{{print +0x1.ep+2}}', '7.5', tVal, true],
  ['HEX float', '{{print +0X1.EP+2}}', '7.5', tVal, true],
  ['print multi', '{{print 1_2_3_4 7.5_00_00_00}}', '1234 7.5', tVal, true],
  // Fixed bugs.
  ['bug0', '{{range .MSIone}}{{if $.Method1 .}}X{{end}}{{end}}', 'X', tVal, true],
  ['bug3', '{{with $}}{{.Method0}}{{end}}', 'M0', tVal, true],
  ['bug4', '{{if .Empty0}}non-nil{{else}}nil{{end}}', 'nil', tVal, true],
  ['bug5', '{{.Str}}', 'foozle', tVal, true],
  ['bug7a', '{{3 2}}', '', tVal, false],
  ['bug7b', '{{$x := 1}}{{$x 2}}', '', tVal, false],
  ['bug7c', '{{$x := 1}}{{3 | $x}}', '', tVal, false],
  ['bug9', '{{.cause}}', 'neglect', { cause: 'neglect' }, true],
  ['bug12xe', '{{printf `%T` 0xef}}', 'int', null, true],
  ['bug12xE', '{{printf `%T` 0xEE}}', 'int', null, true],
  ['bug12Xe', '{{printf `%T` 0Xef}}', 'int', null, true],
  ['bug12XE', '{{printf `%T` 0XEE}}', 'int', null, true],
  ['bug13', '{{print (.Copy).I}}', '17', tVal, true],
  ['bug14a', '{{(nil).True}}', '', tVal, false],
  ['bug14b', '{{$x := nil}}{{$x.anything}}', '', tVal, false],
  ['bug14c', '{{$x := (1.0)}}{{$y := ("hello")}}{{$x.anything}}{{$y.true}}', '', tVal, false],
  ['bug16a', '{{true|printf}}', '', tVal, false],
  ['bug16b', '{{1|printf}}', '', tVal, false],
  ['bug16c', '{{1.1|printf}}', '', tVal, false],
  ['bug16d', "{{'x'|printf}}", '', tVal, false],
  ['bug16k', '{{"aaa"|printf }}', 'aaa', tVal, true],
  ['bug18a', "{{eq . '.'}}", 'true', 46n, true],
  ['bug18b', "{{eq . 'e'}}", 'true', 101n, true],
  ['bug18c', "{{eq . 'P'}}", 'true', 80n, true],
  ['issue56490', '{{$i := 0}}{{$x := 0}}{{range $i = .AI}}{{end}}{{$i}}', '5', tVal, true],
  [
    'issue60801',
    '{{$k := 0}}{{$v := 0}}{{range $k, $v = .AI}}{{$k}}={{$v}} {{end}}',
    '0=3 1=4 2=5 ',
    tVal,
    true,
  ],
  // Whitespace trimming (Go's lex_test / exec trim cases).
  ['trim left', 'x \r\n\t{{- 3}}', 'x3', null, true],
  ['trim right', '{{3 -}}\n\n\ty', '3y', null, true],
  ['trim left and right', 'x \r\n\t{{- 3 -}}\n\n\ty', 'x3y', null, true],
  ['comments trim', 'x \r\n\t{{- /* hi */ -}}\n\n\ty', 'xy', null, true],
  ['no trim without a space', '{{3-}}', '', null, false],
  ['negative number is not a trim', 'x {{-3}}', 'x -3', null, true],
];

describe('Go exec_test cases', () => {
  it.each(execTests)('%s', (_name, input, output, data, ok) => {
    if (ok) {
      expect(renderData(input, data)).toBe(output);
    } else {
      expect(() => renderData(input, data)).toThrow();
    }
  });
});

/** Go's cmpTests, against struct{Uthree, Ufour uint; NegOne, Three int}{3, 4, -1, 3}. */
const cmpData = struct('*struct', { Uthree: 3n, Ufour: 4n, NegOne: -1n, Three: 3n });
const cmpTests: [string, string, boolean][] = [
  ['eq true true', 'true', true],
  ['eq true false', 'false', true],
  ['eq 1.5 1.5', 'true', true],
  ['eq 1.5 2.5', 'false', true],
  ['eq 1 1', 'true', true],
  ['eq 1 2', 'false', true],
  ['eq `xy` `xy`', 'true', true],
  ['eq `xy` `xyz`', 'false', true],
  ['eq .Uthree .Uthree', 'true', true],
  ['eq .Uthree .Ufour', 'false', true],
  ['eq 3 4 5 6 3', 'true', true],
  ['eq 3 4 5 6 7', 'false', true],
  ['ne true true', 'false', true],
  ['ne true false', 'true', true],
  ['ne 1.5 1.5', 'false', true],
  ['ne 1.5 2.5', 'true', true],
  ['ne 1 1', 'false', true],
  ['ne 1 2', 'true', true],
  ['ne `xy` `xy`', 'false', true],
  ['ne `xy` `xyz`', 'true', true],
  ['ne .Uthree .Uthree', 'false', true],
  ['ne .Uthree .Ufour', 'true', true],
  ['lt 1.5 1.5', 'false', true],
  ['lt 1.5 2.5', 'true', true],
  ['lt 1 1', 'false', true],
  ['lt 1 2', 'true', true],
  ['lt `xy` `xy`', 'false', true],
  ['lt `xy` `xyz`', 'true', true],
  ['lt .Uthree .Uthree', 'false', true],
  ['lt .Uthree .Ufour', 'true', true],
  ['le 1.5 1.5', 'true', true],
  ['le 1.5 2.5', 'true', true],
  ['le 2.5 1.5', 'false', true],
  ['le 1 1', 'true', true],
  ['le 1 2', 'true', true],
  ['le 2 1', 'false', true],
  ['le `xy` `xy`', 'true', true],
  ['le `xy` `xyz`', 'true', true],
  ['le `xyz` `xy`', 'false', true],
  ['le .Uthree .Uthree', 'true', true],
  ['le .Uthree .Ufour', 'true', true],
  ['le .Ufour .Uthree', 'false', true],
  ['gt 1.5 1.5', 'false', true],
  ['gt 1.5 2.5', 'false', true],
  ['gt 1 1', 'false', true],
  ['gt 2 1', 'true', true],
  ['gt 1 2', 'false', true],
  ['gt `xy` `xy`', 'false', true],
  ['gt `xy` `xyz`', 'false', true],
  ['gt .Uthree .Uthree', 'false', true],
  ['gt .Uthree .Ufour', 'false', true],
  ['gt .Ufour .Uthree', 'true', true],
  ['ge 1.5 1.5', 'true', true],
  ['ge 1.5 2.5', 'false', true],
  ['ge 2.5 1.5', 'true', true],
  ['ge 1 1', 'true', true],
  ['ge 1 2', 'false', true],
  ['ge 2 1', 'true', true],
  ['ge `xy` `xy`', 'true', true],
  ['ge `xy` `xyz`', 'false', true],
  ['ge `xyz` `xy`', 'true', true],
  ['eq .Uthree .Three', 'true', true],
  ['lt .NegOne .Uthree', 'true', true],
  ['gt .Uthree .NegOne', 'true', true],
  ["eq (index `x` 0) 'x'", 'true', true],
  ["eq (index `x` 0) 'y'", 'false', true],
  // Errors
  ['eq `xy` 1', '', false],
  ['eq 2 2.0', '', false],
  ['lt true true', '', false],
];

describe('Go cmpTests', () => {
  it.each(cmpTests)('%s', (expr, truth, ok) => {
    const text = `{{if ${expr}}}true{{else}}false{{end}}`;
    if (ok) expect(renderData(text, cmpData)).toBe(truth);
    else expect(() => renderData(text, cmpData)).toThrow();
  });
});

describe('Go exec tests outside the table', () => {
  it('missing map keys print <no value>, or fail with missingkey=error (TestMissingMapKey)', () => {
    expect(renderData('{{.x}} {{.y}}', { x: 99n })).toBe('99 <no value>');
    expect(() => renderData('{{.x}} {{.y}}', { x: 99n }, true)).toThrow(
      'map has no entry for key "y"',
    );
    expect(() => renderData('{{.x}}', null, true)).toThrow('nil data; no entry for key "x"');
  });

  it('an error in a nested template names the template, the action and its position (TestExecError)', () => {
    const text = `line 1
line 2
line 3
{{template "one" .}}
{{define "one"}}{{template "two" .}}{{end}}
{{define "two"}}{{template "three" .}}{{end}}
{{define "three"}}{{index "hi" $}}{{end}}`;
    const err = errorOf(() => renderData(text, 5n));
    expect(err.message).toBe(
      'executing "three" at <index "hi" $>: error calling index: index out of range: 5',
    );
    // Go prints 7:20 with a 0-based column; TemplateError's column is 1-based.
    expect([err.line, err.column]).toEqual([7, 21]);
  });

  it('walks a tree with custom delimiters and trimming (TestTree)', () => {
    const tree = `
	(- define "tree" -)
	[
		(- .Val -)
		(- with .Left -)
			(template "tree" . -)
		(- end -)
		(- with .Right -)
			(- template "tree" . -)
		(- end -)
	]
	(- end -)
(- template "tree" . -)`;
    const node = (val: bigint, left: Value = null, right: Value = null): Value =>
      struct('*template.Tree', { Val: val, Left: left, Right: right });
    const data = node(
      1n,
      node(2n, node(3n, node(4n)), node(5n, node(6n))),
      node(7n, node(8n, node(9n)), node(10n, node(11n))),
    );
    const t = tree.replace(/\(/g, '{{').replace(/\)/g, '}}');
    expect(renderData(t, data)).toBe('[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]');
  });

  it.each([
    ['{{', '}}'],
    ['<<', '>>'],
    ['|', '|'],
    ['(日)', '(本)'],
  ])('custom delimiters %s %s (TestDelims)', (left, right) => {
    const text = `${left}.Str${right}${left}/*comment*/${right}${left}"${left}"${right}`;
    expect(
      render(
        text.replace('.Str', '"Hello, world"'),
        { env: {} },
        { leftDelim: left, rightDelim: right },
      ),
    ).toBe(`Hello, world${left}`);
  });

  it.each([
    ['a', 'a'],
    ["'foo", "\\'foo"],
    ['Go "jump" \\', 'Go \\"jump\\" \\\\'],
    ['Yukihiro says "今日は世界"', 'Yukihiro says \\"今日は世界\\"'],
    ['unprintable \uFFFE', 'unprintable \\uFFFE'],
    ['<html>', '\\u003Chtml\\u003E'],
    ['no = in attributes', 'no \\u003D in attributes'],
    ['&#x27; does not become HTML entity', '\\u0026#x27; does not become HTML entity'],
  ])('js escapes %j (TestJSEscaping)', (input, want) => {
    expect(renderData('{{js .}}', input)).toBe(want);
  });

  it('break and continue leave only the innermost range', () => {
    expect(
      render(
        '{{range $i := 3}}{{range $j := 3}}{{if eq $j 1}}{{continue}}{{end}}{{if eq $j 2}}{{break}}{{end}}{{$i}}{{$j}} {{end}}{{end}}',
      ),
    ).toBe('00 10 20 ');
  });

  it('a define may call itself until a depth limit', () => {
    const err = errorOf(() => render('{{define "a"}}{{template "a"}}{{end}}{{template "a"}}'));
    expect(err.message).toContain('exceeded maximum template depth');
  });

  it('block defines a template and executes it', () => {
    expect(render('{{block "b" 5}}[{{.}}]{{end}}/{{template "b" 6}}')).toBe('[5]/[6]');
  });
});

describe('eq beyond basic kinds (Go 1.18+ rules)', () => {
  it.each([
    ['{{ eq "a" nil }}', 'false'],
    ['{{ eq nil nil }}', 'true'],
    ['{{ eq 1 nil 1 }}', 'true'],
  ])('%s', (text, want) => {
    expect(renderData(text, { Present: 1n })).toBe(want);
  });

  it.each([
    ['{{ eq (sprig_list 1) (sprig_list 1) }}', 'non-comparable types'],
    ['{{ eq .S "x" }}', 'incompatible types for comparison'],
  ])('%s fails', (text, message) => {
    expect(() => renderData(text, { S: struct('T', { V: 'x' }) })).toThrow(message);
  });
});

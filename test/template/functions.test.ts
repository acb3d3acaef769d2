/**
 * consul-template's functions as drover renders them. Helper cases and outputs come from
 * consul-template's template/template_test.go (TestTemplate_Execute "helper_*", "math_*",
 * "scratch.*"); its Consul `service` cases run here over `nomadService`, which returns the same
 * shape (Address, Tags). Nomad cases follow consul-template's nomad_funcs.go and
 * dependency/nomad_*.go; sprig cases follow sprig's documented results.
 */
import { describe, expect, it } from 'vitest';
import type {
  ServiceCatalog,
  ServiceRegistration,
  TemplateContext,
  VariableMeta,
  VariableReader,
} from '../../src/template/context.js';
import { CONSUL_VAULT_FUNCTIONS, SPRIG_BUILT } from '../../src/template/index.js';
import { errorOf, render } from './support.js';

/** Variables held in memory: the renderer reads them through VariableReader only. */
function variables(vars: Record<string, Record<string, string>>): VariableReader {
  const meta = (path: string, i: number): VariableMeta => ({
    Namespace: 'default',
    Path: path,
    CreateIndex: 10 + i,
    ModifyIndex: 20 + i,
    CreateTime: 1_700_000_000_000_000_000,
    ModifyTime: 1_700_000_001_000_000_000,
  });
  const paths = Object.keys(vars).sort();
  return {
    get: (path) => {
      const i = paths.indexOf(path);
      return i < 0 ? undefined : { meta: meta(path, i), items: vars[path]! };
    },
    list: (prefix) =>
      paths.filter((p) => p.startsWith(prefix)).map((p) => meta(p, paths.indexOf(p))),
  };
}

function registration(
  name: string,
  n: number,
  tags: string[],
  address = `10.0.0.${n}`,
): ServiceRegistration {
  return {
    ID: `_nomad-task-${name}-${n}`,
    ServiceName: name,
    Namespace: 'default',
    NodeID: `node-${n}`,
    Datacenter: 'dc1',
    JobID: 'web',
    AllocID: `alloc-${n}`,
    Tags: tags,
    Address: address,
    Port: 8000 + n,
  };
}

function catalog(regs: ServiceRegistration[]): ServiceCatalog {
  return {
    instances: (name) => regs.filter((r) => r.ServiceName === name),
    names: () =>
      [...new Set(regs.map((r) => r.ServiceName))].sort().map((name) => ({
        ServiceName: name,
        Tags: [...new Set(regs.filter((r) => r.ServiceName === name).flatMap((r) => r.Tags))],
      })),
  };
}

const webapp = (tags: string[][]): TemplateContext => ({
  env: {},
  services: catalog(
    tags.map((t, i) => registration('webapp', i + 1, t, i === 0 ? '1.2.3.4' : '5.6.7.8')),
  ),
});

const EPOCH: TemplateContext = { env: {}, now: () => new Date(0) };

/** [name, template, output] with no context beyond a fixed clock. */
const helperCases: [string, string, string][] = [
  [
    'helper_explodemap',
    '{{ scratch.MapSet "explode-test" "foo/bar" "a"}}{{ scratch.MapSet "explode-test" "qux" "c"}}{{ scratch.MapSet "explode-test" "zip/zap" "d"}}{{ scratch.Get "explode-test" | explodeMap }}',
    'map[foo:map[bar:a] qux:c zip:map[zap:d]]',
  ],
  [
    'helper_indent',
    '{{ "hello\\nhello\\r\\nHELLO\\r\\nhello\\nHELLO" | indent 4 }}',
    '    hello\n    hello\r\n    HELLO\r\n    hello\n    HELLO',
  ],
  [
    'helper_indent_zero',
    '{{ "hello\\nhello\\r\\nHELLO\\r\\nhello\\nHELLO" | indent 0 }}',
    'hello\nhello\r\nHELLO\r\nhello\nHELLO',
  ],
  ['helper_loop', '{{ range loop 3 }}1{{ end }}', '111'],
  ['helper_loop__i', '{{ range $i := loop 3 }}{{ $i }}{{ end }}', '012'],
  ['helper_loop_start', '{{ range loop 1 3 }}1{{ end }}', '11'],
  ['helper_loop_text', '{{ range loop 1 "3" }}1{{ end }}', '11'],
  ['helper_loop_parseInt', '{{ $i := print "3" | parseInt }}{{ range loop 1 $i }}1{{ end }}', '11'],
  ['helper_loop_var', '{{$n := 3 }}{{ range $i := loop $n }}{{ $i }}{{ end }}', '012'],
  ['helper_join', '{{ "a,b,c" | split "," | join ";" }}', 'a;b;c'],
  ['helper_trim', '{{ "!!hello world!!" | trim "!!" }}', 'hello world'],
  ['helper_trimPrefix', '{{ "hello world!!" | trimPrefix "hello " }}', 'world!!'],
  ['helper_trimSuffix', '{{ "hello world!!" | trimSuffix " world!!" }}', 'hello'],
  ['helper_parseBool', '{{ "true" | parseBool }}', 'true'],
  ['helper_parseFloat', '{{ "1.2" | parseFloat }}', '1.2'],
  ['helper_parseFloat_format', '{{ "1.0" | parseFloat | printf "%.1f"}}', '1.0'],
  ['helper_parseInt', '{{ "-1" | parseInt }}', '-1'],
  ['helper_parseJSON', '{{ "{\\"foo\\": \\"bar\\"}" | parseJSON }}', 'map[foo:bar]'],
  ['helper_parseUint', '{{ "1" | parseUint }}', '1'],
  ['helper_parseYAML', '{{ "foo: bar" | parseYAML }}', 'map[foo:bar]'],
  ['helper_parseYAMLv2', '{{ "foo: bar\\nbaz: \\"foo\\"" | parseYAML }}', 'map[baz:foo foo:bar]'],
  [
    'helper_parseYAMLnested',
    '{{ "foo:\\n  bar: \\"baz\\"\\n  baz: 7" | parseYAML }}',
    'map[foo:map[bar:baz baz:7]]',
  ],
  ['helper_regexMatch', '{{ "foo" | regexMatch "[a-z]+" }}', 'true'],
  ['helper_regexReplaceAll', '{{ "foo" | regexReplaceAll "\\\\w" "x" }}', 'xxx'],
  ['helper_replaceAll', '{{ "hello my hello" | regexReplaceAll "hello" "bye" }}', 'bye my bye'],
  ['helper_split', '{{ "a,b,c" | split "," }}', '[a b c]'],
  ['helper_timestamp', '{{ timestamp }}', '1970-01-01T00:00:00Z'],
  ['helper_helper_timestamp__formatted', '{{ timestamp "2006-01-02" }}', '1970-01-01'],
  ['helper_toJSON', '{{ "a,b,c" | split "," | toJSON }}', '["a","b","c"]'],
  [
    'helper_toUnescapedJSON',
    '{{ "a?b&c,x?y&z" | split "," | toUnescapedJSON }}',
    '["a?b&c","x?y&z"]',
  ],
  ['helper_toLower', '{{ "HI" | toLower }}', 'hi'],
  ['helper_toTitle', '{{ "this is a sentence" | toTitle }}', 'This Is A Sentence'],
  ['helper_toUpper', '{{ "hi" | toUpper }}', 'HI'],
  ['helper_toYAML', '{{ "{\\"foo\\":\\"bar\\"}" | parseJSON | toYAML }}', 'foo: bar'],
  ['helper_trimSpace', '{{ "\\t hi\\n " | trimSpace }}', 'hi'],
  ['math_add', '{{ 2 | add 2 }}', '4'],
  ['math_subtract', '{{ 2 | subtract 2 }}', '0'],
  ['math_multiply', '{{ 2 | multiply 2 }}', '4'],
  ['math_divide', '{{ 2 | divide 2 }}', '1'],
  ['math_modulo', '{{ 3 | modulo 2 }}', '1'],
  ['math_minimum', '{{ 3 | minimum 2 }}', '2'],
  ['math_maximum', '{{ 3 | maximum 2 }}', '3'],
  ['scratch.Key', '{{ scratch.Set "a" "2" }}{{ scratch.Key "a" }}', 'true'],
  ['scratch.Get', '{{ scratch.Set "a" "2" }}{{ scratch.Get "a" }}', '2'],
  [
    'scratch.SetX',
    '{{ scratch.SetX "a" "2" }}{{ scratch.SetX "a" "1" }}{{ scratch.Get "a" }}',
    '2',
  ],
  ['scratch.MapSet', '{{ scratch.MapSet "a" "foo" "bar" }}{{ scratch.MapValues "a" }}', '[bar]'],
  [
    'scratch.MapSetX',
    '{{ scratch.MapSetX "a" "foo" "bar" }}{{ scratch.MapSetX "a" "foo" "baz" }}{{ scratch.MapValues "a" }}',
    '[bar]',
  ],
  // consul-template's executeTemplate, with a Nomad-free body.
  [
    'helper_executeTemplate',
    '{{ define "custom" }}bar{{ end }}{{ executeTemplate "custom" }}',
    'bar',
  ],
  [
    'helper_executeTemplate__dot',
    '{{ define "custom" }}{{ . }}{{ end }}{{ executeTemplate "custom" "foo" }}',
    'foo',
  ],
  [
    'helper_mergeMap',
    '{{ $base := "{\\"voo\\":{\\"bar\\":\\"v\\"}}" | parseJSON}}{{ $role := "{\\"foo\\":{\\"bar\\":\\"a\\"},\\"zip\\":{\\"zap\\":\\"b\\"}}" | parseJSON | mergeMap $base}}{{ range $k, $v := $role }}{{ $k }}{{ $v }}{{ end }}',
    'foomap[bar:a]voomap[bar:v]zipmap[zap:b]',
  ],
  [
    'helper_mergeMapWithOverride',
    '{{ $base := "{\\"zip\\":{\\"zap\\":\\"t\\"},\\"voo\\":{\\"bar\\":\\"v\\"}}" | parseJSON}}{{ $role := "{\\"foo\\":{\\"bar\\":\\"a\\"},\\"zip\\":{\\"zap\\":\\"b\\"}}" | parseJSON | mergeMapWithOverride $base}}{{ range $k, $v := $role }}{{ $k }}{{ $v }}{{ end }}',
    'foomap[bar:a]voomap[bar:v]zipmap[zap:b]',
  ],
  // More of consul-template's helpers (funcs.go semantics).
  ['base64Encode', '{{ "hello" | base64Encode }}', 'aGVsbG8='],
  ['base64Decode', '{{ "aGVsbG8=" | base64Decode }}', 'hello'],
  ['base64URLEncode', '{{ "hello?world>" | base64URLEncode }}', 'aGVsbG8_d29ybGQ-'],
  ['base64URLDecode', '{{ "aGVsbG8_d29ybGQ-" | base64URLDecode }}', 'hello?world>'],
  [
    'sha256Hex',
    '{{ "hello" | sha256Hex }}',
    '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  ],
  ['md5sum', '{{ "hello" | md5sum }}', '5d41402abc4b2a76b9719d911017c592'],
  [
    'hmacSHA256Hex',
    '{{ hmacSHA256Hex "message" "secret" }}',
    '8b5f48702995c1598c573db1e21866a9b825d4a794d169d7060a03605796360b',
  ],
  [
    'toJSON escapes html',
    '{{ "{\\"a\\":\\"<b>&\\"}" | parseJSON | toJSON }}',
    '{"a":"\\u003cb\\u003e\\u0026"}',
  ],
  [
    'toJSONPretty',
    '{{ "{\\"b\\":[1,2],\\"a\\":\\"x\\"}" | parseJSON | toJSONPretty }}',
    '{\n  "a": "x",\n  "b": [\n    1,\n    2\n  ]\n}',
  ],
  [
    'parseJSON numbers are float64',
    '{{ with "{\\"n\\":1000000,\\"f\\":1.5}" | parseJSON }}{{ .n }} {{ .f }}{{ end }}',
    '1e+06 1.5',
  ],
  ['parseJSON empty', '{{ "" | parseJSON }}', 'map[]'],
  ['parseBool empty', '{{ "" | parseBool }}', 'false'],
  ['split empty', '{{ "" | split "," | len }}', '0'],
  ['contains on a string', '{{ "foobar" | contains "oba" }}', 'true'],
  ['in on a string', '{{ "ob" | in "foobar" }}', 'true'],
  ['replaceAll', '{{ "a.b.c" | replaceAll "." "/" }}', 'a/b/c'],
  [
    'regexReplaceAll groups',
    '{{ "key=val" | regexReplaceAll "(\\\\w+)=(\\\\w+)" "$2=$1" }}',
    'val=key',
  ],
  [
    'regexReplaceAll named groups',
    '{{ "2024-05" | regexReplaceAll "(?P<y>\\\\d+)-(?P<m>\\\\d+)" "${m}/${y}" }}',
    '05/2024',
  ],
  ['regexReplaceAll $1x is group 1x', '{{ "ab" | regexReplaceAll "(a)" "$1x" }}', 'b'],
  ['regexReplaceAll ${1}x', '{{ "ab" | regexReplaceAll "(a)" "${1}x" }}', 'axb'],
  ['regexMatch is unanchored', '{{ "xfoo1" | regexMatch "foo[0-9]" }}', 'true'],
  ['regexMatch case flag', '{{ "FOO" | regexMatch "(?i)^foo$" }}', 'true'],
  ['timestamp unix', '{{ timestamp "unix" }}', '0'],
  [
    'timestamp layout',
    '{{ timestamp "Mon Jan 2 15:04:05 MST 2006" }}',
    'Thu Jan 1 00:00:00 UTC 1970',
  ],
  ['add floats', '{{ 1.5 | add 2 }}', '3.5'],
  ['divide ints truncates', '{{ 7 | divide 2 }}', '3'],
  ['subtract order', '{{ subtract 1 5 }}', '4'],
  ['envOrDefault', '{{ envOrDefault "NOPE" "fallback" }}', 'fallback'],
  ['splitToMap', '{{ "a=1,b=2,c" | splitToMap "," "=" }}', 'map[a:1 b:2]'],
  [
    'explodeMap drops an empty last part',
    '{{ "{\\"a/\\":1,\\"b/c\\":2}" | parseJSON | explodeMap }}',
    'map[a:map[] b:map[c:2]]',
  ],
  [
    'in compares like kinds only',
    '{{ in (sprig_list 1 "2") 2 }} {{ in (sprig_list 1 "2") "2" }} {{ in 5 5 }}',
    'false true false',
  ],
  ['minimum keeps the picked type', '{{ minimum 2.5 1 }} {{ maximum 2.5 1 }}', '1 2.5'],
  ['toYAML of a list', '{{ "[1,\\"a\\"]" | parseJSON | toYAML }}', '- 1\n- a'],
  ['env missing is empty', '[{{ env "NOPE" }}]', '[]'],
];

describe("consul-template's helpers", () => {
  it.each(helperCases)('%s', (_name, text, want) => {
    expect(render(text, EPOCH)).toBe(want);
  });

  it.each([
    [
      'helper_indent_negative',
      '{{ "hello" | indent -4 }}',
      'indent value must be a positive integer',
    ],
    ['mustEnv', '{{ mustEnv "NOPE" }}', 'NOPE'],
    ['parseInt bad', '{{ "x" | parseInt }}', 'invalid syntax'],
    ['base64Decode bad', '{{ "!!" | base64Decode }}', 'illegal base64 data'],
    [
      'divide by zero',
      '{{ 1 | divide 0 }}',
      'error calling divide: runtime error: integer divide by zero',
    ],
    ['modulo of floats', '{{ 1.5 | modulo 2 }}', 'modulo: unknown type'],
    [
      'explodeMap conflict',
      '{{ "{\\"a\\":1,\\"a/b\\":2}" | parseJSON | explodeMap }}',
      'explodeMap: not a map: "a/b": "a" already has value "1"',
    ],
    ['add strings', '{{ "a" | add 1 }}', 'unknown type'],
    ['executeTemplate undefined', '{{ executeTemplate "nope" }}', 'template "nope" not defined'],
    ['regexp backreference', '{{ "aa" | regexMatch "(a)\\\\1" }}', 'not supported'],
    ['toTOML not built', '{{ "{}" | parseJSON | toTOML }}', 'not built'],
  ])('%s fails', (_name, text, message) => {
    expect(errorOf(() => render(text, EPOCH)).message).toContain(message);
  });

  it('env, envOrDefault and mustEnv read the task environment', () => {
    const ctx: TemplateContext = { env: { NOMAD_ALLOC_ID: 'a1', EMPTY: '' } };
    expect(
      render(
        '{{ env "NOMAD_ALLOC_ID" }} {{ mustEnv "NOMAD_ALLOC_ID" }} [{{ envOrDefault "EMPTY" "d" }}]',
        ctx,
      ),
    ).toBe('a1 a1 [d]');
  });
});

describe("consul-template's service helpers over nomadService", () => {
  it.each([
    [
      'helper_by_tag',
      [['prod', 'staging'], ['staging']],
      '{{ range $tag, $services := nomadService "webapp" | byTag }}{{ $tag }}:{{ range $services }}{{ .Address }}{{ end }}{{ end }}',
      'prod:1.2.3.4staging:1.2.3.45.6.7.8',
    ],
    [
      'helper_contains',
      [['prod', 'staging'], ['staging']],
      '{{ range nomadService "webapp" }}{{ if .Tags | contains "prod" }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.4',
    ],
    [
      'helper_containsAll',
      [
        ['prod', 'us-realm'],
        ['prod', 'ca-realm'],
      ],
      '{{ $requiredTags := parseJSON "[\\"prod\\",\\"us-realm\\"]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsAll $requiredTags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.4',
    ],
    [
      'helper_containsAll__empty',
      [
        ['prod', 'us-realm'],
        ['prod', 'ca-realm'],
      ],
      '{{ $requiredTags := parseJSON "[]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsAll $requiredTags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.45.6.7.8',
    ],
    [
      'helper_containsAny',
      [
        ['prod', 'v1'],
        ['prod', 'v2'],
      ],
      '{{ $acceptableTags := parseJSON "[\\"v2\\",\\"v3\\"]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsAny $acceptableTags }}{{ .Address }}{{ end }}{{ end }}',
      '5.6.7.8',
    ],
    [
      'helper_containsAny__empty',
      [
        ['prod', 'v1'],
        ['prod', 'v2'],
      ],
      '{{ $acceptableTags := parseJSON "[]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsAny $acceptableTags }}{{ .Address }}{{ end }}{{ end }}',
      '',
    ],
    [
      'helper_containsNone',
      [
        ['prod', 'v1'],
        ['devel', 'v2'],
      ],
      '{{ $forbiddenTags := parseJSON "[\\"devel\\",\\"staging\\"]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsNone $forbiddenTags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.4',
    ],
    [
      'helper_containsNone__empty',
      [
        ['staging', 'v1'],
        ['devel', 'v2'],
      ],
      '{{ $forbiddenTags := parseJSON "[]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsNone $forbiddenTags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.45.6.7.8',
    ],
    [
      'helper_containsNotAll',
      [
        ['prod', 'es-v1'],
        ['prod', 'hybrid', 'es-v1', 'es-v2'],
      ],
      '{{ $excludingTags := parseJSON "[\\"es-v1\\",\\"es-v2\\"]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsNotAll $excludingTags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.4',
    ],
    [
      'helper_containsNotAll__empty',
      [
        ['prod', 'es-v1'],
        ['prod', 'hybrid', 'es-v1', 'es-v2'],
      ],
      '{{ $excludingTags := parseJSON "[]" }}{{ range nomadService "webapp" }}{{ if .Tags | containsNotAll $excludingTags }}{{ .Address }}{{ end }}{{ end }}',
      '',
    ],
    [
      'helper_in',
      [['prod', 'staging'], ['staging']],
      '{{ range nomadService "webapp" }}{{ if "prod" | in .Tags }}{{ .Address }}{{ end }}{{ end }}',
      '1.2.3.4',
    ],
  ] as [string, string[][], string, string][])('%s', (_name, tags, text, want) => {
    expect(render(text, webapp(tags))).toBe(want);
  });
});

describe('Nomad functions', () => {
  const ctx: TemplateContext = {
    env: {},
    variables: variables({
      'nomad/jobs/web': { user: 'admin', password: 's3cr3t' },
      'nomad/jobs/web/db': { url: 'postgres://db' },
      'other/thing': { k: 'v' },
    }),
    services: catalog([
      registration('db', 1, ['primary', 'v1']),
      registration('db', 2, ['replica', 'v1']),
      registration('db', 3, ['replica', 'v2']),
      registration('cache', 4, ['v1']),
    ]),
  };

  it.each([
    [
      'with nomadVar reads an item',
      '{{ with nomadVar "nomad/jobs/web" }}{{ .user }}{{ end }}',
      'admin',
    ],
    [
      'range over nomadVar is sorted',
      '{{ range $k, $v := nomadVar "nomad/jobs/web" }}{{ $k }}={{ $v }};{{ end }}',
      'password=s3cr3t;user=admin;',
    ],
    [
      'an item has Key and Value',
      '{{ with nomadVar "nomad/jobs/web" }}{{ .user.Key }}:{{ .user.Value }}{{ end }}',
      'user:admin',
    ],
    ['index on the items', '{{ index (nomadVar "nomad/jobs/web") "password" }}', 's3cr3t'],
    [
      'Keys, Values and Tuples',
      '{{ with nomadVar "nomad/jobs/web" }}{{ .Keys }} {{ .Values }} {{ range .Tuples }}{{ .K }}{{ .V }}{{ end }}{{ end }}',
      '[password user] [s3cr3t admin] passwords3cr3tuseradmin',
    ],
    [
      'Parent and Metadata',
      '{{ with nomadVar "nomad/jobs/web" }}{{ .Parent.Path }} {{ .Metadata.Namespace }} {{ .Metadata }} {{ .user.Parent.ModifyIndex }}{{ end }}',
      'nomad/jobs/web default nomad/jobs/web 20',
    ],
    [
      'toJSON of the items is a map of strings',
      '{{ nomadVar "nomad/jobs/web" | toJSON }}',
      '{"password":"s3cr3t","user":"admin"}',
    ],
    [
      'nomadVarExists',
      '{{ nomadVarExists "nomad/jobs/web" }} {{ nomadVarExists "nope" }} {{ nomadVarExists "" }}',
      'true false false',
    ],
    [
      'nomadVarList with a prefix',
      '{{ range nomadVarList "nomad/jobs" }}{{ .Path }};{{ end }}',
      'nomad/jobs/web;nomad/jobs/web/db;',
    ],
    [
      'nomadVarList prints paths',
      '{{ nomadVarList }}',
      '[nomad/jobs/web nomad/jobs/web/db other/thing]',
    ],
    ['nomadVarList empty is empty', '{{ nomadVarList "none/" | len }}', '0'],
    ['nomadVarListSafe', '{{ range nomadVarListSafe "other" }}{{ .Path }}{{ end }}', 'other/thing'],
    ['nomadVar of "" is nothing', '{{ nomadVar "" }}', '<no value>'],
    [
      'nomadVar trims slashes and spaces',
      '{{ with nomadVar " /nomad/jobs/web/ " }}{{ .user }}{{ end }}',
      'admin',
    ],
    [
      'nomadVar with its namespace',
      '{{ with nomadVar "nomad/jobs/web@default" }}{{ .user }}{{ end }}',
      'admin',
    ],
    ['nomadVarExists in another namespace', '{{ nomadVarExists "nomad/jobs/web@prod" }}', 'false'],
    ['nomadVarList in another namespace', '{{ nomadVarList "nomad/jobs@prod" | len }}', '0'],
    [
      'nomadService fields',
      '{{ range nomadService "db" }}{{ .Name }} {{ .Address }}:{{ .Port }} {{ .Tags }} {{ .Node }} {{ .AllocID }};{{ end }}',
      'db 10.0.0.1:8001 [primary v1] node-1 alloc-1;db 10.0.0.2:8002 [replica v1] node-2 alloc-2;db 10.0.0.3:8003 [replica v2] node-3 alloc-3;',
    ],
    [
      'nomadService tag filter',
      '{{ range nomadService "replica.db" }}{{ .Address }};{{ end }}',
      '10.0.0.2;10.0.0.3;',
    ],
    [
      'nomadService unknown is empty',
      '{{ range nomadService "nope" }}x{{ else }}none{{ end }}',
      'none',
    ],
    [
      'nomadServices',
      '{{ range nomadServices }}{{ .Name }}{{ .Tags }};{{ end }}',
      'cache[v1];db[primary replica v1 v2];',
    ],
    ['nomadService choose count', '{{ nomadService 2 "key" "db" | len }}', '2'],
    [
      'byPort',
      '{{ range $p, $s := nomadService "db" | byPort }}{{ $p }};{{ end }}',
      '8001;8002;8003;',
    ],
  ])('%s', (_name, text, want) => {
    expect(render(text, ctx)).toBe(want);
  });

  it('nomadService COUNT KEY picks the same instances for the same key', () => {
    const a = render('{{ range nomadService 2 "alloc-x" "db" }}{{ .ID }};{{ end }}', ctx);
    expect(render('{{ range nomadService 2 "alloc-x" "db" }}{{ .ID }};{{ end }}', ctx)).toBe(a);
    expect(a.split(';').filter(Boolean)).toHaveLength(2);
  });

  it.each([
    [
      'a missing Variable names its path',
      '{{ with nomadVar "nomad/jobs/nope" }}{{ .x }}{{ end }}',
      'no Variable at "nomad/jobs/nope"',
    ],
    [
      'nomadVarListSafe with nothing under the prefix',
      '{{ nomadVarListSafe "none/" }}',
      'no Variables under "none"',
    ],
    [
      'nomadVarList takes one prefix',
      '{{ nomadVarList "a" "b" }}',
      'nomadVarList takes either a single "prefix" parameter',
    ],
    ['a region is refused', '{{ nomadService "db@eu" }}', 'drover has one region'],
    ['a malformed query', '{{ nomadService "a b" }}', 'nomad.service: invalid format: "a b"'],
    [
      'count must be an int',
      '{{ nomadService "2" "k" "db" }}',
      'expected integer for <count> argument',
    ],
  ])('%s', (_name, text, message) => {
    const err = errorOf(() => render(text, ctx));
    expect(err.message).toContain(message);
    expect([err.line, err.column]).toEqual([1, text.indexOf('nomad') + 1]);
  });

  it('without Variables or services in the context the functions say so', () => {
    expect(errorOf(() => render('{{ nomadVar "a" }}')).message).toContain('no Variables to read');
    expect(errorOf(() => render('{{ nomadService "a" }}')).message).toContain(
      'no record of Nomad services',
    );
  });
});

describe('functions drover parses but does not run', () => {
  it.each(CONSUL_VAULT_FUNCTIONS.map((f) => [f]))('%s refuses with Consul or Vault named', (f) => {
    const err = errorOf(() => render(`line one\n  {{ ${f} "x" }}`));
    expect(err.message).toContain(`${f} reads Consul or Vault`);
    expect([err.line, err.column]).toEqual([2, 6]);
  });

  it.each([
    ['file', 'reads a file on the client host'],
    ['plugin', 'runs an executable'],
    ['writeToFile', 'writes a file'],
    ['sockaddr', 'not supported by drover'],
    ['spew_dump', 'drover does not run it'],
    ['spew_sdump', 'drover does not run it'],
    ['byKey', 'Consul KV'],
    ['explode', 'Consul KV'],
    ['byMeta', 'Meta'],
  ])('%s says why', (f, why) => {
    expect(errorOf(() => render(`{{ ${f} "x" }}`)).message).toContain(why);
  });

  it('an unknown sprig function parses and says it is not built', () => {
    expect(errorOf(() => render('{{ sprig_semver "1.2.3" }}')).message).toContain(
      'sprig_semver is not built in drover yet',
    );
  });

  it('a name neither Go, consul-template nor sprig has is a parse error', () => {
    expect(errorOf(() => render('{{ sprig_nope 1 }}')).message).toBe(
      'function "sprig_nope" not defined',
    );
  });
});

describe('sprig functions', () => {
  it.each([
    ['{{ sprig_upper "hello" }}', 'HELLO'],
    ['{{ sprig_lower "HELLO" }}', 'hello'],
    ['{{ sprig_title "hello world" }}', 'Hello World'],
    ['{{ sprig_trim "   hello    " }}', 'hello'],
    ['{{ sprig_trimAll "$" "$5.00" }}', '5.00'],
    ['{{ sprig_trimPrefix "-" "-hello" }}', 'hello'],
    ['{{ sprig_trimSuffix "-" "hello-" }}', 'hello'],
    ['{{ sprig_trunc 5 "hello world" }}', 'hello'],
    ['{{ sprig_trunc -5 "hello world" }}', 'world'],
    ['{{ sprig_repeat 3 "hello" }}', 'hellohellohello'],
    ['{{ sprig_replace " " "-" "I Am Henry VIII" }}', 'I-Am-Henry-VIII'],
    ['{{ sprig_contains "cat" "catch" }}', 'true'],
    ['{{ sprig_hasPrefix "cat" "catch" }}', 'true'],
    ['{{ sprig_hasSuffix "cat" "catch" }}', 'false'],
    ['{{ sprig_quote "a" "b" }}', '"a" "b"'],
    ['{{ sprig_squote "a" }}', "'a'"],
    ['{{ sprig_indent 4 "a\\nb" }}', '    a\n    b'],
    ['{{ sprig_nindent 2 "a\\nb" }}', '\n  a\n  b'],
    ['{{ sprig_splitList "$" "foo$bar$baz" }}', '[foo bar baz]'],
    ['{{ sprig_list 1 2 3 | sprig_join "-" }}', '1-2-3'],
    ['{{ sprig_default "foo" "" }}', 'foo'],
    ['{{ sprig_default "foo" "bar" }}', 'bar'],
    ['{{ "" | sprig_default "foo" }}', 'foo'],
    [
      '{{ sprig_empty "" }} {{ sprig_empty 0 }} {{ sprig_empty (sprig_list) }} {{ sprig_empty "x" }}',
      'true true true false',
    ],
    ['{{ sprig_coalesce 0 "" "x" "y" }}', 'x'],
    ['{{ sprig_ternary "yes" "no" true }} {{ sprig_ternary "yes" "no" false }}', 'yes no'],
    ['{{ sprig_toString 5 }}{{ sprig_toString 1.5 }}{{ sprig_toString true }}', '51.5true'],
    ['{{ sprig_atoi "42" | add 1 }}', '43'],
    ['{{ sprig_int "7" }} {{ sprig_int 7.9 }}', '7 7'],
    ['{{ sprig_float64 "1.5" }}', '1.5'],
    [
      '{{ sprig_add 1 2 3 }} {{ sprig_sub 5 3 }} {{ sprig_mul 2 3 4 }} {{ sprig_div 7 2 }} {{ sprig_mod 7 2 }}',
      '6 2 24 3 1',
    ],
    ['{{ sprig_max 1 5 3 }} {{ sprig_min 4 2 8 }} {{ sprig_add1 1 }}', '5 2 2'],
    [
      '{{ $d := sprig_dict "b" 2 "a" 1 }}{{ $d }} {{ sprig_get $d "a" }} [{{ sprig_get $d "z" }}] {{ sprig_hasKey $d "b" }}',
      'map[a:1 b:2] 1 [] true',
    ],
    ['{{ $d := sprig_dict "a" 1 }}{{ $_ := sprig_set $d "b" 2 }}{{ sprig_keys $d }}', '[a b]'],
    ['{{ sprig_list "b" "a" "b" | sprig_uniq }}', '[b a]'],
    ['{{ sprig_list "b" "c" "a" | sprig_sortAlpha }}', '[a b c]'],
    [
      '{{ sprig_list 1 2 3 | sprig_first }} {{ sprig_list 1 2 3 | sprig_last }} {{ sprig_list 1 2 3 | sprig_rest }} {{ sprig_list 1 2 3 | sprig_initial }}',
      '1 3 [2 3] [1 2]',
    ],
    ['{{ sprig_has 2 (sprig_list 1 2) }} {{ sprig_without (sprig_list 1 2 3) 2 }}', 'true [1 3]'],
    ['{{ sprig_b64enc "hello" }} {{ sprig_b64dec "aGVsbG8=" }}', 'aGVsbG8= hello'],
    [
      '{{ sprig_sha256sum "hello" }}',
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    ],
    ['{{ sprig_toJson (sprig_dict "a" 1) }}', '{"a":1}'],
    ['{{ sprig_regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', '-W-xxW-'],
    ['{{ sprig_regexMatch "^[a-z]+$" "abc" }}', 'true'],
    ['{{ sprig_until 3 }}', '[0 1 2]'],
    ['{{ sprig_date "2006-01-02" sprig_now }}', '1970-01-01'],
    ['{{ sprig_now }}', '1970-01-01 00:00:00 +0000 UTC'],
    [
      '{{ sprig_toJson (sprig_dict "a" "<b>") }} {{ sprig_toRawJson (sprig_dict "a" "<b>") }}',
      '{"a":"\\u003cb\\u003e"} {"a":"<b>"}',
    ],
    ['{{ sprig_sha1sum "Hello world!" }}', 'd3486ae9136e7856bc42212385ea797094475802'],
    ['{{ sprig_regexFind "[a-zA-Z][1-9]" "abcd1234" }}', 'd1'],
    ['{{ sprig_regexSplit "z+" "pizza" -1 }}', '[pi a]'],
    ['{{ sprig_regexQuoteMeta "1.2.3" }}', '1\\.2\\.3'],
    ['{{ $s := sprig_splitn "$" 2 "foo$bar$baz" }}{{ $s._0 }} {{ $s._1 }}', 'foo bar$baz'],
    ['{{ sprig_substr 0 5 "hello world" }}', 'hello'],
    ['{{ sprig_nospace "hello w o r l d" }}', 'helloworld'],
    ['{{ sprig_abbrev 5 "hello world" }}', 'he...'],
    ['{{ sprig_cat "hello" "beautiful" "world" }}', 'hello beautiful world'],
    ['{{ sprig_compact (sprig_list 1 "" 0 "a") }}', '[1 a]'],
    ['{{ sprig_pick (sprig_dict "a" 1 "b" 2 "c" 3) "a" "c" }}', 'map[a:1 c:3]'],
    ['{{ sprig_omit (sprig_dict "a" 1 "b" 2 "c" 3) "a" "c" }}', 'map[b:2]'],
    [
      '{{ sprig_dig "user" "role" "name" "none" (sprig_dict "user" (sprig_dict "role" (sprig_dict "name" "admin"))) }}',
      'admin',
    ],
    ['{{ sprig_dig "user" "x" "none" (sprig_dict "user" (sprig_dict)) }}', 'none'],
    ['{{ sprig_ceil 1.1 }} {{ sprig_floor 1.9 }}', '2 1'],
  ])('%s', (text, want) => {
    expect(render(text, EPOCH)).toBe(want);
  });

  it('lists the sprig functions it has built', () => {
    expect(SPRIG_BUILT).toContain('default');
    expect(SPRIG_BUILT).toContain('nindent');
    expect(SPRIG_BUILT.length).toBeGreaterThan(60);
  });
});

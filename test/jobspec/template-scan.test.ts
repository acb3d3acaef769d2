/**
 * The simple-form scan of template texts against the renderer's parser: a text the scan accepts
 * must parse, with the same calls at the same offsets; the common forms must be accepted (else
 * validation pays for the full parse), and the scan must never accept a text the parser refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simpleTemplateCalls } from '../../src/jobspec/template-scan.js';
import { checkTemplate } from '../../src/jobspec/template-check.js';
import { FUNCTIONS } from '../../src/template/functions.js';
import { calledFunctions, parseTemplate } from '../../src/template/index.js';

const isFunction = (name: string): boolean => FUNCTIONS.has(name);

/** The renderer's verdict: its calls (name@offset), or undefined when the text does not parse. */
function parserCalls(text: string): string[] | undefined {
  try {
    return parseTemplate(text).calls.map((c) => `${c.name}@${c.pos}`);
  } catch {
    return undefined;
  }
}

function scanCalls(text: string): string[] | undefined {
  return simpleTemplateCalls(text, isFunction)?.map((c) => `${c.name}@${c.pos}`);
}

/** Holds the scan to the parser on one text; returns whether the scan accepted it. */
function agrees(text: string): boolean {
  const scanned = scanCalls(text);
  if (scanned !== undefined) expect(scanned, JSON.stringify(text)).toEqual(parserCalls(text));
  return scanned !== undefined;
}

describe('simpleTemplateCalls', () => {
  it('accepts the forms job files are made of, with the calls the parser finds', () => {
    const common = [
      'no actions at all',
      'listen {{ env "NOMAD_PORT_http" }}\nkey: {{ key "db/config" }}\n',
      '{{ range service "cart" }}\nupstream = "{{ .Address }}:{{ .Port }}"\n{{ end }}',
      '{{ with secret "kv/data/auth" }}token = "{{ .Data.data.token }}"{{ end }}',
      '{{- range $i, $s := service "billing-db" -}}\n{{ $i }} {{ $s.Address }}:{{ $s.Port }}\n{{- end }}',
      '{{ with nomadVar "nomad/jobs/x" }}{{ .password }}{{ else }}none{{ end }}',
      '{{ if env "NOMAD_META_webhook" }}{{ env "NOMAD_META_webhook" }}{{ end -}}',
      '{{ range ls "config/haproxy" -}}\n{{ .Key | toUpper }} {{ .Value | toJSON }}\n{{ end }}',
      '{{ $x := env "A" }}{{ $x }}{{.}}{{ . }}{{$.Foo}}',
      '{{\nenv\n"A"\n}}',
    ];
    for (const text of common) {
      expect(agrees(text), text).toBe(true);
      expect(parserCalls(text)).toBeDefined();
    }
  });

  it('leaves every error and every unusual form to the parser', () => {
    const others = [
      '{{',
      '{{ }}',
      '{{ if }}{{ end }}',
      '{{ end }}',
      '{{ else }}',
      '{{ if env "A" }}x',
      '{{ if env "A" }}{{ else }}{{ else }}{{ end }}',
      '{{ nope "x" }}',
      '{{ env "a\\"b" }}',
      '{{ env "a }}',
      '{{ env"a" }}',
      '{{ .Foo. }}',
      '{{ .5 }}',
      '{{ $x }}',
      '{{ $x = 1 }}',
      '{{ with $a, $b := env "A" }}{{ end }}',
      '{{ range $a, $b }}{{ end }}',
      '{{ env "A" | "b" }}',
      '{{ env "A" | . }}',
      '{{ env "A" | }}',
      '{{/* a comment */}}',
      '{{ (env "A") }}',
      '{{ if$x }}{{ end }}',
      '{{range.Items}}{{.}}{{end}}',
      '{{ end$ }}',
      '{{ if env "A" }}{{ else if env "B" }}{{ end }}',
      '{{ define "x" }}{{ end }}',
      '{{ template "x" }}',
      '{{ true }}',
      '{{ envé "A" }}',
      '{{-3}}',
      '{{ env "A"-}}',
    ];
    for (const text of others) expect(agrees(text), text).toBe(false);
  });

  it('accepts only texts the parser accepts, with the same calls (generated texts)', () => {
    const pieces = [
      '{{',
      '}}',
      '{{- ',
      ' -}}',
      '{{ ',
      ' }}',
      ' ',
      '\n',
      '\t',
      '-',
      'env',
      'key',
      'service',
      'toJSON',
      'nope',
      '"x"',
      '"a b"',
      '"',
      '\\',
      '.A',
      '.B.c',
      '.',
      '$',
      '$x',
      '$i',
      ':=',
      '=',
      ',',
      '|',
      'if ',
      'with ',
      'range ',
      'else',
      'end',
      'define',
      '(',
      ')',
      '1',
      'é',
      'text',
    ];
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
        if (agrees(parts.join(''))) accepted++;
      }),
      { numRuns: 20000, seed: 12 },
    );
    // Enough accepted texts that the property says something.
    expect(accepted).toBeGreaterThan(500);
  });
});

describe('checkTemplate', () => {
  it('reports what the renderer reports: the error, or the first call of each Consul/Vault function', () => {
    const text = '{{ key "a" }}\n{{ range service "s" }}{{ key "b" }}{{ end }}';
    expect(checkTemplate(text)).toEqual({
      ok: true,
      consulVault: [
        { name: 'key', line: 1, column: 4 },
        { name: 'service', line: 2, column: 10 },
      ],
    });
    expect(calledFunctions(parseTemplate(text)).map((f) => f.name)).toEqual([
      'key',
      'service',
      'key',
    ]);
    expect(checkTemplate('a\n{{ nope }}')).toEqual({
      ok: false,
      message: 'function "nope" not defined',
      line: 2,
      column: 4,
    });
    // Other delimiters: the renderer's parse, with them.
    expect(checkTemplate('[[ key "a" ]] {{ nope }}', '[[', ']]')).toEqual({
      ok: true,
      consulVault: [{ name: 'key', line: 1, column: 4 }],
    });
  });
});

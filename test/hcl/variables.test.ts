import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { evaluate } from '../../src/hcl/eval.js';
import { parseExpression, parseHCL } from '../../src/hcl/parser.js';
import type { Value } from '../../src/hcl/value.js';
import { buildRootScope, type VariableInputs } from '../../src/hcl/variables.js';
import { describeDiag } from './eval-support.js';

interface Setup {
  vars?: string[];
  varFiles?: string[];
  env?: Record<string, string | undefined>;
  files?: Record<string, string>;
}

/** Builds the root scope of `src` and evaluates `expr` in it. */
function build(src: string, setup: Setup = {}, expr = 'var') {
  const parsed = parseHCL(src, 'job.hcl');
  expect(parsed.diagnostics.map(describeDiag)).toEqual([]);
  const files = setup.files ?? {};
  const readFile = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
    return v;
  };
  const inputs: VariableInputs = {
    vars: setup.vars ?? [],
    varFiles: setup.varFiles ?? [],
    env: setup.env ?? {},
  };
  const diags = new Diagnostics();
  const scope = buildRootScope(parsed.file.body, inputs, { baseDir: '/job', readFile }, diags);
  const e = parseExpression(expr, 'probe.hcl');
  const value = evaluate(e.expr, scope, diags);
  return {
    value,
    diags: diags.items.map((d) => `${d.range?.filename ?? '-'} ${describeDiag(d)}`),
    details: diags.items.map((d) => d.detail ?? ''),
  };
}

function clean(src: string, setup: Setup = {}, expr = 'var'): Value | undefined {
  const r = build(src, setup, expr);
  expect(r.diags).toEqual([]);
  return r.value;
}

const PORT = `
variable "port" {
  type    = number
  default = 80
}
`;

describe('values and precedence', () => {
  it.each<[string, Setup, Value]>([
    ['the default', {}, 80],
    ['NOMAD_VAR_ over the default', { env: { NOMAD_VAR_port: '81' } }, 81],
    [
      'a var file over the environment',
      { env: { NOMAD_VAR_port: '81' }, varFiles: ['a.hcl'], files: { 'a.hcl': 'port = 82\n' } },
      82,
    ],
    [
      'later var files over earlier ones',
      {
        varFiles: ['a.hcl', 'b.json'],
        files: { 'a.hcl': 'port = 82\n', 'b.json': '{"port": 83}' },
      },
      83,
    ],
    [
      '-var over everything',
      {
        env: { NOMAD_VAR_port: '81' },
        varFiles: ['a.hcl'],
        files: { 'a.hcl': 'port = 82' },
        vars: ['port=84'],
      },
      84,
    ],
    ['the last -var', { vars: ['port=84', 'port=85'] }, 85],
  ])('%s', (_name, setup, want) => {
    expect(clean(PORT, setup, 'var.port')).toBe(want);
  });

  it.each<[string, string, Value]>([
    ['string', 'x=[1]', '[1]'],
    ['number', 'x=5', 5],
    ['bool', 'x=true', true],
    ['list(string)', 'x=["a", 1]', ['a', '1']],
    ['map(number)', 'x={ a = "1" }', { a: 1 }],
    ['object({ a = string, b = optional(number, 7) })', 'x={ a = "z" }', { a: 'z', b: 7 }],
    ['any', 'x={ a = 1 }', { a: 1 }],
  ])('-var text is taken literally or parsed by type: %s', (type, flag, want) => {
    expect(clean(`variable "x" {\n  type = ${type}\n}\n`, { vars: [flag] }, 'var.x')).toEqual(want);
  });

  it.each<[string, string, Value]>([
    ['no type and no default: literal', 'variable "x" {}', '[1]'],
    ['a list default: parsed', 'variable "x" { default = [] }', [1]],
    ['a string default: literal', 'variable "x" { default = "" }', '[1]'],
  ])('untyped variables: %s', (_n, src, want) => {
    expect(clean(src, { vars: ['x=[1]'] }, 'var.x')).toEqual(want);
  });

  it('ignores NOMAD_VAR_ values of undeclared variables and other environment variables', () => {
    expect(
      clean(
        PORT,
        { env: { NOMAD_VAR_other: '1', PATH: '/bin', NOMAD_VAR_port: undefined } },
        'var.port',
      ),
    ).toBe(80);
  });

  it('reads the variables {} shorthand', () => {
    expect(clean('variables {\n  a = 1\n  b = "x"\n}\n', { vars: ['a=2'] })).toEqual({
      a: 2,
      b: 'x',
    });
  });

  it('converts defaults to the declared type', () => {
    expect(
      clean('variable "x" {\n  type    = list(string)\n  default = [1, 2]\n}\n', {}, 'var.x'),
    ).toEqual(['1', '2']);
  });

  it('accepts description, sensitive and several validations', () => {
    const src = `variable "n" {
  type        = number
  description = "How many."
  sensitive   = false
  default     = 3
  validation {
    condition     = var.n > 0
    error_message = "Must be positive."
  }
  validation {
    condition     = var.n < 10
    error_message = "Must be small."
  }
}
`;
    expect(clean(src, {}, 'var.n')).toBe(3);
  });
});

describe('locals', () => {
  it('resolves locals that refer to each other in any order, across blocks', () => {
    const src = `
locals {
  c = "\${local.b}-c"
}
variable "x" { default = "x" }
locals {
  b = "\${local.a}-b"
  a = upper(var.x)
}
`;
    expect(clean(src, {}, 'local')).toEqual({ c: 'X-b-c', b: 'X-b', a: 'X' });
  });

  it('keeps client-side references as text and reads files relative to the job', () => {
    const src = `locals {
  host = "\${attr.unique.hostname}:\${NOMAD_PORT_http}"
  conf = file("app.conf")
}
`;
    expect(clean(src, { files: { '/job/app.conf': 'k=v' } }, 'local')).toEqual({
      host: '${attr.unique.hostname}:${NOMAD_PORT_http}',
      conf: 'k=v',
    });
  });
});

describe('errors, at their exact place', () => {
  it.each<[string, string, Setup, string[], string?]>([
    [
      'a required variable without a value',
      'variable "image" {\n  type = string\n}\n',
      {},
      ['job.hcl Unset variable "image" @ 1:1-1:17'],
      'A used variable must be set or have a default value',
    ],
    [
      'an undeclared -var name',
      PORT,
      { vars: ['prot=1'] },
      ['- Undefined -var variable'],
      'A "prot" variable was passed in the command line but was not found in known variables.',
    ],
    [
      'a -var without "="',
      PORT,
      { vars: ['port'] },
      ['- Invalid -var option'],
      'The given -var option "port" is not correctly specified.',
    ],
    [
      'a -var value that is not a number',
      PORT,
      { vars: ['port=eighty'] },
      ['- Invalid argument value for -var variable'],
      "The received arg value for port is not compatible with the variable's type constraint: a number is required.",
    ],
    [
      'a -var value of the wrong shape',
      'variable "l" {\n  type = list(number)\n}\n',
      { vars: ['l=["a"]'] },
      ['<value for var.l from arguments> Invalid argument value for -var variable @ 1:1-1:6'],
      'element 0: a number is required.',
    ],
    [
      'a -var value that does not parse',
      'variable "l" {\n  type = list(number)\n}\n',
      { vars: ['l=[1,'] },
      ['<value for var.l from arguments> Missing expression @ 1:4-1:4'],
    ],
    [
      'a default that does not convert',
      'variable "n" {\n  type    = number\n  default = "many"\n}\n',
      {},
      [
        'job.hcl Invalid default value for variable @ 3:13-3:19',
        'job.hcl Unset variable "n" @ 1:1-1:13',
      ],
      "This default value is not compatible with the variable's type constraint: a number is required.",
    ],
    [
      'a var-file value that does not convert',
      PORT,
      { varFiles: ['prod.hcl'], files: { 'prod.hcl': '# prod\nport = "http"\n' } },
      ['prod.hcl Invalid value for variable @ 2:8-2:14'],
      "The value for port is not compatible with the variable's type constraint: a number is required.",
    ],
    [
      'a JSON var-file value that does not convert',
      PORT,
      { varFiles: ['prod.json'], files: { 'prod.json': '{\n  "port": [1]\n}\n' } },
      ['prod.json Invalid value for variable @ 2:11-2:14'],
    ],
    [
      'an undeclared variable in a var file',
      PORT,
      { varFiles: ['prod.hcl'], files: { 'prod.hcl': 'port = 1\nprot = 2\n' } },
      ['prod.hcl Undefined variable @ 2:1-2:5'],
      'A "prot" variable was set but was not found in known variables.',
    ],
    [
      'a variable declared in a var file',
      PORT,
      { varFiles: ['prod.hcl'], files: { 'prod.hcl': 'variable "port" {}\n' } },
      ['prod.hcl Variable declaration in a .var file @ 1:1-1:9'],
    ],
    [
      'a var file referring to variables',
      PORT,
      { varFiles: ['prod.hcl'], files: { 'prod.hcl': 'port = var.other\n' } },
      ['prod.hcl Variables not allowed @ 1:8-1:11'],
    ],
    [
      'a var file that cannot be read',
      PORT,
      { varFiles: ['missing.hcl'] },
      ['- Failed to read file'],
      'failed to read "missing.hcl"',
    ],
    [
      'a default that refers to a variable',
      'variable "a" {\n  default = var.b\n}\n',
      {},
      ['job.hcl Variables not allowed @ 2:13-2:16', 'job.hcl Unset variable "a" @ 1:1-1:13'],
    ],
    [
      'a duplicate variable',
      'variable "a" { default = 1 }\nvariable "a" { default = 2 }\n',
      {},
      ['job.hcl Duplicate variable @ 2:10-2:13'],
    ],
    [
      'an unknown argument in a variable block',
      'variable "a" {\n  default = 1\n  defualt = 2\n}\n',
      {},
      ['job.hcl Unsupported argument @ 3:3-3:10'],
    ],
    [
      'an invalid type',
      'variable "a" {\n  type    = list\n  default = []\n}\n',
      {},
      ['job.hcl Invalid type specification @ 2:13-2:17'],
      'The list type constraint requires one argument specifying the element type.',
    ],
    [
      'an invalid variable name',
      'variable "1a" { default = 1 }\n',
      {},
      ['job.hcl Invalid variable name @ 1:10-1:14'],
    ],
  ])('%s', (_name, src, setup, want, detail) => {
    const r = build(src, setup);
    expect(r.diags).toEqual(want);
    if (detail) expect(r.details[0]).toContain(detail);
  });

  const VALIDATED = `variable "image" {
  type    = string
  default = "nginx"

  validation {
    condition     = substr(var.image, 0, 4) == "app-"
    error_message = "The image must start with \\"app-\\"."
  }
}
`;

  it('reports a failed validation at the default value that failed it', () => {
    const r = build(VALIDATED);
    expect(r.diags).toEqual(['job.hcl Invalid value for variable @ 3:13-3:20']);
    expect(r.details[0]).toBe(
      'The image must start with "app-".\n\nThe value came from the default value and was checked by the validation rule at job.hcl:5,3.',
    );
  });

  it('reports a failed validation of a -var value at the condition', () => {
    const r = build(VALIDATED, { vars: ['image=redis'] });
    expect(r.diags).toEqual(['job.hcl Invalid value for variable @ 6:21-6:54']);
    expect(r.details[0]).toContain('The value came from the -var image=… option');
  });

  it('reports a failed validation of a var-file value where the file sets it', () => {
    const r = build(VALIDATED, {
      varFiles: ['v.hcl'],
      files: { 'v.hcl': '\n\nimage = "redis"\n' },
    });
    expect(r.diags).toEqual(['v.hcl Invalid value for variable @ 3:9-3:16']);
  });

  it('passes a valid value', () => {
    expect(build(VALIDATED, { env: { NOMAD_VAR_image: 'app-web' } }, 'var.image').value).toBe(
      'app-web',
    );
  });

  it.each<[string, string, string[]]>([
    [
      'a condition that refers to another variable',
      'condition = var.image != var.other',
      ['job.hcl Invalid reference in variable validation @ 3:30-3:39'],
    ],
    [
      'a condition that does not refer to its variable',
      'condition = true',
      ['job.hcl Invalid variable validation condition @ 3:17-3:21'],
    ],
    [
      'a condition that is not a bool',
      'condition = var.image',
      ['job.hcl Invalid variable validation result @ 3:17-3:26'],
    ],
  ])('rejects %s', (_name, condition, want) => {
    const src = `variable "image" {\n  validation {\n    ${condition}\n    error_message = "Bad image."\n  }\n  default = "x"\n}\n`;
    expect(build(src).diags).toEqual(want);
  });

  it.each<[string, string]>([
    ['"lower case start."', 'job.hcl Invalid validation error message @ 4:21-4:40'],
    ['""', 'job.hcl Invalid validation error message @ 4:21-4:23'],
  ])('rejects the error message %s', (msg, want) => {
    const src = `variable "image" {\n  validation {\n    condition     = var.image != ""\n    error_message = ${msg}\n  }\n  default = "x"\n}\n`;
    expect(build(src).diags).toEqual([want]);
  });

  it('reports a validation block without a condition', () => {
    const src =
      'variable "a" {\n  default = 1\n  validation {\n    error_message = "Bad."\n  }\n}\n';
    expect(build(src).diags).toEqual(['job.hcl Missing required argument @ 3:14-3:15']);
  });

  it('reports circular locals once, at the first of them', () => {
    const src = 'locals {\n  a = local.b\n  b = "${local.a}"\n  c = 1\n}\n';
    const r = build(src, {}, 'local.c');
    expect(r.diags).toEqual(['job.hcl Circular reference between local values @ 2:3-2:4']);
    expect(r.details[0]).toContain('local.a → local.b → local.a');
    expect(r.value).toBe(1);
  });

  it('reports duplicate locals', () => {
    const r = build('locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n', {}, '1');
    expect(r.diags).toEqual(['job.hcl Duplicate local value @ 5:3-5:4']);
  });

  it('reports a reference to an undeclared variable in a local', () => {
    const r = build('locals {\n  a = var.nope\n}\n', {}, '1');
    expect(r.diags).toEqual(['job.hcl Reference to undeclared input variable @ 2:7-2:15']);
  });

  it('does not cascade errors from a variable without a value', () => {
    const src = 'variable "img" {}\nlocals {\n  a = "${var.img}:1"\n  b = local.a\n}\n';
    const r = build(src, {}, 'local.b');
    expect(r.diags).toEqual(['job.hcl Unset variable "img" @ 1:1-1:15']);
    expect(r.value).toBeUndefined();
  });
});

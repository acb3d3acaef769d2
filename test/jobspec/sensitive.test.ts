import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import {
  atPointer,
  Redactor,
  redactAtPointers,
  sensitiveTexts,
} from '../../src/jobspec/sensitive.js';

const SECRET = 'hunter2-topsecret';

function load(body: string, vars: string[] = [`password=${SECRET}`]) {
  const source = `
variable "password" {
  type      = string
  sensitive = true
}
variable "plain" {
  type    = string
  default = "visible"
}
${body}`;
  const diags = new Diagnostics();
  const job = loadJobSource(
    source,
    'job.nomad.hcl',
    { inputs: { vars, varFiles: [], env: {} } },
    diags,
  );
  return { job, diags };
}

function taskJob(env: string, locals = ''): ReturnType<typeof load> {
  return load(`${locals}
job "app" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      env {
${env}
      }
    }
  }
}`);
}

function marked(env: string, locals = ''): Record<string, unknown> {
  const { job, diags } = taskJob(env, locals);
  expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
  const out: Record<string, unknown> = {};
  for (const p of job!.sensitive) out[p] = atPointer(job!.job, p);
  return out;
}

const ENV = '/group/0/task/0/env';

describe('sensitive marks', () => {
  it('marks a variable used directly and leaves the rest unmarked', () => {
    expect(marked(`PASSWORD = var.password\n PLAIN = var.plain`)).toEqual({
      [`${ENV}/PASSWORD`]: SECRET,
    });
  });

  it('follows interpolation', () => {
    expect(marked(`URL = "postgres://app:\${var.password}@db/app"`)).toEqual({
      [`${ENV}/URL`]: `postgres://app:${SECRET}@db/app`,
    });
  });

  it('follows functions: upper, format, join, substr, sha256, length', () => {
    const got = marked(`
      A = upper(var.password)
      B = format("pw=%s", var.password)
      C = join(",", ["x", var.password])
      D = substr(var.password, 0, 3)
      E = sha256(var.password)
      F = length(var.password)
      G = upper(var.plain)`);
    expect(Object.keys(got).sort()).toEqual(
      ['A', 'B', 'C', 'D', 'E', 'F'].map((k) => `${ENV}/${k}`),
    );
    expect(got[`${ENV}/A`]).toBe(SECRET.toUpperCase());
  });

  it('follows locals and conditionals', () => {
    const got = marked(
      `FROM_LOCAL = local.dsn
       BRANCH = var.plain == "visible" ? var.password : "none"
       CHOSEN = startswith(var.password, "hunter") ? "a" : "b"
       PLAIN = local.plain`,
      `locals {
         dsn   = "dsn:\${var.password}"
         plain = "p-\${var.plain}"
       }`,
    );
    expect(Object.keys(got).sort()).toEqual(
      ['BRANCH', 'CHOSEN', 'FROM_LOCAL'].map((k) => `${ENV}/${k}`),
    );
  });

  it('marks nothing without sensitive variables', () => {
    const { job } = load(
      `job "app" {
        group "g" {
          task "t" {
            driver = "raw_exec"
            config { command = "/bin/\${var.plain}" }
          }
        }
      }`,
    );
    expect(job!.sensitive).toEqual([]);
  });

  it('hides a sensitive value quoted by a diagnostic', () => {
    const { job, diags } = load(`job "app" {
      group "g" {
        task "t" {
          driver = "raw_exec"
          config { command = "/bin/true" }
          kill_signal = var.password
          resources { memory = "\${var.password}" }
        }
      }
    }`);
    expect(job).toBeUndefined();
    const text = JSON.stringify(diags.items);
    expect(diags.items.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET);
  });
});

describe('Redactor', () => {
  const r = new Redactor([SECRET, 'ab']);
  it('hides whole values and occurrences in text', () => {
    expect(r.value(SECRET)).toBe('(sensitive)');
    expect(r.value('ab')).toBe('(sensitive)');
    expect(r.value('abc')).toBe('abc'); // short secrets are matched whole only
    expect(r.value(`x${SECRET}y`)).toBe('(sensitive)');
    expect(r.value(null)).toBeNull();
    expect(r.text(`password is ${SECRET}.`)).toBe('password is (sensitive).');
    expect(r.deep({ a: [SECRET, `u:${SECRET}`, 1], b: 'ab' })).toEqual({
      a: ['(sensitive)', 'u:(sensitive)', 1],
      b: '(sensitive)',
    });
  });

  it('redacts at pointers, and collects their texts', () => {
    const doc = { env: { A: SECRET, 'B/C': 'x' }, n: [1, 2] };
    expect(redactAtPointers(doc, ['/env/A', '/env/B~1C'])).toEqual({
      env: { A: '(sensitive)', 'B/C': '(sensitive)' },
      n: [1, 2],
    });
    expect(doc.env.A).toBe(SECRET);
    expect(sensitiveTexts(doc, ['/env', '/n/1']).sort()).toEqual(['2', SECRET, 'x'].sort());
  });
});

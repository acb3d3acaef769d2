/**
 * Each task's `config` is checked by its driver when the job is loaded (validate, plan, apply):
 * problems land at the line and column of the attribute or block at fault, warnings stay
 * warnings, values the host interpolates at start are accepted, an unknown driver is refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';

const NOT_RUN = 'Stanza not run by drover';

function load(source: string, filename = 'job.hcl'): { ok: boolean; diags: Diagnostics } {
  const diags = new Diagnostics();
  const job = loadJobSource(
    source,
    filename,
    { inputs: { vars: [], varFiles: [], env: {} }, drivers: driverConfigCheck },
    diags,
  );
  return { ok: job !== undefined, diags };
}

/** `severity line:col summary` of every diagnostic, in order. */
function report(source: string): string[] {
  return load(source)
    .diags.items.filter((d) => d.summary !== NOT_RUN)
    .map((d) => `${d.severity} ${d.range?.start.line}:${d.range?.start.column} ${d.summary}`);
}

/** A job with one task of `driver` whose config body is `config` (lines 5 on). */
function task(driver: string, config: string): string {
  return [
    'job "app" {',
    '  group "g" {',
    '    task "t" {',
    `      driver = "${driver}"`,
    config,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

describe('driver config checks', () => {
  it('reports docker problems at the attribute, value or nested block at fault', () => {
    const src = task(
      'docker',
      [
        '      config {', // 5
        '        image   = ["nginx"]', // 6
        '        bogus   = true', // 7
        '        volumes = ["no-target"]', // 8
        '        mount {', // 9
        '          type   = "nfs"', // 10
        '          target = "/data"', // 11
        '        }',
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual([
      'error 6:19 Incorrect attribute value type',
      'error 7:9 Unsupported argument',
      'error 8:20 Malformed volume',
      'error 10:20 Invalid mount type',
    ]);
    const { ok, diags } = load(src);
    expect(ok).toBe(false);
    const bogus = diags.items.find((d) => d.summary === 'Unsupported argument')!;
    expect(bogus.detail).toContain('"bogus" is not expected in the docker driver\'s config');
    expect(bogus.range).toMatchObject({
      filename: 'job.hcl',
      start: { line: 7, column: 9 },
      end: { line: 7, column: 14 },
    });
  });

  it('reports a missing required argument at the config block, or at the task without one', () => {
    expect(report(task('docker', '      config {\n        command = "nginx"\n      }'))).toEqual([
      'error 5:7 Missing required argument',
    ]);
    expect(report(task('raw_exec', ''))).toEqual(['error 3:5 Missing required argument']);
  });

  it('reports raw_exec problems', () => {
    const src = task(
      'raw_exec',
      ['      config {', '        command = ""', '        args    = "-v"', '      }'].join('\n'),
    );
    expect(report(src)).toEqual([
      'error 6:19 Invalid value',
      'error 7:19 Incorrect attribute value type',
    ]);
  });

  it('reports podman problems under the podman names', () => {
    const src = task(
      'podman',
      [
        '      config {',
        '        image      = "docker://redis:7"',
        '        tmpfs      = ["relative"]', // 7
        '        working_dir = ["x"]', // 8: checked as docker's work_dir, reported as working_dir
        '        volumez    = []', // 9
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual([
      'error 7:23 Malformed tmpfs',
      'error 9:9 Unsupported argument',
      'error 8:23 Incorrect attribute value type',
    ]);
    const { diags } = load(src);
    expect(diags.items.find((d) => d.summary === 'Unsupported argument')!.detail).toContain(
      'Did you mean "volumes"?',
    );
  });

  it('reports mock problems', () => {
    const src = task(
      'mock',
      [
        '      config {',
        '        run_for   = "soon"',
        '        exit_code = 300',
        '        exit_cod  = 1',
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual([
      'error 6:21 Invalid duration',
      'error 7:21 Incorrect attribute value type',
      'error 8:9 Unsupported argument',
    ]);
  });

  it('keeps warnings as warnings: the job still loads', () => {
    const src = task(
      'docker',
      [
        '      config {',
        '        image          = "redis:7"',
        '        auth_soft_fail = true', // 7
        '        command        = "redis-server --appendonly yes"', // 8
        '      }',
      ].join('\n'),
    );
    const { ok, diags } = load(src);
    expect(ok).toBe(true);
    expect(diags.hasErrors).toBe(false);
    expect(report(src)).toEqual([
      'warning 7:26 "auth_soft_fail" is accepted but not applied by drover',
      'warning 8:26 Command contains white space',
    ]);
  });

  it('warns about a driver drover does not have (Nomad validates without drivers), naming the ones it has', () => {
    const src = task('dockr', '      config {\n        image = "nginx"\n      }');
    const { ok, diags } = load(src);
    expect(ok).toBe(true);
    expect(report(src)).toEqual(['warning 4:16 Unknown task driver']);
    expect(diags.items.find((d) => d.summary === 'Unknown task driver')!.detail).toBe(
      'drover has no driver "dockr", so no node can run task "t" and planning it fails with "missing driver"; drover\'s drivers are "docker", "exec", "java", "mock", "podman", "raw_exec". Did you mean "docker"?',
    );
  });

  it('accepts values the host interpolates at start where a number, bool or path is due', () => {
    const src = task(
      'docker',
      [
        '      config {',
        '        image             = "redis:${NOMAD_META_tag}"',
        '        memory_hard_limit = "${NOMAD_MEMORY_MAX_LIMIT}"',
        '        shm_size          = NOMAD_META_shm',
        '        privileged        = "${meta.privileged}"',
        '        dns_servers       = ["${attr.unique.network.ip-address}"]',
        '        volumes           = ["local/conf:${NOMAD_TASK_DIR}/conf"]',
        '        port_map { db = "${NOMAD_PORT_db}" }',
        '        ulimit { nofile = "${meta.nofile}" }',
        '        mount {',
        '          type   = "bind"',
        '          source = "local"',
        '          target = "${NOMAD_ALLOC_DIR}/data"',
        '        }',
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual([]);
    const mock = task('mock', '      config {\n        exit_code = "${NOMAD_META_code}"\n      }');
    expect(report(mock)).toEqual([]);
  });

  it('still refuses an unknown key whatever its value, and a literal that cannot become one', () => {
    const src = task(
      'docker',
      [
        '      config {',
        '        image             = "redis:7"',
        '        bogus             = "${NOMAD_META_x}"', // 7
        '        memory_hard_limit = "lots"', // 8
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual([
      'error 7:9 Unsupported argument',
      'error 8:29 Incorrect attribute value type',
    ]);
  });

  it('points into configs written as an object attribute and through dynamic blocks', () => {
    const src = task(
      'docker',
      [
        '      config = {',
        '        image = "redis:7"',
        '        dns_servers = ["1.1.1.1", "dns.example"]', // 7: the second element
        '      }',
      ].join('\n'),
    );
    expect(report(src)).toEqual(['error 7:35 Invalid DNS server']);

    const dynamic = task(
      'docker',
      [
        '      config {',
        '        image = "redis:7"',
        '        dynamic "mount" {',
        '          for_each = ["/a", "b"]',
        '          content {',
        '            type   = "volume"',
        '            target = mount.value', // 11: the second mount's target is relative
        '          }',
        '        }',
        '      }',
      ].join('\n'),
    );
    expect(report(dynamic)).toEqual(['error 11:22 Relative mount target']);
  });
});

describe('public Nomad jobspecs', () => {
  const corpus = fileURLToPath(new URL('../fixtures/hcl/', import.meta.url));
  const files = readdirSync(corpus).filter((f) => f.startsWith('nomad-') && f.endsWith('.hcl'));

  it('covers every driver of the corpus', () => {
    const drivers = new Set(
      files.flatMap((f) =>
        [...readFileSync(join(corpus, f), 'utf8').matchAll(/driver\s*=\s*"(\w+)"/g)].map(
          (m) => m[1],
        ),
      ),
    );
    expect([...drivers].sort()).toEqual(['docker', 'exec', 'java', 'raw_exec']);
  });

  // Their configs use ${NOMAD_…} references, ulimits of -1, options drover does not apply:
  // none of it is an error. (Two files have other errors on purpose: no variable value, and
  // cpu with cores.) Stanzas drover refuses to run (vault, connect, …) are not config errors.
  it.each(files)('%s: no driver config errors', (file) => {
    const { diags } = load(readFileSync(join(corpus, file), 'utf8'), file);
    const errors = diags.items
      .filter((d) => d.severity === 'error' && !d.summary.endsWith('is not run by drover'))
      .map((d) => d.summary);
    expect(errors.filter((s) => !EXPECTED[file]?.includes(s))).toEqual([]);
  });
});

const EXPECTED: Record<string, string[]> = {
  'nomad-variables-locals.hcl': ['Unset variable "region"'],
  'nomad-parameterized.hcl': ["Task can only ask for 'cpu' or 'cores' resource, not both."],
};

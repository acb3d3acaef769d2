/**
 * The built CLI checks task configs with their driver before anything reaches a host:
 * `drover validate` prints `file:line:col: error: …` and exits 1, `plan` and `apply` refuse
 * the job; warnings alone leave validate successful. An unknown driver is such a warning, and
 * the plan then fails to place the task ("missing driver").
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-driver-config-'));
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

const job = (name: string, driver: string, config: string[]): string =>
  [
    `job "${name}" {`,
    '  group "web" {',
    '    task "server" {',
    `      driver = "${driver}"`,
    '      config {',
    ...config.map((line) => `        ${line}`),
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

// Line 6 holds `image = 42` (a number converts to a string, as in Nomad), line 7 the bad key.
writeFileSync(
  join(dir, 'bad.nomad.hcl'),
  job('bad', 'docker', ['image = 42', 'bogus = true', 'ports = "http"']),
);
writeFileSync(
  join(dir, 'warn.nomad.hcl'),
  job('warn', 'docker', ['image = "drover-test/busybox:v1"', 'auth_soft_fail = true']),
);
writeFileSync(join(dir, 'good.nomad.hcl'), job('good', 'mock', ['run_for = "1h"']));
writeFileSync(join(dir, 'unknown.nomad.hcl'), job('unknown', 'dockr', ['image = "x"']));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('driver config in the CLI', () => {
  it('validate reports each problem at file:line:col and exits 1', async () => {
    const r = await drover(dir, ['validate', 'bad.nomad.hcl']);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).toContain('bad.nomad.hcl:7:9: error: Unsupported argument');
    expect(out).toContain(
      `An argument or block named "bogus" is not expected in the docker driver's config.`,
    );
    expect(out).toContain('bad.nomad.hcl:8:17: error: Incorrect attribute value type');
    expect(out).toContain('2 errors, 0 warnings.');
  });

  it('validate -json gives the ranges', async () => {
    const r = await drover(dir, ['validate', '-json', 'bad.nomad.hcl']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      valid: boolean;
      error_count: number;
      diagnostics: { summary: string; range: { start: { line: number; column: number } } }[];
    };
    expect(report.valid).toBe(false);
    expect(report.error_count).toBe(2);
    expect(
      report.diagnostics.map((d) => [d.summary, d.range.start.line, d.range.start.column]),
    ).toEqual([
      ['Unsupported argument', 7, 9],
      ['Incorrect attribute value type', 8, 17],
    ]);
  });

  it('validate succeeds with warnings only', async () => {
    const r = await drover(dir, ['validate', 'warn.nomad.hcl']);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain(
      'warn.nomad.hcl:7:26: warning: "auth_soft_fail" is accepted but not applied by drover',
    );
    expect(out).toContain('Success! 1 job valid: warn.');
  });

  // Nomad validates jobs without knowing the drivers; placement then needs a node that has it.
  it('a driver drover does not have validates with a warning and fails placement', async () => {
    const v = await drover(dir, ['validate', 'unknown.nomad.hcl']);
    const vout = v.stdout + v.stderr;
    expect(v.code, vout).toBe(0);
    expect(vout).toContain('unknown.nomad.hcl:4:16: warning: Unknown task driver');
    expect(vout).toContain('Did you mean "docker"?');

    const p = await drover(dir, ['plan', 'unknown.nomad.hcl']);
    const pout = p.stdout + p.stderr;
    expect(pout).toContain('+ Job: "unknown"');
    expect(pout).toContain('Task Group "web" (failed to place 1 allocation)');
    expect(pout).toContain('1 node missing driver dockr');
    expect(pout).toContain('1 allocation cannot be placed.');
  });

  it('plan and apply refuse the job before touching state or hosts', async () => {
    for (const args of [
      ['plan', 'bad.nomad.hcl'],
      ['apply', '-auto-approve', 'bad.nomad.hcl'],
    ]) {
      const r = await drover(dir, args);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(out).toContain('bad.nomad.hcl:7:9: error: Unsupported argument');
    }
    expect(existsSync(join(dir, '.drover'))).toBe(false);

    // The same command plans a job whose config is right.
    const good = await drover(dir, ['plan', 'good.nomad.hcl']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain('+ Job: "good"');
  });
});

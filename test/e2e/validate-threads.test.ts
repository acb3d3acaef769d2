/**
 * `drover validate` of many files splits them across worker threads (cli/commands/validate-files.ts)
 * and prints exactly what loading them one after another on one thread reports: the same
 * diagnostics in the same order, a job id defined twice found across threads, the same exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateJobspecs } from '../../bench/parse/generate.mjs';
import { jsonDiagnostics } from '../../src/cli/output.js';
import { nodeFileAccess } from '../../src/io/node-files.js';
import { loadJobFiles } from '../../src/jobspec/load.js';
import { driverConfigCheck } from '../../providers/config-validators.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-validate-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Enough files for every thread a machine may start (see FILES_PER_THREAD and MAX_THREADS).
const files = generateJobspecs(700, 7, 'real');
files.forEach(([name, source], i) => {
  let text = source;
  if (i === 5) text = text.replace(/^job "[^"]+"/m, 'job "twice"'); // defined again below
  if (i === 650) text = text.replace(/^job "[^"]+"/m, 'job "twice"');
  if (i === 333) text = text.replace(/\}\s*$/, ''); // a syntax error
  if (i === 420) text = text.replace(/^(job "[^"]+" \{)$/m, '$1\n  priority = "high"'); // a type error
  if (i === 599) text = text.replace(/^(job "[^"]+" \{)$/m, '$1\n  blocks = 1'); // unknown argument
  writeFileSync(join(dir, name), text);
});

describe('validate on worker threads', () => {
  it('reports what one thread reports, in the same order, a duplicate across threads too', async () => {
    const expected = loadJobFiles([dir], {
      inputs: { vars: [], varFiles: [], env: {} },
      files: nodeFileAccess,
      drivers: driverConfigCheck,
    }).diagnostics.items;
    const summaries = expected.filter((d) => d.severity === 'error').map((d) => d.summary);
    expect(summaries).toContain('Duplicate job');
    expect(summaries.length).toBeGreaterThanOrEqual(4);

    const json = await drover(dir, ['validate', '--json', dir]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual(jsonDiagnostics(expected));

    const human = await drover(dir, ['validate', dir]);
    expect(human.code).toBe(1);
    const errors = summaries.length;
    const warnings = expected.length - errors;
    expect(human.stderr).toMatch(new RegExp(`\\n${errors} errors, ${warnings} warnings\\.\\n$`));
    expect(human.stderr).toMatch(
      /A job with id "twice" is also defined in \S*job-0005\.nomad\.hcl\./,
    );
  });

  it('lists every valid job, in file order', async () => {
    const clean = mkdtempSync(join(dir, 'clean-'));
    for (const [name, source] of files.slice(0, 400)) writeFileSync(join(clean, name), source);
    const r = await drover(clean, ['validate', '.']);
    expect(r.code, r.stderr).toBe(0);
    const ids = files.slice(0, 400).map(([, source]) => /^job "([^"]+)"/m.exec(source)![1]);
    expect(r.stdout).toBe(`Success! 400 jobs valid: ${ids.join(', ')}.\n`);
  });
});

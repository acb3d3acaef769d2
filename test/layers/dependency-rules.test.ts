/**
 * The dependency rules CI enforces (docs/architecture.md, "Dependency rules") really fail on a
 * forbidden import: eslint with the repository's own config is given a real file of each layer
 * with one forbidden line added, and scripts/check-deps.mjs a small tree with an import cycle.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LAYER_RULES = new Set([
  'no-restricted-imports',
  'no-restricted-globals',
  'no-restricted-syntax',
]);
const eslint = new ESLint({ cwd: root });

/** The layer-rule messages eslint gives `file` (a real file) with `line` added at its end. */
async function violations(file: string, line: string): Promise<string[]> {
  const source = `${readFileSync(join(root, file), 'utf8')}\n${line}\n`;
  const [result] = await eslint.lintText(source, { filePath: join(root, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId))
    .map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules (eslint)', () => {
  it.each([
    ['src/hcl/lexer.ts', "import { readFileSync } from 'node:fs';"],
    ['src/hcl/lexer.ts', "import { execFile } from 'child_process';"],
    ['src/jobspec/rules.ts', "import { connect } from 'node:net';"],
    ['src/scheduler/place.ts', "import type { Pool } from 'pg';"],
    ['src/plan/diff.ts', "export { readFile } from 'node:fs/promises';"],
    [
      'src/jobspec/rules.ts',
      "import { knownDrivers } from '../../providers/config-validators.js';",
    ],
    ['src/plan/compute.ts', "import type { Transport } from '../../providers/types.js';"],
    ['src/scheduler/place.ts', "import { LocalStateStore } from '../state/local.js';"],
    ['src/hcl/eval.ts', "import type { Job } from '../jobspec/load.js';"],
    ['providers/registry.ts', "import { processOutput } from '../src/cli/output.js';"],
    ['providers/drivers/mock.ts', "import { execute } from '../../src/ops/execute.js';"],
    ['providers/registry.ts', "import { loadConfig } from '../src/config/load.js';"],
    ['src/state/local.ts', "import { runApply } from '../deploy/apply.js';"],
    ['src/deploy/apply.ts', "import { processOutput } from '../cli/output.js';"],
    ['src/config/load.ts', "import { knownDrivers } from '../../providers/config-validators.js';"],
  ])('%s: %s is reported', async (file, line) => {
    const found = await violations(file, line);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^no-restricted-imports: .*(pure layer|must not import)/);
  });

  it.each([
    ['src/jobspec/load.ts', 'export const home = process.env.HOME;'],
    ['src/scheduler/place.ts', 'export const cwd = process.cwd();'],
    ['src/plan/diff.ts', 'export const { env } = process;'],
  ])('%s: %s is reported', async (file, line) => {
    expect(await violations(file, line)).toEqual([
      expect.stringMatching(/^no-restricted-globals: .*pure layer reads no process state/),
    ]);
  });

  it('reports a module loaded at run time in a pure layer', async () => {
    expect(
      await violations('src/hcl/parser.ts', "export const fs = () => import('node:fs');"),
    ).toEqual([expect.stringMatching(/^no-restricted-syntax: a pure layer loads no modules/)]);
  });

  it.each([
    // The planfile is the plan layer's one file that reads and writes files.
    ['src/plan/planfile.ts', "export { statSync } from 'node:fs';"],
    // Types of the state are the vocabulary of scheduling and planning.
    ['src/scheduler/place.ts', "export type { Allocation as A } from '../state/types.js';"],
    // Providers take a node as drover.hcl declares it, and no other part of the config.
    ['providers/registry.ts', "export type { NodeSpec as N } from '../src/config/node-spec.js';"],
    ['src/cli/output.ts', "export { readdirSync } from 'node:fs';"],
  ])('%s: %s is allowed', async (file, line) => {
    expect(await violations(file, line)).toEqual([]);
  });
});

describe('import cycles (scripts/check-deps.mjs)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drover-deps-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function tree(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmp, 'tree-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  const checkDeps = (dir?: string) =>
    spawnSync(
      process.execPath,
      [join(root, 'scripts/check-deps.mjs'), ...(dir ? ['--root', dir] : [])],
      { cwd: root, encoding: 'utf8' },
    );

  it('passes on the repository', () => {
    const r = checkDeps();
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/no import cycles/);
    expect(r.status).toBe(0);
  });

  it('fails on a cycle between two modules, naming them', () => {
    const r = checkDeps(
      tree({
        'src/hcl/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/hcl/b.ts': "import type { a } from './a.js';\nexport const b: typeof a | 1 = 1;\n",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('import cycle between modules:\n  src/hcl/a.ts\n  src/hcl/b.ts');
  });

  it('fails on a cycle between folders made of different modules, showing the imports', () => {
    const r = checkDeps(
      tree({
        'src/jobspec/check.ts':
          "import { rules } from '../../providers/rules.js';\nexport const c = rules;\n",
        'src/jobspec/ranges.ts': 'export const pointer = 1;\n',
        'providers/rules.ts':
          "import { pointer } from '../src/jobspec/ranges.js';\nexport const rules = pointer;\n",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('import cycle between folders providers, src/jobspec:');
    expect(r.stderr).toContain('src/jobspec/check.ts imports providers/rules.ts');
    expect(r.stderr).toContain('providers/rules.ts imports src/jobspec/ranges.ts');
    expect(r.stderr).not.toContain('between modules');
  });
});

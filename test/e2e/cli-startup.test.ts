/**
 * `drover validate` and `drover fmt` load only their own command (no engine, state backends or
 * providers: start-up is about half as long); every other command line still finds every
 * command.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { entryFor } from '../../bin/entry.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hello = readFileSync(
  fileURLToPath(new URL('../../examples/hello/hello.nomad.hcl', import.meta.url)),
  'utf8',
);
writeFileSync(join(dir, 'hello.nomad.hcl'), hello);

/** The CommonJS packages a `main(argv)` run loaded (pg, ssh2 and dockerode are CommonJS). */
function packagesLoadedBy(argv: string[]): string[] {
  const main = new URL('../../dist/src/cli/main.js', import.meta.url).href;
  const script = [
    `const { main } = await import(${JSON.stringify(main)});`,
    `process.exitCode = await main(${JSON.stringify(argv)});`,
    "const { createRequire } = await import('node:module');",
    'const cache = createRequire(import.meta.url).cache;',
    'const names = Object.keys(cache).map((f) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f)?.[1]);',
    "console.log('\\n' + JSON.stringify([...new Set(names.filter(Boolean))].sort()));",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
}

describe('CLI start-up', () => {
  it('validate loads no host, database or prompt client', () => {
    const loaded = packagesLoadedBy(['validate', 'hello.nomad.hcl']);
    for (const heavy of ['pg', 'ssh2', 'dockerode', 'enquirer'])
      expect(loaded).not.toContain(heavy);
  });

  it('any other command loads the whole CLI, the engine among it (pg)', () => {
    expect(packagesLoadedBy(['plan', '--help'])).toContain('pg');
  });

  it('validate and fmt work alone, with global flags before the command', async () => {
    const v = await drover(dir, ['-no-color', 'validate', 'hello.nomad.hcl']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/Success! 1 job valid: hello\./);
    const f = await drover(dir, ['fmt', '-check', 'hello.nomad.hcl']);
    expect(f.code, f.stderr).toBe(0);
    const help = await drover(dir, ['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: drover validate/);
  });

  it('help, version and every other command still know every command', async () => {
    const help = await drover(dir, ['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['validate', 'fmt', 'plan', 'apply', 'job', 'state', 'node', 'deployment'])
      expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    const version = await drover(dir, ['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = await drover(dir, ['valdate', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command/);
  });
});

/** `main(argv)` of one compiled entry (main.js or the validate bundle), run in `dir`. */
function runEntry(file: string, argv: string[]): { status: number | null; out: string } {
  const url = new URL(`../../dist/src/cli/${file}`, import.meta.url).href;
  const script = [
    `const { main } = await import(${JSON.stringify(url)});`,
    `process.exitCode = await main(${JSON.stringify(argv)});`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, out: `${r.stdout}\n--- stderr\n${r.stderr}` };
}

describe('the validate bundle', () => {
  const cli = (file: string) =>
    fileURLToPath(new URL(`../../dist/src/cli/${file}`, import.meta.url));

  it('is built with the CLI, after its entry, and imports no other drover module but the other commands', () => {
    const built = statSync(cli('validate-bundle.js')).mtimeMs;
    const held = JSON.parse(readFileSync(cli('validate-bundle.json'), 'utf8')) as string[];
    expect(held).toContain('main.js');
    expect(held).toContain('../jobspec/load.js');
    expect(held).not.toContain('commands/index.js');
    for (const file of held) expect(statSync(cli(file)).mtimeMs).toBeLessThanOrEqual(built);
    const code = readFileSync(cli('validate-bundle.js'), 'utf8');
    const relative = [...code.matchAll(/(?:from|import\()\s*["'](\.[^"']+)["']/g)].map((m) => m[1]);
    expect(new Set(relative)).toEqual(new Set(['./commands/fmt.js', './commands/index.js']));
  });

  it('reports exactly what the modules it bundles report', () => {
    writeFileSync(
      join(dir, 'broken.nomad.hcl'),
      hello.replace(/driver\s*=\s*"\w+"/, 'driver = 42\n      bogus = true').replace('}', '} }'),
    );
    writeFileSync(
      join(dir, 'typo.nomad.hcl'),
      hello.replace('job "hello"', 'job "hello2"').replace('group', 'gruop'),
    );
    for (const argv of [
      ['validate', 'hello.nomad.hcl'],
      ['validate', '.'],
      ['validate', '-json', '.'],
      ['validate', 'broken.nomad.hcl'],
      ['validate', '--help'],
    ]) {
      const bundled = runEntry('validate-bundle.js', argv);
      expect(bundled).toEqual(runEntry('main.js', argv));
      if (argv[1] === '.') expect(bundled.status).toBe(1);
    }
  });
});

describe('the launcher', () => {
  const at = mkdtempSync(join(tmpdir(), 'drover-launcher-'));
  afterAll(() => rmSync(at, { recursive: true, force: true }));
  mkdirSync(join(at, 'cli'));
  const main = pathToFileURL(join(at, 'cli/main.js'));
  const bundle = pathToFileURL(join(at, 'cli/validate-bundle.js'));
  const file = (name: string, seconds: number, text = '') => {
    writeFileSync(join(at, name), text);
    utimesSync(join(at, name), seconds, seconds);
  };

  it('runs validate from the bundle while no file it holds is newer, anything else from main', () => {
    file('cli/main.js', 1000);
    file('lib.js', 1000);
    file('cli/validate-bundle.js', 2000);
    file('cli/validate-bundle.json', 2000, JSON.stringify(['main.js', '../lib.js']));
    expect(entryFor(['validate', 'jobs/'], main).href).toBe(bundle.href);
    expect(entryFor(['-no-color', 'validate', 'jobs/'], main).href).toBe(bundle.href);
    expect(entryFor(['plan', 'jobs/'], main).href).toBe(main.href);
    expect(entryFor(['--help'], main).href).toBe(main.href);
    // tsc (or tsc --watch) rewrote one bundled file since: the bundle is stale.
    file('lib.js', 3000);
    expect(entryFor(['validate', 'jobs/'], main).href).toBe(main.href);
    file('cli/validate-bundle.js', 3000);
    expect(entryFor(['validate', 'jobs/'], main).href).toBe(bundle.href);
    // No list of what it holds, or a held file gone: not used.
    file('cli/validate-bundle.json', 3000, JSON.stringify(['main.js', '../gone.js']));
    expect(entryFor(['validate', 'jobs/'], main).href).toBe(main.href);
    rmSync(join(at, 'cli/validate-bundle.json'));
    expect(entryFor(['validate', 'jobs/'], main).href).toBe(main.href);
  });
});

/**
 * Colour is decided per stream: `drover plan > plan.txt` typed in a terminal writes a clean file
 * while the warnings it prints to the terminal keep their colour; NO_COLOR and -no-color turn all
 * colour off. The terminal is a real pseudo-terminal from util-linux's `script`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DROVER } from './cli.js';

const ESC = '\u001b[';
const dir = mkdtempSync(join(tmpdir(), 'drover-color-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The quick-start job plus an identity block, which drover does not run and warns about (on stderr).
const hello = readFileSync(
  fileURLToPath(new URL('../../examples/hello/hello.nomad.hcl', import.meta.url)),
  'utf8',
);
writeFileSync(
  join(dir, 'hello.nomad.hcl'),
  hello.replace(
    '      driver = "raw_exec"\n',
    '      driver = "raw_exec"\n      identity {\n        name = "x"\n      }\n',
  ),
);

/** Runs a shell command line on a pseudo-terminal; returns what the terminal showed. */
function onTerminal(commandLine: string, env: Record<string, string> = {}): string {
  const { NO_COLOR: _n, FORCE_COLOR: _f, ...base } = process.env;
  const r = spawnSync('script', ['-qec', commandLine, '/dev/null'], {
    cwd: dir,
    env: { ...base, TERM: 'xterm', ...env },
    encoding: 'utf8',
  });
  expect(r.status, `${commandLine}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Text without its colour codes. */
const plain = (s: string): string =>
  s
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^[0-9;]*m/, '')))
    .join('');

const plan = `'${process.execPath}' '${DROVER}' plan hello.nomad.hcl`;

describe('colour per stream', () => {
  it('plan > file in a terminal: the file has no ANSI codes, the terminal keeps its colour', () => {
    const terminal = onTerminal(`${plan} > plan.txt`);
    const file = readFileSync(join(dir, 'plan.txt'), 'utf8');
    expect(file).toContain('+ Job: "hello"');
    expect(file).not.toContain(ESC);
    expect(plain(terminal)).toContain('Stanza not run by drover');
    expect(terminal).toContain(ESC);
  });

  it('plan on a terminal is coloured', () => {
    const terminal = onTerminal(plan);
    expect(plain(terminal)).toContain('+ Job: "hello"');
    expect(terminal).toContain(ESC);
  });

  it.each<[string, string, Record<string, string>]>([
    ['NO_COLOR=1', plan, { NO_COLOR: '1' }],
    ['-no-color after the command', `${plan} -no-color`, {}],
    ['-no-color before the command', plan.replace(' plan ', ' -no-color plan '), {}],
  ])('%s: nothing is coloured', (_what, commandLine, env) => {
    const terminal = onTerminal(commandLine, env);
    expect(terminal).toContain('+ Job: "hello"');
    expect(terminal).toContain('Stanza not run by drover');
    expect(terminal).not.toContain(ESC);
  });
});

/**
 * The hook runner on real processes: environment and working directory, output passed on line
 * by line and kept (the tail), exit codes, a program that does not exist, and a timeout that
 * kills the whole process group, grandchildren included.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputTail, runHookCommand, type HookRunSpec } from '../../src/ops/hook-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-hook-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: [string, ...string[]], more: Partial<HookRunSpec> = {}) {
  const lines: [string, string][] = [];
  const done = runHookCommand({
    command,
    cwd: dir,
    env: { PATH: process.env.PATH, FROM_CALLER: 'yes' },
    timeoutMs: 10_000,
    onLine: (line, stream) => lines.push([stream, line]),
    ...more,
  });
  return done.then((o) => ({ ...o, lines }));
}

/** Whether a process runs (a zombie nobody reaped does not: PID 1 of a container may not reap). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runHookCommand', () => {
  it('runs without a shell in its directory, with the environment given, and passes output on line by line', async () => {
    writeFileSync(
      join(dir, 'hook.sh'),
      '#!/bin/sh\necho "cwd=$(pwd)"\necho "caller=$FROM_CALLER"\necho oops >&2\nprintf "no newline"\n',
    );
    chmodSync(join(dir, 'hook.sh'), 0o755);
    const o = await run(['./hook.sh']);
    expect(o.result).toBe('ok');
    expect(o.exitCode).toBe(0);
    expect(o.lines).toContainEqual(['stdout', `cwd=${dir}`]);
    expect(o.lines).toContainEqual(['stdout', 'caller=yes']);
    expect(o.lines).toContainEqual(['stderr', 'oops']);
    expect(o.lines).toContainEqual(['stdout', 'no newline']);
    expect(o.output).toContain(`cwd=${dir}\ncaller=yes\n`);
    expect(o.output).toContain('oops\n');
    expect(o.truncatedBytes).toBe(0);
    expect(o.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes arguments as they are: no shell expands them', async () => {
    const o = await run(['printf', '%s|', '$HOME', 'a b', '*']);
    expect(o.output).toBe('$HOME|a b|*|');
  });

  it('reports a non-zero exit as failed with its code', async () => {
    const o = await run(['sh', '-c', 'echo before; exit 7']);
    expect(o).toMatchObject({ result: 'failed', exitCode: 7, output: 'before\n' });
  });

  it('reports a program that does not exist as failed, with why', async () => {
    const o = await run(['./no-such-hook']);
    expect(o.result).toBe('failed');
    expect(o.exitCode).toBeNull();
    expect(o.error).toMatch(/ENOENT/);
  });

  it('keeps the last bytes of a long output and counts what it dropped', async () => {
    const o = await run(
      ['sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done'],
      {
        outputLimit: 100,
      },
    );
    expect(o.result).toBe('ok');
    expect(o.output.length).toBe(100);
    expect(o.output.endsWith('line 499\n')).toBe(true);
    const total = Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join('').length;
    expect(o.truncatedBytes).toBe(total - 100);
    expect(o.lines).toHaveLength(500);
  });

  it('kills the whole process group on timeout, a background grandchild that ignores SIGTERM included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const started = Date.now();
    const o = await run(
      ['sh', '-c', `sh -c 'trap "" TERM; sleep 30' & echo $! > ${pidFile}; echo started; wait`],
      { timeoutMs: 300, killGraceMs: 200 },
    );
    expect(o.result).toBe('timeout');
    expect(o.error).toMatch(/timed out after 300ms/);
    expect(o.output).toBe('started\n');
    expect(Date.now() - started).toBeLessThan(5000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    // SIGKILL of the group reaches the grandchild that shrugged off SIGTERM.
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('does not wait for a background process that keeps its pipes after the hook exits', async () => {
    const pidFile = join(dir, 'daemon.pid');
    const started = Date.now();
    const o = await run(['sh', '-c', `sleep 20 & echo $! > ${pidFile}; echo done`]);
    expect(o).toMatchObject({ result: 'ok', exitCode: 0 });
    expect(Date.now() - started).toBeLessThan(5000);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  });
});

describe('OutputTail', () => {
  it('drops whole and partial chunks from the start', () => {
    const t = new OutputTail(5);
    t.push(Buffer.from('abc'));
    t.push(Buffer.from('defg'));
    expect(t.text()).toBe('cdefg');
    expect(t.dropped).toBe(2);
    t.push(Buffer.from('hijklmn'));
    expect(t.text()).toBe('jklmn');
    expect(t.dropped).toBe(9);
  });
});

// The raw_exec driver on the real machine: real processes under the real supervisor.
import { normalizeTask } from '../normalized.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/generated/jobspec.js';
import type { DriverHandle } from '../../src/state/types.js';
import {
  buildStartScript,
  parseKeyValues,
  taskLayout,
  type ProcessTaskHandle,
} from '../../providers/drivers/process-common.js';
import { RawExecDriver, validateRawExecConfig } from '../../providers/drivers/raw_exec.js';
import type { LocalTransport } from '../../providers/transports/local.js';
import type { TaskContext, TaskRef, TaskStatus } from '../../providers/types.js';
import { driverConformance, logsThen } from './driver-conformance.js';
import {
  Harness,
  allocProcesses,
  freePort,
  running,
  text,
  until as untilStatus,
} from './process-harness.js';

const driver = new RawExecDriver();
const h = new Harness('drover-raw-exec-', 'raw_exec');
let root: string;
let transport: LocalTransport;

beforeAll(async () => {
  await h.setup();
  root = h.root;
  transport = h.transport;
});
// Every process a test started goes, whatever the test did.
afterEach(() => h.cleanup());
afterAll(() => h.teardown());

interface Spec {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  task?: Partial<Task>;
  restart?: Partial<TaskContext['restart']>;
}

function context({ command, args, ...rest }: Spec): TaskContext {
  return h.context({ config: { command, ...(args ? { args } : {}) }, ...rest });
}

function start(spec: Spec): Promise<ProcessTaskHandle> {
  return h.start<ProcessTaskHandle>(driver, context(spec));
}

function until(
  handle: DriverHandle,
  done: (s: TaskStatus) => boolean,
  ms?: number,
): Promise<TaskStatus> {
  return untilStatus(driver, transport, handle, done, ms);
}

driverConformance('raw_exec', {
  driver,
  transports: ['local', 'ssh'],
  sshAddress: '127.0.0.31',
  // A shell with a child: stop must end both.
  longRunning: { config: { command: 'sh', args: ['-c', logsThen('sleep 300 & wait')] } },
  exits: { config: { command: 'sh', args: ['-c', 'exit 7'] } },
  changedConfig: { command: 'sh', args: ['-c', 'sleep 301'] },
  badConfig: { config: { args: ['x'] }, pointer: '' },
  leftOnHost: (handle) => Promise.resolve(running(-(handle as ProcessTaskHandle).pid)),
});

describe('validateConfig', () => {
  it.each([
    ['a command and args', { command: '/bin/echo', args: ['a', 'b'] }, []],
    ['a command alone', { command: 'sleep' }, []],
    [
      'no command',
      { args: ['x'] },
      [
        {
          pointer: '',
          summary: 'Missing required argument',
          detail: 'The raw_exec driver needs "command", the program to run.',
        },
      ],
    ],
    [
      'a number for command',
      { command: 7 },
      [
        {
          pointer: '/command',
          summary: 'Incorrect attribute value type',
          detail: '"command" must be a string.',
        },
      ],
    ],
    [
      'an empty command',
      { command: ' ' },
      [{ pointer: '/command', summary: 'Invalid value', detail: '"command" must not be empty.' }],
    ],
    [
      'args not a list',
      { command: 'x', args: 'a b' },
      [
        {
          pointer: '/args',
          summary: 'Incorrect attribute value type',
          detail: '"args" must be a list of strings.',
        },
      ],
    ],
    [
      'numbers and bools among args (HCL makes them strings)',
      { command: 'x', args: ['a', 2, false] },
      [],
    ],
    [
      'an object among args',
      { command: 'x', args: ['a', { a: 1 }] },
      [
        {
          pointer: '/args/1',
          summary: 'Incorrect attribute value type',
          detail: 'Element 1 of "args" must be a string.',
        },
      ],
    ],
    [
      'a NUL in an arg',
      { command: 'x', args: ['a\0'] },
      [
        {
          pointer: '/args/0',
          summary: 'Invalid value',
          detail: 'A program argument cannot contain a NUL character.',
        },
      ],
    ],
    [
      'an unknown key',
      { command: 'x', image: 'nginx' },
      [
        {
          pointer: '/image',
          summary: 'Unsupported argument',
          detail:
            'An argument named "image" is not expected in a raw_exec config; it takes "command" and "args".',
        },
      ],
    ],
    [
      'a Nomad option drover does not apply',
      { command: 'x', oom_score_adj: 5 },
      [
        {
          pointer: '/oom_score_adj',
          severity: 'warning',
          summary: 'Option not applied',
          detail:
            '"oom_score_adj" is a raw_exec option of Nomad that drover accepts but does not apply.',
        },
      ],
    ],
  ])('%s', (_name, config, problems) => {
    expect(validateRawExecConfig(config)).toEqual(problems);
    expect(driver.validateConfig(config)).toEqual(problems);
  });
});

describe('raw_exec on this machine', () => {
  it('runs a task: running, logs, stop ends every process and records dead', async () => {
    const handle = await start({ command: 'sh', args: ['-c', 'echo hi; echo oops >&2; sleep 30'] });
    expect(handle).toMatchObject({
      driver: 'raw_exec',
      task: 'web',
      kill_signal: 'INT',
      kill_timeout_ms: 2000,
    });
    expect(handle.alloc_dir).toBe(join(root, handle.alloc_dir.split('/').pop()!));
    expect(handle.pid).toBeGreaterThan(1);

    const status = await driver.inspect(handle, transport);
    expect(status).toMatchObject({ state: 'running', failed: false, restarts: 0 });
    expect(status.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(running(handle.pid)).toBe(true);

    // The layout of docs/architecture.md ("On the hosts").
    const layout = taskLayout(handle.alloc_dir, 'web');
    for (const dir of [
      layout.logsDir,
      layout.dataDir,
      layout.sharedTmpDir,
      layout.localDir,
      layout.secretsDir,
      layout.tmpDir,
    ]) {
      expect((await stat(dir)).isDirectory()).toBe(true);
    }
    expect((await stat(layout.secretsDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(layout.taskDir, 'task.env'))).mode & 0o777).toBe(0o600);

    await until(handle, () => false, 300); // let the shell write
    expect(await text(driver.logs(handle, transport, { stderr: false, follow: false }))).toBe(
      'hi\n',
    );
    expect(
      await text(driver.logs(handle, transport, { stderr: true, follow: false, tail: 1 })),
    ).toBe('oops\n');

    const t0 = Date.now();
    await driver.stop(handle, transport, { killTimeoutMs: 2000 });
    // `sh -c` dies of the default SIGINT at once: no wait for the kill timeout.
    expect(Date.now() - t0).toBeLessThan(1500);
    const dead = await driver.inspect(handle, transport);
    expect(dead).toMatchObject({ state: 'dead', failed: false, exitCode: 130, message: 'stopped' });
    expect(running(-handle.pid)).toBe(false);
    // stop keeps the logs; destroy removes the directory.
    expect(await readFile(layout.stdoutLog, 'utf8')).toBe('hi\n');
    await driver.destroy(handle, transport);
    await expect(stat(handle.alloc_dir)).rejects.toThrow(/ENOENT/);
    expect(await driver.inspect(handle, transport)).toEqual({
      state: 'missing',
      failed: false,
      restarts: 0,
      message: 'the task directory is gone',
    });
  });

  it('restarts a failing command `attempts` times, then marks it failed', async () => {
    const handle = await start({
      command: 'sh',
      args: ['-c', 'echo attempt; exit 3'],
      restart: { attempts: 2, intervalMs: 60_000, delayMs: 100, mode: 'fail' },
    });
    const status = await until(handle, (s) => s.state === 'dead');
    expect(status).toMatchObject({ state: 'dead', failed: true, exitCode: 3, restarts: 2 });
    expect(status.message).toBe(
      'exit code 3; exceeded 2 restart attempts in 60 s and mode is fail',
    );
    const layout = taskLayout(handle.alloc_dir, 'web');
    expect(await readFile(layout.stdoutLog, 'utf8')).toBe('attempt\nattempt\nattempt\n');
  });

  it('in delay mode waits for the next interval instead of failing', async () => {
    const handle = await start({
      command: 'sh',
      args: ['-c', 'date +%s; exit 1'],
      restart: { attempts: 1, intervalMs: 2000, delayMs: 0, mode: 'delay' },
    });
    const waiting = await until(handle, (s) => s.restarts === 1 && s.state === 'pending');
    expect(waiting.state).toBe('pending');
    expect(waiting.exitCode).toBe(1);
    expect(waiting.message).toMatch(/^exit code 1; restarting in [0-2] s$/);
    const later = await until(handle, (s) => s.restarts >= 2);
    expect(later.restarts).toBeGreaterThanOrEqual(2);
    expect(later.failed).toBe(false);
  });

  it('a clean exit (code 0) ends the task without a restart', async () => {
    const handle = await start({ command: 'true', restart: { attempts: 3, delayMs: 0 } });
    expect(await until(handle, (s) => s.state === 'dead')).toMatchObject({
      state: 'dead',
      failed: false,
      exitCode: 0,
      restarts: 0,
      message: 'exited',
    });
  });

  it('a command that does not exist fails with 127', async () => {
    const handle = await start({ command: '/nonexistent/program' });
    expect(await until(handle, (s) => s.state === 'dead')).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 127,
    });
    const err = await text(driver.logs(handle, transport, { stderr: true, follow: false }));
    expect(err).toMatch(/nonexistent\/program/);
  });

  it('escalates to SIGKILL after kill_timeout when the task traps kill_signal', async () => {
    const handle = await start({
      command: 'sh',
      args: ['-c', 'trap "echo got TERM" TERM; while :; do sleep 0.1; done'],
      task: { kill_signal: 'SIGTERM', kill_timeout: '1s' },
    });
    expect(handle.kill_signal).toBe('TERM');
    await until(handle, () => false, 200);
    const t0 = Date.now();
    await driver.stop(handle, transport, { killTimeoutMs: 1000 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(await driver.inspect(handle, transport)).toMatchObject({
      state: 'dead',
      exitCode: 137,
      failed: false,
    });
    expect(running(-handle.pid)).toBe(false);
    const layout = taskLayout(handle.alloc_dir, 'web');
    expect(await readFile(layout.stdoutLog, 'utf8')).toContain('got TERM');
  });

  it('delivers SIGINT to the task (not ignored as in a `&` job), so it can exit gracefully', async () => {
    const handle = await start({
      command: process.execPath,
      args: [
        '-e',
        "process.on('SIGINT', () => { console.log('graceful'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);",
      ],
      task: { kill_timeout: '10s' },
    });
    const layout = taskLayout(handle.alloc_dir, 'web');
    for (let i = 0; i < 100 && !(await readFile(layout.stdoutLog, 'utf8')).includes('up'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = Date.now();
    await driver.stop(handle, transport, { killTimeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'dead', exitCode: 0 });
    expect(await readFile(layout.stdoutLog, 'utf8')).toBe('up\ngraceful\n');
  });

  it('passes hostile arguments and environment values through unchanged', async () => {
    const hostile = [
      'two words',
      '',
      "it's",
      "'\\''",
      '"double"',
      '$HOME ${HOME} $(echo no) `echo no`',
      'back\\slash\\n',
      'line one\nline two\n',
      '-n',
      '--',
      '*',
      '; exit 1 #',
      'ünïcødé ☃',
    ];
    const env = { HOSTILE: 'a\'b"c $x `y`\nz', 'NOMAD_META_a.b': 'dotted' };
    const handle = await start({
      command: process.execPath,
      args: [
        '-e',
        "require('fs').writeFileSync('out.json', JSON.stringify({ argv: process.argv.slice(1), env: process.env.HOSTILE, dotted: process.env['NOMAD_META_a.b'], cwd: process.cwd() }))",
        ...hostile,
      ],
      env,
    });
    const status = await until(handle, (s) => s.state === 'dead');
    expect(status).toMatchObject({ state: 'dead', exitCode: 0 });
    const out = JSON.parse(await readFile(join(handle.alloc_dir, 'web', 'out.json'), 'utf8'));
    expect(out).toEqual({
      argv: hostile,
      env: env.HOSTILE,
      dotted: 'dotted',
      cwd: join(handle.alloc_dir, 'web'),
    });
  });

  it('serves HTTP from a Node.js task on NOMAD_PORT_http', async () => {
    const port = await freePort();
    const handle = await start({
      command: process.execPath,
      args: [
        '-e',
        "require('http').createServer((q, s) => s.end('hello from ' + process.env.NOMAD_TASK_NAME)).listen(+process.env.NOMAD_PORT_http, '127.0.0.1')",
      ],
      env: { NOMAD_PORT_http: String(port) },
    });
    let body = '';
    for (let i = 0; i < 100 && body === ''; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (body === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toBe('hello from web');
    // A health check's TCP connection through the transport.
    const socket = await transport.connect(port);
    socket.destroy();
    await driver.stop(handle, transport, { killTimeoutMs: 2000 });
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('exec runs a command in the task directory with the task environment', async () => {
    const handle = await start({
      command: 'sleep',
      args: ['30'],
      env: { GREETING: 'hello there', 'X.Y': 'z' },
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await driver.exec(
      handle,
      transport,
      ['sh', '-c', 'echo "$GREETING"; pwd; cat; echo err >&2; exit 4'],
      {
        stdin: Readable.from(['from stdin\n']),
        stdout,
        stderr,
      },
    );
    stdout.end();
    stderr.end();
    expect(code).toBe(4);
    expect(await text(stdout)).toBe(`hello there\n${join(handle.alloc_dir, 'web')}\nfrom stdin\n`);
    expect(await text(stderr)).toBe('err\n');
  });

  it('the supervisor outlives the process that started it and its process group', async () => {
    // The start script as drover runs it, from a shell in a group of its own that then gets
    // SIGHUP and SIGKILL, as when a terminal closes under drover.
    const ctx = context({ command: 'sleep', args: ['30'] });
    const layout = taskLayout(ctx.allocDir, 'web');
    const script = buildStartScript(layout, {
      conf: {
        task: 'web',
        logDir: layout.logsDir,
        logs: { maxFiles: 10, maxFileSizeMb: 10, disabled: false },
        restart: { attempts: 0, intervalMs: 60_000, delayMs: 0, mode: 'fail' },
        killSignal: 'INT',
        killTimeoutMs: 1000,
      },
      env: {},
      argv: ['sleep', '30'],
    });
    const child = spawn('/bin/sh', ['-c', script], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await once(child, 'close');
    const kv = parseKeyValues(out);
    const handle: ProcessTaskHandle = {
      driver: 'raw_exec',
      alloc_dir: ctx.allocDir,
      task: 'web',
      pid: Number(kv.get('pid')),
      kill_signal: 'INT',
      kill_timeout_ms: 1000,
    };
    h.track(driver, handle);
    for (const signal of ['SIGHUP', 'SIGKILL'] as const) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is already empty: nothing of it stayed behind.
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'running' });
    expect(running(handle.pid)).toBe(true);
  });

  it('reports missing when the supervisor was killed without recording, and stop still ends the task', async () => {
    const handle = await start({ command: 'sleep', args: ['30'] });
    const supervisorPid = Number(
      (await readFile(join(handle.alloc_dir, 'web', 'supervisor.pid'), 'utf8')).trim(),
    );
    process.kill(supervisorPid, 'SIGKILL');
    const status = await until(handle, (s) => s.state === 'missing');
    expect(status).toMatchObject({
      state: 'missing',
      message: 'the supervisor exited without recording the end of the task (the task still runs)',
    });
    await driver.stop(handle, transport, { killTimeoutMs: 1000 });
    expect(await driver.inspect(handle, transport)).toMatchObject({
      state: 'dead',
      message: 'stopped by drover; the supervisor was not running',
    });
    expect(running(-handle.pid)).toBe(false);
  });

  // The task's child, and a daemon that left its session, outlive the supervisor and the
  // recorded pid; stop still finds them (by session and by NOMAD_ALLOC_ID) and ends them.
  it('stop ends the whole process tree after the supervisor and the recorded pid were killed', async () => {
    const ctx = context({
      command: 'sh',
      args: ['-c', 'setsid sleep 301 & sleep 302 & echo up; wait'],
    });
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    await untilStatus(driver, transport, handle, () => allocProcesses(ctx.allocId).length >= 3);
    expect(allocProcesses(ctx.allocId).length).toBeGreaterThanOrEqual(3);
    process.kill(handle.supervisor_pid!, 'SIGKILL');
    process.kill(handle.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const orphans = allocProcesses(ctx.allocId);
    expect(orphans.length).toBeGreaterThanOrEqual(2);

    await driver.stop(handle, transport, { killTimeoutMs: 1000 });
    expect(allocProcesses(ctx.allocId)).toEqual([]);
    expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'dead' });
  });

  it('kill_signal reaches the leftover processes first; SIGKILL only after kill_timeout', async () => {
    const ctx = context({
      command: 'sh',
      // The daemon ignores TERM; the other child exits on it.
      args: ['-c', `setsid sh -c 'trap "" TERM; sleep 303' & sleep 304 & wait`],
    });
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    await untilStatus(driver, transport, handle, () => allocProcesses(ctx.allocId).length >= 4);
    process.kill(handle.supervisor_pid!, 'SIGKILL');
    process.kill(handle.pid, 'SIGKILL');
    const begun = Date.now();
    await driver.stop(handle, transport, { killTimeoutMs: 1500, signal: 'SIGTERM' });
    expect(Date.now() - begun).toBeGreaterThanOrEqual(1400);
    expect(allocProcesses(ctx.allocId)).toEqual([]);
  });

  it('destroy ends every process of the allocation, the supervisor gone or not', async () => {
    const ctx = context({ command: 'sh', args: ['-c', 'setsid sleep 305 & sleep 306 & wait'] });
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    await untilStatus(driver, transport, handle, () => allocProcesses(ctx.allocId).length >= 3);
    process.kill(handle.supervisor_pid!, 'SIGKILL');
    await driver.destroy(handle, transport);
    expect(allocProcesses(ctx.allocId)).toEqual([]);
    await expect(stat(ctx.allocDir)).rejects.toThrow(/ENOENT/);
  });

  it('a recovered handle keeps the kill settings the task was started with', async () => {
    const ctx = context({
      command: 'sleep',
      args: ['30'],
      task: { kill_signal: 'SIGTERM', kill_timeout: '7s' },
    });
    await h.start<ProcessTaskHandle>(driver, ctx);
    const found = (await driver.recover(
      { allocId: ctx.allocId, task: 'web', name: ctx.name, allocDir: ctx.allocDir },
      transport,
    )) as ProcessTaskHandle;
    expect(found).toMatchObject({ kill_signal: 'TERM', kill_timeout_ms: 7000 });
  });

  it('a second start of the same task while it runs keeps the running supervisor', async () => {
    const ctx = context({ command: 'sleep', args: ['30'] });
    const first = await h.start<ProcessTaskHandle>(driver, ctx);
    const second = (await driver.start(ctx)) as ProcessTaskHandle;
    expect(second.pid).toBe(first.pid);
    expect(second.supervisor_pid).toBe(first.supervisor_pid);
  });

  it('detects itself on the host', async () => {
    expect(await driver.detect(transport)).toEqual({
      detected: true,
      healthy: true,
      attributes: { 'driver.raw_exec': '1' },
    });
  });
});

// A drover killed between a task's start and the state write that records its handle: the
// driver finds the task again by its directory, locally and on an SSH host.
/** `n` lines of 101 bytes, `line 0000000 xxx…`, numbered from `from`. */
function lines(from: number, n: number): string {
  const pad = 'x'.repeat(87);
  let out = '';
  for (let i = from; i < from + n; i++) out += `line ${String(i).padStart(7, '0')} ${pad}\n`;
  return out;
}
/** The same lines from awk, on the host. */
const PRINT_LINES = `awk -v from="$1" -v n="$2" 'BEGIN { pad = sprintf("%87s", ""); gsub(/ /, "x", pad); for (i = from; i < from + n; i++) printf "line %07d %s\\n", i, pad }'`;
const MB = 1024 * 1024;

/** The rotated files of a task's stream: index → size, and their contents in index order. */
async function rotated(
  logsDir: string,
  stream: string,
): Promise<{ sizes: Map<number, number>; content: string }> {
  const prefix = `web.${stream}.`;
  const indexes = (await readdir(logsDir))
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  let content = '';
  for (const i of indexes) {
    const text = await readFile(join(logsDir, `${prefix}${i}`), 'utf8');
    sizes.set(i, Buffer.byteLength(text));
    content += text;
  }
  return { sizes, content };
}

describe('log rotation (the logs block)', () => {
  it('fills each file to max_file_size, keeps max_files, drops the oldest; logs reads across them', async () => {
    // 36 700 lines of 101 bytes: 3.5 files of 1 MB; with max_files = 3, file 0 is gone.
    const handle = await start({
      command: 'sh',
      args: ['-c', `${PRINT_LINES}; echo done >&2; sleep 300`, 'sh', '0', '36700'],
      task: { logs: { max_files: 3, max_file_size: 1 } },
    });
    const layout = taskLayout(handle.alloc_dir, 'web');
    for (let i = 0; i < 100; i++) {
      const err = await text(driver.logs(handle, transport, { stderr: true, follow: false }));
      if (err === 'done\n') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const full = lines(0, 36_700);
    const { sizes, content } = await rotated(layout.logsDir, 'stdout');
    expect([...sizes.keys()]).toEqual([1, 2, 3]);
    expect([...sizes.values()]).toEqual([MB, MB, full.length - 3 * MB]);
    // Byte for byte what the task wrote after the first (dropped) megabyte.
    expect(content).toBe(full.slice(MB));
    expect(await text(driver.logs(handle, transport, { stderr: false, follow: false }))).toBe(
      content,
    );
    // The last lines: within file 3 (it holds 5 554 and a part), then across files 2 and 3.
    const tailLines = 5_200;
    expect(
      await text(driver.logs(handle, transport, { stderr: false, follow: false, tail: tailLines })),
    ).toBe(lines(36_700 - tailLines, tailLines));
    const across = 6_000;
    expect(
      await text(driver.logs(handle, transport, { stderr: false, follow: false, tail: across })),
    ).toBe(lines(36_700 - across, across));
    expect((await rotated(layout.logsDir, 'stderr')).sizes, 'stderr is rotated on its own').toEqual(
      new Map([[0, 5]]),
    );
  });

  it('follows the log into the files rotation opens next, and a restart goes on at the last index', async () => {
    // Prints 6 000 lines each time `go` appears in its directory; exits 1 after the second
    // batch so the supervisor restarts it (the rotation must carry on where it was).
    const script = [
      'n=0',
      'while :; do',
      '  if [ -e go ]; then',
      '    rm -f go',
      `    ${PRINT_LINES.replace('"$1"', '"$n"').replace('"$2"', '6000')}`,
      '    n=$((n + 6000)); [ "$n" -ge 12000 ] && exit 1',
      '  fi',
      '  sleep 0.05',
      'done',
    ].join('\n');
    const handle = await start({
      command: 'sh',
      args: ['-c', script],
      task: { logs: { max_files: 20, max_file_size: 1 } },
      restart: { attempts: 3, intervalMs: 60_000, delayMs: 0, mode: 'fail' },
    });
    const layout = taskLayout(handle.alloc_dir, 'web');
    const abort = new AbortController();
    let out = '';
    const stream = driver.logs(handle, transport, {
      stderr: false,
      follow: true,
      signal: abort.signal,
    });
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const ended = once(stream, 'close').catch(() => undefined);
    const go = (): Promise<void> => writeFile(join(handle.alloc_dir, 'web', 'go'), '');
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && out !== text; i++) await new Promise((r) => setTimeout(r, 50));
      expect(out.length).toBe(text.length);
      expect(out).toBe(text);
    };
    // 6 000 × 101 bytes: less than a file; 12 000: file 0 full, file 1 started.
    await go();
    await waitFor(lines(0, 6000));
    await go();
    await waitFor(lines(0, 12_000));
    // The restarted task numbers its lines from 0 again; they go on in file 1.
    await until(handle, (s) => s.restarts === 1 && s.state === 'running');
    await go();
    await waitFor(lines(0, 12_000) + lines(0, 6000));
    abort.abort();
    await ended;
    const { sizes, content } = await rotated(layout.logsDir, 'stdout');
    expect([...sizes.keys()]).toEqual([0, 1]);
    expect(sizes.get(0)).toBe(MB);
    expect(content).toBe(out);
  });

  it('disabled = true writes no log files, and logs says so', async () => {
    const handle = await start({
      command: 'sh',
      args: ['-c', 'echo hidden; echo hidden >&2; sleep 300'],
      task: { logs: { disabled: true } },
    });
    expect(handle.logs_disabled).toBe(true);
    await until(handle, () => false, 300);
    const layout = taskLayout(handle.alloc_dir, 'web');
    expect(await readdir(layout.logsDir)).toEqual([]);
    expect(() => driver.logs(handle, transport, { stderr: false, follow: false })).toThrow(
      /writes no logs: its logs block says disabled = true/,
    );
  });
});

describe('recover, beyond the driver suite', () => {
  function ref(ctx: TaskContext): TaskRef {
    return { allocId: ctx.allocId, task: ctx.task.name, name: ctx.name, allocDir: ctx.allocDir };
  }

  it('finds a stopped task dead (stop keeps its directory), and nothing once destroyed', async () => {
    const ctx = context({ command: 'sleep', args: ['30'] });
    const started = await h.start<ProcessTaskHandle>(driver, ctx);
    await driver.stop(started, transport, { killTimeoutMs: 1000 });
    const found = await driver.recover(ref(ctx), transport);
    expect(found).toMatchObject({ driver: 'raw_exec', pid: started.pid });
    expect(await driver.inspect(found!, transport)).toMatchObject({ state: 'dead', failed: false });
    await driver.destroy(started, transport);
    expect(await driver.recover(ref(ctx), transport)).toBeUndefined();
  });

  it('finds a task whose supervisor died, which inspect reports not running', async () => {
    const ctx = context({ command: 'sleep', args: ['30'] });
    const started = await h.start<ProcessTaskHandle>(driver, ctx);
    // A host that rebooted: supervisor and task gone, their files left.
    process.kill(started.supervisor_pid!, 'SIGKILL');
    process.kill(-started.pid, 'SIGKILL');
    for (let i = 0; i < 100 && (running(started.supervisor_pid!) || running(-started.pid)); i++)
      await new Promise((r) => setTimeout(r, 20));
    const found = await driver.recover(ref(ctx), transport);
    expect(found).toMatchObject({ driver: 'raw_exec', alloc_dir: ctx.allocDir, pid: started.pid });
    expect(await driver.inspect(found!, transport)).toEqual({
      state: 'missing',
      failed: false,
      restarts: 0,
      startedAt: expect.stringMatching(/^\d{4}-/),
      message: 'the supervisor exited without recording the end of the task',
    });
    // Its stop still records the end.
    await driver.stop(found!, transport, { killTimeoutMs: 1000 });
    expect(await driver.inspect(found!, transport)).toMatchObject({
      state: 'dead',
      message: 'stopped by drover; the supervisor was not running',
    });
  });
});

describe('classifyChange', () => {
  const base: Task = {
    name: 'web',
    driver: 'raw_exec',
    config: { command: 'node', args: ['server.js'] },
    env: { A: '1' },
    resources: { cpu: 100, memory: 128 },
    kill_timeout: '5s',
    service: [{ name: 'web', port: 'http' }],
  };
  it.each<[string, Partial<Task>, string]>([
    ['nothing', {}, 'none'],
    ['args', { config: { command: 'node', args: ['other.js'] } }, 'destructive'],
    ['command', { config: { command: 'deno', args: ['server.js'] } }, 'destructive'],
    ['env', { env: { A: '2' } }, 'destructive'],
    ['driver', { driver: 'exec' }, 'destructive'],
    ['user', { user: 'nobody' }, 'destructive'],
    ['memory', { resources: { cpu: 100, memory: 256 } }, 'destructive'],
    ['meta', { meta: { k: 'v' } }, 'destructive'],
    ['artifact', { artifact: [{ source: 'https://example.com/a.tgz' }] }, 'destructive'],
    ['template', { template: [{ data: 'x', destination: 'local/x' }] }, 'destructive'],
    ['logs.disabled', { logs: { disabled: true } }, 'destructive'],
    ['restart.render_templates', { restart: { render_templates: true } }, 'destructive'],
    ['an unknown new field', { ['future' as keyof Task]: 1 }, 'destructive'],
    ['kill_timeout', { kill_timeout: '30s' }, 'in-place'],
    ['kill_signal', { kill_signal: 'SIGTERM' }, 'in-place'],
    ['shutdown_delay', { shutdown_delay: '5s' }, 'in-place'],
    ['services', { service: [{ name: 'web', port: 'http', tags: ['v2'] }] }, 'in-place'],
    ['restart attempts', { restart: { attempts: 5 } }, 'in-place'],
    ['log rotation', { logs: { max_files: 3 } }, 'in-place'],
    ['resources.iops', { resources: { cpu: 100, memory: 128, iops: 5 } }, 'in-place'],
    ['empty env as absent', { env: { A: '1' }, meta: {} }, 'none'],
  ])('%s → %s', (_name, change, expected) => {
    expect(driver.classifyChange(normalizeTask(base), normalizeTask({ ...base, ...change }))).toBe(
      expected,
    );
  });

  it('absent args equal an empty list', () => {
    const a: Task = { name: 't', config: { command: 'x' } };
    const b: Task = { name: 't', config: { command: 'x', args: [] } };
    expect(driver.classifyChange(normalizeTask(a), normalizeTask(b))).toBe('none');
  });
});

// The exec driver: config rules, the isolation it asks for, and real tasks on this machine.
import { normalizeTask } from '../normalized.js';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/generated/jobspec.js';
import {
  ExecDriver,
  cpuWeight,
  isolationSpec,
  validateExecConfig,
  type UserSwitchTool,
} from '../../providers/drivers/exec.js';
import {
  startProcessTask,
  taskLayout,
  type ProcessTaskHandle,
} from '../../providers/drivers/process-common.js';
import { shQuote } from '../../providers/drivers/supervisor.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import {
  Harness,
  NobodyTransport,
  allocProcesses,
  hasProgram,
  isRoot,
  logUntil,
  node,
  running,
  text,
  until,
} from './process-harness.js';
import { driverConformance, logsThen } from './driver-conformance.js';

const driver = new ExecDriver();
const h = new Harness('drover-exec-', 'exec');

beforeAll(() => h.setup({ worldWritable: true }));
afterEach(() => h.cleanup());
afterAll(() => h.teardown());

driverConformance('exec', {
  driver,
  transports: ['local', 'ssh'],
  sshAddress: '127.0.0.33',
  // A shell with a child, in the task's isolation: stop must end both.
  longRunning: {
    config: { command: 'sh', args: ['-c', logsThen('sleep 300 & wait')] },
    task: { resources: { cpu: 100, memory: 64 } },
  },
  exits: {
    config: { command: 'sh', args: ['-c', 'exit 7'] },
    task: { resources: { cpu: 100, memory: 64 } },
  },
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
          detail: 'The exec driver needs "command", the program to run.',
        },
      ],
    ],
    [
      'a list for command',
      { command: ['a'] },
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
      { command: '' },
      [{ pointer: '/command', summary: 'Invalid value', detail: '"command" must not be empty.' }],
    ],
    [
      'a NUL in command',
      { command: 'a\0b' },
      [
        {
          pointer: '/command',
          summary: 'Invalid value',
          detail: 'A program argument cannot contain a NUL character.',
        },
      ],
    ],
    [
      'args a string',
      { command: 'x', args: '-v' },
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
      { command: 'x', args: ['a', 'b', true] },
      [],
    ],
    [
      'an object among args',
      { command: 'x', args: ['a', 'b', { a: 1 }] },
      [
        {
          pointer: '/args/2',
          summary: 'Incorrect attribute value type',
          detail: 'Element 2 of "args" must be a string.',
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
            'An argument named "image" is not expected in an exec config; it takes "command", "args".',
        },
      ],
    ],
    [
      'a namespace option drover does not apply',
      { command: 'x', pid_mode: 'host', cap_drop: ['all'] },
      [
        {
          pointer: '/pid_mode',
          severity: 'warning',
          summary: 'Option not applied',
          detail:
            '"pid_mode" is an exec option of Nomad that drover accepts but does not apply: tasks share the host PID namespace.',
        },
        {
          pointer: '/cap_drop',
          severity: 'warning',
          summary: 'Option not applied',
          detail:
            '"cap_drop" is an exec option of Nomad that drover accepts but does not apply: tasks keep the capabilities of their user.',
        },
      ],
    ],
    [
      'a key with a slash, escaped in the pointer',
      { command: 'x', 'a/b~c': 1 },
      [
        {
          pointer: '/a~1b~0c',
          summary: 'Unsupported argument',
          detail:
            'An argument named "a/b~c" is not expected in an exec config; it takes "command", "args".',
        },
      ],
    ],
  ])('%s', (_name, config, problems) => {
    expect(validateExecConfig(config)).toEqual(problems);
    expect(driver.validateConfig(config)).toEqual(problems);
  });
});

describe('cpuWeight', () => {
  it.each([
    [0, undefined],
    [-5, undefined],
    [1, 1],
    [2, 1],
    [100, 17],
    [500, 58],
    [1024, 100],
    [4000, 297],
    [262_144, 10_000],
    [1_000_000, 10_000],
  ])('%d MHz → %s', (shares, weight) => {
    expect(cpuWeight(shares)).toBe(weight);
  });
});

describe('isolationSpec', () => {
  const opts = { ulimitFallback: true, resolveCommand: true };
  it.each<[string, Partial<Task>, Record<string, string>, object]>([
    [
      'memory and cpu',
      { resources: { cpu: 1024, memory: 256 } },
      {},
      { memoryMaxMb: 256, cpuWeight: 100 },
    ],
    [
      'memory_max above memory raises the ceiling and reserves memory',
      { resources: { cpu: 100, memory: 256, memory_max: 512 } },
      {},
      { memoryMaxMb: 512, memoryLowMb: 256, cpuWeight: 17 },
    ],
    [
      'memory_max not above memory is ignored',
      { resources: { cpu: 0, memory: 256, memory_max: 128 } },
      {},
      { memoryMaxMb: 256 },
    ],
    [
      'memory_max = -1 lifts the memory limit',
      { resources: { cpu: 0, memory: 256, memory_max: -1 } },
      {},
      {},
    ],
    ['no resources', {}, {}, {}],
    ['a user', { user: ' nobody ' }, {}, { user: 'nobody' }],
    [
      'login variables the task sets itself are left alone',
      { user: 'nobody' },
      { HOME: '/srv' },
      { user: 'nobody', loginVars: ['USER', 'LOGNAME'] },
    ],
  ])('%s', (_name, task, env, expected) => {
    // Zero resources: no memory limit or cpu weight in the expectations.
    const t = normalizeTask({ name: 't', resources: { cpu: 0, memory: 0 }, ...task });
    expect(isolationSpec(t, env, opts)).toEqual({
      ulimitFallback: true,
      resolveCommand: true,
      loginVars: ['HOME', 'USER', 'LOGNAME'],
      ...expected,
    });
  });
});

describe('classifyChange', () => {
  const base: Task = {
    name: 'web',
    driver: 'exec',
    config: { command: '/bin/server', args: ['-p', '80'] },
    user: 'www',
    resources: { cpu: 100, memory: 128 },
  };
  it.each<[string, Partial<Task>, string]>([
    ['nothing', {}, 'none'],
    ['args', { config: { command: '/bin/server', args: ['-p', '81'] } }, 'destructive'],
    ['user', { user: 'nobody' }, 'destructive'],
    ['memory', { resources: { cpu: 100, memory: 256 } }, 'destructive'],
    ['kill_timeout', { kill_timeout: '30s' }, 'in-place'],
  ])('%s → %s', (_name, change, expected) => {
    expect(driver.classifyChange(normalizeTask(base), normalizeTask({ ...base, ...change }))).toBe(
      expected,
    );
  });
});

/** `id -un`, the memory bound and the login variables, as the task sees them. */
const REPORT = [
  'sh',
  '-c',
  'echo "user=$(id -un) uid=$(id -u) vm=$(ulimit -v) home=$HOME USER=$USER cwd=$(pwd)"; exec sleep 30',
];

describe('exec on this machine', () => {
  it('detects itself, and what detect says matches what a task gets', async () => {
    const d = await driver.detect(h.transport);
    expect(d.detected).toBe(true);
    expect(d.healthy).toBe(true);
    expect(d.attributes['driver.exec']).toBe('1');
    expect(['v2', 'none']).toContain(d.attributes['driver.exec.cgroups']);
    expect(d.attributes['driver.exec.user_switch']).toBe(
      !isRoot
        ? 'none'
        : hasProgram('setpriv')
          ? 'setpriv'
          : hasProgram('runuser')
            ? 'runuser'
            : 'su',
    );

    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { command: REPORT[0], args: REPORT.slice(1) },
        task: { resources: { cpu: 100, memory: 64 } },
      }),
    );
    expect(handle.memory_limit).toBe(
      d.attributes['driver.exec.cgroups'] === 'v2' ? 'cgroup' : 'ulimit',
    );
  });

  it('runs a task under the supervisor: logs, the fallback memory bound, stop', async () => {
    if ((await driver.detect(h.transport)).attributes['driver.exec.cgroups'] === 'v2') return;
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { command: REPORT[0], args: REPORT.slice(1) },
        env: { HOME: '/task-home' },
        task: { resources: { cpu: 100, memory: 64 } },
      }),
    );
    expect(handle).toMatchObject({ driver: 'exec', task: 'web', memory_limit: 'ulimit' });
    expect(handle.cgroup).toBeUndefined();
    expect(handle.user).toBeUndefined();
    expect(await driver.inspect(handle, h.transport)).toMatchObject({ state: 'running' });

    const out = await logUntil(driver, h.transport, handle, 'user=');
    const me = process.getuid?.() ?? 0;
    expect(out).toMatch(
      new RegExp(
        `^user=\\S+ uid=${me} vm=65536 home=/task-home USER=\\S* cwd=${handle.alloc_dir}/web\\n$`,
      ),
    );

    const t0 = Date.now();
    await driver.stop(handle, h.transport, { killTimeoutMs: 2000 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await driver.inspect(handle, h.transport)).toMatchObject({
      state: 'dead',
      failed: false,
      message: 'stopped',
    });
    expect(running(-handle.pid)).toBe(false);
  });

  // As the task's own user when drover may switch to it: the stop still finds the processes.
  it('stop ends the whole process tree after the supervisor and the recorded pid were killed', async () => {
    const ctx = h.context({
      config: { command: 'sh', args: ['-c', 'setsid sleep 307 & sleep 308 & wait'] },
      ...(isRoot && hasProgram('setpriv') ? { task: { user: 'nobody' } } : {}),
    });
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    await until(driver, h.transport, handle, () => allocProcesses(ctx.allocId).length >= 3);
    expect(allocProcesses(ctx.allocId).length).toBeGreaterThanOrEqual(3);
    process.kill(handle.supervisor_pid!, 'SIGKILL');
    process.kill(handle.pid, 'SIGKILL');
    await driver.stop(handle, h.transport, { killTimeoutMs: 500 });
    expect(allocProcesses(ctx.allocId)).toEqual([]);
  });

  it('the ulimit fallback really bounds the task: 100 MB in one buffer fail under 32 MB', async () => {
    if ((await driver.detect(h.transport)).attributes['driver.exec.cgroups'] === 'v2') return;
    // tail keeps the last 100 MB of its input in memory.
    const script = 'head -c 120000000 /dev/zero | tail -c 100000000 | wc -c';
    const bounded = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { command: 'sh', args: ['-c', script] },
        task: { resources: { memory: 32 } },
      }),
    );
    const raw = new RawExecDriver();
    const unbounded = await h.start<ProcessTaskHandle>(
      raw,
      h.context({ config: { command: 'sh', args: ['-c', script] } }),
    );
    expect(await until(driver, h.transport, bounded, (s) => s.state === 'dead')).toMatchObject({
      state: 'dead',
    });
    expect(await text(driver.logs(bounded, h.transport, { stderr: false, follow: false }))).toBe(
      '0\n',
    );
    expect(await text(driver.logs(bounded, h.transport, { stderr: true, follow: false }))).toMatch(
      /memory exhausted/,
    );
    expect(await until(raw, h.transport, unbounded, (s) => s.state === 'dead')).toMatchObject({
      exitCode: 0,
    });
    expect(await text(raw.logs(unbounded, h.transport, { stderr: false, follow: false }))).toBe(
      '100000000\n',
    );
  });

  it('resolves a bare command in local/ first, and makes it executable, as Nomad does', async () => {
    const ctx = h.context({ config: { command: 'hello', args: ['world'] } });
    const layout = taskLayout(ctx.allocDir, 'web');
    await mkdir(layout.localDir, { recursive: true });
    await writeFile(join(layout.localDir, 'hello'), '#!/bin/sh\necho "hello $1 from $0"\n', {
      mode: 0o644,
    });
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    expect(await until(driver, h.transport, handle, (s) => s.state === 'dead')).toMatchObject({
      exitCode: 0,
    });
    expect(await text(driver.logs(handle, h.transport, { stderr: false, follow: false }))).toBe(
      'hello world from local/hello\n',
    );
    expect((await stat(join(layout.localDir, 'hello'))).mode & 0o111).not.toBe(0);
  });

  it('restarts a failing command per the restart policy, then marks it failed', async () => {
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { command: 'sh', args: ['-c', 'echo attempt; exit 3'] },
        restart: { attempts: 1, intervalMs: 60_000, delayMs: 100, mode: 'fail' },
      }),
    );
    expect(await until(driver, h.transport, handle, (s) => s.state === 'dead')).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 3,
      restarts: 1,
    });
  });

  it('a command that does not exist fails with 127', async () => {
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({ config: { command: 'no-such-program-drover' } }),
    );
    expect(await until(driver, h.transport, handle, (s) => s.state === 'dead')).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 127,
    });
  });
});

describe.runIf(isRoot)('exec with a task user (drover connects as root)', () => {
  it.each<UserSwitchTool>(['setpriv', 'runuser', 'su'])(
    'runs the task as the user with %s, which owns local/, secrets/ and tmp/; stop ends it',
    async (tool) => {
      if (!hasProgram(tool)) return;
      const d = new ExecDriver({ userSwitch: [tool] });
      const report = REPORT[2]!.replace('; exec sleep 30', '');
      const handle = await h.start<ProcessTaskHandle>(
        d,
        h.context({
          config: {
            command: 'sh',
            args: [
              '-c',
              `${report}; echo ok >local/written; echo $$ >local/pid; trap "" INT TERM; exec sleep 30`,
            ],
          },
          task: { user: 'nobody' },
        }),
      );
      expect(handle.user).toBe('nobody');
      const out = await logUntil(d, h.transport, handle, 'user=');
      expect(out).toMatch(/^user=nobody uid=65534 vm=\S+ home=\/nonexistent USER=nobody cwd=/);
      const layout = taskLayout(handle.alloc_dir, 'web');
      let pid = '';
      for (let i = 0; i < 100 && pid === ''; i++) {
        pid = await readFile(join(layout.localDir, 'pid'), 'utf8').catch(() => '');
        if (pid === '') await new Promise((r) => setTimeout(r, 50));
      }
      expect(await readFile(join(layout.localDir, 'written'), 'utf8')).toBe('ok\n');
      for (const dir of [layout.localDir, layout.secretsDir, layout.tmpDir]) {
        expect((await stat(dir)).uid).toBe(65534);
      }
      expect((await stat(layout.dataDir)).mode & 0o1777).toBe(0o1777);

      // The task ignores kill_signal: only the SIGKILL to its process group after kill_timeout
      // ends it, so it must still be in that group whatever program switched users.
      expect(running(Number(pid))).toBe(true);
      await d.stop(handle, h.transport, { killTimeoutMs: 500 });
      expect(await d.inspect(handle, h.transport)).toMatchObject({ state: 'dead' });
      // SIGKILL went to the group; the process may take a moment to be gone.
      for (let i = 0; i < 40 && running(Number(pid)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(running(Number(pid))).toBe(false);
    },
  );

  it('drover exec runs inside the task: as its user, with its environment', async () => {
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { command: 'sleep', args: ['30'] },
        task: { user: 'nobody' },
        env: { GREETING: 'hi' },
      }),
    );
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await driver.exec(
      handle,
      h.transport,
      ['sh', '-c', 'echo "$(id -un) $GREETING"'],
      {
        stdout,
        stderr,
      },
    );
    stdout.end();
    stderr.end();
    expect(code).toBe(0);
    expect(await text(stdout)).toBe('nobody hi\n');
  });

  it('refuses a user the host does not have, with the host words', async () => {
    const ctx = h.context({ config: { command: 'true' }, task: { user: 'no-such-user-drover' } });
    await expect(driver.start(ctx)).rejects.toThrow(
      /exec: cannot start task "web" of allocation .* on node local: there is no user "no-such-user-drover" on this host \(task user\)/,
    );
    await h.forget(ctx);
  });

  it('refuses a user name that is not one before touching the host', async () => {
    const ctx = h.context({ config: { command: 'true' }, task: { user: 'a b' } });
    await expect(driver.start(ctx)).rejects.toThrow('task user "a b" is not a user name');
  });
});

describe.runIf(isRoot && hasProgram('setpriv'))('exec when drover connects as a plain user', () => {
  const nobody = (): NobodyTransport => new NobodyTransport(node(h.root));

  it('detects no cgroups and no user switch', async () => {
    const d = await driver.detect(nobody());
    expect(d.attributes).toEqual({
      'driver.exec': '1',
      'driver.exec.cgroups': 'none',
      'driver.exec.user_switch': 'none',
    });
  });

  it('runs a task as itself, and refuses another user with a clear message', async () => {
    const t = nobody();
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({ config: { command: 'id', args: ['-un'] }, task: { user: 'nobody' } }, t),
    );
    expect(handle.user).toBe('nobody');
    expect(await until(driver, t, handle, (s) => s.state === 'dead')).toMatchObject({
      exitCode: 0,
    });
    expect(await text(driver.logs(handle, t, { stderr: false, follow: false }))).toBe('nobody\n');

    const ctx = h.context({ config: { command: 'true' }, task: { user: 'root' } }, t);
    await expect(driver.start(ctx)).rejects.toThrow(
      'the task runs as "root", which needs root, and drover connects as "nobody"',
    );
    await h.forget(ctx);
  });
});

describe('exec with cgroup v2 (a stand-in cgroup tree)', () => {
  // This machine's cgroup2 hierarchy has no controllers (cgroup v1 holds them), so the v2 path
  // runs against plain files laid out like a delegated cgroup tree.
  let fake: string;
  let d: ExecDriver;

  beforeAll(async () => {
    fake = await mkdtemp(join(tmpdir(), 'drover-cgroup-'));
    await mkdir(join(fake, 'drover.slice'));
    await writeFile(join(fake, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await writeFile(join(fake, 'cgroup.subtree_control'), 'cpu memory\n');
    await writeFile(join(fake, 'drover.slice', 'cgroup.subtree_control'), 'cpu memory\n');
    d = new ExecDriver({ cgroupRoot: fake });
  });
  afterAll(() => rm(fake, { recursive: true, force: true }));

  it('detect reports v2', async () => {
    expect((await d.detect(h.transport)).attributes['driver.exec.cgroups']).toBe('v2');
  });

  it('gives the task its own cgroup with memory.max, memory.low and cpu.weight, and no ulimit', async () => {
    const ctx = h.context({
      config: { command: 'sh', args: ['-c', 'echo "pid=$$ vm=$(ulimit -v)"; exec sleep 30'] },
      task: { resources: { cpu: 500, memory: 64, memory_max: 128 } },
    });
    const handle = await h.start<ProcessTaskHandle>(d, ctx);
    const scope = join(fake, 'drover.slice', `${ctx.allocId}.web.scope`);
    expect(handle).toMatchObject({ memory_limit: 'cgroup', cgroup: scope });
    const out = await logUntil(d, h.transport, handle, 'pid=');
    const [, pid] = /^pid=(\d+) vm=unlimited\n$/.exec(out) ?? [];
    expect(pid).toBeDefined();
    const read = (f: string): Promise<string> => readFile(join(scope, f), 'utf8');
    expect(await read('cgroup.procs')).toBe(`${pid}\n`);
    expect(await read('memory.max')).toBe(`${128 * 1048576}\n`);
    expect(await read('memory.low')).toBe(`${64 * 1048576}\n`);
    expect(await read('cpu.weight')).toBe('58\n');
  });

  it('falls back to ulimit when the cgroup tree is not the SSH user’s to write', async () => {
    if (!isRoot || !hasProgram('setpriv')) return;
    const t = new NobodyTransport(node(h.root));
    expect((await d.detect(t)).attributes['driver.exec.cgroups']).toBe('none');
    const handle = await h.start<ProcessTaskHandle>(
      d,
      h.context(
        {
          config: { command: 'sh', args: ['-c', 'ulimit -v'] },
          task: { resources: { memory: 64 } },
        },
        t,
      ),
    );
    expect(handle.memory_limit).toBe('ulimit');
    expect(await until(d, t, handle, (s) => s.state === 'dead')).toMatchObject({ exitCode: 0 });
    expect(await text(d.logs(handle, t, { stderr: false, follow: false }))).toBe('65536\n');
  });
});

describe('the start hooks of process-common', () => {
  it('start.info lines become handle fields (never core ones); cleanup.sh runs on stop and destroy', async () => {
    const marker = join(h.root, 'cleanup.log');
    const prepare = [
      "printf 'handle.extra=yes\\nhandle.pid=1\\nhandle.driver=other\\n' >start.info",
      `printf 'echo "cleanup in $(pwd)" >>%s\\n' ${shQuote(marker)} >cleanup.sh`,
    ].join('\n');
    const ctx = h.context({ config: { command: 'sleep', args: ['30'] } });
    const raw = new RawExecDriver();
    const handle = await startProcessTask('raw_exec', ctx, ['sleep', '30'], { prepare });
    try {
      expect(handle).toMatchObject({ driver: 'raw_exec', extra: 'yes' });
      expect(handle.pid).toBeGreaterThan(1);
      // A retried start of the running task reports the same fields.
      const again = await startProcessTask('raw_exec', ctx, ['sleep', '30'], { prepare: 'exit 1' });
      expect(again).toEqual(handle);

      await raw.stop(handle, h.transport, { killTimeoutMs: 1000 });
      const line = `cleanup in ${ctx.allocDir}/web\n`;
      expect(await readFile(marker, 'utf8')).toBe(line);
      await raw.destroy(handle, h.transport);
      expect(await readFile(marker, 'utf8')).toBe(line + line);
    } finally {
      await raw.stop(handle, h.transport, { killTimeoutMs: 0, signal: 'SIGKILL' });
      await raw.destroy(handle, h.transport);
    }
  });

  it('a prepare step that fails refuses the start with its message', async () => {
    const ctx = h.context({ config: { command: 'true' } });
    await expect(
      startProcessTask('raw_exec', ctx, ['true'], { prepare: 'echo "no can do" >&2; exit 1' }),
    ).rejects.toThrow(
      /^raw_exec: cannot start task "web" of allocation \S+ on node local: no can do$/,
    );
    await h.forget(ctx);
  });
});

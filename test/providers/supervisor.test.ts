import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SUPERVISOR_SCRIPT,
  isShellName,
  renderArgvFile,
  renderEnvArgsFile,
  renderEnvFile,
  renderStopFile,
  renderSupervisorConf,
  shQuote,
  signalName,
  supervisorLaunchCommand,
} from '../../providers/drivers/supervisor.js';
import {
  buildProbeScript,
  buildStartScript,
  buildStopScript,
  parseKeyValues,
  statusFromProbe,
  taskLayout,
} from '../../providers/drivers/process-common.js';

/** Words no shell may reinterpret. */
const HOSTILE = [
  'plain',
  'two words',
  '',
  "it's",
  "'",
  "''\\''",
  '"double" quotes',
  '$HOME and ${HOME} and $(id) and `id`',
  'back\\slash \\n \\\\',
  'line one\nline two\n',
  '-n',
  '--',
  '*',
  '; rm -rf / #',
  'tab\there',
  'ünïcødé ☃',
  '%s %d %%',
];

/** Runs `sh -c script` and returns stdout, failing the test on a non-zero exit. */
function sh(script: string, shell = '/bin/sh'): string {
  const r = spawnSync(shell, ['-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const BUSYBOX = spawnSync('busybox', ['true']).status === 0;
// scripts/test-hosts.sh installs busybox-static; under CI its absence is a failure, not a skip.
if (!BUSYBOX && process.env.CI === 'true')
  throw new Error('busybox is missing: run scripts/test-hosts.sh (installs busybox-static)');

describe('shQuote', () => {
  it.each(HOSTILE)('round-trips %j through sh', (word) => {
    expect(sh(`printf '%s' ${shQuote(word)}`)).toBe(word);
  });

  it('quotes with single quotes, escaping a quote as close-escape-open', () => {
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shQuote('')).toBe("''");
  });

  it('refuses a NUL byte, which no argv can carry', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('isShellName', () => {
  it.each([
    ['PATH', true],
    ['_x1', true],
    ['NOMAD_META_a.b', false],
    ['1A', false],
    ['A-B', false],
    ['', false],
  ])('%j → %s', (name, ok) => {
    expect(isShellName(name)).toBe(ok);
  });
});

describe('signalName', () => {
  it.each([
    ['SIGTERM', 'TERM'],
    ['sigint', 'INT'],
    ['HUP', 'HUP'],
    [' SIGUSR1 ', 'USR1'],
    ['SIGKILL', 'KILL'],
    ['SIGFOO', undefined],
    ['9', undefined],
    ['', undefined],
  ])('%j → %j', (input, name) => {
    expect(signalName(input)).toBe(name);
  });
});

describe('task files', () => {
  it('renders the environment as sorted exports and the other names as env words', () => {
    const env = { B: 'two words', A: "it's $x", 'NOMAD_META_a.b': 'dot', '1X': 'digit' };
    expect(renderEnvFile(env)).toBe(`export A='it'\\''s $x'\nexport B='two words'\n`);
    expect(renderEnvArgsFile(env)).toBe(`set -- '1X=digit' 'NOMAD_META_a.b=dot'\n`);
    expect(renderEnvArgsFile({ A: '1' })).toBe('set --\n');
  });

  it('renders the argv appended to the env words', () => {
    expect(renderArgvFile(['echo', 'a b'])).toBe(`set -- "$@" 'echo' 'a b'\n`);
    expect(() => renderArgvFile([])).toThrow(/command/);
  });

  it('sourced together, the files give env(1) exactly the words and variables', () => {
    const env = { GREETING: 'hello\nworld $x', 'NOMAD_META_a.b': "it's" };
    const run = (argv: string[]): string =>
      sh(
        [
          renderEnvFile(env),
          'set --',
          renderEnvArgsFile(env),
          renderArgvFile(argv),
          'env -- "$@"',
        ].join('\n'),
      );
    const words = run(['/bin/sh', '-c', 'printf "%s|" "$GREETING" "$@"', 'sh', ...HOSTILE]);
    expect(words).toBe(`${['hello\nworld $x', ...HOSTILE].join('|')}|`);
    // sh drops a name it cannot hold from its children's environment; env itself keeps it.
    expect(run(['env']).split('\n')).toContain("NOMAD_META_a.b=it's");
  });

  it('renders the supervisor configuration in whole seconds and tenths', () => {
    const conf = renderSupervisorConf({
      task: "web's",
      logDir: '/a/alloc/logs',
      logs: { maxFiles: 10, maxFileSizeMb: 10, disabled: false },
      restart: { attempts: 2, intervalMs: 1_800_000, delayMs: 15_500, mode: 'fail' },
      killSignal: 'INT',
      killTimeoutMs: 5_000,
    });
    expect(conf).toBe(
      [
        `TASK='web'\\''s'`,
        `LOG_DIR='/a/alloc/logs'`,
        `LOG_MAX_FILES='10'`,
        `LOG_MAX_BYTES='10485760'`,
        `LOG_DISABLED='0'`,
        `ATTEMPTS='2'`,
        `INTERVAL_S='1800'`,
        `DELAY='15.5'`,
        `MODE='fail'`,
        `KILL_SIGNAL='INT'`,
        `KILL_TIMEOUT_DS='50'`,
        '',
      ].join('\n'),
    );
    expect(renderStopFile('TERM', 1_234)).toBe(`KILL_SIGNAL='TERM'\nKILL_TIMEOUT_DS='13'\n`);
  });

  it('launches the supervisor detached through setsid, with nohup as the fallback', () => {
    const cmd = supervisorLaunchCommand('/r/a b/web');
    expect(cmd).toContain(`cd '/r/a b/web' || exit 1`);
    expect(cmd).toContain(`setsid setsid sh ./supervisor.sh run '/r/a b/web' </dev/null`);
    expect(cmd).toContain('nohup sh ./supervisor.sh run');
  });
});

describe('the scripts parse as POSIX sh', () => {
  const layout = taskLayout('/var/lib/drover/alloc/0b8c', 'web');
  const scripts: [string, string][] = [
    ['supervisor', SUPERVISOR_SCRIPT],
    [
      'start',
      buildStartScript(layout, {
        conf: {
          task: 'web',
          logDir: layout.logsDir,
          logs: { maxFiles: 10, maxFileSizeMb: 10, disabled: false },
          restart: { attempts: 1, intervalMs: 1000, delayMs: 0, mode: 'delay' },
          killSignal: 'INT',
          killTimeoutMs: 0,
        },
        env: { A: 'DROVER_EOF' },
        argv: ['x'],
      }),
    ],
    ['probe', buildProbeScript(layout)],
    ['stop', buildStopScript(layout, 'TERM', 3000)],
  ];
  const shells = ['dash', 'bash --posix', ...(BUSYBOX ? ['busybox sh'] : [])]; // BUSYBOX is required under CI (above)
  for (const [name, script] of scripts) {
    it.each(shells)(`${name} script with %s -n`, (shell) => {
      const [prog, ...args] = shell.split(' ');
      const r = spawnSync(prog!, [...args, '-n'], { input: script, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

describe('status', () => {
  it('parses key=value lines, splitting at the first "="', () => {
    const kv = parseKeyValues('a=1\nmessage=x=y\n\nnoequals\nb=\n');
    expect([...kv]).toEqual([
      ['a', '1'],
      ['message', 'x=y'],
      ['b', ''],
    ]);
  });

  const file = (state: string, extra = ''): string =>
    `state=${state}\npid=42\nexit_code=3\nrestarts=2\nstarted_at=2026-01-01T00:00:00Z\nfinished_at=2026-01-01T00:01:00Z\nfailed=true\nmessage=boom\n${extra}`;

  it.each([
    [
      'dir gone',
      'probe.dir=missing\n',
      { state: 'missing', failed: false, restarts: 0, message: 'the task directory is gone' },
    ],
    [
      'running',
      'state=running\npid=42\nexit_code=\nrestarts=1\nstarted_at=2026-01-01T00:00:00Z\nfinished_at=\nfailed=false\nmessage=\nprobe.supervisor=alive\nprobe.task=alive\n',
      { state: 'running', failed: false, restarts: 1, startedAt: '2026-01-01T00:00:00Z' },
    ],
    [
      'dead, supervisor gone',
      file('dead', 'probe.supervisor=gone\n'),
      {
        state: 'dead',
        failed: true,
        restarts: 2,
        exitCode: 3,
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:01:00Z',
        message: 'boom',
      },
    ],
    [
      'pending between attempts',
      file('pending', 'probe.supervisor=alive\n'),
      {
        state: 'pending',
        failed: true,
        restarts: 2,
        exitCode: 3,
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:01:00Z',
        message: 'boom',
      },
    ],
    [
      'running, supervisor died',
      file('running', 'probe.supervisor=gone\nprobe.task=alive\n'),
      {
        state: 'missing',
        failed: true,
        restarts: 2,
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:01:00Z',
        message:
          'the supervisor exited without recording the end of the task (the task still runs)',
      },
    ],
    [
      'nothing recorded, supervisor starting',
      'probe.supervisor=alive\n',
      { state: 'pending', failed: false, restarts: 0 },
    ],
    [
      'nothing recorded, nothing running',
      'probe.supervisor=gone\n',
      {
        state: 'missing',
        failed: false,
        restarts: 0,
        message: 'no status was recorded and no supervisor runs',
      },
    ],
  ])('%s', (_name, text, status) => {
    expect(statusFromProbe(parseKeyValues(text))).toEqual(status);
  });
});

/**
 * The supervisor on busybox's sh and userland (setsid, mkfifo, env, date, sleep, tail …), as on
 * a minimal host: a failing command is restarted `attempts` times, then marked failed.
 */
// Outside CI, a machine without busybox runs the rest of the suite; CI fails above instead.
describe.runIf(BUSYBOX)('the supervisor under busybox', () => {
  let root: string;
  let bin: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drover-supervisor-'));
    bin = join(root, 'bin');
    await mkdir(bin);
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], {
      encoding: 'utf8',
    }).stdout.trim();
    for (const tool of [
      'sh',
      'setsid',
      'mkfifo',
      'cat',
      'env',
      'date',
      'sleep',
      'mv',
      'rm',
      'tr',
      'tail',
      'mkdir',
      'touch',
      'sed',
      'nohup',
      'awk',
      'wc',
      'head',
      'sort',
    ]) {
      await symlink(busybox, join(bin, tool));
    }
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('restarts a failing command, then records it failed', async () => {
    const layout = taskLayout(join(root, 'alloc1'), 'job');
    const script = buildStartScript(layout, {
      conf: {
        task: 'job',
        logDir: layout.logsDir,
        logs: { maxFiles: 10, maxFileSizeMb: 10, disabled: false },
        restart: { attempts: 2, intervalMs: 60_000, delayMs: 100, mode: 'fail' },
        killSignal: 'INT',
        killTimeoutMs: 1000,
      },
      env: { WORD: 'run' },
      argv: ['sh', '-c', 'echo "$WORD"; exit 3'],
    });
    const env = { ...process.env, PATH: `${bin}` };
    const r = spawnSync(join(bin, 'sh'), ['-c', script], { encoding: 'utf8', env });
    expect(r.status).toBe(0);
    let status = new Map<string, string>();
    for (let i = 0; i < 100 && status.get('state') !== 'dead'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      status = parseKeyValues(await readFile(join(layout.taskDir, 'status'), 'utf8'));
    }
    expect(status.get('state')).toBe('dead');
    expect(status.get('failed')).toBe('true');
    expect(status.get('exit_code')).toBe('3');
    expect(status.get('restarts')).toBe('2');
    expect(await readFile(layout.stdoutLog, 'utf8')).toBe('run\nrun\nrun\n');
  });
});

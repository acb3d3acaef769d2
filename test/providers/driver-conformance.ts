// The contract every driver keeps, as one suite each driver's test registers with its own task
// configs, on the real engine or processes: a started task inspects as running; its logs keep
// stdout and stderr apart, tail and follow; exec runs in it (or is refused clearly); recover
// rebuilds the handle from drover's deterministic names; stop leaves nothing of it on the host;
// a task that exits is dead with its code; changes are classified; bad configs are refused.
// Each transport a driver supports runs the task part: local always, ssh as the non-root
// `deploy` user on a loopback sshd.
import { normalizeTask } from '../normalized.js';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../providers/transports/local.js';
import type {
  ChangeClass,
  Driver,
  TaskContext,
  TaskRef,
  Transport,
} from '../../providers/types.js';
import type { Task } from '../../src/generated/jobspec.js';
import type { DriverHandle } from '../../src/state/types.js';
import { openSshTransport } from '../support/ssh-transport.js';
import { node, taskContext, text, until, type ContextSpec } from './process-harness.js';

export interface DriverFixture {
  driver: Driver;
  /** Where the task part runs: local always; ssh where the driver supports it. */
  transports: readonly ('local' | 'ssh')[];
  /** The loopback address of this driver's sshd (one per test file, so files run in parallel). */
  sshAddress?: string;
  /**
   * Runs until stopped, with a child process where the driver runs processes. It writes
   * `out-1` and `out-2` on stdout and `err-1` on stderr first, unless `logs` says otherwise.
   */
  longRunning: ContextSpec;
  /** Exits by itself with code 7, not restarted. */
  exits: ContextSpec;
  /** `longRunning`'s config with something changed that needs a new task. */
  changedConfig: Record<string, unknown>;
  /** A config `validateConfig` must refuse, with an error at `pointer`. */
  badConfig: { config: Record<string, unknown>; pointer: string };
  /** What the long-running task's logs hold, in full (default: out-1, out-2 / err-1). */
  logs?(ctx: TaskContext): { stdout: string; stderr: string };
  /** What exec of EXEC_ARGV in the long-running task gives (default: in web / oops / 3). */
  execResult?: { code: number; stdout: string; stderr: string };
  /** Whether anything of a stopped task is left on the host: a process of its tree, a container. */
  leftOnHost?(handle: DriverHandle, ctx: TaskContext): Promise<boolean>;
  /** Runs once before everything (building an artifact …) and after (removing what is left). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** Inspect polls this long for a state (a JVM starts slowly). */
  waitMs?: number;
}

/** Prints the task's name from its environment, writes stderr and exits 3. */
export const EXEC_ARGV = ['sh', '-c', 'echo "in $NOMAD_TASK_NAME"; echo oops >&2; exit 3'];

/** A shell command line that writes the expected logs, then runs `then`. */
export function logsThen(then: string): string {
  return `echo out-1; echo err-1 >&2; echo out-2; ${then}`;
}

const DEFAULT_LOGS = { stdout: 'out-1\nout-2\n', stderr: 'err-1\n' };
const DEFAULT_EXEC = { code: 3, stdout: 'in web\n', stderr: 'oops\n' };

function ref(ctx: TaskContext): TaskRef {
  return { allocId: ctx.allocId, task: ctx.task.name, name: ctx.name, allocDir: ctx.allocDir };
}

/** Reads a log until it holds `expected` or ends; a followed one is aborted once it does. */
async function readLog(
  driver: Driver,
  transport: Transport,
  handle: DriverHandle,
  opts: { stderr: boolean; follow: boolean; tail?: number },
  expected: string,
  waitMs: number,
): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5_000);
    let out = '';
    for await (const chunk of driver.logs(handle, transport, { ...opts, signal: abort.signal })) {
      out += String(chunk);
      // A followed log never ends by itself: stop once the whole expected text is in.
      if (opts.follow && out.length >= expected.length) abort.abort();
    }
    clearTimeout(timer);
    if (out === expected || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function driverConformance(name: string, fixture: DriverFixture): void {
  const { driver } = fixture;
  const waitMs = fixture.waitMs ?? 10_000;

  describe(`${name} driver conformance`, () => {
    beforeAll(async () => fixture.setup?.());
    afterAll(async () => fixture.teardown?.());

    describe('validateConfig', () => {
      it('accepts the suite’s configs', () => {
        for (const spec of [fixture.longRunning, fixture.exits]) {
          const errors = driver.validateConfig(spec.config).filter((p) => p.severity !== 'warning');
          expect(errors).toEqual([]);
        }
      });

      it('refuses a bad config at its pointer, saying why', () => {
        const problems = driver.validateConfig(fixture.badConfig.config);
        const error = problems.find((p) => (p.severity ?? 'error') === 'error');
        expect(error?.pointer).toBe(fixture.badConfig.pointer);
        expect(error?.detail).toMatch(/\w+/);
      });
    });

    describe('classifyChange', () => {
      const base: Task = {
        name: 'web',
        driver: driver.name,
        config: fixture.longRunning.config,
        env: { A: '1' },
        service: [{ name: 'web' }],
      };
      it.each<[string, Partial<Task>, ChangeClass]>([
        ['nothing changed', {}, 'none'],
        ['a service renamed', { service: [{ name: 'web-2' }] }, 'in-place'],
        ['the environment', { env: { A: '2' } }, 'destructive'],
        ['the config', { config: fixture.changedConfig }, 'destructive'],
      ])('%s: %s', (_what, change, expected) => {
        expect(
          driver.classifyChange(normalizeTask(base), normalizeTask({ ...base, ...change })),
        ).toBe(expected);
      });
    });

    for (const kind of fixture.transports) {
      describe(`over the ${kind} transport`, { timeout: waitMs + 30_000 }, () => {
        let root = '';
        let transport: Transport;
        let closeTransport: () => Promise<void> = () => Promise.resolve();
        const started: { handle: DriverHandle; ctx: TaskContext }[] = [];
        let allocs = 0;

        function context(spec: ContextSpec): TaskContext {
          // Nomad's default kill_timeout: what a handle rebuilt from the host (which does not
          // record it) says, so a recovered handle equals the started one.
          const task = { kill_timeout: '5s', ...spec.task };
          return taskContext(driver.name, { ...spec, task }, transport, root, ++allocs);
        }

        async function start(
          spec: ContextSpec,
        ): Promise<{ handle: DriverHandle; ctx: TaskContext }> {
          const ctx = context(spec);
          const handle = await driver.start(ctx);
          started.push({ handle, ctx });
          return { handle, ctx };
        }

        beforeAll(async () => {
          root = await mkdtemp(join(tmpdir(), `drover-${driver.name}-${kind}-`));
          // The ssh user (deploy) makes the task directories in it.
          await chmod(root, 0o777);
          if (kind === 'local') {
            transport = new LocalTransport(node(root));
          } else {
            if (!fixture.sshAddress) throw new Error(`${name}: the ssh transport needs sshAddress`);
            const ssh = await openSshTransport({ address: fixture.sshAddress, alloc_root: root });
            transport = ssh.transport;
            closeTransport = ssh.close;
          }
        });

        afterAll(async () => {
          for (const { handle } of started.reverse()) {
            await driver.stop(handle, transport, { killTimeoutMs: 0, signal: 'SIGKILL' });
            await (
              driver as { destroy?: (h: DriverHandle, t: Transport) => Promise<void> }
            ).destroy?.(handle, transport);
          }
          await closeTransport();
          if (root) await rm(root, { recursive: true, force: true });
        });

        describe('a long-running task', () => {
          let handle: DriverHandle;
          let ctx: TaskContext;

          beforeAll(async () => {
            ({ handle, ctx } = await start(fixture.longRunning));
          });

          it('starts, and inspect reports it running', async () => {
            expect(handle.driver).toBe(driver.name);
            const status = await until(
              driver,
              transport,
              handle,
              (s) => s.state === 'running',
              waitMs,
            );
            expect(status).toMatchObject({ state: 'running', failed: false, restarts: 0 });
          });

          it('logs stdout and stderr apart, and the last lines with tail', async () => {
            const expected = fixture.logs?.(ctx) ?? DEFAULT_LOGS;
            const log = (stderr: boolean, want: string, tail?: number): Promise<string> =>
              readLog(
                driver,
                transport,
                handle,
                { stderr, follow: false, ...(tail === undefined ? {} : { tail }) },
                want,
                waitMs,
              );
            expect(await log(false, expected.stdout)).toBe(expected.stdout);
            expect(await log(true, expected.stderr)).toBe(expected.stderr);
            const lastLine = expected.stdout.split('\n').slice(-2).join('\n');
            expect(await log(false, lastLine, 1)).toBe(lastLine);
          });

          it('follows a log, which ends when aborted', async () => {
            const expected = fixture.logs?.(ctx) ?? DEFAULT_LOGS;
            const out = await readLog(
              driver,
              transport,
              handle,
              { stderr: false, follow: true },
              expected.stdout,
              waitMs,
            );
            expect(out).toBe(expected.stdout);
          });

          it(
            driver.capabilities().exec
              ? 'execs a command in the task with its environment, returning its exit code'
              : 'refuses exec clearly: the driver cannot',
            async () => {
              const stdout = new PassThrough();
              const stderr = new PassThrough();
              const run = driver.exec(handle, transport, EXEC_ARGV, { stdout, stderr });
              if (!driver.capabilities().exec) {
                await expect(run).rejects.toThrow(new RegExp(`${driver.name}.*exec`));
                return;
              }
              const code = await run;
              stdout.end();
              stderr.end();
              expect({ code, stdout: await text(stdout), stderr: await text(stderr) }).toEqual(
                fixture.execResult ?? DEFAULT_EXEC,
              );
            },
          );

          it('takes a signal while it runs (SIGCONT: harmless) and refuses an unknown one', async () => {
            await driver.signal(handle, transport, 'SIGCONT');
            expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'running' });
            await expect(driver.signal(handle, transport, 'SIGNOPE')).rejects.toThrow();
          });

          it('is recovered from its names after its handle is lost', async () => {
            const found = await driver.recover(ref(ctx), transport);
            expect(found).toEqual(handle);
            expect(await driver.inspect(found!, transport)).toMatchObject({ state: 'running' });
            expect(await driver.recover({ ...ref(ctx), task: 'other' }, transport)).toBeUndefined();
            const never = context(fixture.longRunning);
            expect(await driver.recover(ref(never), transport)).toBeUndefined();
          });

          it('stops: nothing of it is left running, and a second stop is no error', async () => {
            await driver.stop(handle, transport, { killTimeoutMs: 5_000 });
            const status = await driver.inspect(handle, transport);
            expect(['dead', 'missing']).toContain(status.state);
            if (fixture.leftOnHost) expect(await fixture.leftOnHost(handle, ctx)).toBe(false);
            await driver.stop(handle, transport, { killTimeoutMs: 5_000 });
          });
        });

        it('reports a task that exits as dead, failed, with its exit code', async () => {
          const { handle } = await start(fixture.exits);
          const status = await until(driver, transport, handle, (s) => s.state === 'dead', waitMs);
          expect(status).toMatchObject({ state: 'dead', failed: true, exitCode: 7 });
          // A template's change signal to a task that is gone is an error, not silence.
          await expect(driver.signal(handle, transport, 'SIGHUP')).rejects.toThrow();
        });
      });
    }
  });
}

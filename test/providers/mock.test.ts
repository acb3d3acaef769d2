import { normalizeTask } from '../normalized.js';
import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/generated/jobspec.js';
import type { DriverHandle } from '../../src/state/types.js';
import { MockDriver, asMockHandle, validateMockConfig } from '../../providers/drivers/mock.js';
import type { TaskContext, Transport } from '../../providers/types.js';
import { EXEC_ARGV, driverConformance } from './driver-conformance.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A clock tests move by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = T0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

// The mock driver never touches its transport.
const transport = {} as Transport;

function ctx(config: Record<string, unknown>, alloc = 'a1'): TaskContext {
  const task: Task = { name: 'web', driver: 'mock', config };
  return {
    allocId: alloc,
    name: `job-g-web-${alloc}`,
    jobId: 'job',
    jobVersion: 1,
    group: 'g',
    task: normalizeTask(task),
    allocIndex: 0,
    node: { name: 'n', transport: 'local', datacenter: 'dc1', meta: {}, alloc_root: '/x' },
    transport,
    ports: [],
    env: {},
    allocDir: `/x/${alloc}`,
    labels: {},
    restart: { attempts: 0, intervalMs: 60_000, delayMs: 1000, mode: 'fail' },
  };
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('mock driver', () => {
  it('runs for run_for, then exits with exit_code', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    const h = await d.start(ctx({ run_for: '10s', exit_code: 3 }));
    expect(await d.inspect(h, transport)).toEqual({
      state: 'running',
      failed: false,
      restarts: 0,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    c.advance(9_999);
    expect((await d.inspect(h, transport)).state).toBe('running');
    c.advance(1);
    expect(await d.inspect(h, transport)).toEqual({
      state: 'dead',
      failed: true,
      exitCode: 3,
      restarts: 0,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:10.000Z',
      message: 'exited with code 3',
    });
  });

  it('without run_for runs until stopped; a stop is dead, not failed', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    const h = await d.start(ctx({}));
    c.advance(3_600_000);
    expect((await d.inspect(h, transport)).state).toBe('running');
    await d.stop(h, transport, { killTimeoutMs: 5000 });
    expect(await d.inspect(h, transport)).toMatchObject({
      state: 'dead',
      failed: false,
      finishedAt: '2026-01-01T01:00:00.000Z',
      message: 'stopped',
    });
    c.advance(1);
    expect(d.events().map((e) => [e.kind, e.at - T0])).toEqual([
      ['start', 0],
      ['stop', 3_600_000],
    ]);
  });

  it('a task that exited before the stop keeps its exit', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    const h = await d.start(ctx({ run_for: '1s', exit_code: 0 }));
    c.advance(5_000);
    await d.stop(h, transport, { killTimeoutMs: 0 });
    expect(await d.inspect(h, transport)).toMatchObject({
      state: 'dead',
      failed: false,
      exitCode: 0,
    });
    expect(d.events().map((e) => e.kind)).toEqual(['start']);
  });

  it('is healthy after healthy_after while it runs, never with fail_health', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    const healthy = await d.start(ctx({ healthy_after: '2s', run_for: '10s' }, 'a1'));
    const failing = await d.start(ctx({ healthy_after: '0s', fail_health: true }, 'a2'));
    expect(d.checkHealthy(healthy)).toBe(false);
    expect(d.checkHealthy(healthy, T0 + 1_999)).toBe(false);
    expect(d.checkHealthy(healthy, T0 + 2_000)).toBe(true);
    expect(d.checkHealthy(healthy, T0 + 10_000)).toBe(false); // exited
    expect(d.checkHealthy(failing, T0 + 60_000)).toBe(false);
    c.advance(2_000);
    expect(d.checkHealthy(healthy)).toBe(true);
  });

  it('counts running tasks at a time', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    await d.start(ctx({ run_for: '5s' }, 'a1'));
    c.advance(1_000);
    const b = await d.start(ctx({}, 'a2'));
    expect(d.runningCount()).toBe(2);
    await d.stop(b, transport, { killTimeoutMs: 0 });
    expect(d.runningCount()).toBe(1);
    expect(d.runningCount(T0 + 5_000)).toBe(0);
  });

  it('fails to start with start_error', async () => {
    const d = new MockDriver({ now: clock().now });
    await expect(d.start(ctx({ start_error: 'no such image' }))).rejects.toThrow(
      'mock: no such image',
    );
    expect(d.events()).toEqual([]);
  });

  it('reads handles it did not create (a new drover process) from the handle alone', async () => {
    const c = clock();
    const first = new MockDriver({ now: c.now });
    const h = JSON.parse(
      JSON.stringify(await first.start(ctx({ run_for: '4s', exit_code: 1 }))),
    ) as DriverHandle;
    const second = new MockDriver({ now: c.now });
    expect((await second.inspect(h, transport)).state).toBe('running');
    c.advance(4_000);
    expect((await second.inspect(h, transport)).exitCode).toBe(1);
    expect(() => asMockHandle({ driver: 'docker' })).toThrow(/not a mock task handle/);
  });

  it('refuses exec once the task has exited', async () => {
    const c = clock();
    const d = new MockDriver({ now: c.now });
    const h = await d.start(ctx({ run_for: '1s' }));
    c.advance(1_000);
    const out = new PassThrough();
    const err = new PassThrough();
    expect(await d.exec(h, transport, ['echo', 'hi'], { stdout: out, stderr: err })).toBe(1);
    out.end();
    err.end();
    expect(await text(out)).toBe('');
    expect(await text(err)).toBe('mock task "web" is not running\n');
  });

  it('detects itself on any node', async () => {
    expect(await new MockDriver().detect(transport)).toEqual({
      detected: true,
      healthy: true,
      attributes: { 'driver.mock': '1' },
    });
  });
});

driverConformance('mock', {
  driver: new MockDriver(),
  transports: ['local'],
  longRunning: { config: {} },
  exits: { config: { run_for: '10ms', exit_code: 7 } },
  changedConfig: { run_for: '1h' },
  badConfig: { config: { run_for: 'soon' }, pointer: '/run_for' },
  logs: (c) => ({ stdout: `mock task "web" of allocation ${c.allocId} started\n`, stderr: '' }),
  execResult: { code: 0, stdout: `${EXEC_ARGV.join(' ')}\n`, stderr: '' },
});

describe('validateMockConfig', () => {
  it.each([
    [
      'every key',
      { run_for: '10s', exit_code: 0, healthy_after: '1s', fail_health: false, start_error: 'x' },
      [],
    ],
    ['nothing', {}, []],
    [
      'a bad duration',
      { run_for: '10 seconds' },
      [
        {
          pointer: '/run_for',
          summary: 'Invalid duration',
          detail: '"run_for" must be a duration such as "10s"; "10 seconds" is not one.',
        },
      ],
    ],
    [
      'a boolean duration',
      { healthy_after: true },
      [
        {
          pointer: '/healthy_after',
          summary: 'Incorrect attribute value type',
          detail: '"healthy_after" must be a duration such as "10s".',
        },
      ],
    ],
    [
      'an exit code out of range',
      { exit_code: 256 },
      [
        {
          pointer: '/exit_code',
          summary: 'Incorrect attribute value type',
          detail: '"exit_code" must be a whole number from 0 to 255.',
        },
      ],
    ],
    [
      'a string for fail_health',
      { fail_health: 'yes' },
      [
        {
          pointer: '/fail_health',
          summary: 'Incorrect attribute value type',
          detail: '"fail_health" must be true or false.',
        },
      ],
    ],
    [
      'an unknown key',
      { image: 'x' },
      [
        {
          pointer: '/image',
          summary: 'Unsupported argument',
          detail:
            'An argument named "image" is not expected in a mock config; it takes "run_for", "exit_code", "healthy_after", "fail_health", "start_error".',
        },
      ],
    ],
  ])('%s', (_name, config, problems) => {
    expect(validateMockConfig(config)).toEqual(problems);
  });
});

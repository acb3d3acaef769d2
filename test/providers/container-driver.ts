// What the docker and podman drivers share beyond the driver suite, as tests each of their files
// registers against its own engine: the driver suite's fixture for containers, and the
// container's life: stop signals, images that are not there, commands that cannot start, exits
// with restarts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { expect, it, vi } from 'vitest';
import type { DockerDriver, DockerHandle } from '../../providers/drivers/docker.js';
import type { TaskContext, Transport } from '../../providers/types.js';
import type { Task } from '../../src/generated/jobspec.js';
import { containersNamed } from '../support/containers.js';
import { TEST_IMAGE_V1, TEST_IMAGE_V2 } from '../support/docker.js';
import { driverConformance, logsThen } from './driver-conformance.js';

export interface ContainerSubject {
  driver: DockerDriver;
  /** A client of the engine the driver talks to, to look at containers directly. */
  engine: Docker;
}

/** The driver suite on an engine, locally and through an sshd on `sshAddress`. */
export function containerConformance(
  subject: ContainerSubject & { sshAddress: string; setup: () => Promise<void> },
): void {
  const { driver, engine } = subject;
  driverConformance(driver.name, {
    driver,
    transports: ['local', 'ssh'],
    sshAddress: subject.sshAddress,
    setup: subject.setup,
    // The init process passes SIGTERM on to sh, which as PID 1 would ignore it.
    longRunning: {
      config: {
        image: TEST_IMAGE_V1,
        command: 'sh',
        args: ['-c', logsThen('exec sleep 300')],
        init: true,
      },
    },
    exits: { config: { image: TEST_IMAGE_V1, command: 'sh', args: ['-c', 'exit 7'] } },
    changedConfig: { image: TEST_IMAGE_V2, command: 'sh', args: ['-c', 'exec sleep 300'] },
    badConfig: { config: { command: 'sh' }, pointer: '' },
    leftOnHost: async (handle) =>
      (await containersNamed(engine, (handle as DockerHandle).container_name)) > 0,
  });
}

/** Registers the life-cycle tests (inside the caller's describe) on the local node. */
export function containerLifecycleTests(
  subject: ContainerSubject & {
    transport: () => Transport;
    context: (
      task: Partial<Task> & { config: Record<string, unknown> },
      extra?: Partial<TaskContext>,
    ) => TaskContext;
    /** How the engine reports a StopSignal of SIGUSR1 (Docker by name, podman by number). */
    usr1: string;
  },
): void {
  const { driver, engine, context } = subject;

  it('stops with kill_signal, or the signal asked for, before the kill timeout', async () => {
    const transport = subject.transport();
    // sh as PID 1 ignores SIGTERM; only the trapped signal ends it, leaving a note in /alloc.
    const trapping = (sig: string) => ({
      image: TEST_IMAGE_V1,
      command: 'sh',
      args: [
        '-c',
        `trap 'echo ${sig} > /alloc/signal; exit 0' ${sig}; while :; do sleep 0.1; done`,
      ],
    });
    const viaStopSignal = context({ config: trapping('USR1'), kill_signal: 'SIGUSR1' });
    const viaOverride = context({ config: trapping('USR2') });
    const handles = await Promise.all([driver.start(viaStopSignal), driver.start(viaOverride)]);
    const info = await engine.getContainer(handles[0].container_id).inspect();
    expect((info.Config as { StopSignal?: string }).StopSignal).toBe(subject.usr1);

    const proto = Object.getPrototypeOf(engine.getContainer('x')) as Docker.Container;
    const stopSpy = vi.spyOn(proto, 'stop');
    const killSpy = vi.spyOn(proto, 'kill');
    const started = Date.now();
    try {
      await Promise.all([
        // The engine's own stop (the StopSignal), and a kill with another signal then a wait.
        driver.stop(handles[0], transport, { killTimeoutMs: 5000 }),
        driver.stop(handles[1], transport, { killTimeoutMs: 5000, signal: 'USR2' }),
      ]);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(stopSpy.mock.calls).toEqual([[{ t: 5 }]]);
      expect(killSpy.mock.calls).toEqual([[{ signal: 'SIGUSR2' }]]);
    } finally {
      stopSpy.mockRestore();
      killSpy.mockRestore();
    }
    expect(await readFile(join(viaStopSignal.allocDir, 'alloc', 'signal'), 'utf8')).toBe('USR1\n');
    expect(await readFile(join(viaOverride.allocDir, 'alloc', 'signal'), 'utf8')).toBe('USR2\n');
    expect(await containersNamed(engine, viaStopSignal.name)).toBe(0);
    expect(await containersNamed(engine, viaOverride.name)).toBe(0);
  });

  it('signals a running container (a template change_signal) and leaves it running', async () => {
    const transport = subject.transport();
    const ctx = context({
      config: {
        image: TEST_IMAGE_V1,
        command: 'sh',
        args: ['-c', "trap 'echo HUP >> /alloc/signal' HUP; while :; do sleep 0.1; done"],
      },
    });
    const handle = await driver.start(ctx);
    try {
      await driver.signal(handle, transport, 'SIGHUP');
      const note = join(ctx.allocDir, 'alloc', 'signal');
      const deadline = Date.now() + 5_000;
      let seen = '';
      while (seen === '' && Date.now() < deadline) {
        seen = await readFile(note, 'utf8').catch(() => '');
        if (seen === '') await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen).toBe('HUP\n');
      expect(await driver.inspect(handle, transport)).toMatchObject({ state: 'running' });
    } finally {
      await driver.stop(handle, transport, { killTimeoutMs: 1_000 });
    }
  });

  it('fails clearly on an image the node lacks and no registry has', async () => {
    const ctx = context({ config: { image: 'drover-test/missing:v0', image_pull_timeout: '20s' } });
    await expect(driver.start(ctx)).rejects.toThrow(
      /^image drover-test\/missing:v0 not found on node local and could not be pulled: .+/,
    );
    expect(await containersNamed(engine, ctx.name)).toBe(0);
  });

  it('fails clearly when the container cannot start, and leaves nothing behind', async () => {
    const ctx = context({ config: { image: TEST_IMAGE_V1, command: '/no/such/program' } });
    await expect(driver.start(ctx)).rejects.toThrow(
      new RegExp(`^container ${ctx.name} could not start on node local: .*no/such/program`),
    );
    expect(await containersNamed(engine, ctx.name)).toBe(0);
  });

  it('reports a task that exited, with its code and restarts', async () => {
    const transport = subject.transport();
    const ctx = context(
      { config: { image: TEST_IMAGE_V1, command: 'sh', args: ['-c', 'exit 7'] } },
      { restart: { attempts: 1, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' } },
    );
    const handle = await driver.start(ctx);
    let status = await driver.inspect(handle, transport);
    for (let i = 0; i < 100 && !(status.state === 'dead' && status.restarts === 1); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await driver.inspect(handle, transport);
    }
    expect(status).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 7,
      restarts: 1,
      message: 'exited with code 7',
    });
    await driver.stop(handle, transport, { killTimeoutMs: 1000 });
    expect(await containersNamed(engine, ctx.name)).toBe(0);
  });
}

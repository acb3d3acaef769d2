/**
 * A Docker engine of the suite's own, for nodes with `transport = "docker"`: a second dockerd on
 * a unix socket with its own data root, exec root, pid file and bridge, which a fault test may
 * restart (or stop) without touching the shared engine other tests use. Containers use host
 * networking (iptables stay the main engine's). It gets drover-test/busybox:v1 from the main
 * engine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { TEST_IMAGE_V1, ensureTestImages } from '../../support/docker.js';
import { killAndWait, loadImage, tail, unmountUnder } from '../../support/docker-tls.js';

const run = promisify(execFile);
const DOCKERD = '/usr/sbin/dockerd';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface Engine {
  /** unix:///run/drover-rel-N/docker.sock, for drover.hcl's `docker_host`. */
  dockerHost: string;
  docker: Docker;
  /** Stops the engine (SIGTERM, as a service manager would) and starts it again on the same data. */
  restart(): Promise<void>;
  /** Stops the engine, unmounts what it left and removes its directories. */
  stop(): Promise<void>;
}

/** `n` (1–250) numbers the engine's bridge (drover-rel<n>, 172.29.<n>.1/24) and run dir. */
export async function startEngine(n: number): Promise<Engine> {
  await ensureTestImages();
  const dir = await mkdtemp(join(tmpdir(), 'drover-rel-dockerd-'));
  const runDir = `/run/drover-rel-${n}`;
  const socketPath = join(runDir, 'docker.sock');
  const bridge = `drover-rel${n}`;
  const config = join(dir, 'daemon.json');
  const log = join(dir, 'dockerd.log');
  const docker = new Docker({ socketPath, timeout: 30_000 });
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const fd = openSync(log, 'a');
    child = spawn(
      DOCKERD,
      [
        `--config-file=${config}`,
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${join(runDir, 'exec')}`,
        `--pidfile=${join(runDir, 'docker.pid')}`,
        `-H=unix://${socketPath}`,
        `--bridge=${bridge}`,
        '--iptables=false',
        '--ip6tables=false',
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    await waitUntilAnswering(child, docker, log);
  };
  const halt = async (): Promise<void> => {
    if (child) await killAndWait(child);
    child = undefined;
  };
  let stopped: Promise<void> | undefined;
  const cleanup = async (): Promise<void> => {
    await halt();
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await unmountUnder([dir, runDir]);
    await rm(dir, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
  };

  try {
    await removeLeftover(runDir);
    await mkdir(runDir, { recursive: true });
    await writeFile(config, '{}\n'); // /etc/docker/daemon.json belongs to the main engine
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `172.29.${n}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    await launch();
    await loadImage(docker, TEST_IMAGE_V1);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    dockerHost: `unix://${socketPath}`,
    docker,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: () => (stopped ??= cleanup()),
  };
}

/**
 * What a run cut short (a test timeout kills its worker) left of an engine with this number:
 * the suite's own dockerd, found by its pid file, its mounts and its run directory.
 */
async function removeLeftover(runDir: string): Promise<void> {
  const pid = Number(await readFile(join(runDir, 'docker.pid'), 'utf8').catch(() => ''));
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (Date.now() < deadline) {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch {
      // Gone (or never there).
    }
  }
  await unmountUnder([runDir]);
  await rm(runDir, { recursive: true, force: true });
}

async function waitUntilAnswering(child: ChildProcess, docker: Docker, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`test dockerd exited at start:\n${await tail(log)}`);
    }
    if (
      await docker.ping().then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) {
      throw new Error(
        `test dockerd did not answer within ${START_TIMEOUT_MS} ms:\n${await tail(log)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

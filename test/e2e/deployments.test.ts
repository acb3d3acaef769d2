/**
 * Deployments on a real Docker engine, through the real CLI (issue 4): a rolling update, a
 * canary that waits for `promote`, a canary whose task dies and is auto-reverted, an update
 * whose http check fails and is auto-reverted, and a rollout resumed after its drover process
 * was killed. Each scenario has its own working directory (state) and its own job id.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, StateSnapshot } from '../../src/state/types.js';
import { ensureTestImages, localDocker, removeContainersByLabel } from '../support/docker.js';
import { DROVER, drover, type CliResult } from './cli.js';

interface Spec {
  tag: 'v1' | 'v2';
  count: number;
  /** Lines of the group's `update` block. */
  update: string[];
  command?: string;
  args?: string[];
  /** Adds a group service with an http check on this path. */
  checkPath?: string;
}

interface Alloc {
  id: string;
  version: number;
  canary?: boolean;
  desired_status: string;
  client_status: string;
  ports: { value: number; host_ip: string }[];
}

interface StatusJson {
  version: number;
  allocations: Alloc[];
}

const HTTPD = ['-f', '-p', '8080', '-h', '/www'];

function jobspec(id: string, s: Spec): string {
  const args = s.args ?? (s.command ? [] : HTTPD);
  const service = s.checkPath
    ? `
    service {
      name     = "web"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "${s.checkPath}"
        interval = "1s"
        timeout  = "1s"
      }
    }
`
    : '';
  return `job "${id}" {
  group "web" {
    count = ${s.count}

    network {
      port "http" {
        to = 8080
      }
    }

    update {
${s.update.map((l) => `      ${l}`).join('\n')}
    }

    restart {
      attempts = 0
      mode     = "fail"
    }
${service}
    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"

      config {
        image   = "drover-test/busybox:${s.tag}"
        command = "${s.command ?? 'httpd'}"
        args    = [${args.map((a) => JSON.stringify(a)).join(', ')}]
        ports   = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;
}

const scenarios: Scenario[] = [];

/** One scenario's job and working directory, with what a user would look at. */
class Scenario {
  readonly job: string;
  readonly dir: string;
  readonly file: string;

  constructor(name: string) {
    this.job = `e2e-dep-${process.pid}-${name}`;
    this.dir = mkdtempSync(join(tmpdir(), `drover-e2e-${name}-`));
    this.file = join(this.dir, 'web.nomad.hcl');
    scenarios.push(this);
  }

  run(args: string[]): Promise<CliResult> {
    return drover(this.dir, args);
  }

  apply(spec: Spec, extra: string[] = []): Promise<CliResult> {
    writeFileSync(this.file, jobspec(this.job, spec));
    return this.run(['apply', '-auto-approve', ...extra, this.file]);
  }

  async json<T>(args: string[]): Promise<T> {
    const r = await this.run([...args, '-json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  }

  status(): Promise<StatusJson> {
    return this.json<StatusJson>(['status', this.job]);
  }

  deployment(): Promise<Deployment & { interrupted: boolean }> {
    return this.json(['deployment', 'status', this.job]);
  }

  state(): Promise<StateSnapshot> {
    return this.json<StateSnapshot>(['state', 'show']);
  }

  /** The allocations that should run and do. */
  async live(): Promise<Alloc[]> {
    const s = await this.status();
    return s.allocations.filter((a) => a.desired_status === 'run' && a.client_status === 'running');
  }

  /** What each live allocation serves, sorted. */
  async served(): Promise<string[]> {
    const pages = await Promise.all((await this.live()).map(page));
    return pages.sort();
  }

  /** Every container of this job on the engine, running or not. */
  async containers(): Promise<{ alloc: string; state: string }[]> {
    const list = await localDocker().listContainers({
      all: true,
      filters: { label: [`drover.job=${this.job}`] },
    });
    return list.map((c) => ({ alloc: c.Labels['drover.alloc'] ?? '', state: c.State }));
  }

  async cleanup(): Promise<void> {
    await removeContainersByLabel(`drover.job=${this.job}`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function page(a: Alloc): Promise<string> {
  const p = a.ports[0]!;
  const res = await fetch(`http://${p.host_ip}:${p.value}/`);
  return (await res.text()).trim();
}

const output = (r: CliResult) => r.stdout + r.stderr;

const fast = ['max_parallel = 1', 'min_healthy_time = "1s"'];

beforeAll(async () => {
  await ensureTestImages();
});

afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

describe('deployments on the local Docker engine', { timeout: 60_000 }, () => {
  it('rolls an update out one allocation at a time', async () => {
    const s = new Scenario('rolling');
    const first = await s.apply({ tag: 'v1', count: 3, update: fast });
    expect(first.code, output(first)).toBe(0);
    expect(await s.served()).toEqual(['v1', 'v1', 'v1']);

    const second = await s.apply({ tag: 'v2', count: 3, update: fast });
    expect(second.code, output(second)).toBe(0);
    // One at a time: each replacement is healthy before the next one starts.
    const steps = second.stdout.match(/: (starting|healthy)$/gm);
    expect(steps).toEqual([
      ': starting',
      ': healthy',
      ': starting',
      ': healthy',
      ': starting',
      ': healthy',
    ]);
    expect(await s.served()).toEqual(['v2', 'v2', 'v2']);
    expect(await s.containers()).toHaveLength(3);

    const history = await s.json<{ versions: { version: number; stable: boolean }[] }>([
      'job',
      'history',
      s.job,
    ]);
    expect(history.versions.map((v) => [v.version, v.stable])).toEqual([
      [1, true],
      [0, true],
    ]);
    const d = await s.deployment();
    expect(d.version).toBe(1);
    expect(d.status).toBe('successful');
    expect(d.groups.web).toMatchObject({ desired_total: 3, placed: 3, healthy: 3, unhealthy: 0 });
  });

  it('starts a canary beside the old allocations and finishes the rollout on promote', async () => {
    const s = new Scenario('canary');
    const update = [...fast, 'canary = 1'];
    const first = await s.apply({ tag: 'v1', count: 2, update });
    expect(first.code, output(first)).toBe(0);
    expect(await s.served()).toEqual(['v1', 'v1']);

    const second = await s.apply({ tag: 'v2', count: 2, update });
    expect(second.code, output(second)).toBe(5);
    expect(second.stdout).toContain(`drover promote ${s.job}`);
    const live = await s.live();
    expect(live).toHaveLength(3);
    const pages = await Promise.all(
      live.map(async (a) => ({
        version: a.version,
        canary: Boolean(a.canary),
        page: await page(a),
      })),
    );
    expect(pages.sort((a, b) => a.version - b.version)).toEqual([
      { version: 0, canary: false, page: 'v1' },
      { version: 0, canary: false, page: 'v1' },
      { version: 1, canary: true, page: 'v2' },
    ]);
    const waiting = await s.deployment();
    expect(waiting.status).toBe('running');
    expect(waiting.status_description).toMatch(/promot/i);
    expect(waiting.groups.web).toMatchObject({
      desired_canaries: 1,
      placed_canaries: [live.find((a) => a.canary)!.id],
      promoted: false,
      healthy: 1,
    });

    const promote = await s.run(['promote', s.job, '-auto-approve']);
    expect(promote.code, output(promote)).toBe(0);
    expect(await s.served()).toEqual(['v2', 'v2']);
    expect(await s.containers()).toHaveLength(2);
    const done = await s.deployment();
    expect(done.id).toBe(waiting.id);
    expect(done.status).toBe('successful');
    expect(done.groups.web).toMatchObject({ promoted: true, desired_total: 2, healthy: 2 });
  });

  it('reverts a canary whose task dies to the stable version (exit 3)', async () => {
    const s = new Scenario('dies');
    const update = [...fast, 'canary = 1', 'auto_revert = true', 'healthy_deadline = "10s"'];
    const first = await s.apply({ tag: 'v1', count: 2, update });
    expect(first.code, output(first)).toBe(0);

    const bad = await s.apply({ tag: 'v2', count: 2, update, command: 'false' });
    expect(bad.code, output(bad)).toBe(3);
    expect(bad.stderr).toContain('rolled back to job version 0');
    expect(await s.served()).toEqual(['v1', 'v1']);
    // The stable version comes back as version 2: the old allocations are updated in place.
    expect((await s.live()).map((a) => a.version)).toEqual([2, 2]);

    const status = await s.status();
    expect(status.version).toBe(2);
    const state = await s.state();
    const versions = state.jobs[s.job]!.versions;
    expect(versions.map((v) => v.version)).toEqual([0, 1, 2]);
    expect(versions[2]!.job).toEqual(versions[0]!.job);
    expect(versions[1]!.stable).toBe(false);

    const deployments = Object.values(state.deployments).filter((d) => d.job === s.job);
    const failed = deployments.find((d) => d.version === 1);
    expect(failed?.status).toBe('failed');
    expect(failed?.groups.web).toMatchObject({
      desired_canaries: 1,
      unhealthy: 1,
      promoted: false,
    });
    expect(await s.containers()).toHaveLength(2);
    // The revert is a deployment of its own (Nomad creates one for in-place updates too).
    const latest = await s.deployment();
    expect(latest.version).toBe(2);
    expect(latest.status).toBe('successful');
  });

  it('waits for passing http checks, and reverts an update whose check fails (exit 3)', async () => {
    const s = new Scenario('check');
    const update = [...fast, 'auto_revert = true', 'healthy_deadline = "5s"'];
    const first = await s.apply({ tag: 'v1', count: 2, update, checkPath: '/index.html' });
    expect(first.code, output(first)).toBe(0);
    expect(await s.served()).toEqual(['v1', 'v1']);
    expect((await s.status()).allocations.every((a) => a.version === 0)).toBe(true);

    const bad = await s.apply({ tag: 'v2', count: 2, update, checkPath: '/missing' });
    expect(bad.code, output(bad)).toBe(3);
    expect(bad.stderr).toContain('not healthy by healthy_deadline (5s)');
    expect(bad.stderr).toContain('404');
    // Said once per failed allocation, on its error line, plainly (no escaped quotes).
    const said = (bad.stdout + bad.stderr).split('\n').filter((l) => l.includes('is critical'));
    expect(said.length, output(bad)).toBeGreaterThan(0);
    for (const line of said) {
      expect(line).toMatch(/^error: .*: http check \(service "web"\) is critical: HTTP GET /);
      expect(line).not.toContain('\\"');
    }
    expect(await s.served()).toEqual(['v1', 'v1']);
    expect(await s.containers()).toHaveLength(2);
    const d = await s.deployment();
    expect(d.version).toBe(2);
    expect(d.status).toBe('successful');
  });

  it('resumes a rollout whose drover was killed, leaving nothing unrecorded', async () => {
    const s = new Scenario('resume');
    const update = ['max_parallel = 1', 'min_healthy_time = "3s"'];
    const first = await s.apply({ tag: 'v1', count: 3, update: fast });
    expect(first.code, output(first)).toBe(0);

    writeFileSync(s.file, jobspec(s.job, { tag: 'v2', count: 3, update }));
    const child = spawn(process.execPath, [DROVER, 'apply', '-auto-approve', s.file], {
      cwd: s.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    // Kill it once the first replacement is running, inside its min_healthy_time gate.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = await s.state();
      const started = Object.values(state.allocations).some(
        (a) => a.job === s.job && a.version === 1 && a.client_status === 'running',
      );
      if (started) break;
      expect(Date.now(), 'the first replacement never started').toBeLessThan(deadline);
      await sleep(200);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const interrupted = await s.deployment();
    expect(interrupted.version).toBe(1);
    expect(interrupted.status).toBe('running');

    // Every container of the job is an allocation in state.
    const state = await s.state();
    const containers = await s.containers();
    expect(containers.length).toBeGreaterThanOrEqual(3);
    for (const c of containers) expect(Object.keys(state.allocations)).toContain(c.alloc);
    const running = Object.values(state.allocations).filter((a) => a.desired_status === 'run');
    expect(running).toHaveLength(3);
    for (const a of running) expect(containers.map((c) => c.alloc)).toContain(a.id);

    // The killed process's lock is taken over by the next apply, which says whose it was.
    const resumed = await s.run(['apply', '-auto-approve', s.file]);
    expect(resumed.code, output(resumed)).toBe(0);
    expect(resumed.stderr).toMatch(
      new RegExp(
        `warning: took over the state lock of apply by \\S+ pid ${child.pid} since \\S+: that process is gone`,
      ),
    );
    expect(await s.served()).toEqual(['v2', 'v2', 'v2']);
    expect(await s.containers()).toHaveLength(3);
    // The same deployment finishes, and the replacement in flight when drover died was gated too.
    const finished = await s.deployment();
    expect(finished.id).toBe(interrupted.id);
    expect(finished.status).toBe('successful');
    expect(finished.groups.web).toMatchObject({ desired_total: 3, placed: 3, healthy: 3 });
  });
});

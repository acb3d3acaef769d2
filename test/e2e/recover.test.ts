/**
 * A drover killed between a task's start and the state write that records its handle, through
 * the real CLI. The state file is edited as the killed process left it: the allocation
 * `pending`, its handles and task states gone, lineage and serial untouched, the lock released.
 * The next plan finds the task again (no replacement, nothing lost), apply records it running
 * with its handle without starting a second one, and `stop -purge` ends it. With nothing (or
 * only part of it) on the host the allocation is lost and replaced, as before. On the local
 * Docker engine and with raw_exec processes on this machine.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, DriverHandle, StateSnapshot } from '../../src/state/types.js';
import { ensureTestImages, localDocker, removeContainersByLabel } from '../support/docker.js';
import { running } from '../providers/process-harness.js';
import { drover, type CliResult } from './cli.js';

const output = (r: CliResult) => r.stdout + r.stderr;

/** One job in its own working directory (state), run through the CLI. */
class Scenario {
  readonly dir = mkdtempSync(join(tmpdir(), 'drover-e2e-recover-'));
  readonly file = join(this.dir, 'job.nomad.hcl');
  readonly allocRoot = join(this.dir, 'alloc');

  constructor(
    readonly job: string,
    jobspec: string,
  ) {
    writeFileSync(this.file, jobspec);
    writeFileSync(
      join(this.dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${this.allocRoot}"\n}\n`,
    );
  }

  run(args: string[]): Promise<CliResult> {
    return drover(this.dir, args);
  }

  async state(): Promise<StateSnapshot> {
    const r = await this.run(['state', 'show', '-json']);
    expect(r.code, output(r)).toBe(0);
    return JSON.parse(r.stdout) as StateSnapshot;
  }

  /** The job's allocations meant to run. */
  async live(): Promise<Allocation[]> {
    return Object.values((await this.state()).allocations).filter(
      (a) => a.job === this.job && a.desired_status === 'run',
    );
  }

  async only(): Promise<Allocation> {
    const live = await this.live();
    expect(live).toHaveLength(1);
    return live[0]!;
  }

  /**
   * Leaves the state file as a drover killed before it recorded the allocation's tasks (all but
   * `kept`): pending, without their handles and task states. Nothing else changes.
   */
  interrupt(allocId: string, kept: string[] = []): void {
    expect(existsSync(join(this.dir, '.drover', 'state.lock')), 'the lock is held').toBe(false);
    const path = join(this.dir, '.drover', 'state.json');
    const before = JSON.parse(readFileSync(path, 'utf8')) as StateSnapshot;
    const a = before.allocations[allocId]!;
    const keep = <T>(m: Record<string, T>) =>
      Object.fromEntries(Object.entries(m).filter(([task]) => kept.includes(task)));
    const after: StateSnapshot = {
      ...before,
      allocations: {
        ...before.allocations,
        [allocId]: {
          ...a,
          client_status: 'pending',
          driver_handles: keep(a.driver_handles),
          task_states: keep(a.task_states),
        },
      },
    };
    writeFileSync(path, `${JSON.stringify(after, null, 2)}\n`);
  }

  async cleanup(): Promise<void> {
    await this.run(['stop', '-auto-approve', '-purge', this.job]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The plan after an interrupted apply whose tasks all run: they are found, nothing else. */
async function expectFound(s: Scenario, alloc: Allocation): Promise<void> {
  const plan = await s.run(['plan', '-detailed-exitcode', s.file]);
  expect(plan.code, output(plan)).toBe(0);
  expect(plan.stdout).toContain(
    `${alloc.name} (${alloc.id.slice(0, 8)}) on local: pending → running: its tasks are running`,
  );
  expect(plan.stdout).toContain('No changes.');
  expect(plan.stdout).not.toMatch(/lost|replace|create/);
}

/** Plans the replacement of an allocation refresh calls lost, applies it, returns the new one. */
async function expectReplaced(s: Scenario, old: Allocation, reason: string): Promise<Allocation> {
  const plan = await s.run(['plan', '-detailed-exitcode', s.file]);
  expect(plan.code, output(plan)).toBe(2);
  expect(plan.stdout).toContain(
    `${old.name} (${old.id.slice(0, 8)}) on local: pending → lost: ${reason}`,
  );
  // The lost allocation never ran whole: its replacement is a create, and nothing is destroyed.
  expect(plan.stdout).toContain(`replaces ${old.id.slice(0, 8)} (alloc is lost: ${reason})`);
  expect(plan.stdout).toContain(
    'Plan: 1 to create, 0 to update in place, 0 to replace, 0 to destroy.',
  );

  const apply = await s.run(['apply', '-auto-approve', s.file]);
  expect(apply.code, output(apply)).toBe(0);
  const now = await s.only();
  expect(now.id).not.toBe(old.id);
  expect(now.client_status).toBe('running');
  const gone = (await s.state()).allocations[old.id]!;
  expect([gone.desired_status, gone.client_status]).toEqual(['stop', 'lost']);
  return now;
}

// ---------------------------------------------------------------------------------------------

describe('an apply killed before it recorded a docker task', { timeout: 90_000 }, () => {
  const job = `e2e-recover-docker-${process.pid}`;
  const docker = localDocker();
  const s = new Scenario(
    job,
    `job "${job}" {
  group "web" {
    count = 1

    network {
      port "http" {
        to = 8080
      }
    }

    update {
      min_healthy_time = "1s"
    }

    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"

      config {
        image   = "drover-test/busybox:v1"
        command = "httpd"
        args    = ["-f", "-p", "8080", "-h", "/www"]
        ports   = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
  );

  /** Every container of the job: id, allocation, state. */
  async function containers(): Promise<{ id: string; alloc: string; state: string }[]> {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`drover.job=${job}`] },
    });
    return list.map((c) => ({ id: c.Id, alloc: c.Labels['drover.alloc'] ?? '', state: c.State }));
  }

  async function page(a: Allocation): Promise<string> {
    const p = a.ports[0]!;
    return (await (await fetch(`http://${p.host_ip}:${p.value}/`)).text()).trim();
  }

  beforeAll(async () => {
    await ensureTestImages(docker);
    const r = await s.run(['apply', '-auto-approve', s.file]);
    expect(r.code, output(r)).toBe(0);
  });

  afterAll(async () => {
    await s.cleanup();
    await removeContainersByLabel(`drover.job=${job}`, docker);
  });

  it('plans nothing for it; apply records it running with its handle; no second container', async () => {
    const before = await s.only();
    const handle = before.driver_handles.httpd!;
    s.interrupt(before.id);
    await expectFound(s, before);

    const apply = await s.run(['apply', '-auto-approve', s.file]);
    expect(apply.code, output(apply)).toBe(0);
    const after = (await s.state()).allocations[before.id]!;
    expect(after.client_status).toBe('running');
    expect(after.driver_handles).toEqual({ httpd: handle });
    expect(after.task_states.httpd).toMatchObject({ state: 'running', failed: false });
    expect(await containers()).toEqual([
      { id: handle.container_id as string, alloc: before.id, state: 'running' },
    ]);
    expect(await page(after)).toBe('v1');

    // Recorded: the next plan has nothing to say about it.
    const plan = await s.run(['plan', '-detailed-exitcode', s.file]);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).not.toContain('Changes outside drover');
    const status = await s.run(['status', job, '-json']);
    const allocs = (JSON.parse(status.stdout) as { allocations: Allocation[] }).allocations;
    expect(allocs.map((a) => [a.id, a.client_status])).toEqual([[before.id, 'running']]);
  });

  it('replaces one whose container was created but never started, and removes that one', async () => {
    const old = await s.only();
    const id = old.driver_handles.httpd!.container_id as string;
    s.interrupt(old.id);
    // What a drover killed between the engine's create and start leaves.
    const info = await docker.getContainer(id).inspect();
    await docker.getContainer(id).remove({ force: true });
    await docker.createContainer({
      ...info.Config,
      name: info.Name.slice(1),
      HostConfig: info.HostConfig,
    });
    const now = await expectReplaced(
      s,
      old,
      'task "httpd" did not get to run (an apply was interrupted)',
    );
    const list = await containers();
    expect(list.map((c) => [c.alloc, c.state])).toEqual([[now.id, 'running']]);
  });

  it('replaces one with nothing on the host (the old behaviour)', async () => {
    const old = await s.only();
    s.interrupt(old.id);
    await docker.getContainer(old.driver_handles.httpd!.container_id as string).remove({
      force: true,
    });
    const now = await expectReplaced(s, old, 'it never started (an apply was interrupted)');
    expect((await containers()).map((c) => [c.alloc, c.state])).toEqual([[now.id, 'running']]);
  });

  it('stop -purge removes the container of an allocation left pending', async () => {
    const a = await s.only();
    s.interrupt(a.id);
    expect(await containers()).toHaveLength(1);
    const stop = await s.run(['stop', '-auto-approve', '-purge', job]);
    expect(stop.code, output(stop)).toBe(0);
    expect(await containers()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('an apply killed before it recorded raw_exec tasks', { timeout: 90_000 }, () => {
  const job = `e2e-recover-raw-${process.pid}`;
  const s = new Scenario(
    job,
    `job "${job}" {
  group "pair" {
    count = 1

    update {
      min_healthy_time = "1s"
    }

    task "a" {
      driver = "raw_exec"

      config {
        command = "sleep"
        args    = ["300"]
      }
    }

    task "b" {
      driver = "raw_exec"

      config {
        command = "sleep"
        args    = ["301"]
      }
    }
  }
}
`,
  );
  type Handle = DriverHandle & { alloc_dir: string; pid: number; supervisor_pid: number };
  /** Every process handle seen, so none outlives the tests whatever they did. */
  const seen: Handle[] = [];

  function handles(a: Allocation): Record<'a' | 'b', Handle> {
    const hs = a.driver_handles as Record<'a' | 'b', Handle>;
    seen.push(hs.a, hs.b);
    return hs;
  }

  /** The task and its supervisor are killed and its directory removed: nothing of it is left. */
  function wipe(h: Handle): void {
    for (const pid of [h.supervisor_pid, -h.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    rmSync(join(h.alloc_dir, h.task as string), { recursive: true, force: true });
  }

  async function gone(pid: number): Promise<boolean> {
    for (let i = 0; i < 100 && running(pid); i++) await new Promise((r) => setTimeout(r, 20));
    return !running(pid);
  }

  beforeAll(async () => {
    const r = await s.run(['apply', '-auto-approve', s.file]);
    expect(r.code, output(r)).toBe(0);
  });

  afterAll(async () => {
    await s.cleanup();
    for (const h of seen)
      for (const pid of [h.supervisor_pid, -h.pid]) if (running(pid)) process.kill(pid, 'SIGKILL');
  });

  it('plans nothing for them; apply records them running with their handles; no second process', async () => {
    const before = await s.only();
    const hs = handles(before);
    s.interrupt(before.id);
    await expectFound(s, before);

    const apply = await s.run(['apply', '-auto-approve', s.file]);
    expect(apply.code, output(apply)).toBe(0);
    const after = (await s.state()).allocations[before.id]!;
    expect(after.client_status).toBe('running');
    // The same tasks, found by their directories; their kill settings are Nomad's defaults.
    expect(after.driver_handles).toEqual({
      a: { ...hs.a, kill_signal: 'INT', kill_timeout_ms: 5000 },
      b: { ...hs.b, kill_signal: 'INT', kill_timeout_ms: 5000 },
    });
    expect(after.task_states).toMatchObject({ a: { state: 'running' }, b: { state: 'running' } });
    expect(readdirSync(s.allocRoot)).toEqual([before.id]);
    expect([running(hs.a.pid), running(hs.b.pid)]).toEqual([true, true]);

    const plan = await s.run(['plan', '-detailed-exitcode', s.file]);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).not.toContain('Changes outside drover');
  });

  it('replaces one killed between its two tasks, and ends the task that did start', async () => {
    const old = await s.only();
    const hs = handles(old);
    // Task a started and was recorded; b never started.
    s.interrupt(old.id, ['a']);
    wipe(hs.b);
    const now = await expectReplaced(s, old, 'task "b" never started (an apply was interrupted)');
    expect(await gone(hs.a.pid)).toBe(true);
    const fresh = handles(now);
    expect([running(fresh.a.pid), running(fresh.b.pid)]).toEqual([true, true]);
  });

  it('replaces one with nothing on the host (the old behaviour)', async () => {
    const old = await s.only();
    const hs = handles(old);
    s.interrupt(old.id);
    wipe(hs.a);
    wipe(hs.b);
    rmSync(hs.a.alloc_dir, { recursive: true, force: true });
    const now = await expectReplaced(s, old, 'it never started (an apply was interrupted)');
    const fresh = handles(now);
    expect([running(fresh.a.pid), running(fresh.b.pid)]).toEqual([true, true]);
  });

  it('stop -purge ends the processes of an allocation left pending', async () => {
    const a = await s.only();
    const hs = handles(a);
    s.interrupt(a.id);
    const stop = await s.run(['stop', '-auto-approve', '-purge', job]);
    expect(stop.code, output(stop)).toBe(0);
    expect([await gone(-hs.a.pid), await gone(-hs.b.pid)]).toEqual([true, true]);
  });
});

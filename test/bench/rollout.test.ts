import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMAND,
  IMAGE,
  otherTag,
  swarmCreateArgs,
  swarmUpdateArgs,
  writeRolloutProject,
} from '../../bench/rollout/project.mjs';
import { swarmConverged, swarmStuck, type SwarmTask } from '../../bench/rollout/swarm.mjs';
import { measureLines, rolloutPhases, type StampedLine } from '../../bench/rollout/timeline.mjs';
import { loadConfig } from '../../src/config/load.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-bench-rollout-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the rollout benchmark project', () => {
  it.each([
    ['v1', []],
    ['v2', ['tag=v2']],
  ])('is a valid job of docker tasks running %s', (tag, vars) => {
    const project = writeRolloutProject(dir, { jobId: 'roll', count: 50, maxParallel: 5 });
    const file = join(project.jobs, 'rollout.nomad.hcl');
    const diags = new Diagnostics();
    const inputs = { vars, varFiles: [], env: {} };
    const loaded = loadJobSource(readFileSync(file, 'utf8'), file, { inputs }, diags);
    expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
    const job = loaded!.job;
    expect(job.id).toBe('roll');
    expect(job.update).toMatchObject({ max_parallel: 5, min_healthy_time: 0 });
    const group = job.group[0]!;
    expect(group.count).toBe(50);
    const task = group.task[0]!;
    expect(task.driver).toBe('docker');
    expect(task.kill_timeout).toBe(1_000);
    expect(task.resources?.memory).toBe(16);
    expect(task.config).toEqual({
      image: `${IMAGE}:${tag}`,
      command: COMMAND[0],
      args: COMMAND.slice(1),
      init: true,
    });
  });

  it('keeps state and allocation directories inside the project', () => {
    const project = writeRolloutProject(dir, { jobId: 'roll', count: 2, maxParallel: 1 });
    const diags = new Diagnostics();
    const config = loadConfig(project.config, diags);
    expect(diags.items).toEqual([]);
    expect(config!.state.path).toBe(project.state);
    expect(config!.nodes.map((n) => [n.name, n.transport, n.alloc_root])).toEqual([
      ['local', 'local', join(dir, 'alloc')],
    ]);
  });
});

describe('the Swarm peer', () => {
  const update = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  it('runs the same containers with the same update settings as the job', () => {
    const args = swarmCreateArgs({ service: 'svc', count: 50, maxParallel: 5 });
    expect(args.slice(-COMMAND.length - 1)).toEqual([`${IMAGE}:v1`, ...COMMAND]);
    expect(args).toEqual(expect.arrayContaining(['--init', '--no-resolve-image']));
    expect(
      ['--replicas', '--limit-memory', '--stop-grace-period'].map((f) => update(args, f)),
    ).toEqual(['50', '16M', '1s']);
  });

  it.each([
    ['--update-parallelism', '5'],
    ['--update-delay', '0s'],
    ['--update-monitor', '0s'],
    ['--update-order', 'stop-first'],
  ])('sets %s %s on create and update', (flag, value) => {
    const created = swarmCreateArgs({ service: 'svc', count: 50, maxParallel: 5 });
    const updated = swarmUpdateArgs({ service: 'svc', maxParallel: 5, tag: 'v2' });
    expect([update(created, flag), update(updated, flag)]).toEqual([value, value]);
  });

  it('updates only the image, waiting for convergence', () => {
    const args = swarmUpdateArgs({ service: 'svc', maxParallel: 5, tag: 'v2' });
    expect(args.slice(0, 3)).toEqual(['service', 'update', '--detach=false']);
    expect(update(args, '--image')).toBe(`${IMAGE}:v2`);
    expect(args.at(-1)).toBe('svc');
  });

  it('flips between the two tags', () => {
    expect([otherTag('v1'), otherTag('v2')]).toEqual(['v2', 'v1']);
  });

  const task = (desired: string, state: string, tag = 'v2'): SwarmTask => ({
    DesiredState: desired,
    Status: { State: state },
    Spec: { ContainerSpec: { Image: `${IMAGE}:${tag}` } },
  });
  const running = (n: number, tag = 'v2') =>
    Array.from({ length: n }, () => task('running', 'running', tag));
  const want = { image: `${IMAGE}:v2`, replicas: 3 };

  it.each<[string, string | undefined, SwarmTask[], boolean]>([
    ['all new tasks running, update complete', 'completed', running(3), true],
    ['a created service (no update status)', undefined, running(3), true],
    [
      'replaced tasks shut down beside them',
      'completed',
      [...running(3), task('shutdown', 'shutdown', 'v1')],
      true,
    ],
    ['the update still running', 'updating', running(3), false],
    ['a task still starting', 'completed', [...running(2), task('running', 'starting')], false],
    ['a task on the old image', 'completed', [...running(2), ...running(1, 'v1')], false],
    ['too few tasks', 'completed', running(2), false],
  ])('converged: %s → %s', (_what, state, tasks, expected) => {
    const service = state ? { UpdateStatus: { State: state } } : {};
    expect(swarmConverged(service, tasks, want)).toBe(expected);
  });

  it('reports an update Swarm paused', () => {
    expect(swarmStuck({ UpdateStatus: { State: 'paused', Message: 'task failed' } })).toBe(
      'paused: task failed',
    );
    expect(swarmStuck({ UpdateStatus: { State: 'updating' } })).toBeUndefined();
    expect(swarmStuck({})).toBeUndefined();
  });
});

describe('rolloutPhases', () => {
  const at = (ms: number, alloc: string, status: string): StampedLine => ({
    ms,
    text: `  roll.web[0] (${alloc}) on local: ${status}`,
  });

  it('cuts two batches into their phases', () => {
    const lines: StampedLine[] = [
      { ms: 5, text: '+/- Job: "roll"' },
      at(100, 'aaaaaaa1', 'stopping'),
      at(150, 'aaaaaaa1', 'stopped'),
      at(160, 'bbbbbbb1', 'starting'),
      at(400, 'bbbbbbb1', 'running'),
      at(420, 'bbbbbbb1', 'healthy'),
      at(500, 'aaaaaaa2', 'stopping'),
      at(600, 'aaaaaaa2', 'stopped'),
      at(610, 'bbbbbbb2', 'starting'),
      // A coloured status, as on a terminal.
      { ms: 900, text: '  roll.web[1] (bbbbbbb2) on local: \x1b[1mrunning\x1b[22m' },
      at(950, 'bbbbbbb2', 'healthy'),
      { ms: 960, text: 'Apply complete.' },
    ];
    expect(rolloutPhases(lines, 1000)).toEqual({
      batches: 2,
      startup: 100,
      stop: 60 + 110,
      start: 240 + 290,
      gate: 20 + 50,
      between: 80,
      finish: 50,
    });
  });

  it('finds no rollout in output without allocation events', () => {
    expect(rolloutPhases([{ ms: 1, text: 'No changes.' }], 10)).toBeUndefined();
  });
});

describe('measureLines', () => {
  it('stamps each line of a whole process with the time it arrived', async () => {
    const script = 'console.log("one"); setTimeout(() => console.log("two"), 150);';
    const m = await measureLines(process.execPath, ['-e', script]);
    expect(m.lines.map((l) => l.text)).toEqual(['one', 'two']);
    expect(m.lines[1]!.ms - m.lines[0]!.ms).toBeGreaterThanOrEqual(100);
    expect(m.wallMs).toBeGreaterThanOrEqual(m.lines[1]!.ms);
  });

  it('rejects an exit code it was not told to accept', async () => {
    await expect(measureLines(process.execPath, ['-e', 'process.exit(3)'])).rejects.toThrow(
      /exited with 3/,
    );
    const m = await measureLines(process.execPath, ['-e', 'process.exit(3)'], { okCodes: [3] });
    expect(m.code).toBe(3);
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flatness, parseDrivers, parseSizes, run } from '../../bench/apply-many.mjs';
import { writeApplyManyProject } from '../../bench/apply-many/project.mjs';
import { loadConfig } from '../../src/config/load.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

const NO_INPUTS = { inputs: { vars: [], varFiles: [], env: {} } };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-bench-apply-many-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the apply-many benchmark project', () => {
  it.each([
    ['mock', { run_for: '1h' }],
    ['raw_exec', { command: 'sleep', args: ['3600'] }],
  ])('writes valid one-task %s jobs that wait on nothing', (driver, config) => {
    const project = writeApplyManyProject(dir, 3, driver);
    const files = readdirSync(project.jobs).sort();
    expect(files).toEqual(['job-0000.nomad.hcl', 'job-0001.nomad.hcl', 'job-0002.nomad.hcl']);
    const ids = files.map((file) => {
      const diags = new Diagnostics();
      const source = readFileSync(join(project.jobs, file), 'utf8');
      const job = loadJobSource(source, file, NO_INPUTS, diags)!.job;
      expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
      expect(job.update).toMatchObject({ health_check: 'task_states', min_healthy_time: 0 });
      expect(job.group).toHaveLength(1);
      expect(job.group[0]!.count).toBe(1);
      expect(job.group[0]!.task.map((t) => [t.driver, t.config])).toEqual([[driver, config]]);
      return job.id;
    });
    expect(ids).toEqual(['small-0000', 'small-0001', 'small-0002']);
  });

  it('configures one local node with its own alloc_root and a state file inside', () => {
    const project = writeApplyManyProject(dir, 1, 'mock');
    const diags = new Diagnostics();
    const config = loadConfig(project.config, diags);
    expect(diags.items).toEqual([]);
    expect(config!.state.path).toBe(project.state);
    expect(config!.nodes.map((n) => [n.name, n.transport, n.alloc_root])).toEqual([
      ['local', 'local', project.alloc],
    ]);
  });
});

describe('the options and the goal', () => {
  it('reads sizes sorted and unique, and refuses what is not a positive whole number', () => {
    expect(parseSizes('1000,10,100,10')).toEqual([10, 100, 1000]);
    expect(() => parseSizes('10,0')).toThrow(/--sizes/);
    expect(() => parseSizes('ten')).toThrow(/--sizes/);
  });

  it('knows the mock and raw_exec drivers only', () => {
    expect(parseDrivers('raw_exec,mock')).toEqual(['raw_exec', 'mock']);
    expect(() => parseDrivers('docker')).toThrow(/unknown docker/);
  });

  it('compares per-job time at the largest size with the smallest, per driver', () => {
    const row = (driver: string, jobs: number, msPerJob: number, cpuMsPerJob: number) => ({
      driver,
      jobs,
      msPerJob,
      cpuMsPerJob,
    });
    expect(
      flatness([row('mock', 100, 30, 9), row('mock', 10, 20, 12), row('raw_exec', 10, 50, 10)]),
    ).toEqual({
      mock: {
        from: 10,
        to: 100,
        ratio: 1.5,
        cpuRatio: 0.75,
        fromNext: { from: 10, ratio: 1.5, cpuRatio: 0.75 },
      },
      raw_exec: {
        from: 10,
        to: 10,
        ratio: 1,
        cpuRatio: 1,
        fromNext: { from: 10, ratio: 1, cpuRatio: 1 },
      },
    });
    const three = [row('mock', 10, 100, 40), row('mock', 100, 20, 10), row('mock', 1000, 30, 8)];
    expect(flatness(three).mock).toEqual({
      from: 10,
      to: 1000,
      ratio: 0.3,
      cpuRatio: 0.2,
      fromNext: { from: 100, ratio: 1.5, cpuRatio: 0.8 },
    });
  });
});

/** Processes whose command line names one of the benchmark's project dirs. */
function benchProcesses(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('drover-bench-apply-many-'))
        out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

describe('the benchmark, at a tiny size', () => {
  it(
    'applies mock and raw_exec jobs, one state write per job, and leaves nothing behind',
    { timeout: 300_000 },
    async () => {
      const ours = () =>
        new Set(
          readdirSync(tmpdir()).filter(
            (f) =>
              f.startsWith('drover-bench-apply-many-') &&
              !f.startsWith('drover-bench-apply-many-test-'),
          ),
        );
      const before = ours();
      // Another benchmark may run on this machine meanwhile: only what this run started counts.
      const running = new Set(benchProcesses());
      const result = await run({ sizes: '2,3', drivers: 'mock,raw_exec', runs: '1' });

      expect(result.name).toBe('apply-many');
      expect(result.rows.map((r) => [r.driver, r.jobs])).toEqual([
        ['mock', 2],
        ['mock', 3],
        ['raw_exec', 2],
        ['raw_exec', 3],
      ]);
      for (const r of result.rows) {
        expect(r.wallMs).toBeGreaterThan(0);
        expect(r.msPerJob).toBeCloseTo(r.wallMs / r.jobs);
        // One write per job (its placement), one for the refresh and one at the end, plus at
        // most one a second for deferred changes that waited that long.
        expect(r.serial).toBeGreaterThanOrEqual(r.jobs);
        expect(r.serial).toBeLessThanOrEqual(r.jobs + 2 + Math.ceil(r.wallMs / 1000));
      }
      expect(result.goals).toHaveLength(2);
      for (const [i, driver] of ['mock', 'raw_exec'].entries())
        expect(result.goals[i]!.met).toBe(result.data.flatness[driver]!.ratio <= 1.5);

      // Nothing left: no task process, no temp dir.
      expect(benchProcesses().filter((pid) => !running.has(pid))).toEqual([]);
      for (const n of ours()) expect(before.has(n), n).toBe(true);
    },
  );
});

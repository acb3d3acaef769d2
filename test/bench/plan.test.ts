import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeFile, COMPOSE_IMAGE } from '../../bench/plan/compose.mjs';
import { writePlanProject } from '../../bench/plan/generate.mjs';
import { canMeasureMemory, measureCommand } from '../../bench/plan/measure-command.mjs';
import { hotSpots } from '../../bench/plan/profile.mjs';
import { loadConfig } from '../../src/config/load.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

const NO_INPUTS = { inputs: { vars: [], varFiles: [], env: {} } };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-bench-plan-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the plan benchmark project', () => {
  it('writes valid mock-driver jobs of one allocation each, deterministic per seed', () => {
    const { jobs } = writePlanProject(dir, 25, 7);
    const files = readdirSync(jobs).sort();
    expect(files).toHaveLength(25);
    const ids = new Set<string>();
    for (const file of files) {
      const diags = new Diagnostics();
      const loaded = loadJobSource(readFileSync(join(jobs, file), 'utf8'), file, NO_INPUTS, diags);
      expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
      const job = loaded!.job;
      ids.add(job.id);
      // Nothing to wait for: a mock task passes no service check, and healthy time is zero.
      expect(job.update?.health_check).toBe('task_states');
      expect(job.update?.min_healthy_time).toBe(0);
      expect(job.group).toHaveLength(1);
      expect(job.group[0]!.count).toBe(1);
      expect(job.group[0]!.task.map((t) => [t.driver, t.config])).toEqual([
        ['mock', { run_for: '1h' }],
      ]);
    }
    expect(ids.size).toBe(25);

    const again = mkdtempSync(join(tmpdir(), 'drover-bench-plan-test-'));
    try {
      writePlanProject(again, 25, 7);
      for (const file of files)
        expect(readFileSync(join(again, 'jobs', file), 'utf8')).toBe(
          readFileSync(join(jobs, file), 'utf8'),
        );
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('configures one local node with its own alloc_root and a state file in the project', () => {
    const { config } = writePlanProject(dir, 1);
    const diags = new Diagnostics();
    const loaded = loadConfig(config, diags);
    expect(diags.items).toEqual([]);
    expect(loaded!.state.path).toBe(join(dir, 'state', 'state.json'));
    expect(loaded!.nodes.map((n) => [n.name, n.transport, n.alloc_root])).toEqual([
      ['local', 'local', join(dir, 'alloc')],
    ]);
  });
});

describe('the docker-compose peer project', () => {
  it('has the asked number of long-running busybox services', () => {
    const doc = loadYaml(composeFile(3)) as {
      services: Record<string, { image: string; command: string[] }>;
    };
    expect(Object.keys(doc.services)).toEqual(['svc-00', 'svc-01', 'svc-02']);
    for (const s of Object.values(doc.services)) {
      expect(s.image).toBe(COMPOSE_IMAGE);
      expect(s.command).toEqual(['sleep', '3600']);
    }
  });
});

describe('measureCommand', () => {
  it('times a whole process and reads its peak memory', async () => {
    const m = await measureCommand(process.execPath, ['-e', 'Buffer.alloc(64 << 20, 1)']);
    expect(m.code).toBe(0);
    expect(m.wallMs).toBeGreaterThan(0);
    if (canMeasureMemory) expect(m.maxRssKB).toBeGreaterThan(64 * 1024);
    else expect(m.maxRssKB).toBeNaN();
  });

  it('rejects exit codes that are not allowed, and returns allowed ones', async () => {
    const args = ['-e', 'process.exit(2)'];
    await expect(measureCommand(process.execPath, args)).rejects.toThrow(/exited with 2/);
    await expect(
      measureCommand(process.execPath, args, { okCodes: [0, 2] }),
    ).resolves.toMatchObject({ code: 2 });
  });

  it('kills a command that runs past its timeout', async () => {
    const args = ['-e', 'setTimeout(() => {}, 30_000)'];
    const started = Date.now();
    await expect(measureCommand(process.execPath, args, { timeoutMs: 300 })).rejects.toThrow(
      /did not finish in 0.3 s/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('hotSpots', () => {
  it('sums self time per function and inclusive time once per sample, even when recursive', () => {
    const frame = (functionName: string, url: string) => ({
      functionName,
      url,
      lineNumber: 0,
      columnNumber: 0,
      scriptId: '0',
    });
    const root = '/repo';
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2] },
        { id: 2, callFrame: frame('plan', 'file:///repo/dist/src/plan/compute.js'), children: [3] },
        { id: 3, callFrame: frame('diff', 'file:///repo/dist/src/plan/diff.js'), children: [4] },
        { id: 4, callFrame: frame('diff', 'file:///repo/dist/src/plan/diff.js'), children: [] },
      ],
      samples: [2, 3, 4, 4],
      timeDeltas: [1000, 2000, 3000, 4000],
    };
    const file = join(dir, 'x.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const spots = hotSpots(file, root);
    expect(spots.totalMs).toBe(10);
    expect(spots.self).toEqual([
      { name: 'diff dist/src/plan/diff.js:1', ms: 9 },
      { name: 'plan dist/src/plan/compute.js:1', ms: 1 },
    ]);
    expect(spots.drover).toEqual([
      { name: 'plan dist/src/plan/compute.js:1', ms: 10 },
      { name: 'diff dist/src/plan/diff.js:1', ms: 9 },
    ]);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { nodeFileAccess } from '../../src/io/node-files.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Job } from '../../src/generated/jobspec.js';
import type { NormalizedJob } from '../../src/generated/normalized-job.js';
import validateNormalized from '../../src/generated/normalized-job.validate.js';
import { applyDefaults } from '../../src/jobspec/defaults.js';
import { findJobFiles } from '../../src/jobspec/files.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { nanosToMs, normalizeJob } from '../../src/jobspec/normalize.js';
import { decodeStoredJob, encodeStoredJob } from '../../src/jobspec/stored.js';
import { validJobs } from './jobs.fixture.js';

const isNormalized = validateNormalized as unknown as ValidateFunction<NormalizedJob>;
const problems = (job: unknown): string[] =>
  isNormalized(job)
    ? []
    : (isNormalized.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

const oneTask = (type: Job['type'], extra: Partial<Job> = {}): Job => ({
  id: 'example',
  type,
  group: [{ name: 'g', task: [{ name: 't', driver: 'exec' }] }],
  ...extra,
});

describe('normalizeJob', () => {
  it('fills every default the normalized schema requires, for every job type', () => {
    for (const type of ['service', 'batch', 'system', 'sysbatch'] as const) {
      expect(problems(oneTask(type)), type).not.toEqual([]);
      expect(problems(normalizeJob(oneTask(type))), type).toEqual([]);
    }
  });

  it('fills every default in every block of the fixture jobs', () => {
    for (const [name, make] of Object.entries(validJobs)) {
      expect(problems(normalizeJob(make())), name).toEqual([]);
    }
  });

  it('fills the example jobspecs completely', () => {
    const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
    const dirs = (d: string): string[] => [
      d,
      ...readdirSync(d)
        .map((f) => join(d, f))
        .filter((p) => statSync(p).isDirectory())
        .flatMap(dirs),
    ];
    const diags = new Diagnostics();
    const files = findJobFiles(dirs(examples), nodeFileAccess, diags);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const loaded = loadJobSource(
        readFileSync(file, 'utf8'),
        file,
        { inputs: { vars: [], varFiles: [], env: {} }, files: nodeFileAccess },
        new Diagnostics(),
      );
      if (!loaded) continue; // examples that need -var inputs are covered by examples.test.ts
      expect(problems(loaded.job), file).toEqual([]);
    }
  });

  it('turns default durations into milliseconds', () => {
    const job = normalizeJob(oneTask('service'));
    expect(job.update).toMatchObject({
      stagger: 30_000,
      min_healthy_time: 10_000,
      healthy_deadline: 300_000,
      progress_deadline: 600_000,
    });
    const g = job.group[0]!;
    expect(g.restart).toMatchObject({ delay: 15_000, interval: 1_800_000 });
    expect(g.reschedule).toMatchObject({ delay: 30_000, max_delay: 3_600_000, interval: 0 });
    expect(g.migrate).toMatchObject({ min_healthy_time: 10_000, healthy_deadline: 300_000 });
    expect(g.task[0]!.kill_timeout).toBe(5_000);
    expect(g.task[0]!.restart).toEqual(g.restart);
  });

  it('reads written durations as Go duration text or integer nanoseconds', () => {
    const job = normalizeJob({
      id: 'd',
      group: [
        {
          name: 'g',
          update: { min_healthy_time: '1m30s', healthy_deadline: 2_500_000_000 },
          task: [
            {
              name: 't',
              driver: 'exec',
              kill_timeout: '1.5s',
              shutdown_delay: 250_000_000,
              template: [{ data: 'x', splay: '100ms', wait: { min: '2s', max: '1h' } }],
              service: [{ name: 's', check: [{ type: 'tcp', interval: '10s', timeout: '2s' }] }],
            },
          ],
        },
      ],
    });
    const g = job.group[0]!;
    const t = g.task[0]!;
    expect(g.update).toMatchObject({ min_healthy_time: 90_000, healthy_deadline: 2_500 });
    expect(t.kill_timeout).toBe(1_500);
    expect(t.shutdown_delay).toBe(250);
    expect(t.template![0]).toMatchObject({ splay: 100, wait: { min: 2_000, max: 3_600_000 } });
    expect(t.service![0]!.check![0]).toMatchObject({ interval: 10_000, timeout: 2_000 });
  });

  it('leaves durations in free-form blocks (driver config) as written', () => {
    const job = normalizeJob({
      id: 'd',
      group: [
        {
          name: 'g',
          task: [{ name: 't', driver: 'docker', config: { image: 'x', stop_timeout: '30s' } }],
        },
      ],
    });
    expect(job.group[0]!.task[0]!.config).toEqual({ image: 'x', stop_timeout: '30s' });
  });

  it('rounds a fraction of a millisecond away from zero', () => {
    expect(nanosToMs(0)).toBe(0);
    expect(nanosToMs(1)).toBe(1);
    expect(nanosToMs(1_500_000)).toBe(2);
    expect(nanosToMs(-1)).toBe(-1);
    expect(nanosToMs(3_000_000)).toBe(3);
  });

  it("fills a written sysbatch reschedule block completely (the api's zero policy)", () => {
    const job = normalizeJob(oneTask('sysbatch', {}));
    expect(job.group[0]!.reschedule).toBeUndefined();
    const written = normalizeJob({
      id: 'sb',
      type: 'sysbatch',
      group: [{ name: 'g', reschedule: { attempts: 2 }, task: [{ name: 't', driver: 'exec' }] }],
    });
    expect(written.group[0]!.reschedule).toEqual({
      attempts: 2,
      interval: 0,
      delay: 0,
      delay_function: 'constant',
      max_delay: 0,
      unlimited: false,
    });
  });

  it('does not change its input', () => {
    const input = oneTask('batch');
    const before = structuredClone(input);
    normalizeJob(input);
    expect(input).toEqual(before);
  });
});

describe('decodeStoredJob', () => {
  it('returns a job stored in the current form as it is', () => {
    const job = normalizeJob(oneTask('service'));
    const stored = encodeStoredJob(job);
    expect(stored.job_format).toBe(2);
    expect(decodeStoredJob(stored)).toBe(job);
  });

  it('normalizes the old form: defaults as Go duration text, written nanoseconds', () => {
    // What drover stored before jobs were normalized: applyDefaults' output.
    const written: Job = {
      id: 'old',
      group: [{ name: 'g', task: [{ name: 't', driver: 'exec', kill_timeout: 7_000_000_000 }] }],
    };
    const old: { [k: string]: unknown } = Object.fromEntries(
      Object.entries(applyDefaults(written)),
    );
    const decoded = decodeStoredJob({ job: old });
    expect(decoded).toEqual(normalizeJob(written));
    expect(decoded.group[0]!.task[0]!.kill_timeout).toBe(7_000);
    expect(decoded.update!.progress_deadline).toBe(600_000);
    expect(problems(decoded)).toEqual([]);
    // The stored object is not modified, and decoding it again gives the same object.
    expect((old.update as { stagger: unknown }).stagger).toBe('30s');
    expect(decodeStoredJob({ job: old })).toBe(decoded);
  });

  it('fills defaults an old stored job lacks', () => {
    const decoded = decodeStoredJob({
      job: { id: 'bare', group: [{ name: 'g', task: [{ name: 't', driver: 'exec' }] }] },
    });
    expect(problems(decoded)).toEqual([]);
    expect(decoded.group[0]!.count).toBe(1);
  });

  it('refuses a stored job that is not a job, saying where', () => {
    expect(() =>
      decodeStoredJob({ job: { id: 'x', group: [{ name: 'g', count: 'many' }] } }),
    ).toThrow(/stored job is not a valid job: \/group\/0\/count/);
  });
});

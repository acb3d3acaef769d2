/**
 * The examples are documentation that must keep working: every jobspec under examples/ loads
 * without a single diagnostic, every HCL file there is already in canonical layout, and the
 * quick start and the variables example decode to what their comments promise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../src/diag/diagnostic.js';
import type { NormalizedJob as Job } from '../src/generated/normalized-job.js';
import { formatHCL } from '../src/hcl/format.js';
import { nodeFileAccess } from '../src/io/node-files.js';
import { findJobFiles } from '../src/jobspec/files.js';
import { loadJobSource, type LoadedJob } from '../src/jobspec/load.js';
import { driverConfigCheck } from '../providers/config-validators.js';

const examplesDir = fileURLToPath(new URL('../examples/', import.meta.url));

/** Every folder under examples/, itself included, the way a user would pass them to drover. */
function folders(dir: string): string[] {
  const subs = readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isDirectory());
  return [dir, ...subs.flatMap(folders)];
}

/** Every HCL file under examples/, jobs or not (drover.hcl and var files must be tidy too). */
function hclFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return hclFiles(p);
    return /\.(hcl|nomad)$/.test(f) ? [p] : [];
  });
}

/** The job files drover finds when given each example folder (drover.hcl and *.vars.hcl skipped). */
function jobFiles(): string[] {
  const diags = new Diagnostics();
  const withJobs = folders(examplesDir).filter((d) =>
    readdirSync(d).some((f) => /\.(hcl|nomad)$/.test(f)),
  );
  return findJobFiles(withJobs, nodeFileAccess, diags);
}

const rel = (p: string): string => relative(examplesDir, p);

function load(
  path: string,
  inputs: { vars?: string[]; varFiles?: string[] } = {},
): { loaded: LoadedJob | undefined; diags: Diagnostics } {
  const diags = new Diagnostics();
  const loaded = loadJobSource(
    readFileSync(path, 'utf8'),
    path,
    {
      inputs: { vars: inputs.vars ?? [], varFiles: inputs.varFiles ?? [], env: {} },
      files: nodeFileAccess,
      drivers: driverConfigCheck,
    },
    diags,
  );
  return { loaded, diags };
}

function mustLoad(path: string, inputs: { vars?: string[]; varFiles?: string[] } = {}): Job {
  const { loaded, diags } = load(path, inputs);
  expect(diags.items).toEqual([]);
  expect(loaded).toBeDefined();
  return loaded!.job;
}

describe('examples', () => {
  it('holds the job files the README lists, and only them', () => {
    expect(jobFiles().map(rel).sort()).toEqual([
      'batch/dispatch.nomad.hcl',
      'batch/nightly.nomad.hcl',
      'batch/report.nomad.hcl',
      'gitops/jobs/api.nomad.hcl',
      'gitops/jobs/cleanup.nomad.hcl',
      'gitops/jobs/worker.nomad.hcl',
      'hello/hello.nomad.hcl',
      'lifecycle/app.nomad.hcl',
      'system/system.nomad.hcl',
      'template/template.nomad.hcl',
      'variables/variables.nomad.hcl',
      'web/web.nomad.hcl',
    ]);
  });

  // Examples of what drover does not run yet: they validate (Nomad accepts them) with the one
  // warning plan and apply refuse them with.
  const REFUSED: Record<string, string> = {};

  // Examples that show a stanza drover accepts but does not run yet, with its warning.
  const NOT_RUN: Record<string, string> = {};

  it.each(jobFiles().map((f) => [rel(f), f]))('%s loads without any diagnostic', (name, path) => {
    const { loaded, diags } = load(path);
    const refused = REFUSED[name];
    const notRun = NOT_RUN[name];
    expect(diags.items.map((d) => [d.severity, d.summary, Boolean(d.refusedByPlan)])).toEqual(
      refused ? [['warning', refused, true]] : notRun ? [['warning', notRun, false]] : [],
    );
    expect(loaded?.job.id).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it.each(hclFiles(examplesDir).map((f) => [rel(f), f]))(
    '%s is in canonical layout',
    (_name, path) => {
      const result = formatHCL(readFileSync(path, 'utf8'), path);
      expect(result.diagnostics).toEqual([]);
      expect(result.changed).toBe(false);
    },
  );
});

describe('examples/hello: the quick start', () => {
  const path = join(examplesDir, 'hello/hello.nomad.hcl');

  it('is a raw_exec service that runs an inline Node.js server on a dynamic port', () => {
    const job = mustLoad(path);
    expect(job).toMatchObject({
      id: 'hello',
      type: 'service',
      update: { max_parallel: 1, min_healthy_time: 2_000 },
    });
    const group = job.group[0]!;
    // One network with one dynamic port: a label and no static number.
    expect(group.network).toHaveLength(1);
    expect(group.network![0]!.port).toHaveLength(1);
    expect(group.network![0]!.port![0]).toMatchObject({ label: 'http' });
    expect(group.network![0]!.port![0]!.static).toBeUndefined();
    expect(group.service![0]).toMatchObject({ port: 'http', check: [{ type: 'http', path: '/' }] });
    const task = group.task[0]!;
    expect(task).toMatchObject({
      driver: 'raw_exec',
      env: { GREETING: 'Hello from drover' },
      resources: { cpu: 100, memory: 64 },
    });
    const config = task.config as { command: string; args: string[] };
    expect(config.command).toBe('node');
    expect(config.args[0]).toBe('-e');
    // The server reads what drover provides on the host: the port, the copy's index, the greeting.
    expect(config.args[1]).toContain('process.env.NOMAD_PORT_http');
    expect(config.args[1]).toContain('process.env.NOMAD_ALLOC_INDEX');
    expect(config.args[1]).toContain('process.env.GREETING');
  });

  it('takes the greeting from -var', () => {
    const job = mustLoad(path, { vars: ['greeting=Hi there'] });
    expect(job.group[0]!.task[0]!.env).toEqual({ GREETING: 'Hi there' });
  });
});

describe('examples/variables', () => {
  const path = join(examplesDir, 'variables/variables.nomad.hcl');
  const prodVars = join(examplesDir, 'variables/prod.vars.hcl');

  it.each([
    {
      name: 'staging (the defaults)',
      inputs: {},
      want: {
        datacenters: ['dc1'],
        count: 2,
        canary: 1,
        autoPromote: true,
        image: 'drover-test/busybox:v1',
        env: { APP_ENV: 'staging', LOG_LEVEL: 'debug' },
        tags: ['catalog', 'staging'],
        resources: { cpu: 50, memory: 32 },
      },
    },
    {
      name: 'production (-var-file prod.vars.hcl)',
      inputs: { varFiles: [prodVars] },
      want: {
        datacenters: ['dc1', 'dc2'],
        count: 3,
        canary: 1,
        autoPromote: false,
        image: 'drover-test/busybox:v2',
        env: { APP_ENV: 'production', LOG_LEVEL: 'info', CACHE_TTL: '300' },
        tags: ['catalog', 'production', 'public'],
        resources: { cpu: 200, memory: 128 },
      },
    },
    {
      name: 'one copy (-var replicas=1): no canary, nothing to promote',
      inputs: { vars: ['replicas=1'] },
      want: {
        datacenters: ['dc1'],
        count: 1,
        canary: 0,
        autoPromote: false,
        image: 'drover-test/busybox:v1',
        env: { APP_ENV: 'staging', LOG_LEVEL: 'debug' },
        tags: ['catalog', 'staging'],
        resources: { cpu: 50, memory: 32 },
      },
    },
  ])('decodes $name', ({ inputs, want }) => {
    const job = mustLoad(path, inputs);
    const group = job.group[0]!;
    const task = group.task[0]!;
    expect(job.datacenters).toEqual(want.datacenters);
    expect(job.update).toMatchObject({ canary: want.canary, auto_promote: want.autoPromote });
    expect(group.count).toBe(want.count);
    expect(group.service![0]!.tags).toEqual(want.tags);
    expect((task.config as { image: string }).image).toBe(want.image);
    expect(task.env).toEqual(want.env);
    expect(task.resources).toMatchObject(want.resources);
  });

  it.each([
    {
      vars: ['replicas=11'],
      detail: 'Run between 1 and 10 replicas.',
      start: { line: 37, column: 21 },
    },
    {
      vars: ['environment=dev'],
      detail: 'The environment must be "staging" or "production".',
      start: { line: 20, column: 21 },
    },
  ])('rejects $vars at the validation rule that fails', ({ vars, detail, start }) => {
    const { loaded, diags } = load(path, { vars });
    expect(loaded).toBeUndefined();
    expect(diags.items).toHaveLength(1);
    const [d] = diags.items;
    expect(d?.severity).toBe('error');
    expect(d?.detail).toContain(detail);
    expect(d?.range?.start).toMatchObject(start);
  });
});

import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { computePlan, type DesiredJob } from '../../src/plan/compute.js';
import { decidePrune, describePrune, type PruneInputs } from '../../src/plan/prune.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { checkPlanSchema } from '../../src/plan/render-json.js';
import { emptyState } from '../../src/state/snapshot.js';
import type {
  Allocation,
  JobVersion,
  StateSnapshot,
  VersionOrigin,
} from '../../src/state/types.js';

function source(id: string, meta = ''): string {
  return `job "${id}" {
${meta ? `  meta = {\n    ${meta}\n  }\n` : ''}  group "app" {
    count = 2
    task "app" {
      driver = "mock"
      config {}
    }
  }
}
`;
}

function run(id: string, file: string, meta = ''): Extract<DesiredJob, { kind: 'run' }> {
  const src = source(id, meta);
  const d = new Diagnostics();
  const j = loadJobSource(src, file, { inputs: { vars: [], varFiles: [], env: {} } }, d);
  expect(d.items.filter((x) => x.severity === 'error')).toEqual([]);
  return {
    kind: 'run',
    id,
    job: j!.job,
    submitted: j!.submitted,
    source: src,
    filename: file,
    origin: { kind: 'file', file },
  };
}

function version(n: number, id: string, origin: VersionOrigin | undefined, meta = ''): JobVersion {
  const d = run(id, 'x.hcl', meta);
  return {
    version: n,
    submitted_at: `2026-12-07T0${n}:00:00.000Z`,
    source: d.source,
    filename: d.filename,
    submitted: d.submitted,
    ...encodeStoredJob(d.job),
    stable: true,
    status: 'running',
    ...(origin ? { origin } : {}),
  };
}

const fromFile = (file: string): VersionOrigin => ({ kind: 'file', file });

interface Recorded {
  origins: Array<VersionOrigin | undefined>;
  meta?: string;
  stopped?: boolean;
}

function state(jobs: Record<string, Recorded>): StateSnapshot {
  const s = emptyState('00000000-0000-4000-8000-000000000000');
  for (const [id, r] of Object.entries(jobs))
    s.jobs[id] = {
      versions: r.origins.map((o, i) => version(i, id, o, r.meta)),
      stopped: r.stopped ?? false,
    };
  return s;
}

function decide(
  jobs: Record<string, Recorded>,
  opts: Partial<Omit<PruneInputs, 'state'>> = {},
): ReturnType<typeof decidePrune> {
  return decidePrune({
    state: state(jobs),
    dirs: opts.dirs ?? ['jobs'],
    loadedFiles: opts.loadedFiles ?? [],
    loadedJobs: opts.loadedJobs ?? new Set(),
  });
}

describe('decidePrune', () => {
  const cases: Array<{
    name: string;
    jobs: Record<string, Recorded>;
    opts?: Partial<Omit<PruneInputs, 'state'>>;
    stop: Array<[string, string, string]>;
    kept?: string[];
  }> = [
    {
      name: 'stops a job whose file was removed from the directory',
      jobs: { api: { origins: [fromFile('jobs/api.nomad.hcl')] } },
      stop: [['api', 'jobs/api.nomad.hcl', 'file-removed']],
    },
    {
      name: 'stops a job its file, still there, no longer defines',
      jobs: { api: { origins: [fromFile('jobs/api.nomad.hcl')] } },
      opts: { loadedFiles: ['jobs/api.nomad.hcl'], loadedJobs: new Set(['api2']) },
      stop: [['api', 'jobs/api.nomad.hcl', 'job-not-in-file']],
    },
    {
      name: 'keeps a job the plan applies, from whichever file of the directory it moved to',
      jobs: { api: { origins: [fromFile('jobs/api.nomad.hcl')] } },
      opts: { loadedFiles: ['jobs/web.nomad.hcl'], loadedJobs: new Set(['api']) },
      stop: [],
    },
    {
      name: 'never stops a job applied from another directory or a single file elsewhere',
      jobs: {
        a: { origins: [fromFile('other/a.hcl')] },
        b: { origins: [fromFile('b.hcl')] },
        c: { origins: [fromFile('../jobs/c.hcl')] },
      },
      stop: [],
    },
    {
      name: 'does not reach into subdirectories (a directory is read without them)',
      jobs: { a: { origins: [fromFile('jobs/sub/a.hcl')] } },
      stop: [],
    },
    {
      name: 'prunes nothing in a plan of files only',
      jobs: { api: { origins: [fromFile('jobs/api.nomad.hcl')] } },
      opts: { dirs: [] },
      stop: [],
    },
    {
      name: 'reads directories however they are spelled',
      jobs: {
        a: { origins: [fromFile('jobs/a.hcl')] },
        top: { origins: [fromFile('top.hcl')] },
      },
      opts: { dirs: ['./jobs/', '.'] },
      stop: [
        ['top', 'top.hcl', 'file-removed'],
        ['a', 'jobs/a.hcl', 'file-removed'],
      ],
    },
    {
      name: 'keeps the file of a job rolled back, auto-reverted or scaled since',
      jobs: {
        r: {
          origins: [
            fromFile('jobs/r.hcl'),
            fromFile('jobs/r.hcl'),
            { kind: 'rollback', source_version: 0, reverted_from: 1 },
          ],
        },
        s: {
          origins: [
            fromFile('jobs/s.hcl'),
            { kind: 'scale', detail: 'group "app" count 3' },
            { kind: 'auto-revert', source_version: 0, reverted_from: 1 },
          ],
        },
      },
      stop: [
        ['s', 'jobs/s.hcl', 'file-removed'],
        ['r', 'jobs/r.hcl', 'file-removed'],
      ],
    },
    {
      name: 'belongs to the directory its latest file apply came from',
      jobs: { moved: { origins: [fromFile('jobs/m.hcl'), fromFile('other/m.hcl')] } },
      stop: [],
    },
    {
      name: 'never stops dispatched or periodic children, nor jobs recorded without an origin',
      jobs: {
        child: { origins: [{ kind: 'dispatch' }] },
        launch: { origins: [{ kind: 'periodic' }] },
        old: { origins: [undefined] },
        older: { origins: [undefined, { kind: 'scale' }] },
      },
      stop: [],
    },
    {
      name: 'leaves stopped jobs alone',
      jobs: { gone: { origins: [fromFile('jobs/gone.hcl')], stopped: true } },
      stop: [],
    },
    {
      name: 'stops in the reverse of file order',
      jobs: {
        a: { origins: [fromFile('jobs/10-db.hcl')] },
        b: { origins: [fromFile('jobs/20-api.hcl')] },
        c: { origins: [fromFile('jobs/30-web.hcl')] },
      },
      stop: [
        ['c', 'jobs/30-web.hcl', 'file-removed'],
        ['b', 'jobs/20-api.hcl', 'file-removed'],
        ['a', 'jobs/10-db.hcl', 'file-removed'],
      ],
    },
    {
      name: 'leaves running a job whose meta "drover.prune" is "false", and says why',
      jobs: {
        keep: { origins: [fromFile('jobs/keep.hcl')], meta: '"drover.prune" = "False"' },
        go: { origins: [fromFile('jobs/go.hcl')], meta: '"drover.prune" = "true"' },
      },
      stop: [['go', 'jobs/go.hcl', 'file-removed']],
      kept: ['keep: its meta "drover.prune" = "false"'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const d = decide(c.jobs, c.opts);
      expect(d.stop.map((s) => [s.job, s.file, s.reason])).toEqual(c.stop);
      expect(d.kept.map((k) => `${k.job}: ${k.why}`)).toEqual(c.kept ?? []);
    });
});

describe('describePrune', () => {
  it('names the file and what happened to it', () => {
    expect(describePrune({ file: 'jobs/a.hcl', reason: 'file-removed' })).toBe(
      'jobs/a.hcl was removed',
    );
    expect(describePrune({ file: 'jobs/a.hcl', reason: 'job-not-in-file' })).toBe(
      'jobs/a.hcl no longer defines it',
    );
  });
});

/** One node, `db` applied from jobs/db.hcl and `api` from jobs/api.hcl, two allocations each. */
function fleet(): StateSnapshot {
  const s = state({
    db: { origins: [fromFile('jobs/db.hcl')] },
    api: { origins: [fromFile('jobs/api.hcl')] },
  });
  s.nodes.n1 = {
    name: 'n1',
    inventory: { transport: 'local', datacenter: 'dc1' },
    eligibility: 'eligible',
    fingerprint: {
      fingerprinted_at: '2026-01-01T00:00:00Z',
      attributes: { 'kernel.name': 'linux' },
      resources: { cpu: 4000, memory: 8192 },
      drivers: { mock: { detected: true, healthy: true } },
    },
  };
  for (const job of ['db', 'api'])
    for (const index of [0, 1]) {
      const id = `${job === 'db' ? 'dddd' : 'aaaa'}000${index}-0000-4000-8000-000000000000`;
      const a: Allocation = {
        id,
        job,
        version: 0,
        group: 'app',
        index,
        node: 'n1',
        name: `${job}.app[${index}]`,
        desired_status: 'run',
        client_status: 'running',
        task_states: {},
        driver_handles: {},
        ports: [],
        created_at: '2026-01-01T00:00:00Z',
        modified_at: '2026-01-01T00:00:00Z',
      };
      s.allocations[id] = a;
    }
  return s;
}

function planOf(s: StateSnapshot, desired: DesiredJob[]) {
  return computePlan({
    desired,
    state: s,
    classify: () => 'destructive',
    seed: 'prune-test',
    now: new Date('2026-01-01T00:00:10Z'),
    droverVersion: 'test',
  });
}

describe('a plan that prunes', () => {
  const s = fleet();
  const decision = decidePrune({
    state: s,
    dirs: ['jobs'],
    loadedFiles: ['jobs/db.hcl'],
    loadedJobs: new Set(['db']),
  });
  const prune: DesiredJob[] = decision.stop.map((p) => ({
    kind: 'stop',
    id: p.job,
    purge: false,
    prune: { file: p.file, reason: p.reason },
  }));
  const plan = planOf(s, [run('db', 'jobs/db.hcl'), ...prune]);

  it('stops the pruned job, after the others, without purging it', () => {
    expect(plan.jobs.map((j) => [j.id, j.type, j.purge, j.prune ?? null])).toEqual([
      ['db', 'none', false, null],
      ['api', 'destroy', false, { file: 'jobs/api.hcl', reason: 'file-removed' }],
    ]);
    expect(plan.jobs[1]!.groups.flatMap((g) => g.stops.map((x) => x.name)).sort()).toEqual([
      'api.app[0]',
      'api.app[1]',
    ]);
  });

  it('is a plan the schema (and so a planfile) holds', () => {
    expect(checkPlanSchema(JSON.parse(JSON.stringify(plan)))).toEqual({ plan });
  });

  it('covers the prune in its hash', () => {
    const plain = planOf(s, [run('db', 'jobs/db.hcl'), { kind: 'stop', id: 'api', purge: false }]);
    expect(plain.jobs[1]!.prune).toBeUndefined();
    expect(plain.hash).not.toBe(plan.hash);
  });

  it('shows the job as removed, with its file and allocations, last, and counts it', () => {
    const text = renderPlanText(plan);
    expect(text).toBe(
      [
        '- job "api" (jobs/api.hcl was removed): stop 2 allocations on n1',
        '  Allocations:',
        '    stop  aaaa0000  api.app[0]  on n1  alloc not needed as the job is stopped',
        '    stop  aaaa0001  api.app[1]  on n1  alloc not needed as the job is stopped',
        '',
        'Plan: 0 to create, 0 to update in place, 0 to replace, 2 to destroy, 1 job to prune.',
        '1 job unchanged.',
        `Plan hash: ${plan.hash}`,
        '',
      ].join('\n'),
    );
  });

  it('says when a pruned job runs nothing and when its file only stopped defining it', () => {
    const empty = fleet();
    for (const id of Object.keys(empty.allocations))
      if (empty.allocations[id]!.job === 'api') delete empty.allocations[id];
    const text = renderPlanText(
      planOf(empty, [
        run('db', 'jobs/db.hcl'),
        {
          kind: 'stop',
          id: 'api',
          purge: false,
          prune: { file: 'jobs/db.hcl', reason: 'job-not-in-file' },
        },
      ]),
    );
    expect(text).toContain(
      '- job "api" (jobs/db.hcl no longer defines it): stop it (no allocations run)\n',
    );
    expect(text).toContain('0 to destroy, 1 job to prune.');
  });
});
